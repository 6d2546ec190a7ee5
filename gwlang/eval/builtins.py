"""The built-in functions, one registry.

Each builtin is a Python function `(evaluator, call_span, *args)`; arguments
arrive unforced, so a builtin forces only what it needs (`map` leaves the
elements alone).  Its docstring's first line is its documentation and its
`example` is run by the test suite, so docs/language.md cannot drift.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gwlang.diagnostics import Span, error
from gwlang.eval import limits
from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size
from gwlang.eval.operators import compare, equal
from gwlang.eval.values import AttrSet, Builtin, Closure, Thunk, too_long_to_print, type_name, type_of


@dataclass(frozen=True, slots=True)
class BuiltinSpec:
    name: str
    arity: int
    function: Callable[..., Any]
    signature: str
    doc: str
    example: str
    result: str


REGISTRY: dict[str, BuiltinSpec] = {}


def builtin(name: str, signature: str, example: str, result: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a builtin; `example` must evaluate to the gw value printed as `result`."""
    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        arity = function.__code__.co_argcount - 2
        doc = (function.__doc__ or "").strip().splitlines()[0]
        REGISTRY[name] = BuiltinSpec(name, arity, function, signature, doc, example, result)
        return function
    return register


def builtin_values() -> dict[str, Any]:
    """The root scope: every builtin by name."""
    return {spec.name: Builtin(spec.name, spec.arity, spec.function) for spec in REGISTRY.values()}


# ---------------------------------------------------------------- argument checks


def _want(ev: Any, value: Any, kind: type | tuple[type, ...], what: str, name: str, span: Span) -> Any:
    value = ev.force(value)
    if type(value) is bool and kind is int:
        raise error("E0203", f"`{name}` expects {what}, not a boolean", span, "called here")
    if not isinstance(value, kind):
        raise error("E0203", f"`{name}` expects {what}, not {type_name(value)}", span, "called here")
    return value


def _list(ev: Any, value: Any, name: str, span: Span) -> tuple[Any, ...]:
    return _want(ev, value, tuple, "a list", name, span)  # type: ignore[no-any-return]


def _set(ev: Any, value: Any, name: str, span: Span) -> AttrSet:
    return _want(ev, value, AttrSet, "an attribute set", name, span)  # type: ignore[no-any-return]


def _int(ev: Any, value: Any, name: str, span: Span) -> int:
    return _want(ev, value, int, "an integer", name, span)  # type: ignore[no-any-return]


def _str(ev: Any, value: Any, name: str, span: Span) -> str:
    return _want(ev, value, str, "a string", name, span)  # type: ignore[no-any-return]


def _function(ev: Any, value: Any, name: str, span: Span) -> Any:
    return _want(ev, value, (Closure, Builtin, AttrSet), "a function", name, span)


def _bool_result(ev: Any, value: Any, name: str, span: Span) -> bool:
    value = ev.force(value)
    if type(value) is not bool:
        raise error("E0203", f"the function given to `{name}` must return a boolean, not {type_name(value)}",
                    span, "called here")
    return value


def _invalid(message: str, span: Span) -> Exception:
    return error("E0211", message, span, "called here")


MAX_PAD_WIDTH = 1000


def _check_length(length: int, name: str, span: Span) -> None:
    limits.check_list(length, f"`{name}`", span)


_shown = limits.shown


# ---------------------------------------------------------------- lists


@builtin("map", "map f list", "map (x: x * 2) [ 1 2 3 ]", "[ 2 4 6 ]")
def _map(ev: Any, span: Span, function: Any, items: Any) -> tuple[Any, ...]:
    """Apply `f` to every element (lazily: an element is computed when used)."""
    function = _function(ev, function, "map", span)
    values = _list(ev, items, "map", span)
    call = ev.call
    return tuple([Thunk(_bound(call, function, item, span), None, "map element", span) for item in values])


def _bound(call: Callable[..., Any], function: Any, argument: Any, span: Span) -> Callable[[], Any]:
    # A partial, not a lambda: one object instead of a function, its closure and three cells,
    # which halves the time `genList` and `map` take to build a list of a million thunks.
    return functools.partial(call, function, argument, span)


