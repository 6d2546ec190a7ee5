"""The one registry of builtins, and the argument checks every family shares.

Each builtin is a Python function `(evaluator, call_span, *args)`; arguments
arrive unforced, so a builtin forces only what it needs (`map` leaves the
elements alone).  Its docstring's first line is its documentation and its
`example` is run by the test suite, so docs/language.md cannot drift.  The
families (`lists.py`, `attrsets.py`, `strings.py`, `types.py`, `domain.py`)
register into `REGISTRY` when the package is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from gwlang.diagnostics import Span, error
from gwlang.eval import limits
from gwlang.eval.values import AttrSet, Builtin, Closure, type_name

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator

T = TypeVar("T")

# A builtin's Python function: the evaluator, the call's span, then its arguments, unforced.
BuiltinFunction = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class BuiltinSpec:
    name: str
    arity: int
    function: BuiltinFunction
    signature: str
    doc: str
    example: str
    result: str


REGISTRY: dict[str, BuiltinSpec] = {}


def builtin(name: str, signature: str, example: str, result: str) -> Callable[[BuiltinFunction], BuiltinFunction]:
    """Register a builtin; `example` must evaluate to the gw value printed as `result`."""
    def register(function: BuiltinFunction) -> BuiltinFunction:
        arity = function.__code__.co_argcount - 2
        doc = (function.__doc__ or "").strip().splitlines()[0]
        REGISTRY[name] = BuiltinSpec(name, arity, function, signature, doc, example, result)
        return function
    return register


def builtin_values() -> dict[str, Any]:
    """The root scope: every builtin by name."""
    return {spec.name: Builtin(spec.name, spec.arity, spec.function) for spec in REGISTRY.values()}


# -- argument checks ----------------------------------------------------------------------


def want(ev: Evaluator, value: Any, kind: type[T], what: str, name: str, span: Span) -> T:
    """The argument forced, or E0203 naming the builtin and what it expects."""
    value = ev.force(value)
    if type(value) is bool and kind is int:
        raise error("E0203", f"`{name}` expects {what}, not a boolean", span, "called here")
    if not isinstance(value, kind):
        raise error("E0203", f"`{name}` expects {what}, not {type_name(value)}", span, "called here")
    return value


def want_one_of(ev: Evaluator, value: Any, kinds: tuple[type, ...], what: str, name: str, span: Span) -> Any:
    """As `want`, for an argument that may be of several types."""
    value = ev.force(value)
    if not isinstance(value, kinds):
        raise error("E0203", f"`{name}` expects {what}, not {type_name(value)}", span, "called here")
    return value


def list_of(ev: Evaluator, value: Any, name: str, span: Span) -> tuple[Any, ...]:
    return want(ev, value, tuple, "a list", name, span)


def attrset_of(ev: Evaluator, value: Any, name: str, span: Span) -> AttrSet:
    return want(ev, value, AttrSet, "an attribute set", name, span)


def int_of(ev: Evaluator, value: Any, name: str, span: Span) -> int:
    return want(ev, value, int, "an integer", name, span)


def str_of(ev: Evaluator, value: Any, name: str, span: Span) -> str:
    return want(ev, value, str, "a string", name, span)


def function_of(ev: Evaluator, value: Any, name: str, span: Span) -> Any:
    return want_one_of(ev, value, (Closure, Builtin, AttrSet), "a function", name, span)


def bool_result(ev: Evaluator, value: Any, name: str, span: Span) -> bool:
    value = ev.force(value)
    if type(value) is not bool:
        raise error("E0203", f"the function given to `{name}` must return a boolean, not {type_name(value)}",
                    span, "called here")
    return value


def invalid(message: str, span: Span) -> Exception:
    return error("E0211", message, span, "called here")


def check_length(length: int, name: str, span: Span) -> None:
    limits.check_list(length, f"`{name}`", span)


shown = limits.shown
