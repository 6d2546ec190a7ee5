"""Schemas: `schema NAME { path : type = default "doc"; }` declarations to record types.

Every schema of every loaded module joins one registry by name, so a site's
own module may extend `schema node { ... }` with fields of its own.  Dotted
field paths make nested records (`vm.memory` puts `memory` in a record `vm`).
Named types resolve once all schemas are known, so schemas may refer to each
other in any order.
"""

from __future__ import annotations

from dataclasses import dataclass

from gwlang.diagnostics import GwError, Label, Span, did_you_mean, error
from gwlang.eval.values import Scope
from gwlang.model.types import (
    SCALAR_KINDS,
    AttrsType,
    EnumType,
    FieldSpec,
    ListType,
    NullableType,
    RecordType,
    RefType,
    ScalarType,
    Type,
)
from gwlang.syntax import ast

ENTITY_KINDS = ("site", "host", "node")


@dataclass
class SchemaRegistry:
    records: dict[str, RecordType]

    def entity(self, kind: str) -> RecordType:
        return self.records[kind]


def build_registry(declarations: list[tuple[ast.SchemaDecl, Scope]]) -> SchemaRegistry:
    """Record types for every schema; every problem found is reported together."""
    records: dict[str, RecordType] = {}
    for declaration, _ in declarations:
        records.setdefault(declaration.name.name, RecordType(declaration.name.name, span=declaration.name.span))
    problems: list[GwError] = []
    for declaration, scope in declarations:
        record = records[declaration.name.name]
        for field in declaration.fields:
            try:
                _add_field(records, record, field, scope)
            except GwError as failure:
                problems.append(failure)
    for kind in ENTITY_KINDS:
        records.setdefault(kind, RecordType(kind))
    if problems:
        raise GwError([d for p in problems for d in p.diagnostics])
    return SchemaRegistry(records)


def _add_field(records: dict[str, RecordType], record: RecordType, field: ast.Field, scope: Scope) -> None:
    names = [key.name if isinstance(key, ast.StaticKey) else None for key in field.path]
    if None in names:
        raise error("E0405", "a schema field's path must be written out", field.span, "computed name",
                    help="write the name itself, quoted if needed: `\"a b\" : string;`")
    target = record
    for depth, name in enumerate(names[:-1]):
        assert name is not None
        existing = target.fields.get(name)
        if existing is None:
            nested = RecordType(f"{target.name}.{name}", span=field.path[depth].span)
            target.fields[name] = FieldSpec(name, nested, None, None, field.path[depth].span, scope)
            target = nested
        elif isinstance(existing.type, RecordType):
            target = existing.type
        else:
            raise error("E0403", f"`{'.'.join(n for n in names[:depth + 1] if n)}` is already a field "
                        f"of `{record.name}`, not a group", field.path[depth].span, "used as a group here",
                        secondary=[Label(existing.span, "declared as a field here")])
    leaf = names[-1]
    assert leaf is not None
    if leaf in target.fields:
        raise error("E0403", f"field `{'.'.join(n for n in names if n)}` is declared twice in schema `{record.name}`",
                    field.path[-1].span, "declared again here",
                    secondary=[Label(target.fields[leaf].span, "first declared here")])
    kind = resolve_type(records, field.type)
    target.fields[leaf] = FieldSpec(leaf, kind, field.default, field.doc, field.path[-1].span, scope)


def resolve_type(records: dict[str, RecordType], node: ast.TypeExpr) -> Type:
    match node:
        case ast.TypeName(name=name):
            if name in SCALAR_KINDS:
                return ScalarType(name)
            if name in records:
                return records[name]
            raise error("E0401", f"unknown type `{name}`", node.span, "no such type",
                        help=did_you_mean(name, [*SCALAR_KINDS, *records]),
                        notes=["types are " + ", ".join(SCALAR_KINDS) + ", and the declared schemas"])
        case ast.TypeCall():
            return _resolve_call(node)
        case ast.TypeList(element=element):
            return ListType(resolve_type(records, element))
        case ast.TypeAttrs(key=key, value=value):
            return AttrsType(resolve_type(records, key), resolve_type(records, value))
        case ast.TypeNullable(inner=inner):
            return NullableType(resolve_type(records, inner))


def _resolve_call(node: ast.TypeCall) -> Type:
    if node.name in ("int", "size"):
        if len(node.args) != 1 or not isinstance(node.args[0], ast.TypeRange):
            raise error("E0402", f"`{node.name}(...)` takes a range such as `1..64`", node.span, "not a range")
        bounds = node.args[0]
        low, high = _bound(bounds.low, node.name, bounds.span), _bound(bounds.high, node.name, bounds.span)
        if low is not None and high is not None and low > high:
            raise error("E0402", "this range is empty", bounds.span, "the low end is above the high end")
        return ScalarType(node.name, low, high)
    if node.name == "enum":
        choices = [a for a in node.args if isinstance(a, str)]
        if not choices or len(choices) != len(node.args):
            raise error("E0402", "`enum(...)` takes strings: `enum(\"redhat\", \"debian\")`", node.span,
                        "not a list of strings")
        return EnumType(tuple(choices))
    if node.name == "ref":
        kinds = [a.name for a in node.args if isinstance(a, ast.TypeName)]
        if len(kinds) != 1 or len(node.args) != 1 or kinds[0] not in ("host", "node"):
            raise error("E0402", "`ref(...)` takes `host` or `node`", node.span, "not an entity kind")
        return RefType(kinds[0])
    raise error("E0401", f"unknown type `{node.name}(...)`", node.span, "no such type",
                help=did_you_mean(node.name, ["int", "size", "enum", "ref"]))


def _bound(value: int | ast.SizeLit | None, kind: str, span: Span) -> int | None:
    if value is None:
        return None
    if isinstance(value, ast.SizeLit):
        if kind != "size":
            raise error("E0402", "an `int` range takes integers, not sizes", span, "a size here")
        return value.value
    if kind == "size":
        raise error("E0402", "a `size` range takes sizes such as `16MiB`", span, "an integer here")
    return value