@builtin("filter", "filter predicate list", "filter (x: x > 1) [ 1 2 3 ]", "[ 2 3 ]")
def _filter(ev: Any, span: Span, predicate: Any, items: Any) -> tuple[Any, ...]:
    """The elements for which `predicate` returns true, in order."""
    predicate = _function(ev, predicate, "filter", span)
    return tuple(item for item in _list(ev, items, "filter", span)
                 if _bool_result(ev, ev.call(predicate, item, span), "filter", span))


@builtin("foldl", "foldl op start list", "foldl (acc: x: acc + x) 0 [ 1 2 3 ]", "6")
def _foldl(ev: Any, span: Span, function: Any, start: Any, items: Any) -> Any:
    """Left fold, strict in the accumulator (Nix's `foldl'`), so long lists need no deep stack.

    Strict in what `op` returns, not in `start`: like Nix, the start value is
    forced only if `op` uses it (or the list is empty and it is the result).
    """
    function = _function(ev, function, "foldl", span)
    call2 = ev.call2
    force = ev.force
    accumulator = start
    for item in _list(ev, items, "foldl", span):
        accumulator = force(call2(function, accumulator, item, span))
    return force(accumulator)


@builtin("length", "length list", "length [ 1 2 3 ]", "3")
def _length(ev: Any, span: Span, items: Any) -> int:
    """The number of elements of a list."""
    return len(_list(ev, items, "length", span))


@builtin("elem", "elem x list", "elem 2 [ 1 2 3 ]", "true")
def _elem(ev: Any, span: Span, needle: Any, items: Any) -> bool:
    """Whether `x` is an element of the list."""
    return any(equal(ev, needle, item) for item in _list(ev, items, "elem", span))


@builtin("elemAt", "elemAt list index", "elemAt [ \"a\" \"b\" ] 1", "\"b\"")
def _elem_at(ev: Any, span: Span, items: Any, index: Any) -> Any:
    """The element at a 0-based index."""
    values = _list(ev, items, "elemAt", span)
    position = _int(ev, index, "elemAt", span)
    if not 0 <= position < len(values):
        raise _invalid(f"index {position} is outside a list of {len(values)}", span)
    return ev.force(values[position])


@builtin("head", "head list", "head [ 1 2 ]", "1")
def _head(ev: Any, span: Span, items: Any) -> Any:
    """The first element of a non-empty list."""
    values = _list(ev, items, "head", span)
    if not values:
        raise _invalid("`head` of an empty list", span)
    return ev.force(values[0])


@builtin("tail", "tail list", "tail [ 1 2 3 ]", "[ 2 3 ]")
def _tail(ev: Any, span: Span, items: Any) -> tuple[Any, ...]:
    """All but the first element of a non-empty list."""
    values = _list(ev, items, "tail", span)
    if not values:
        raise _invalid("`tail` of an empty list", span)
    return values[1:]


@builtin("range", "range first last", "range 1 4", "[ 1 2 3 4 ]")
def _range(ev: Any, span: Span, first: Any, last: Any) -> tuple[int, ...]:
    """The integers from `first` to `last`, both included."""
    low, high = _int(ev, first, "range", span), _int(ev, last, "range", span)
    _check_length(high - low + 1, "range", span)
    return tuple(range(low, high + 1))


@builtin("genList", "genList f n", "genList (i: i * i) 4", "[ 0 1 4 9 ]")
def _gen_list(ev: Any, span: Span, function: Any, count: Any) -> tuple[Any, ...]:
    """A list of `n` elements, element `i` being `f i`."""
    function = _function(ev, function, "genList", span)
    total = _int(ev, count, "genList", span)
    if total < 0:
        raise _invalid(f"`genList` needs a length of zero or more, not {total}", span)
    _check_length(total, "genList", span)
    return tuple(Thunk(_bound(ev.call, function, i, span), None, "genList element", span) for i in range(total))


