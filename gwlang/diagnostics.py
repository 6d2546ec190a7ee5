"""Spans, diagnostics and their rendering.

Every stage reports problems as `Diagnostic` values: a stable code, a primary
label on a span, secondary labels, notes and a help line.  Spans are character
offsets into a `Source`; lines and columns are computed only when rendering,
so carrying a span costs two integers.  Stages raise `GwError` (one or more
diagnostics) and the command line renders them as text or JSON.
"""

from __future__ import annotations

import bisect
import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from typing import Any

from gwlang.syntax.nodes import Node


class Source:
    """One text the user wrote: a file, or an `-E` expression.

    `name` is how the text reads in a diagnostic (`<stdlib>/grid/roles.gw`,
    the same on every machine); `path` is the file an editor can open, which
    differs from `name` for the stdlib (None for text that is no file).
    """

    __slots__ = ("__dict__", "name", "path", "text")

    def __init__(self, name: str, text: str, path: str | None = None) -> None:
        self.name = name
        self.text = text
        self.path = path

    @property
    def is_stdlib(self) -> bool:
        return self.name.startswith("<stdlib>")

    @property
    def openable(self) -> str:
        """The name an editor can open: the real path of a stdlib file, else the name as shown."""
        return self.path if self.is_stdlib and self.path else self.name

    @cached_property
    def line_starts(self) -> list[int]:
        starts = [0]
        find = self.text.find
        position = find("\n")
        while position >= 0:
            starts.append(position + 1)
            position = find("\n", position + 1)
        return starts

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        line_index = bisect.bisect_right(self.line_starts, offset) - 1
        return line_index + 1, offset - self.line_starts[line_index] + 1

    def line_text(self, line: int) -> str:
        start = self.line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)]

    def __repr__(self) -> str:
        return f"Source({self.name!r})"


class Span(Node):
    """A range of characters in one source."""

    source: Source = field(compare=False, repr=False)
    start: int
    end: int

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return Span(self.source, self.start, max(self.end, other.end))

    @property
    def location(self) -> str:
        line, column = self.source.line_column(self.start)
        return f"{self.source.name}:{line}:{column}"


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Label:
    span: Span
    message: str = ""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem, as the user will read it."""

    code: str
    message: str
    primary: Label | None
    secondary: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    help: str | None = None
    severity: Severity = Severity.ERROR
    # Every node this one diagnostic stands for when a family's identical mistakes
    # were grouped (`group_by_node`); empty when it is about one thing only.
    nodes: tuple[str, ...] = ()

    def with_note(self, note: str) -> Diagnostic:
        return replace(self, notes=(*self.notes, note))

    def sort_key(self) -> tuple[str, int, str]:
        if self.primary is None:
            return ("", 0, self.code)
        return (self.primary.span.source.name, self.primary.span.start, self.code)


def unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by place, each reported once (a family of nodes repeats its declaration's mistakes)."""
    seen: set[tuple[str, str, int, str]] = set()
    out = []
    for diagnostic in sorted(diagnostics, key=lambda d: d.sort_key()):
        span = diagnostic.primary.span if diagnostic.primary else None
        key = (diagnostic.code, span.source.name if span else "", span.start if span else -1, diagnostic.message)
        if key not in seen:
            seen.add(key)
            out.append(diagnostic)
    return out


# The one node a message is about: "interface `eth0` of node `wn03` plugs into ...".
_NODE_IN_MESSAGE = re.compile(r"\bnode `([^`]+)`")


