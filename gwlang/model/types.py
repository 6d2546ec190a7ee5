"""The types of schema fields: what a value may be, and how definitions of it merge.

A type answers three questions, as nixpkgs' `lib.types` does: does a value
fit (`problem`, looking only as deep as the type itself: a record's fields
are checked by the merge of those fields), how do several definitions
combine (`merge_kind`, by which `merge.MERGE_RULES` picks the rule), and
what is its empty value when only mutations exist (`empty`).  `describe`
names the type in English for messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from gwlang.diagnostics import Span
from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size
from gwlang.eval.values import AttrSet, Builtin, Closure, Scope, type_name
from gwlang.syntax import ast

MergeKind = Literal["record", "attrs", "list", "scalar"]

SCALAR_KINDS = ("bool", "int", "string", "size", "ip", "net", "mac", "hostname", "path", "any", "function")

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


@dataclass(frozen=True, slots=True)
class ScalarType:
    """`int`, `int(1..128)`, `size(16MiB..)`, `string`, `hostname`, `path`..."""
    kind: str
    low: int | None = None
    high: int | None = None

    @property
    def merge_kind(self) -> MergeKind:
        return "scalar"


@dataclass(frozen=True, slots=True)
class EnumType:
    """`enum("redhat", "debian")`"""
    choices: tuple[str, ...]

    @property
    def merge_kind(self) -> MergeKind:
        return "scalar"


@dataclass(frozen=True, slots=True)
class ListType:
    """`[T]`: replaced by `=`, extended by `+=`, shrunk by `-=`."""
    element: Type

    @property
    def merge_kind(self) -> MergeKind:
        return "list"


@dataclass(frozen=True, slots=True)
class AttrsType:
    """`{K: T}`: merged key by key; `+=` adds keys, `-=` removes names."""
    key: Type
    value: Type

    @property
    def merge_kind(self) -> MergeKind:
        return "attrs"


@dataclass(frozen=True, slots=True)
class NullableType:
    """`T?`: a T or null."""
    inner: Type

    @property
    def merge_kind(self) -> MergeKind:
        return "scalar" if self.inner.merge_kind in ("record", "attrs") else self.inner.merge_kind


@dataclass(frozen=True, slots=True)
class RefType:
    """`ref(host)`, `ref(node)`: one of the site's declared entities."""
    kind: str

    @property
    def merge_kind(self) -> MergeKind:
        return "scalar"


@dataclass(eq=False)
class FieldSpec:
    """One field of a record: its type, default and documentation, and where declared."""
    name: str
    type: Type
    default: ast.Expr | None
    doc: str | None
    span: Span
    scope: Scope | None


@dataclass(eq=False)
class RecordType:
    """A schema, or a group of dotted fields inside one (`vm` in `vm.memory`)."""
    name: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    span: Span | None = None

    @property
    def merge_kind(self) -> MergeKind:
        return "record"


Type = ScalarType | EnumType | ListType | AttrsType | NullableType | RefType | RecordType


def describe(kind: Type, plural: bool = False) -> str:
    """The type in English: "an integer from 1 to 128", "a list of strings"."""
    match kind:
        case ScalarType():
            return _describe_scalar(kind, plural)
        case EnumType():
            return "one of " + ", ".join(f'"{c}"' for c in kind.choices)
        case ListType():
            return ("lists" if plural else "a list") + " of " + describe(kind.element, plural=True)
        case AttrsType():
            return ("attribute sets" if plural else "an attribute set") + " of " + describe(kind.value, plural=True)
        case NullableType():
            return describe(kind.inner, plural) + " or null"
        case RefType():
            return f"references to {kind.kind}s" if plural else f"a reference to a {kind.kind}"
        case RecordType():
            return f"`{kind.name}` records" if plural else f"a `{kind.name}` record"