@builtin("concatLists", "concatLists lists", "concatLists [ [ 1 ] [ 2 3 ] ]", "[ 1 2 3 ]")
def _concat_lists(ev: Any, span: Span, lists: Any) -> tuple[Any, ...]:
    """Join a list of lists into one list."""
    out: list[Any] = []
    for inner in _list(ev, lists, "concatLists", span):
        part = _list(ev, inner, "concatLists", span)
        _check_length(len(out) + len(part), "concatLists", span)
        out.extend(part)
    return tuple(out)


@builtin("concatMap", "concatMap f list", "concatMap (x: [ x x ]) [ 1 2 ]", "[ 1 1 2 2 ]")
def _concat_map(ev: Any, span: Span, function: Any, items: Any) -> tuple[Any, ...]:
    """Map each element to a list and join the results."""
    function = _function(ev, function, "concatMap", span)
    out: list[Any] = []
    for item in _list(ev, items, "concatMap", span):
        part = _list(ev, ev.call(function, item, span), "concatMap", span)
        _check_length(len(out) + len(part), "concatMap", span)
        out.extend(part)
    return tuple(out)


@builtin("all", "all predicate list", "all (x: x > 0) [ 1 2 ]", "true")
def _all(ev: Any, span: Span, predicate: Any, items: Any) -> bool:
    """Whether `predicate` holds for every element."""
    predicate = _function(ev, predicate, "all", span)
    return all(_bool_result(ev, ev.call(predicate, x, span), "all", span) for x in _list(ev, items, "all", span))


@builtin("any", "any predicate list", "any (x: x > 2) [ 1 2 ]", "false")
def _any(ev: Any, span: Span, predicate: Any, items: Any) -> bool:
    """Whether `predicate` holds for at least one element."""
    predicate = _function(ev, predicate, "any", span)
    return any(_bool_result(ev, ev.call(predicate, x, span), "any", span) for x in _list(ev, items, "any", span))


@builtin("sort", "sort lessThan list", "sort (a: b: a < b) [ 3 1 2 ]", "[ 1 2 3 ]")
def _sort(ev: Any, span: Span, less_than: Any, items: Any) -> tuple[Any, ...]:
    """The list sorted by a less-than function; stable."""
    less_than = _function(ev, less_than, "sort", span)

    def order(a: Any, b: Any) -> int:
        if _bool_result(ev, ev.call(ev.call(less_than, a, span), b, span), "sort", span):
            return -1
        if _bool_result(ev, ev.call(ev.call(less_than, b, span), a, span), "sort", span):
            return 1
        return 0
    return tuple(sorted(_list(ev, items, "sort", span), key=functools.cmp_to_key(order)))


@builtin("unique", "unique list", "unique [ 1 2 1 3 ]", "[ 1 2 3 ]")
def _unique(ev: Any, span: Span, items: Any) -> tuple[Any, ...]:
    """The list without repeated elements, first occurrences kept in order."""
    values = _list(ev, items, "unique", span)
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
def _reverse(ev: Any, span: Span, items: Any) -> tuple[Any, ...]:
    """The list in reverse order."""
    return tuple(reversed(_list(ev, items, "reverseList", span)))


@builtin("optional", "optional condition x", "optional true \"ntp\"", "[ \"ntp\" ]")
def _optional(ev: Any, span: Span, condition: Any, value: Any) -> tuple[Any, ...]:
    """`[ x ]` when the condition holds, else `[ ]`."""
    return (value,) if _want(ev, condition, bool, "a boolean", "optional", span) else ()


@builtin("optionals", "optionals condition list", "optionals false [ 1 2 ]", "[ ]")
def _optionals(ev: Any, span: Span, condition: Any, items: Any) -> tuple[Any, ...]:
    """The list when the condition holds, else `[ ]`."""
    if _want(ev, condition, bool, "a boolean", "optionals", span):
        return _list(ev, items, "optionals", span)
    return ()


# ---------------------------------------------------------------- attribute sets


@builtin("attrNames", "attrNames set", "attrNames { b = 1; a = 2; }", "[ \"a\" \"b\" ]")
def _attr_names(ev: Any, span: Span, attrs: Any) -> tuple[str, ...]:
    """The names of a set, sorted."""
    return tuple(sorted(_set(ev, attrs, "attrNames", span).attrs))


