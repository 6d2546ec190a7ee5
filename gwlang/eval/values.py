"""Runtime values of the evaluator.

Plain Python values stand for gw's simple ones (`None`, `bool`, `int`,
`str`); a list is a `tuple`; the rest are the classes below.  Anything held
inside a list, an attribute set or a scope may be a `Thunk` until forced.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gwlang.diagnostics import GwError, Span, error
from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size

if TYPE_CHECKING:
    from gwlang.syntax import ast


class Thunk:
    """A suspended computation: an expression in a scope, or a Python callable.

    `state` is 0 (not yet run), 1 (running: meeting it again is infinite
    recursion), 2 (value ready) or 3 (failed: `value` holds the error).
    """

    __slots__ = ("code", "label", "scope", "span", "state", "value")

    def __init__(self, code: ast.Expr | Callable[[], Any], scope: Scope | None,
                 label: str | None = None, span: Span | None = None) -> None:
        self.code = code
        self.scope = scope
        self.label = label
        self.span = span
        self.state = 0
        self.value: Any = None

    @staticmethod
    def ready(value: Any) -> Thunk:
        thunk = Thunk(_never, None)
        thunk.state = 2
        thunk.value = value
        return thunk


def _never() -> Any:
    raise AssertionError("a ready thunk never runs")


class Scope:
    """Names visible at one point: a dict of values or thunks, and the enclosing scope."""

    __slots__ = ("names", "parent")

    def __init__(self, names: dict[str, Any], parent: Scope | None) -> None:
        self.names = names
        self.parent = parent

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            names = scope.names
            if name in names:
                return names[name]
            scope = scope.parent
        raise KeyError(name)

    def all_names(self) -> set[str]:
        found: set[str] = set()
        scope: Scope | None = self
        while scope is not None:
            found.update(scope.names)
            scope = scope.parent
        return found


class AttrSet:
    """`{ ... }`: names to values or thunks; `spans` says where each was defined.

    `entity` marks the set of a declared host or node, as `("node", "ce")`:
    the value a `ref(node)` field holds, and what references print as.
    """

    __slots__ = ("attrs", "entity", "spans")

    def __init__(self, attrs: dict[str, Any], spans: dict[str, Span] | None = None,
                 entity: tuple[str, str] | None = None) -> None:
        self.attrs = attrs
        self.spans = spans or {}
        self.entity = entity

    def __len__(self) -> int:
        return len(self.attrs)


class Closure:
    """A gw function: its lambda and the scope it was written in.

    A plain class rather than a frozen dataclass: one is made per evaluation
    of a lambda, and a frozen dataclass's `__init__` costs three times more.
    """

    __slots__ = ("lambda_", "scope")

    def __init__(self, lambda_: ast.Lambda, scope: Scope) -> None:
        self.lambda_ = lambda_
        self.scope = scope


class Builtin:
    """A built-in function, possibly partly applied (`args` so far)."""

    __slots__ = ("args", "arity", "function", "name")

    def __init__(self, name: str, arity: int, function: Callable[..., Any], args: tuple[Any, ...] = ()) -> None:
        self.name = name
        self.arity = arity
        self.function = function
        self.args = args


@dataclass(frozen=True, slots=True, eq=False)
class Declaration:
    """A profile, site or schema declared in a module; the next stages give it meaning."""
    kind: str
    name: str
    node: ast.ProfileDecl | ast.SiteDecl | ast.SchemaDecl
    scope: Scope
    module_path: str


Value = (None | bool | int | str | tuple[Any, ...] | AttrSet | Closure | Builtin | Declaration
         | Size | IPAddress | IPNetwork | MacAddress)


def too_long_to_print(span: Span | None) -> GwError:
    """Python refuses to print an integer of more than some thousands of digits (a size is one inside)."""
    return error("E0211", "this number is too long to turn into text", span, "too long to print",
                 notes=[f"a number is printed with at most {sys.get_int_max_str_digits():,} digits"])


def scalar_text(value: Any, span: Span | None) -> str | None:
    """The text of a string, integer or domain value (sizes, addresses, networks, MACs in canonical
    form), or None for any other value.

    The one value-to-text conversion: string interpolation accepts exactly
    these values, and `toString` adds booleans, null and lists of them.
    """
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    try:
        if kind is int:
            return str(value)
        if kind in (Size, IPAddress, IPNetwork, MacAddress):
            return value.canonical  # type: ignore[no-any-return]
    except ValueError:
        raise too_long_to_print(span) from None
    return None


def type_name(value: Any) -> str:
    """The English name of a value's type, as messages use it."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is bool:
        return "a boolean"
    if kind is int:
        return "an integer"
    if kind is str:
        return "a string"
    if kind is tuple:
        return "a list"
    if kind is AttrSet:
        return "an attribute set"
    if kind is Closure or kind is Builtin:
        return "a function"
    if kind is Size:
        return "a size"
    if kind is IPAddress:
        return "an IPv4 address" if value.version == 4 else "an IPv6 address"
    if kind is IPNetwork:
        return "an IPv4 network" if value.version == 4 else "an IPv6 network"
    if kind is MacAddress:
        return "a MAC address"
    if kind is Declaration:
        return f"a {value.kind}"
    return kind.__name__


def type_of(value: Any) -> str:
    """The short type name `typeOf` returns."""
    if value is None:
        return "null"
    names = {bool: "bool", int: "int", str: "string", tuple: "list", AttrSet: "set",
             Closure: "lambda", Builtin: "lambda", Size: "size", IPAddress: "ip",
             IPNetwork: "net", MacAddress: "mac", Declaration: "declaration"}
    return names.get(type(value), "unknown")
