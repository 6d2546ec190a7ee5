"""Binary operators, equality, ordering and the fields of domain values.

The rules live in small tables keyed by operand types, so "what may be added
to what" is read in one place.  Anything not in a table is an error naming
both operands; ordering across types is never a silent `false`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gwlang.diagnostics import GwError, Label, Span, error
from gwlang.eval import limits
from gwlang.eval.domain import ADDRESS_FIELDS, NETWORK_FIELDS, IPAddress, IPNetwork, MacAddress, Size
from gwlang.eval.values import AttrSet, Builtin, Closure, Thunk, type_name
from gwlang.syntax import ast

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator


def binary(evaluator: Evaluator, op: str, left: Any, right: Any, expr: ast.BinOp) -> Any:
    if op == "==":
        return equal(evaluator, left, right)
    if op == "!=":
        return not equal(evaluator, left, right)
    if op in ("<", "<=", ">", ">="):
        order = compare(evaluator, left, right, expr)
        return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]
    if op == "++":
        if type(left) is tuple and type(right) is tuple:
            limits.check_list(len(left) + len(right), "`++`", expr.span)
            return left + right
        raise _mismatch(op, left, right, expr, "`++` joins two lists")
    if op == "//":
        if type(left) is AttrSet and type(right) is AttrSet:
            return AttrSet({**left.attrs, **right.attrs}, {**left.spans, **right.spans})
        raise _mismatch(op, left, right, expr, "`//` merges two attribute sets")
    return arithmetic(op, left, right, expr)


def arithmetic(op: str, left: Any, right: Any, expr: ast.BinOp) -> Any:
    """`left op right`; a number or size of more than `limits.MAX_DIGITS` digits is E0231."""
    result = _arithmetic(op, left, right, expr)
    kind = type(result)
    if kind is int:
        limits.check_integer(result, f"`{op}`", expr.span)
    elif kind is Size:
        limits.check_integer(result.bytes, f"`{op}`", expr.span)
    return result


def _arithmetic(op: str, left: Any, right: Any, expr: ast.BinOp) -> Any:
    left_kind, right_kind = type(left), type(right)
    if left_kind is int and right_kind is int:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        return _divide(left, right, expr)
    if op == "+" and left_kind is str and right_kind is str:
        limits.check_string(len(left) + len(right), "`+`", expr.span)
        return left + right
    if left_kind is Size:
        if right_kind is Size:
            if op == "+":
                return Size(left.bytes + right.bytes)
            if op == "-":
                return Size(left.bytes - right.bytes)
            if op == "/":
                return _divide(left.bytes, right.bytes, expr)
        elif right_kind is int:
            if op == "*":
                return Size(left.bytes * right)
            if op == "/":
                quotient = _divide(left.bytes, right, expr)
                if quotient * right != left.bytes:
                    # Sizes never round silently, as `toMiB` does not.
                    raise error("E0211", f"{left.canonical} / {right} is not a whole number of bytes",
                                expr.span, "inexact division",
                                help="divide a whole count instead: `fromMiB (toMiB size / n)`")
                return Size(quotient)
    if left_kind is int and right_kind is Size and op == "*":
        return Size(left * right.bytes)
    if left_kind is IPAddress and right_kind is int and op in ("+", "-"):
        try:
            return left.offset(right if op == "+" else -right)
        except ValueError as problem:
            raise error("E0211", str(problem), expr.span, "out of range") from None
    raise _mismatch(op, left, right, expr, _ARITHMETIC_HINTS.get((left_kind, right_kind)))


_ARITHMETIC_HINTS: dict[tuple[type, type], str] = {
    (Size, int): "a size and an integer do not add: write a size (`512MiB`) or convert with `toMiB`",
    (int, Size): "a size and an integer do not add: write a size (`512MiB`) or convert with `toMiB`",
    (str, int): "convert the integer with `toString`, or interpolate: `\"x${toString n}\"`",
    (int, str): "convert the integer with `toString`, or interpolate: `\"${toString n}x\"`",
}


def _divide(left: int, right: int, expr: ast.BinOp) -> int:
    if right == 0:
        raise error("E0207", "division by zero", expr.right.span, "this is zero")
    quotient = abs(left) // abs(right)
    return quotient if (left >= 0) == (right >= 0) else -quotient


def _mismatch(op: str, left: Any, right: Any, expr: ast.BinOp, hint: str | None) -> GwError:
    return error("E0203", f"cannot apply `{op}` to {type_name(left)} and {type_name(right)}",
                 expr.op_span, "this operator",
                 secondary=[Label(expr.left.span, f"this is {type_name(left)}"),
                            Label(expr.right.span, f"this is {type_name(right)}")],
                 help=hint)


def equal(evaluator: Evaluator, left: Any, right: Any) -> bool:
    """Structural equality, forcing what it compares; different types are unequal.

    Elements are compared first to last (attributes by sorted name), and the
    first difference ends it, so `[ 1 (throw "x") ] == [ 2 (throw "x") ]` is
    false without forcing the throws, as in Nix: `pending` is a stack, hence
    the reversals.
    """
    pending = [(left, right)]
    while pending:
        a, b = pending.pop()
        if type(a) is Thunk:
            a = evaluator.force_thunk(a)
        if type(b) is Thunk:
            b = evaluator.force_thunk(b)
        kind = type(a)
        if kind is not type(b):
            return False
        if kind is tuple:
            if len(a) != len(b):
                return False
            pending.extend(reversed(list(zip(a, b, strict=True))))
        elif kind is AttrSet:
            if a.attrs.keys() != b.attrs.keys():
                return False
            pending.extend((a.attrs[k], b.attrs[k]) for k in sorted(a.attrs, reverse=True))
        elif kind is Closure or kind is Builtin:
            if a is not b:
                return False
        elif a != b:
            return False
    return True


def compare(evaluator: Evaluator, left: Any, right: Any, expr: ast.BinOp | Span) -> int:
    """-1, 0 or 1; an error for values of different or unordered types."""
    kind = type(left)
    if kind is type(right):
        if kind is int or kind is str:
            return (left > right) - (left < right)  # type: ignore[no-any-return]
        if kind is Size:
            return (left.bytes > right.bytes) - (left.bytes < right.bytes)  # type: ignore[no-any-return]
        if kind is IPAddress and left.version == right.version:
            a, b = int(left.address), int(right.address)
            return (a > b) - (a < b)
        if kind is tuple:
            # Elements are compared at the operator: the operands' labels would call the lists integers.
            at = expr.op_span if isinstance(expr, ast.BinOp) else expr
            for a, b in zip(left, right, strict=False):
                order = compare(evaluator, evaluator.force(a), evaluator.force(b), at)
                if order:
                    return order
            return (len(left) > len(right)) - (len(left) < len(right))
    # By English type name, so an IPv4 against an IPv6 address reads as a mismatch.
    message = (f"cannot order {type_name(left)} against {type_name(right)}"
               if type_name(left) != type_name(right) else f"{type_name(left)} has no order")
    notes = ["integers, sizes, strings, addresses of one family and lists of these are ordered, "
             "each only against its own type"]
    if not isinstance(expr, ast.BinOp):
        raise error("E0208", message, expr, "compared here", notes=notes)
    raise error("E0208", message, expr.op_span, "compared here",
                secondary=[Label(expr.left.span, f"this is {type_name(left)}"),
                           Label(expr.right.span, f"this is {type_name(right)}")],
                notes=notes)


def domain_field(value: Any, name: str) -> Any:
    """`net.prefix`, `net.netmask`, `ip.version`, `size.bytes`..."""
    kind = type(value)
    if kind is IPNetwork:
        return value.field(name)
    if kind is IPAddress and name == "version":
        return value.version
    if kind is Size and name == "bytes":
        return value.bytes
    raise KeyError(name)


def domain_field_names(value: Any) -> tuple[str, ...]:
    kind = type(value)
    if kind is IPNetwork:
        return NETWORK_FIELDS
    if kind is IPAddress:
        return ADDRESS_FIELDS
    if kind is Size:
        return ("bytes",)
    if kind is MacAddress:
        return ()
    return ()
