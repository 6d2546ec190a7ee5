"""Values to text: gw syntax for people, plain data for JSON.

Printing forces what it prints.  An attribute or element whose evaluation
fails is printed as `«error»` and its diagnostic collected, so one run shows
every independent error of a value instead of stopping at the first.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

from gwlang.diagnostics import Diagnostic, GwError, Span, error
from gwlang.eval.deep import too_deep
from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size
from gwlang.eval.values import AttrSet, Builtin, Closure, Declaration, Thunk, too_long_to_print, type_name

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_'\-]*$")
# Names that are keywords wherever an attribute name may stand; declaration
# keywords (`site`, `node`...) are names there, so they print bare.
KEYWORDS = frozenset({"import", "let", "in", "if", "then", "else", "inherit", "or", "rec", "true",
                      "false", "null"})
LINE_WIDTH = 80


class Collector:
    """Diagnostics met while printing, each reported once."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[tuple[str, str, int]] = set()

    def add(self, failure: GwError) -> None:
        for diagnostic in failure.diagnostics:
            span = diagnostic.primary.span if diagnostic.primary else None
            key = (diagnostic.code, span.source.name if span else "", span.start if span else -1)
            if key not in self._seen:
                self._seen.add(key)
                self.diagnostics.append(diagnostic)


def quote_string(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
               .replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r"))
    return f'"{escaped}"'


def attribute_key(name: str) -> str:
    return name if _IDENTIFIER.match(name) and name not in KEYWORDS else quote_string(name)


def to_gw(evaluator: Evaluator, value: Any, collector: Collector, indent: int = 0) -> str:
    """The value in gw syntax; sets and long lists over several lines."""
    return _gw(evaluator, value, collector, indent, None, set())


def _gw(evaluator: Evaluator, value: Any, collector: Collector, indent: int, span: Span | None,
        open_values: set[int]) -> str:
    """`to_gw`, knowing where the value was defined and which containers hold it (to stop at a cycle)."""
    try:
        value = evaluator.force(value)
    except GwError as failure:
        collector.add(failure)
        return "«error»"
    except RecursionError:
        # The stack has unwound to here, so the other attributes can still be printed and checked.
        collector.add(too_deep(evaluator, span))
        return "«error»"
    kind = type(value)
    if kind is not tuple and kind is not AttrSet:
        try:
            return scalar_to_gw(value)
        except ValueError:  # an integer, or a size, of thousands of digits
            collector.add(too_long_to_print(span))
            return "«error»"
    if id(value) in open_values:
        collector.add(_contains_itself(span))
        return "«error»"
    open_values.add(id(value))
    try:
        if kind is tuple:
            items = [_gw(evaluator, item, collector, indent + 2, _element_span(item, span), open_values)
                     for item in value]
            return block("[", "]", items, indent)
        entries = [f"{attribute_key(name)} = "
                   f"{_gw(evaluator, item, collector, indent + 2, value.spans.get(name, span), open_values)};"
                   for name, item in sorted(value.attrs.items())]
        return block("{", "}", entries, indent)
    finally:
        open_values.discard(id(value))


# json.dumps fails on integers Python will not print; about 3.3 bits a digit.
_PRINTABLE_BITS = int(sys.get_int_max_str_digits() * 3.32) - 8 if sys.get_int_max_str_digits() else 1 << 62


def _unprintable(span: Span | None, collector: Collector | None) -> None:
    if collector is None:
        raise too_long_to_print(span)
    collector.add(too_long_to_print(span))
    return None


def _element_span(item: Any, container: Span | None) -> Span | None:
    """Where a list element was written, when it is still known (a thunk keeps its span)."""
    return item.span or container if type(item) is Thunk else container


def _contains_itself(span: Span | None) -> GwError:
    # Lazy self-reference is fine (`s.a.a.b`); only printing all of it never ends.
    return error("E0204", "this value contains itself, so it has no finite text", span,
                 "this leads back to a set or list that contains it",
                 notes=["a value may refer to itself lazily, but only a finite part of it can be printed"],
                 help="print a part of it, for example with `-E`")


def block(opening: str, closing: str, items: list[str], indent: int) -> str:
    """Items on one line when they fit, else one per line; children are already indented."""
    if not items:
        return f"{opening} {closing}"
    # Measure before joining: joining every level of a deep value would copy it once per level.
    width = sum(len(item) for item in items) + len(items) + len(opening) + len(closing) + 1
    if width + indent <= LINE_WIDTH and not any("\n" in item for item in items):
        return f"{opening} " + " ".join(items) + f" {closing}"
    pad = " " * (indent + 2)
    return opening + "\n" + "\n".join(pad + item for item in items) + "\n" + " " * indent + closing


def scalar_to_gw(value: Any) -> str:
    kind = type(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is str:
        return quote_string(value)
    if kind is Size or kind is MacAddress:
        return value.canonical  # type: ignore[no-any-return]
    if kind is IPAddress:
        return value.canonical if value.version == 4 else f"ip {quote_string(value.canonical)}"
    if kind is IPNetwork:
        return value.canonical if value.version == 4 else f"net {quote_string(value.canonical)}"
    if kind is Closure:
        return f"«lambda @ {value.lambda_.span.location}»"
    if kind is Builtin:
        return f"«builtin {value.name}»"
    if kind is Declaration:
        return f"«{value.kind} {value.name}»"
    return f"«{type_name(value)}»"


def to_plain(evaluator: Evaluator, value: Any, span: Span | None, collector: Collector | None = None) -> Any:
    """The value as JSON-ready data; domain values as their canonical strings."""
    return _plain(evaluator, value, span, collector, set())


def _plain(evaluator: Evaluator, value: Any, span: Span | None, collector: Collector | None,
           open_values: set[int]) -> Any:
    try:
        value = evaluator.force(value)
    except GwError as failure:
        if collector is None:
            raise
        collector.add(failure)
        return None
    except RecursionError:
        if collector is None:
            raise
        collector.add(too_deep(evaluator, span))
        return None
    kind = type(value)
    if kind is int and value.bit_length() > _PRINTABLE_BITS:
        return _unprintable(span, collector)
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is tuple or kind is AttrSet:
        if id(value) in open_values:
            if collector is None:
                raise _contains_itself(span)
            collector.add(_contains_itself(span))
            return None
        open_values.add(id(value))
        try:
            if kind is tuple:
                return [_plain(evaluator, item, _element_span(item, span), collector, open_values) for item in value]
            # Each attribute is reported at its own definition, so a function deep inside is easy to find.
            return {name: _plain(evaluator, value.attrs[name], value.spans.get(name, span), collector, open_values)
                    for name in sorted(value.attrs)}
        finally:
            open_values.discard(id(value))
    if kind in (Size, IPAddress, IPNetwork, MacAddress):
        try:
            return value.canonical
        except ValueError:
            return _unprintable(span, collector)
    if kind is Declaration:
        return {"declaration": value.kind, "name": value.name}
    if span is None and kind is Closure:
        span = value.lambda_.span
    unconvertible = error("E0216", f"cannot convert {type_name(value)} to JSON", span, f"this is {type_name(value)}",
                          notes=["JSON holds data only: functions have no JSON form"])
    if collector is None:
        raise unconvertible
    collector.add(unconvertible)
    return None