_SCALAR_WORDS = {
    "bool": ("a boolean", "booleans"), "int": ("an integer", "integers"), "string": ("a string", "strings"),
    "size": ("a size", "sizes"), "ip": ("an IP address", "IP addresses"), "net": ("an IP network", "IP networks"),
    "mac": ("a MAC address", "MAC addresses"), "hostname": ("a host name", "host names"),
    "path": ("a path", "paths"), "any": ("any value", "any values"), "function": ("a function", "functions"),
}


def _describe_scalar(kind: ScalarType, plural: bool) -> str:
    words = _SCALAR_WORDS[kind.kind][1 if plural else 0]
    if kind.low is None and kind.high is None:
        return words
    show = (lambda n: Size(n).canonical) if kind.kind == "size" else str
    if kind.low is not None and kind.high is not None:
        return f"{words} from {show(kind.low)} to {show(kind.high)}"
    if kind.low is not None:
        return f"{words} of at least {show(kind.low)}"
    return f"{words} of at most {show(kind.high)}"


def problem(kind: Type, value: Any) -> str | None:
    """Why `value` does not fit `kind` at its head, or None when it does."""
    match kind:
        case NullableType():
            return None if value is None else problem(kind.inner, value)
        case ScalarType():
            return _scalar_problem(kind, value)
        case EnumType():
            if type(value) is str and value in kind.choices:
                return None
            return f"found {_shown(value)}"
        case ListType():
            return None if type(value) is tuple else f"found {_found(value)}"
        case AttrsType() | RecordType():
            return None if type(value) is AttrSet and value.entity is None else f"found {_found(value)}"
        case RefType():
            if type(value) is AttrSet and value.entity is not None and value.entity[0] == kind.kind:
                return None
            return f"found {_found(value)}"


def _found(value: Any) -> str:
    if type(value) is AttrSet and value.entity is not None:
        return f"the {value.entity[0]} `{value.entity[1]}`"
    return type_name(value)


def _shown(value: Any) -> str:
    if type(value) is str:
        return f'"{value}"'
    return type_name(value)


_SCALAR_CLASSES: dict[str, Any] = {
    "bool": bool, "string": str, "size": Size, "ip": IPAddress, "net": IPNetwork, "mac": MacAddress,
    "hostname": str, "path": str, "function": (Closure, Builtin),
}


def _scalar_problem(kind: ScalarType, value: Any) -> str | None:
    name = kind.kind
    if name == "any":
        return None
    if name == "int":
        if type(value) is not int:
            return f"found {type_name(value)}"
        return _range_problem(kind, value, str(value))
    expected = _SCALAR_CLASSES[name]
    if not isinstance(value, expected) or (name == "string" and type(value) is not str):
        return f"found {type_name(value)}"
    if name == "size":
        return _range_problem(kind, value.bytes, value.canonical)
    if name == "hostname" and not _HOSTNAME.match(value):
        return f'found "{value}", which is not a host name (letters, digits and `-`, in dot-separated labels)'
    if name == "path":
        return _path_problem(value)
    return None


def _range_problem(kind: ScalarType, number: int, shown: str) -> str | None:
    if (kind.low is not None and number < kind.low) or (kind.high is not None and number > kind.high):
        return f"found {shown}"
    return None


def _path_problem(value: str) -> str | None:
    if "\x00" in value:
        return "found a path containing a NUL character"
    if ".." in value.split("/"):
        return f'found "{value}", which climbs out of its folder with `..`'
    if not value:
        return "found an empty path"
    return None


def empty_value(kind: Type) -> tuple[()] | AttrSet | None:
    """What `+=` starts from when no `=` exists: `[]` or `{}`; None for scalars."""
    if kind.merge_kind == "list":
        return ()
    if kind.merge_kind in ("attrs", "record"):
        return AttrSet({})
    return None


def reference_of(kind: Type) -> RefType | None:
    """The reference type of `ref(node)`, `ref(node)?` or `[ref(node)]`, or None for other types."""
    if isinstance(kind, NullableType):
        kind = kind.inner
    if isinstance(kind, ListType):
        kind = kind.element
    return kind if isinstance(kind, RefType) else None
