"""Builtins on lists: map, filter, folds, slicing, sorting, uniqueness.

A list builtin leaves its elements unforced unless it must look at them
(`map` builds thunks, `length` forces nothing inside).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gwlang.diagnostics import Span
from gwlang.eval.builtins.registry import (
    bool_result,
    builtin,
    check_length,
    function_of,
    int_of,
    invalid,
    list_of,
    want,
)
from gwlang.eval.operators import equal
from gwlang.eval.values import Thunk

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator


@builtin("map", "map f list", "map (x: x * 2) [ 1 2 3 ]", "[ 2 4 6 ]")
def _map(ev: Evaluator, span: Span, function: Any, items: Any) -> tuple[Any, ...]:
    """Apply `f` to every element (lazily: an element is computed when used)."""
    function = function_of(ev, function, "map", span)
    values = list_of(ev, items, "map", span)
    call = ev.call
    return tuple([Thunk(_bound(call, function, item, span), None, "map element", span) for item in values])


def _bound(call: Callable[..., Any], function: Any, argument: Any, span: Span) -> Callable[[], Any]:
    # A partial, not a lambda: one object instead of a function, its closure and three cells,
    # which halves the time `genList` and `map` take to build a list of a million thunks.
    return functools.partial(call, function, argument, span)


@builtin("filter", "filter predicate list", "filter (x: x > 1) [ 1 2 3 ]", "[ 2 3 ]")
def _filter(ev: Evaluator, span: Span, predicate: Any, items: Any) -> tuple[Any, ...]:
    """The elements for which `predicate` returns true, in order."""
    predicate = function_of(ev, predicate, "filter", span)
    return tuple(item for item in list_of(ev, items, "filter", span)
                 if bool_result(ev, ev.call(predicate, item, span), "filter", span))


@builtin("foldl", "foldl op start list", "foldl (acc: x: acc + x) 0 [ 1 2 3 ]", "6")
def _foldl(ev: Evaluator, span: Span, function: Any, start: Any, items: Any) -> Any:
    """Left fold, strict in the accumulator (Nix's `foldl'`), so long lists need no deep stack.

    Strict in what `op` returns, not in `start`: like Nix, the start value is
    forced only if `op` uses it (or the list is empty and it is the result).
    """
    function = function_of(ev, function, "foldl", span)
    call2 = ev.call2
    force = ev.force
    accumulator = start
    for item in list_of(ev, items, "foldl", span):
        accumulator = force(call2(function, accumulator, item, span))
    return force(accumulator)


@builtin("length", "length list", "length [ 1 2 3 ]", "3")
def _length(ev: Evaluator, span: Span, items: Any) -> int:
    """The number of elements of a list."""
    return len(list_of(ev, items, "length", span))


@builtin("elem", "elem x list", "elem 2 [ 1 2 3 ]", "true")
def _elem(ev: Evaluator, span: Span, needle: Any, items: Any) -> bool:
    """Whether `x` is an element of the list."""
    return any(equal(ev, needle, item) for item in list_of(ev, items, "elem", span))


@builtin("elemAt", "elemAt list index", "elemAt [ \"a\" \"b\" ] 1", "\"b\"")
def _elem_at(ev: Evaluator, span: Span, items: Any, index: Any) -> Any:
    """The element at a 0-based index."""
    values = list_of(ev, items, "elemAt", span)
    position = int_of(ev, index, "elemAt", span)
    if not 0 <= position < len(values):
        raise invalid(f"index {position} is outside a list of {len(values)}", span)
    return ev.force(values[position])


@builtin("head", "head list", "head [ 1 2 ]", "1")
def _head(ev: Evaluator, span: Span, items: Any) -> Any:
    """The first element of a non-empty list."""
    values = list_of(ev, items, "head", span)
    if not values:
        raise invalid("`head` of an empty list", span)
    return ev.force(values[0])


@builtin("tail", "tail list", "tail [ 1 2 3 ]", "[ 2 3 ]")
def _tail(ev: Evaluator, span: Span, items: Any) -> tuple[Any, ...]:
    """All but the first element of a non-empty list."""
    values = list_of(ev, items, "tail", span)
    if not values:
        raise invalid("`tail` of an empty list", span)
    return values[1:]


@builtin("range", "range first last", "range 1 4", "[ 1 2 3 4 ]")
def _range(ev: Evaluator, span: Span, first: Any, last: Any) -> tuple[int, ...]:
    """The integers from `first` to `last`, both included."""
    low, high = int_of(ev, first, "range", span), int_of(ev, last, "range", span)
    check_length(high - low + 1, "range", span)
    return tuple(range(low, high + 1))


@builtin("genList", "genList f n", "genList (i: i * i) 4", "[ 0 1 4 9 ]")
def _gen_list(ev: Evaluator, span: Span, function: Any, count: Any) -> tuple[Any, ...]:
    """A list of `n` elements, element `i` being `f i`."""
    function = function_of(ev, function, "genList", span)
    total = int_of(ev, count, "genList", span)
    if total < 0:
        raise invalid(f"`genList` needs a length of zero or more, not {total}", span)
    check_length(total, "genList", span)
    return tuple(Thunk(_bound(ev.call, function, i, span), None, "genList element", span) for i in range(total))


@builtin("concatLists", "concatLists lists", "concatLists [ [ 1 ] [ 2 3 ] ]", "[ 1 2 3 ]")
def _concat_lists(ev: Evaluator, span: Span, lists: Any) -> tuple[Any, ...]:
    """Join a list of lists into one list."""
    out: list[Any] = []
    for inner in list_of(ev, lists, "concatLists", span):
        part = list_of(ev, inner, "concatLists", span)
        check_length(len(out) + len(part), "concatLists", span)
        out.extend(part)
    return tuple(out)


@builtin("concatMap", "concatMap f list", "concatMap (x: [ x x ]) [ 1 2 ]", "[ 1 1 2 2 ]")
def _concat_map(ev: Evaluator, span: Span, function: Any, items: Any) -> tuple[Any, ...]:
    """Map each element to a list and join the results."""
    function = function_of(ev, function, "concatMap", span)
    out: list[Any] = []
    for item in list_of(ev, items, "concatMap", span):
        part = list_of(ev, ev.call(function, item, span), "concatMap", span)
        check_length(len(out) + len(part), "concatMap", span)
        out.extend(part)
    return tuple(out)


@builtin("all", "all predicate list", "all (x: x > 0) [ 1 2 ]", "true")
def _all(ev: Evaluator, span: Span, predicate: Any, items: Any) -> bool:
    """Whether `predicate` holds for every element."""
    predicate = function_of(ev, predicate, "all", span)
    return all(bool_result(ev, ev.call(predicate, x, span), "all", span) for x in list_of(ev, items, "all", span))


@builtin("any", "any predicate list", "any (x: x > 2) [ 1 2 ]", "false")
def _any(ev: Evaluator, span: Span, predicate: Any, items: Any) -> bool:
    """Whether `predicate` holds for at least one element."""
    predicate = function_of(ev, predicate, "any", span)
    return any(bool_result(ev, ev.call(predicate, x, span), "any", span) for x in list_of(ev, items, "any", span))


@builtin("sort", "sort lessThan list", "sort (a: b: a < b) [ 3 1 2 ]", "[ 1 2 3 ]")
def _sort(ev: Evaluator, span: Span, less_than: Any, items: Any) -> tuple[Any, ...]:
    """The list sorted by a less-than function; stable."""
    less_than = function_of(ev, less_than, "sort", span)

    def order(a: Any, b: Any) -> int:
        if bool_result(ev, ev.call(ev.call(less_than, a, span), b, span), "sort", span):
            return -1
        if bool_result(ev, ev.call(ev.call(less_than, b, span), a, span), "sort", span):
            return 1
        return 0
    return tuple(sorted(list_of(ev, items, "sort", span), key=functools.cmp_to_key(order)))


@builtin("unique", "unique list", "unique [ 1 2 1 3 ]", "[ 1 2 3 ]")
def _unique(ev: Evaluator, span: Span, items: Any) -> tuple[Any, ...]:
    """The list without repeated elements, first occurrences kept in order."""
    values = list_of(ev, items, "unique", span)
    if len(values) < 2:
        return values  # nothing to compare, so nothing forced
    # Strings, integers, booleans and null are looked up in a set: comparing each
    # element with every earlier one made `unique (range 1 1000000)` run for hours.
    # Values of different types are never equal, so the two kinds never meet.
    out: list[Any] = []
    scalars: set[tuple[type, Any]] = set()
    others: list[Any] = []
    for item in values:
        value = ev.force(item)
        kind = type(value)
        if kind in _HASHED:
            if (kind, value) in scalars:
                continue
            scalars.add((kind, value))
        elif any(equal(ev, value, seen) for seen in others):
            continue
        else:
            others.append(value)
        out.append(item)
    return tuple(out)


_HASHED = (str, int, bool, type(None))


@builtin("reverseList", "reverseList list", "reverseList [ 1 2 3 ]", "[ 3 2 1 ]")
def _reverse(ev: Evaluator, span: Span, items: Any) -> tuple[Any, ...]:
    """The list in reverse order."""
    return tuple(reversed(list_of(ev, items, "reverseList", span)))


@builtin("optional", "optional condition x", "optional true \"ntp\"", "[ \"ntp\" ]")
def _optional(ev: Evaluator, span: Span, condition: Any, value: Any) -> tuple[Any, ...]:
    """`[ x ]` when the condition holds, else `[ ]`."""
    return (value,) if want(ev, condition, bool, "a boolean", "optional", span) else ()


@builtin("optionals", "optionals condition list", "optionals false [ 1 2 ]", "[ ]")
def _optionals(ev: Evaluator, span: Span, condition: Any, items: Any) -> tuple[Any, ...]:
    """The list when the condition holds, else `[ ]`."""
    if want(ev, condition, bool, "a boolean", "optionals", span):
        return list_of(ev, items, "optionals", span)
    return ()
