"""The attribute reference: every schema field with its type, default, description and setters.

The schema registry already knows each field's type, default and
documentation, and the profiles' bodies say which profile sets what; this
module joins the two into plain rows (`Attribute`) that `gwc doc` prints on
the terminal and as `docs/reference.md`.  A record reached through an
attribute set (`disks : {string: disk}`) is listed under its key as
`<name>`, as nixos-option does (`node.disks.<name>.size`).
"""

from __future__ import annotations

from dataclasses import dataclass

from gwlang.diagnostics import Span
from gwlang.eval.domain import Size
from gwlang.eval.modules import LoadedModule
from gwlang.model.schema import ENTITY_KINDS, SchemaRegistry
from gwlang.model.types import (
    AttrsType,
    EnumType,
    ListType,
    NullableType,
    RecordType,
    RefType,
    ScalarType,
    Type,
    describe,
)
from gwlang.syntax import ast
from gwlang.syntax.unparse import expression, quote

ANY_KEY = "<name>"   # the key of a record inside an attribute set


@dataclass(frozen=True)
class Setting:
    """One profile's definition of an attribute: `vm.memory = 1GiB;` in profile `ce`."""
    profile: str
    op: str
    value: str
    where: str


@dataclass(frozen=True)
class Attribute:
    """One leaf field of a schema, reached from an entity kind (`node.vm.memory`)."""
    path: tuple[str, ...]
    type: str
    described: str
    default: str | None
    doc: str | None
    declared: str
    set_by: tuple[Setting, ...]

    @property
    def name(self) -> str:
        return ".".join(self.path)


def where(span: Span) -> str:
    """`file:line`: enough to open the definition, stable when columns move."""
    line, _ = span.source.line_column(span.start)
    return f"{span.source.name}:{line}"


def attributes(registry: SchemaRegistry, modules: list[LoadedModule]) -> list[Attribute]:
    """Every attribute of the entity kinds, then of schemas no entity reaches, in declaration order."""
    settings = _profile_settings(modules)
    found: list[Attribute] = []
    reached: set[str] = set()
    roots = [*ENTITY_KINDS, *(name for name in registry.records if name not in ENTITY_KINDS)]
    for root in roots:
        if root in reached:
            continue
        found.extend(_walk(registry.records[root], (root,), settings, reached))
    return found


def _walk(record: RecordType, prefix: tuple[str, ...], settings: dict[tuple[str, ...], list[Setting]],
          reached: set[str]) -> list[Attribute]:
    reached.add(record.name)
    rows: list[Attribute] = []
    for field in record.fields.values():
        path = (*prefix, field.name)
        kind = field.type
        if isinstance(kind, RecordType) and field.default is None and kind.name.startswith(f"{record.name}."):
            rows.extend(_walk(kind, path, settings, reached))   # a dotted group (`vm` of `vm.memory`)
            continue
        default = expression(field.default) if field.default is not None else _implicit_default(kind)
        rows.append(Attribute(path, type_text(kind), describe(kind), default, field.doc, where(field.span),
                              tuple(settings.get(_setting_key(path), ()))))
        inner = _record_inside(kind)
        if inner is not None and inner.name not in prefix and len(path) < 12:
            rows.extend(_walk(inner, (*path, ANY_KEY), settings, reached))
    return rows


def _implicit_default(kind: Type) -> str | None:
    """A field without a default is null when nullable (merge.py), and otherwise must be set."""
    return "null" if isinstance(kind, NullableType) else None


def _record_inside(kind: Type) -> RecordType | None:
    """The record of `{string: disk}` or `disk?`, whose fields are listed under the attribute."""
    while isinstance(kind, NullableType):
        kind = kind.inner
    if isinstance(kind, AttrsType):
        kind = kind.value
    return kind if isinstance(kind, RecordType) else None


def _setting_key(path: tuple[str, ...]) -> tuple[str, ...]:
    """Profiles set node attributes, so `node.disks.<name>.size` is looked up as `disks.<name>.size`."""
    return path[1:] if path[0] == "node" else ("\0",)


def type_text(kind: Type) -> str:
    """The type as a schema writes it: `size(16MiB..)`, `[ref(node)]`, `{string: disk}`."""
    match kind:
        case ScalarType(kind=name, low=None, high=None):
            return name
        case ScalarType(kind=name, low=low, high=high):
            show = (lambda n: Size(n).canonical) if name == "size" else str
            return f"{name}({'' if low is None else show(low)}..{'' if high is None else show(high)})"
        case EnumType(choices=choices):
            return "enum(" + ", ".join(quote(c) for c in choices) + ")"
        case ListType(element=element):
            return f"[{type_text(element)}]"
        case AttrsType(key=key, value=value):
            return f"{{{type_text(key)}: {type_text(value)}}}"
        case NullableType(inner=inner):
            return f"{type_text(inner)}?"
        case RefType(kind=entity):
            return f"ref({entity})"
        case RecordType(name=name):
            return name


# ---------------------------------------------------------------- which profile sets what


def _profile_settings(modules: list[LoadedModule]) -> dict[tuple[str, ...], list[Setting]]:
    """Every profile definition by the path it sets, keys of attribute sets replaced by `<name>`.

    A definition of a whole record (`disks.xvdb = { size = 20GiB; }`) counts
    for each field its set literal names, so `disks.<name>.size` lists it.
    """
    settings: dict[tuple[str, ...], list[Setting]] = {}
    for loaded in modules:
        for item in loaded.module.items:
            if not isinstance(item, ast.ProfileDecl):
                continue
            for statement in item.body:
                if isinstance(statement, ast.Define):
                    for path, value, span in _flattened(_static(statement.path), statement.value, statement.span):
                        text = " ".join(expression(value).split())
                        setting = Setting(item.name.name, statement.op, text if len(text) <= 40 else text[:37] + "...",
                                          where(span))
                        for key in _generalised(path):
                            settings.setdefault(key, []).append(setting)
    return settings


def _static(path: tuple[ast.AttrKey, ...]) -> tuple[str, ...]:
    return tuple(key.name if isinstance(key, ast.StaticKey) else ANY_KEY for key in path)


def _flattened(path: tuple[str, ...], value: ast.Expr,
               span: Span) -> list[tuple[tuple[str, ...], ast.Expr, Span]]:
    found = [(path, value, span)]
    if isinstance(value, ast.AttrSet) and not value.recursive:
        for binding in value.bindings:
            if isinstance(binding, ast.Bind):
                found.extend(_flattened((*path, *_static(binding.path)), binding.value, binding.span))
    return found


def _generalised(path: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The path itself and each form with one key read as `<name>` (`disks.xvdb.size` -> `disks.<name>.size`)."""
    forms = {path}
    for index in range(1, len(path)):
        forms.add((*path[:index], ANY_KEY, *path[index + 1:]))
        for later in range(index + 2, len(path)):
            forms.add((*path[:index], ANY_KEY, *path[index + 1:later], ANY_KEY, *path[later + 1:]))
    return forms