@builtin("attrValues", "attrValues set", "attrValues { b = 1; a = 2; }", "[ 2 1 ]")
def _attr_values(ev: Any, span: Span, attrs: Any) -> tuple[Any, ...]:
    """The values of a set, in the order of their sorted names."""
    values = _set(ev, attrs, "attrValues", span).attrs
    return tuple(values[name] for name in sorted(values))


@builtin("hasAttr", "hasAttr name set", "hasAttr \"a\" { a = 1; }", "true")
def _has_attr(ev: Any, span: Span, name: Any, attrs: Any) -> bool:
    """Whether the set has the attribute (as `set ? name`)."""
    return _str(ev, name, "hasAttr", span) in _set(ev, attrs, "hasAttr", span).attrs


@builtin("getAttr", "getAttr name set", "getAttr \"a\" { a = 1; }", "1")
def _get_attr(ev: Any, span: Span, name: Any, attrs: Any) -> Any:
    """The attribute of a set by a computed name (as `set.${name}`)."""
    key = _str(ev, name, "getAttr", span)
    values = _set(ev, attrs, "getAttr", span)
    if key not in values.attrs:
        raise ev._missing_attribute(values, key, span)
    return ev.force(values.attrs[key])


@builtin("removeAttrs", "removeAttrs set names", "removeAttrs { a = 1; b = 2; } [ \"a\" ]", "{ b = 2; }")
def _remove_attrs(ev: Any, span: Span, attrs: Any, names: Any) -> AttrSet:
    """The set without the named attributes; absent names are ignored."""
    values = _set(ev, attrs, "removeAttrs", span)
    drop = {_str(ev, n, "removeAttrs", span) for n in _list(ev, names, "removeAttrs", span)}
    return AttrSet({k: v for k, v in values.attrs.items() if k not in drop},
                   {k: v for k, v in values.spans.items() if k not in drop})


@builtin("listToAttrs", "listToAttrs list", "listToAttrs [ { name = \"a\"; value = 1; } ]", "{ a = 1; }")
def _list_to_attrs(ev: Any, span: Span, items: Any) -> AttrSet:
    """A set from `{ name; value; }` pairs; the first of a repeated name wins (as in Nix)."""
    out: dict[str, Any] = {}
    for item in _list(ev, items, "listToAttrs", span):
        pair = _set(ev, item, "listToAttrs", span)
        if "name" not in pair.attrs or "value" not in pair.attrs:
            raise _invalid("`listToAttrs` needs elements of the form `{ name = ...; value = ...; }`", span)
        key = _str(ev, pair.attrs["name"], "listToAttrs", span)
        out.setdefault(key, pair.attrs["value"])
    return AttrSet(out)


@builtin("mapAttrs", "mapAttrs f set", "mapAttrs (name: value: value * 10) { a = 1; }", "{ a = 10; }")
def _map_attrs(ev: Any, span: Span, function: Any, attrs: Any) -> AttrSet:
    """Apply `f name value` to every attribute (lazily)."""
    function = _function(ev, function, "mapAttrs", span)
    values = _set(ev, attrs, "mapAttrs", span)
    # Not even `f name` is applied before the attribute is used: its body may throw.
    call2 = ev.call2
    return AttrSet({name: Thunk(_bound_pair(call2, function, name, value, span), None, name, span)
                    for name, value in values.attrs.items()}, values.spans)


def _bound_pair(call2: Callable[..., Any], function: Any, first: Any, second: Any,
                span: Span) -> Callable[[], Any]:
    return lambda: call2(function, first, second, span)


@builtin("filterAttrs", "filterAttrs predicate set", "filterAttrs (n: v: v > 1) { a = 1; b = 2; }", "{ b = 2; }")
def _filter_attrs(ev: Any, span: Span, predicate: Any, attrs: Any) -> AttrSet:
    """The attributes for which `predicate name value` is true."""
    predicate = _function(ev, predicate, "filterAttrs", span)
    values = _set(ev, attrs, "filterAttrs", span)
    kept = {name: value for name, value in values.attrs.items()
            if _bool_result(ev, ev.call(ev.call(predicate, name, span), value, span), "filterAttrs", span)}
    return AttrSet(kept, {k: v for k, v in values.spans.items() if k in kept})