def group_by_node(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per mistake, not per node: a profile line wrong for a family of 8 nodes is 1 error.

    Diagnostics with the same code and primary span whose messages differ
    only by the one node they name are the same mistake; the first is kept,
    in its place, with a note naming the others (`wn02`..`wn08`) and every
    node in `nodes`.  Labels and notes of the others are dropped: they say
    the same of another node.  A message naming two nodes (a duplicate
    address) is about their relation and is never grouped.
    """
    groups: dict[tuple[Any, ...], list[tuple[Diagnostic, str]]] = {}
    order: list[Diagnostic | tuple[Any, ...]] = []
    for diagnostic in diagnostics:
        named = set(_NODE_IN_MESSAGE.findall(diagnostic.message))
        if len(named) != 1 or diagnostic.primary is None or diagnostic.nodes:
            order.append(diagnostic)
            continue
        node = named.pop()
        span = diagnostic.primary.span
        key = (diagnostic.code, span.source.name, span.start, span.end,
               diagnostic.message.replace(f"node `{node}`", "node `\0`"))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((diagnostic, node))
    return [item if isinstance(item, Diagnostic) else _grouped(groups[item]) for item in order]


def _grouped(members: list[tuple[Diagnostic, str]]) -> Diagnostic:
    first, _ = members[0]
    if len(members) == 1:
        return first
    nodes = tuple(node for _, node in members)
    others = nodes[1:]
    more = f"and {len(others)} more node{'s' if len(others) > 1 else ''}: {compact_names(others)}"
    return replace(first.with_note(more), nodes=nodes)


_NUMBERED = re.compile(r"(.*?)(\d+)")


def compact_names(names: Iterable[str]) -> str:
    """"`ce`, `wn02`..`wn08`": names in order, three or more consecutive numbered names as a range."""
    def parts(name: str) -> tuple[str, int, str]:
        numbered = _NUMBERED.fullmatch(name)
        return (name, -1, "") if numbered is None else (numbered.group(1), int(numbered.group(2)), numbered.group(2))

    def follows(previous: str, name: str) -> bool:
        (prefix, number, digits), (next_prefix, next_number, next_digits) = parts(previous), parts(name)
        # `wn09` then `wn10` (a padded family) and `wn9` then `wn10` (an unpadded one), not `wn9` then `wn010`
        same_padding = len(digits) == len(next_digits) or not (digits.startswith("0") or next_digits.startswith("0"))
        return number >= 0 and prefix == next_prefix and number + 1 == next_number and same_padding

    runs: list[list[str]] = []
    for name in sorted(set(names), key=lambda name: parts(name)[:2] + (name,)):
        if runs and follows(runs[-1][-1], name):
            runs[-1].append(name)
        else:
            runs.append([name])
    return ", ".join(f"`{run[0]}`..`{run[-1]}`" if len(run) > 2 else ", ".join(f"`{n}`" for n in run)
                     for run in runs)


def without_repeats(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics in their order, each once: sites compiled together meet a shared mistake each.

    Unlike `unique` this keeps the order (site by site), and it tells
    diagnostics apart by everything they show, not by place and message alone.
    """
    seen: set[tuple[object, ...]] = set()
    kept = []
    for diagnostic in diagnostics:
        labels = tuple((label.span.source.name, label.span.start, label.span.end, label.message)
                       for label in (diagnostic.primary, *diagnostic.secondary) if label is not None)
        key = (diagnostic.code, diagnostic.message, labels, diagnostic.notes, diagnostic.help)
        if key not in seen:
            seen.add(key)
            kept.append(diagnostic)
    return kept


class GwError(Exception):
    """Raised by any stage with the diagnostics that stopped it."""

    def __init__(self, diagnostics: Diagnostic | Sequence[Diagnostic]) -> None:
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__(self.diagnostics[0].message if self.diagnostics else "error")


def error(code: str, message: str, span: Span | None, label: str = "", *,
          secondary: Iterable[Label] = (), notes: Iterable[str] = (),
          help: str | None = None) -> GwError:
    """Build a one-diagnostic `GwError`; the usual way a stage reports."""
    primary = Label(span, label) if span is not None else None
    return GwError(Diagnostic(code, message, primary, tuple(secondary), tuple(notes), help))


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean" help line, or None when nothing is close."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not matches:
        return None
    return "did you mean " + " or ".join(f"`{m}`" for m in matches) + "?"


# ---------------------------------------------------------------- rendering

_COLOURS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "bold": "\x1b[1m",
            "blue": "\x1b[1;34m", "reset": "\x1b[0m"}


