"""Normalising a merged value: checked against its type all the way down, record defaults filled.

A path's merged value is checked at its head when it merges; the values
inside it (a list's elements, a record given whole inside a list, a set's
members) are checked here, with their own path for the message
(`disks.xvda.size`, `after[0]`), and a record inside gets its schema
defaults, evaluated with the entity's late-bound names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gwlang.eval.values import AttrSet, Scope
from gwlang.model import merge_errors
from gwlang.model.types import AttrsType, FieldSpec, ListType, NullableType, RecordType, Type, problem

if TYPE_CHECKING:
    from gwlang.model.definitions import Definition
    from gwlang.model.merge import Entity


def normalize(entity: Entity, path: tuple[str, ...], kind: Type, value: Any, definition: Definition | None) -> Any:
    """Check `value` against `kind` all the way down; fill record defaults inside lists."""
    value = entity.evaluator.force(value)
    if isinstance(kind, NullableType):
        if value is None:
            return None
        kind = kind.inner
    issue = problem(kind, value)
    if issue is not None:
        raise merge_errors.type_error(entity, path, kind, definition, issue, value)
    if isinstance(kind, ListType):
        return tuple(normalize(entity, path + (f"[{i}]",), kind.element, item, definition)
                     for i, item in enumerate(value))
    if isinstance(kind, AttrsType):
        return AttrSet({key: normalize(entity, path + (key,), kind.value, member, definition)
                        for key, member in value.attrs.items()}, value.spans)
    if isinstance(kind, RecordType):
        return _record(entity, path, kind, value, definition)
    return value


def _record(entity: Entity, path: tuple[str, ...], kind: RecordType, value: AttrSet,
            definition: Definition | None) -> AttrSet:
    unknown = [key for key in value.attrs if key not in kind.fields]
    if unknown:
        key = unknown[0]
        span = value.spans.get(key) or (definition.value_span if definition else entity.declared_at)
        raise merge_errors.not_a_field(entity, path, kind, key, span)
    attrs: dict[str, Any] = {}
    for name, spec in kind.fields.items():
        if name in value.attrs:
            attrs[name] = normalize(entity, path + (name,), spec.type, value.attrs[name], definition)
        elif spec.default is not None:
            default = schema_default(entity, spec, path + (name,))
            attrs[name] = normalize(entity, path + (name,), spec.type, default, definition)
        elif isinstance(spec.type, NullableType):
            attrs[name] = None
        elif isinstance(spec.type, RecordType):
            attrs[name] = _record(entity, path + (name,), spec.type, AttrSet({}), definition)
        else:
            span = definition.value_span if definition else entity.declared_at
            raise merge_errors.lacks_field(entity, path, kind, name, spec, span)
    return AttrSet(attrs, value.spans)


def schema_default(entity: Entity, spec: FieldSpec, path: tuple[str, ...]) -> Any:
    """A schema default, evaluated with the late-bound names and `key` (the name of the set member)."""
    assert spec.default is not None
    key = path[-2] if len(path) >= 2 else entity.name
    scope = Scope({**entity.late_names, "key": key}, spec.scope)
    return entity.evaluator.eval(spec.default, scope)