@builtin("catAttrs", "catAttrs name sets", "catAttrs \"a\" [ { a = 1; } { b = 2; } { a = 3; } ]", "[ 1 3 ]")
def _cat_attrs(ev: Any, span: Span, name: Any, sets: Any) -> tuple[Any, ...]:
    """The named attribute of each set that has it."""
    key = _str(ev, name, "catAttrs", span)
    return tuple(s.attrs[key] for s in (_set(ev, x, "catAttrs", span) for x in _list(ev, sets, "catAttrs", span))
                 if key in s.attrs)


# ---------------------------------------------------------------- strings


@builtin("toString", "toString x", "toString 512MiB", "\"512MiB\"")
def _to_string(ev: Any, span: Span, value: Any) -> str:
    """The canonical text of a string, integer, boolean, null, domain value or list of these."""
    value = ev.force(value)
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return ""
    try:
        if kind is int:
            return str(value)
        if kind in (Size, IPAddress, IPNetwork, MacAddress):
            return value.canonical  # type: ignore[no-any-return]
    except ValueError:
        raise too_long_to_print(span) from None
    if kind is tuple:
        pieces = [_to_string(ev, span, item) for item in value]
        limits.check_string(sum(map(len, pieces)) + len(pieces), "`toString`", span)
        return " ".join(pieces)
    raise error("E0203", f"`toString` cannot convert {type_name(value)}", span, "called here",
                help="use `toJSON` for attribute sets")


