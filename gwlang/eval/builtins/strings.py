"""Builtins on strings: conversion to text (`toString`, `toJSON`), joining, slicing, replacing, parsing integers.

Every result is bounded (`limits.check_string`) before it is built.
"""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING, Any

from gwlang.diagnostics import Span, error
from gwlang.eval import limits
from gwlang.eval.builtins.registry import builtin, check_length, int_of, invalid, list_of, shown, str_of
from gwlang.eval.values import scalar_text, too_long_to_print, type_name

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator


MAX_PAD_WIDTH = 1000


@builtin("toString", "toString x", "toString 512MiB", "\"512MiB\"")
def _to_string(ev: Evaluator, span: Span, value: Any) -> str:
    """The canonical text of a string, integer, boolean, null, domain value or list of these."""
    value = ev.force(value)
    text = scalar_text(value, span)     # as string interpolation writes it
    if text is not None:
        return text
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return ""
    if kind is tuple:
        pieces = [_to_string(ev, span, item) for item in value]
        limits.check_string(sum(map(len, pieces)) + len(pieces), "`toString`", span)
        return " ".join(pieces)
    raise error("E0203", f"`toString` cannot convert {type_name(value)}", span, "called here",
                help="use `toJSON` for attribute sets")


@builtin("toJSON", "toJSON x", "toJSON { a = [ 1 10.0.0.1 ]; }", "\"{\\\"a\\\":[1,\\\"10.0.0.1\\\"]}\"")
def _to_json(ev: Evaluator, span: Span, value: Any) -> str:
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
def _concat_strings_sep(ev: Evaluator, span: Span, separator: Any, items: Any) -> str:
    """Join a list of strings with a separator."""
    sep = str_of(ev, separator, "concatStringsSep", span)
    pieces = [str_of(ev, item, "concatStringsSep", span) for item in list_of(ev, items, "concatStringsSep", span)]
    limits.check_string(sum(map(len, pieces)) + len(sep) * max(len(pieces) - 1, 0), "`concatStringsSep`", span)
    return sep.join(pieces)


@builtin("stringLength", "stringLength s", "stringLength \"grid\"", "4")
def _string_length(ev: Evaluator, span: Span, text: Any) -> int:
    """The number of characters of a string."""
    return len(str_of(ev, text, "stringLength", span))


@builtin("substring", "substring start length s", "substring 1 3 \"gateway\"", "\"ate\"")
def _substring(ev: Evaluator, span: Span, start: Any, length: Any, text: Any) -> str:
    """`length` characters of `s` from `start` (clipped at the end)."""
    begin = int_of(ev, start, "substring", span)
    count = int_of(ev, length, "substring", span)
    if begin < 0 or count < 0:
        raise invalid("`substring` needs a start and a length of zero or more", span)
    return str_of(ev, text, "substring", span)[begin : begin + count]


@builtin("replaceStrings", "replaceStrings from to s", "replaceStrings [ \".\" ] [ \"-\" ] \"a.b.c\"", "\"a-b-c\"")
def _replace_strings(ev: Evaluator, span: Span, sources: Any, targets: Any, text: Any) -> str:
    """Replace each string of `from` by the matching one of `to`, left to right, in one pass.

    Every `from` is needed to scan; a `to` is forced only when its `from`
    matches (as in Nix), so an unused replacement may be a `throw`.
    """
    old = [str_of(ev, s, "replaceStrings", span) for s in list_of(ev, sources, "replaceStrings", span)]
    replacements = list_of(ev, targets, "replaceStrings", span)
    if len(old) != len(replacements):
        raise invalid("`replaceStrings` needs two lists of the same length", span)
    forced: dict[int, str] = {}

    def new(position: int) -> str:
        if position not in forced:
            forced[position] = str_of(ev, replacements[position], "replaceStrings", span)
        return forced[position]
    subject = str_of(ev, text, "replaceStrings", span)
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
def _split_string(ev: Evaluator, span: Span, separator: Any, text: Any) -> tuple[str, ...]:
    """The pieces of `s` between occurrences of a non-empty separator."""
    sep = str_of(ev, separator, "splitString", span)
    if not sep:
        raise invalid("`splitString` needs a non-empty separator", span)
    subject = str_of(ev, text, "splitString", span)
    check_length(subject.count(sep) + 1, "splitString", span)
    return tuple(subject.split(sep))


@builtin("hasPrefix", "hasPrefix prefix s", "hasPrefix \"wn\" \"wn01\"", "true")
def _has_prefix(ev: Evaluator, span: Span, prefix: Any, text: Any) -> bool:
    """Whether `s` starts with `prefix`."""
    return str_of(ev, text, "hasPrefix", span).startswith(str_of(ev, prefix, "hasPrefix", span))


@builtin("hasSuffix", "hasSuffix suffix s", "hasSuffix \".ie\" \"tcd.grid.ie\"", "true")
def _has_suffix(ev: Evaluator, span: Span, suffix: Any, text: Any) -> bool:
    """Whether `s` ends with `suffix`."""
    return str_of(ev, text, "hasSuffix", span).endswith(str_of(ev, suffix, "hasSuffix", span))


@builtin("toUpper", "toUpper s", "toUpper \"ce\"", "\"CE\"")
def _to_upper(ev: Evaluator, span: Span, text: Any) -> str:
    """The string in upper case."""
    return str_of(ev, text, "toUpper", span).upper()


@builtin("toLower", "toLower s", "toLower \"CE\"", "\"ce\"")
def _to_lower(ev: Evaluator, span: Span, text: Any) -> str:
    """The string in lower case."""
    return str_of(ev, text, "toLower", span).lower()


@builtin("zeroPad", "zeroPad width n", "zeroPad 2 7", "\"07\"")
def _zero_pad(ev: Evaluator, span: Span, width: Any, number: Any) -> str:
    """An integer as text, padded with zeros to a width (node family names)."""
    value, columns = int_of(ev, number, "zeroPad", span), int_of(ev, width, "zeroPad", span)
    if columns > MAX_PAD_WIDTH:
        raise invalid(f"`zeroPad` pads to at most {MAX_PAD_WIDTH} characters, not {shown(columns)}", span)
    try:
        return str(value).zfill(columns)
    except ValueError:
        raise too_long_to_print(span) from None


@builtin("toInt", "toInt s", "toInt \"42\"", "42")
def _to_int(ev: Evaluator, span: Span, text: Any) -> int:
    """The integer a string of decimal digits spells."""
    value = str_of(ev, text, "toInt", span)
    # Python's int() also takes `1_000` and `+1`; gw integers are digits with an optional minus.
    if not re.fullmatch(r"-?[0-9]+", value.strip()):
        raise invalid(f"`{value}` is not an integer", span)
    try:
        return int(value.strip(), 10)
    except ValueError:  # more digits than Python converts
        raise invalid(f"`toInt` reads at most {sys.get_int_max_str_digits():,} digits", span) from None
