"""Builtins on types and control: `typeOf` and the `is*` tests, `throw`, `seq`, `deepSeq`, `min`, `max`, `mod`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gwlang.diagnostics import Span, error
from gwlang.eval.builtins.registry import REGISTRY, BuiltinSpec, builtin, int_of, str_of
from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size
from gwlang.eval.operators import compare
from gwlang.eval.values import AttrSet, Builtin, Closure, type_of

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator


@builtin("typeOf", "typeOf x", "typeOf 512MiB", "\"size\"")
def _type_of(ev: Evaluator, span: Span, value: Any) -> str:
    """The type's name: null, bool, int, string, list, set, lambda, size, ip, net or mac."""
    return type_of(ev.force(value))


def _is(kind: type | tuple[type, ...]) -> Callable[..., bool]:
    def check(ev: Evaluator, span: Span, value: Any) -> bool:
        return isinstance(ev.force(value), kind) and (kind is not int or type(ev.force(value)) is int)
    return check


_TYPE_WORDS = {"isInt": "an integer", "isBool": "a boolean", "isString": "a string", "isList": "a list",
               "isAttrs": "an attribute set", "isFunction": "a function", "isSize": "a size",
               "isIp": "an IP address (IPv4 or IPv6)", "isNet": "an IP network (IPv4 or IPv6)",
               "isMac": "a MAC address"}

for _name, _kind, _example, _answer in (
        ("isInt", int, "isInt 3", "true"), ("isBool", bool, "isBool false", "true"),
        ("isString", str, "isString \"x\"", "true"), ("isList", tuple, "isList [ ]", "true"),
        ("isAttrs", AttrSet, "isAttrs { }", "true"), ("isFunction", (Closure, Builtin), "isFunction (x: x)", "true"),
        ("isSize", Size, "isSize 1GiB", "true"), ("isIp", IPAddress, "isIp 10.0.0.1", "true"),
        ("isNet", IPNetwork, "isNet 10.0.0.0/8", "true"), ("isMac", MacAddress, "isMac 00:16:3e:00:00:01", "true")):
    _check = _is(_kind)
    _check.__doc__ = f"Whether the value is {_TYPE_WORDS[_name]}."
    REGISTRY[_name] = BuiltinSpec(_name, 1, _check, f"{_name} x", _check.__doc__, _example, _answer)


@builtin("isNull", "isNull x", "isNull null", "true")
def _is_null(ev: Evaluator, span: Span, value: Any) -> bool:
    """Whether the value is null."""
    return ev.force(value) is None


@builtin("throw", "throw message", "(x: 1) (throw \"never forced\")", "1")
def _throw(ev: Evaluator, span: Span, message: Any) -> Any:
    """Stop evaluation with the message as an error (only if the value is needed)."""
    text = str_of(ev, message, "throw", span)
    raise error("E0206", text or "`throw` with an empty message", span, "thrown here")


@builtin("seq", "seq a b", "seq 1 2", "2")
def _seq(ev: Evaluator, span: Span, first: Any, second: Any) -> Any:
    """Force `a`, then return `b`."""
    ev.force(first)
    return ev.force(second)


@builtin("deepSeq", "deepSeq a b", "deepSeq [ 1 ] 2", "2")
def _deep_seq(ev: Evaluator, span: Span, first: Any, second: Any) -> Any:
    """Force `a` and everything inside it, then return `b`."""
    ev.deep_force(first)
    return ev.force(second)


@builtin("min", "min a b", "min 1GiB 512MiB", "512MiB")
def _min(ev: Evaluator, span: Span, left: Any, right: Any) -> Any:
    """The smaller of two ordered values of the same type."""
    a, b = ev.force(left), ev.force(right)
    return b if compare(ev, a, b, span) > 0 else a


@builtin("max", "max a b", "max 3 7", "7")
def _max(ev: Evaluator, span: Span, left: Any, right: Any) -> Any:
    """The larger of two ordered values of the same type."""
    a, b = ev.force(left), ev.force(right)
    return b if compare(ev, a, b, span) < 0 else a


@builtin("mod", "mod a b", "mod 17 5", "2")
def _mod(ev: Evaluator, span: Span, left: Any, right: Any) -> int:
    """The remainder of integer division, with the sign of `a` (as C and Nix)."""
    a, b = int_of(ev, left, "mod", span), int_of(ev, right, "mod", span)
    if b == 0:
        raise error("E0207", "division by zero", span, "`mod` by zero")
    return a - b * (abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1))