@builtin("toJSON", "toJSON x", "toJSON { a = [ 1 10.0.0.1 ]; }", "\"{\\\"a\\\":[1,\\\"10.0.0.1\\\"]}\"")
def _to_json(ev: Any, span: Span, value: Any) -> str:
    """The value as compact JSON text (domain values as their canonical strings)."""
    from gwlang.eval.printer import to_plain
    plain = to_plain(ev, value, span)
    # json.dumps is one call in C that the memory guard cannot interrupt: a list
    # holding one long string a million times would be written out in full.
    limits.check_string(_json_length(plain), "`toJSON`", span, at_least=True)
    return json.dumps(plain, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _json_length(plain: Any) -> int:
    """About the length of `plain` as JSON (at least it): strings and keys, with a few characters per item."""
    total = 0
    pending = [plain]
    while pending and total <= limits.MAX_STRING_LENGTH:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += sum(len(key) + 4 for key in item) + 2
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            total += len(item) + 2
            pending.extend(item)
        else:
            total += 4
    return total


@builtin("concatStringsSep", "concatStringsSep separator list", "concatStringsSep \", \" [ \"a\" \"b\" ]",
         "\"a, b\"")
def _concat_strings_sep(ev: Any, span: Span, separator: Any, items: Any) -> str:
    """Join a list of strings with a separator."""
    sep = _str(ev, separator, "concatStringsSep", span)
    pieces = [_str(ev, item, "concatStringsSep", span) for item in _list(ev, items, "concatStringsSep", span)]
    limits.check_string(sum(map(len, pieces)) + len(sep) * max(len(pieces) - 1, 0), "`concatStringsSep`", span)
    return sep.join(pieces)


@builtin("stringLength", "stringLength s", "stringLength \"grid\"", "4")
def _string_length(ev: Any, span: Span, text: Any) -> int:
    """The number of characters of a string."""
    return len(_str(ev, text, "stringLength", span))


@builtin("substring", "substring start length s", "substring 1 3 \"gateway\"", "\"ate\"")
def _substring(ev: Any, span: Span, start: Any, length: Any, text: Any) -> str:
    """`length` characters of `s` from `start` (clipped at the end)."""
    begin = _int(ev, start, "substring", span)
    count = _int(ev, length, "substring", span)
    if begin < 0 or count < 0:
        raise _invalid("`substring` needs a start and a length of zero or more", span)
    return _str(ev, text, "substring", span)[begin : begin + count]


@builtin("replaceStrings", "replaceStrings from to s", "replaceStrings [ \".\" ] [ \"-\" ] \"a.b.c\"", "\"a-b-c\"")
def _replace_strings(ev: Any, span: Span, sources: Any, targets: Any, text: Any) -> str:
    """Replace each string of `from` by the matching one of `to`, left to right, in one pass.

    Every `from` is needed to scan; a `to` is forced only when its `from`
    matches (as in Nix), so an unused replacement may be a `throw`.
    """
    old = [_str(ev, s, "replaceStrings", span) for s in _list(ev, sources, "replaceStrings", span)]
    replacements = _list(ev, targets, "replaceStrings", span)
    if len(old) != len(replacements):
        raise _invalid("`replaceStrings` needs two lists of the same length", span)
    forced: dict[int, str] = {}

    def new(position: int) -> str:
        if position not in forced:
            forced[position] = _str(ev, replacements[position], "replaceStrings", span)
        return forced[position]
    subject = _str(ev, text, "replaceStrings", span)
    out: list[str] = []
    length = index = 0
    while index <= len(subject):
        for position, pattern in enumerate(old):
            if subject.startswith(pattern, index):
                replacement = new(position)
                # Each replacement may be long: count as we go, since the total is known only at the end.
                length += len(replacement)
                limits.check_string(length, "`replaceStrings`", span)
                out.append(replacement)
                index += len(pattern) if pattern else 0
                if not pattern:
                    if index < len(subject):
                        out.append(subject[index])
                    index += 1
                break
        else:
            if index < len(subject):
                out.append(subject[index])
            index += 1
    return "".join(out)


@builtin("splitString", "splitString separator s", "splitString \",\" \"a,b\"", "[ \"a\" \"b\" ]")
def _split_string(ev: Any, span: Span, separator: Any, text: Any) -> tuple[str, ...]:
    """The pieces of `s` between occurrences of a non-empty separator."""
    sep = _str(ev, separator, "splitString", span)
    if not sep:
        raise _invalid("`splitString` needs a non-empty separator", span)
    subject = _str(ev, text, "splitString", span)
    _check_length(subject.count(sep) + 1, "splitString", span)
    return tuple(subject.split(sep))


@builtin("hasPrefix", "hasPrefix prefix s", "hasPrefix \"wn\" \"wn01\"", "true")
def _has_prefix(ev: Any, span: Span, prefix: Any, text: Any) -> bool:
    """Whether `s` starts with `prefix`."""
    return _str(ev, text, "hasPrefix", span).startswith(_str(ev, prefix, "hasPrefix", span))


@builtin("hasSuffix", "hasSuffix suffix s", "hasSuffix \".ie\" \"tcd.grid.ie\"", "true")
def _has_suffix(ev: Any, span: Span, suffix: Any, text: Any) -> bool:
    """Whether `s` ends with `suffix`."""
    return _str(ev, text, "hasSuffix", span).endswith(_str(ev, suffix, "hasSuffix", span))


@builtin("toUpper", "toUpper s", "toUpper \"ce\"", "\"CE\"")
def _to_upper(ev: Any, span: Span, text: Any) -> str:
    """The string in upper case."""
    return _str(ev, text, "toUpper", span).upper()


@builtin("toLower", "toLower s", "toLower \"CE\"", "\"ce\"")
def _to_lower(ev: Any, span: Span, text: Any) -> str:
    """The string in lower case."""
    return _str(ev, text, "toLower", span).lower()


@builtin("zeroPad", "zeroPad width n", "zeroPad 2 7", "\"07\"")
def _zero_pad(ev: Any, span: Span, width: Any, number: Any) -> str:
    """An integer as text, padded with zeros to a width (node family names)."""
    value, columns = _int(ev, number, "zeroPad", span), _int(ev, width, "zeroPad", span)
    if columns > MAX_PAD_WIDTH:
        raise _invalid(f"`zeroPad` pads to at most {MAX_PAD_WIDTH} characters, not {_shown(columns)}", span)
    try:
        return str(value).zfill(columns)
    except ValueError:
        raise too_long_to_print(span) from None


@builtin("toInt", "toInt s", "toInt \"42\"", "42")
def _to_int(ev: Any, span: Span, text: Any) -> int:
    """The integer a string of decimal digits spells."""
    value = _str(ev, text, "toInt", span)
    # Python's int() also takes `1_000` and `+1`; gw integers are digits with an optional minus.
    if not re.fullmatch(r"-?[0-9]+", value.strip()):
        raise _invalid(f"`{value}` is not an integer", span)
    try:
        return int(value.strip(), 10)
    except ValueError:  # more digits than Python converts
        raise _invalid(f"`toInt` reads at most {sys.get_int_max_str_digits():,} digits", span) from None


# ---------------------------------------------------------------- types and control


@builtin("typeOf", "typeOf x", "typeOf 512MiB", "\"size\"")
def _type_of(ev: Any, span: Span, value: Any) -> str:
    """The type's name: null, bool, int, string, list, set, lambda, size, ip, net or mac."""
    return type_of(ev.force(value))


def _is(kind: type | tuple[type, ...]) -> Callable[..., bool]:
    def check(ev: Any, span: Span, value: Any) -> bool:
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
def _is_null(ev: Any, span: Span, value: Any) -> bool:
    """Whether the value is null."""
    return ev.force(value) is None


@builtin("throw", "throw message", "(x: 1) (throw \"never forced\")", "1")
def _throw(ev: Any, span: Span, message: Any) -> Any:
    """Stop evaluation with the message as an error (only if the value is needed)."""
    text = _str(ev, message, "throw", span)
    raise error("E0206", text or "`throw` with an empty message", span, "thrown here")


@builtin("seq", "seq a b", "seq 1 2", "2")
def _seq(ev: Any, span: Span, first: Any, second: Any) -> Any:
    """Force `a`, then return `b`."""
    ev.force(first)
    return ev.force(second)


@builtin("deepSeq", "deepSeq a b", "deepSeq [ 1 ] 2", "2")
def _deep_seq(ev: Any, span: Span, first: Any, second: Any) -> Any:
    """Force `a` and everything inside it, then return `b`."""
    ev.deep_force(first)
    return ev.force(second)


@builtin("min", "min a b", "min 1GiB 512MiB", "512MiB")
def _min(ev: Any, span: Span, left: Any, right: Any) -> Any:
    """The smaller of two ordered values of the same type."""
    a, b = ev.force(left), ev.force(right)
    return b if compare(ev, a, b, span) > 0 else a


@builtin("max", "max a b", "max 3 7", "7")
def _max(ev: Any, span: Span, left: Any, right: Any) -> Any:
    """The larger of two ordered values of the same type."""
    a, b = ev.force(left), ev.force(right)
    return b if compare(ev, a, b, span) < 0 else a


@builtin("mod", "mod a b", "mod 17 5", "2")
def _mod(ev: Any, span: Span, left: Any, right: Any) -> int:
    """The remainder of integer division, with the sign of `a` (as C and Nix)."""
    a, b = _int(ev, left, "mod", span), _int(ev, right, "mod", span)
    if b == 0:
        raise error("E0207", "division by zero", span, "`mod` by zero")
    return a - b * (abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1))


