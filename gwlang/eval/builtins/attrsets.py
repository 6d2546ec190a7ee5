"""Builtins on attribute sets: names, values, lookups, building and mapping sets."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gwlang.diagnostics import Span
from gwlang.eval.builtins.registry import attrset_of, bool_result, builtin, function_of, invalid, list_of, str_of
from gwlang.eval.hints import missing_attribute
from gwlang.eval.values import AttrSet, Thunk

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator


@builtin("attrNames", "attrNames set", "attrNames { b = 1; a = 2; }", "[ \"a\" \"b\" ]")
def _attr_names(ev: Evaluator, span: Span, attrs: Any) -> tuple[str, ...]:
    """The names of a set, sorted."""
    return tuple(sorted(attrset_of(ev, attrs, "attrNames", span).attrs))


@builtin("attrValues", "attrValues set", "attrValues { b = 1; a = 2; }", "[ 2 1 ]")
def _attr_values(ev: Evaluator, span: Span, attrs: Any) -> tuple[Any, ...]:
    """The values of a set, in the order of their sorted names."""
    values = attrset_of(ev, attrs, "attrValues", span).attrs
    return tuple(values[name] for name in sorted(values))


@builtin("hasAttr", "hasAttr name set", "hasAttr \"a\" { a = 1; }", "true")
def _has_attr(ev: Evaluator, span: Span, name: Any, attrs: Any) -> bool:
    """Whether the set has the attribute (as `set ? name`)."""
    return str_of(ev, name, "hasAttr", span) in attrset_of(ev, attrs, "hasAttr", span).attrs


@builtin("getAttr", "getAttr name set", "getAttr \"a\" { a = 1; }", "1")
def _get_attr(ev: Evaluator, span: Span, name: Any, attrs: Any) -> Any:
    """The attribute of a set by a computed name (as `set.${name}`)."""
    key = str_of(ev, name, "getAttr", span)
    values = attrset_of(ev, attrs, "getAttr", span)
    if key not in values.attrs:
        raise missing_attribute(values, key, span)
    return ev.force(values.attrs[key])


@builtin("removeAttrs", "removeAttrs set names", "removeAttrs { a = 1; b = 2; } [ \"a\" ]", "{ b = 2; }")
def _remove_attrs(ev: Evaluator, span: Span, attrs: Any, names: Any) -> AttrSet:
    """The set without the named attributes; absent names are ignored."""
    values = attrset_of(ev, attrs, "removeAttrs", span)
    drop = {str_of(ev, n, "removeAttrs", span) for n in list_of(ev, names, "removeAttrs", span)}
    return AttrSet({k: v for k, v in values.attrs.items() if k not in drop},
                   {k: v for k, v in values.spans.items() if k not in drop})


@builtin("listToAttrs", "listToAttrs list", "listToAttrs [ { name = \"a\"; value = 1; } ]", "{ a = 1; }")
def _list_to_attrs(ev: Evaluator, span: Span, items: Any) -> AttrSet:
    """A set from `{ name; value; }` pairs; the first of a repeated name wins (as in Nix)."""
    out: dict[str, Any] = {}
    for item in list_of(ev, items, "listToAttrs", span):
        pair = attrset_of(ev, item, "listToAttrs", span)
        if "name" not in pair.attrs or "value" not in pair.attrs:
            raise invalid("`listToAttrs` needs elements of the form `{ name = ...; value = ...; }`", span)
        key = str_of(ev, pair.attrs["name"], "listToAttrs", span)
        out.setdefault(key, pair.attrs["value"])
    return AttrSet(out)


@builtin("mapAttrs", "mapAttrs f set", "mapAttrs (name: value: value * 10) { a = 1; }", "{ a = 10; }")
def _map_attrs(ev: Evaluator, span: Span, function: Any, attrs: Any) -> AttrSet:
    """Apply `f name value` to every attribute (lazily)."""
    function = function_of(ev, function, "mapAttrs", span)
    values = attrset_of(ev, attrs, "mapAttrs", span)
    # Not even `f name` is applied before the attribute is used: its body may throw.
    call2 = ev.call2
    return AttrSet({name: Thunk(_bound_pair(call2, function, name, value, span), None, name, span)
                    for name, value in values.attrs.items()}, values.spans)


def _bound_pair(call2: Callable[..., Any], function: Any, first: Any, second: Any,
                span: Span) -> Callable[[], Any]:
    return lambda: call2(function, first, second, span)


@builtin("filterAttrs", "filterAttrs predicate set", "filterAttrs (n: v: v > 1) { a = 1; b = 2; }", "{ b = 2; }")
def _filter_attrs(ev: Evaluator, span: Span, predicate: Any, attrs: Any) -> AttrSet:
    """The attributes for which `predicate name value` is true."""
    predicate = function_of(ev, predicate, "filterAttrs", span)
    values = attrset_of(ev, attrs, "filterAttrs", span)
    kept = {name: value for name, value in values.attrs.items()
            if bool_result(ev, ev.call(ev.call(predicate, name, span), value, span), "filterAttrs", span)}
    return AttrSet(kept, {k: v for k, v in values.spans.items() if k in kept})


@builtin("catAttrs", "catAttrs name sets", "catAttrs \"a\" [ { a = 1; } { b = 2; } { a = 3; } ]", "[ 1 3 ]")
def _cat_attrs(ev: Evaluator, span: Span, name: Any, sets: Any) -> tuple[Any, ...]:
    """The named attribute of each set that has it."""
    key = str_of(ev, name, "catAttrs", span)
    found = (attrset_of(ev, x, "catAttrs", span) for x in list_of(ev, sets, "catAttrs", span))
    return tuple(s.attrs[key] for s in found if key in s.attrs)