def render_text(diagnostic: Diagnostic, colour: bool = False) -> str:
    """The human form: header, `-->` locations, source lines with carets, notes."""
    def paint(text: str, style: str) -> str:
        return f"{_COLOURS[style]}{text}{_COLOURS['reset']}" if colour else text

    severity = diagnostic.severity.value
    out = [paint(f"{severity}[{diagnostic.code}]", severity) + paint(f": {diagnostic.message}", "bold")]
    labels = ([diagnostic.primary] if diagnostic.primary else []) + list(diagnostic.secondary)
    gutter = max((len(str(l.span.source.line_column(l.span.start)[0])) for l in labels), default=1)
    for index, label in enumerate(labels):
        out.extend(_render_label(label, gutter, primary=index == 0 and diagnostic.primary is not None,
                                 paint=paint))
    pad = " " * (gutter + 1)
    for note in diagnostic.notes:
        out.append(f"{pad}{paint('=', 'blue')} note: {note}")
    if diagnostic.help:
        out.append(f"{pad}{paint('=', 'blue')} help: {diagnostic.help}")
    return "\n".join(out)


# A source line is shown as one column per character: a tab as a blank, and
# other control characters (a NUL, the ESC of a terminal escape sequence in a
# hostile file) as U+FFFD, so that neither the carets nor the terminal move.
_SHOWN_CHARACTERS = {code: "\ufffd" for code in [*range(0x20), *range(0x7F, 0xA0)]} | {0x09: " "}


def _render_label(label: Label, gutter: int, primary: bool, paint: Any) -> list[str]:
    span = label.span
    line, column = span.source.line_column(span.start)
    text = span.source.line_text(line)
    end_line, end_column = span.source.line_column(max(span.start, span.end - 1))
    width = (end_column - column + 1) if end_line == line else max(1, len(text) - column + 1)
    width = max(1, width)
    display = text.removesuffix("\r").translate(_SHOWN_CHARACTERS)  # a CRLF file's lines end cleanly
    marker = ("^" if primary else "-") * width
    bar = paint("|", "blue")
    lines = [f"{' ' * gutter}{paint('-->', 'blue')} {span.source.name}:{line}:{column}",
             f"{' ' * (gutter + 1)}{bar}",
             f"{paint(str(line).rjust(gutter), 'blue')} {bar} {display}"]
    caret_line = f"{' ' * (gutter + 1)}{bar} {' ' * (column - 1)}{paint(marker, 'error' if primary else 'blue')}"
    if label.message:
        caret_line += f" {label.message}"
    lines.append(caret_line)
    return lines


def to_json(diagnostic: Diagnostic) -> dict[str, Any]:
    """The data form of `--error-format=json`: the same content as the text."""
    def label_json(label: Label) -> dict[str, Any]:
        line, column = label.span.source.line_column(label.span.start)
        end_line, end_column = label.span.source.line_column(label.span.end)
        return {"file": label.span.source.openable, "line": line, "column": column,
                "end_line": end_line, "end_column": end_column,
                "start": label.span.start, "end": label.span.end, "message": label.message}

    return {
        "severity": diagnostic.severity.value,
        "code": diagnostic.code,
        "message": diagnostic.message,
        "primary": label_json(diagnostic.primary) if diagnostic.primary else None,
        "secondary": [label_json(label) for label in diagnostic.secondary],
        "notes": list(diagnostic.notes),
        "help": diagnostic.help,
        "nodes": list(diagnostic.nodes),
    }


def render_all(diagnostics: Sequence[Diagnostic], error_format: str = "text", colour: bool = False) -> str:
    if error_format == "json":
        return json.dumps([to_json(d) for d in diagnostics], indent=2)
    rendered = [render_text(d, colour) for d in diagnostics]
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    if errors > 1:
        rendered.append(f"{errors} errors")
    return "\n\n".join(rendered)