# ---------------------------------------------------------------- domain values


@builtin("ip", "ip s", "ip \"2001:db8::1\"", "ip \"2001:db8::1\"")
def _ip(ev: Any, span: Span, text: Any) -> IPAddress:
    """An IPv4 or IPv6 address from its text."""
    try:
        return IPAddress.parse(_str(ev, text, "ip", span))
    except ValueError as problem:
        raise _invalid(str(problem), span) from None


@builtin("net", "net s", "(net \"2001:db8::/64\").prefix", "64")
def _net(ev: Any, span: Span, text: Any) -> IPNetwork:
    """An IPv4 or IPv6 network from its text."""
    try:
        return IPNetwork.parse(_str(ev, text, "net", span))
    except ValueError as problem:
        raise _invalid(str(problem), span) from None


@builtin("mac", "mac s", "mac \"00-16-3E-00-00-01\"", "00:16:3e:00:00:01")
def _mac(ev: Any, span: Span, text: Any) -> MacAddress:
    """A MAC address from its text (colons or dashes, any case)."""
    try:
        return MacAddress.parse(_str(ev, text, "mac", span))
    except ValueError as problem:
        raise _invalid(str(problem), span) from None


@builtin("size", "size s", "size \"2GiB\"", "2GiB")
def _size(ev: Any, span: Span, text: Any) -> Size:
    """A size from its text, such as \"512MiB\"."""
    try:
        return Size.parse(_str(ev, text, "size", span))
    except ValueError as problem:
        raise _invalid(str(problem), span) from None


@builtin("hostIn", "hostIn net n", "hostIn 10.0.0.0/24 10", "10.0.0.10")
def _host_in(ev: Any, span: Span, network: Any, index: Any) -> IPAddress:
    """The `n`th address of a network, negative `n` counting back from its end; never network or broadcast."""
    net = _want(ev, network, IPNetwork, "a network", "hostIn", span)
    try:
        return net.host(_int(ev, index, "hostIn", span))  # type: ignore[no-any-return]
    except ValueError as problem:
        raise _invalid(str(problem), span) from None


@builtin("contains", "contains net x", "contains 10.0.0.0/24 10.0.0.7", "true")
def _contains(ev: Any, span: Span, network: Any, member: Any) -> bool:
    """Whether an address (or a whole network) lies inside a network."""
    net = _want(ev, network, IPNetwork, "a network", "contains", span)
    other = _want(ev, member, (IPAddress, IPNetwork), "an address or a network", "contains", span)
    return net.contains(other)  # type: ignore[no-any-return]


def _converter(unit: str) -> Callable[..., int]:
    def convert(ev: Any, span: Span, value: Any) -> int:
        size = _want(ev, value, Size, "a size", f"to{unit}", span)
        try:
            return size.in_unit(unit)  # type: ignore[no-any-return]
        except ValueError as problem:
            raise _invalid(str(problem), span) from None
    convert.__doc__ = f"A size as a whole number of {unit}; an error if it is not whole."
    return convert


for _unit, _example, _answer in (("B", "toB 1KiB", "1024"), ("KiB", "toKiB 1MiB", "1024"),
                                  ("MiB", "toMiB 2GiB", "2048"), ("GiB", "toGiB 1TiB", "1024")):
    _function_for_unit = _converter(_unit)
    REGISTRY[f"to{_unit}"] = BuiltinSpec(f"to{_unit}", 1, _function_for_unit, f"to{_unit} size",
                                         _function_for_unit.__doc__ or "", _example, _answer)


@builtin("fromMiB", "fromMiB n", "fromMiB 512", "512MiB")
def _from_mib(ev: Any, span: Span, value: Any) -> Size:
    """A size of `n` MiB, from an integer."""
    return Size(limits.check_integer(_int(ev, value, "fromMiB", span) << 20, "`fromMiB`", span))


# ---------------------------------------------------------------- derived identities


@builtin("macFor", "macFor seed", "macFor \"tcd/ce/eth0\"", "00:16:3e:2b:33:1f")
def _mac_for(ev: Any, span: Span, seed: Any) -> MacAddress:
    """A MAC with Xen's prefix 00:16:3e, the same for the same seed on every machine and run."""
    import hashlib
    digest = hashlib.sha256(_str(ev, seed, "macFor", span).encode()).digest()
    # The first derived byte keeps the top bit clear, inside the range Xen hands out itself.
    return MacAddress("00:16:3e:" + ":".join(f"{b:02x}" for b in (digest[0] & 0x7F, digest[1], digest[2])))


@builtin("uuidFor", "uuidFor seed", "uuidFor \"tcd/ce\"", "\"2bcbdca9-68f9-5c1e-886f-b407eccc100e\"")
def _uuid_for(ev: Any, span: Span, seed: Any) -> str:
    """A name-based (version 5) UUID, the same for the same seed on every machine and run."""
    import uuid
    return str(uuid.uuid5(GWLANG_NAMESPACE, _str(ev, seed, "uuidFor", span)))


def _gwlang_namespace() -> Any:
    import uuid
    return uuid.uuid5(uuid.NAMESPACE_URL, "https://gwlang.org/ns/domain")


GWLANG_NAMESPACE = _gwlang_namespace()
