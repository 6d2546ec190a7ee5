"""Layout documents: the printer says what may break, this module decides what does.

A small Wadler/Prettier algebra.  The printer builds a `Doc` of text,
`Line`s (a space, or nothing, when their group fits on the line; a line
break when it does not), `Group`s and `Indent`s; `render` lays it out in a
width, deciding each group at once: flat if the rest of its line fits,
broken otherwise.  A hard line breaks every group around it, which is how a
line comment or a blank line kept from the source forces its set or list
over several lines.

One addition for comments: `AFTER_COMMENT` follows a line comment printed
after its node; the next text then starts a new line, whatever the layout
had planned, so nothing is ever swallowed by the comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LineKind = Literal["soft", "space", "hard", "string", "literal"]


@dataclass(frozen=True, slots=True)
class Line:
    """A place to break: `space` reads ` ` when flat, `soft` nothing; the others always break.

    `hard` breaks at the indentation; `string` does too but keeps trailing
    blanks of the line it ends (they belong to a `''` string's text);
    `literal` breaks with no indentation at all.
    """

    kind: LineKind


@dataclass(frozen=True, slots=True)
class Group:
    """Laid out flat when it fits in the rest of the line, else with its own lines broken.

    A group not `by_width` breaks only when something in it must (a comment).
    """

    parts: tuple[Doc, ...]
    hard: bool
    by_width: bool = True


@dataclass(frozen=True, slots=True)
class Indent:
    """Lines broken inside are indented one step more."""

    parts: tuple[Doc, ...]
    hard: bool


@dataclass(frozen=True, slots=True)
class Concat:
    parts: tuple[Doc, ...]
    hard: bool


@dataclass(frozen=True, slots=True)
class AfterComment:
    """A line comment was just printed: the next text goes on a new line."""


Doc = str | Line | Group | Indent | Concat | AfterComment

SPACE = Line("space")
SOFT = Line("soft")
HARD = Line("hard")
STRING_LINE = Line("string")
LITERAL = Line("literal")
AFTER_COMMENT = AfterComment()
INDENT = "  "


def is_hard(doc: Doc) -> bool:
    """Whether `doc` always breaks the groups around it."""
    match doc:
        case str():
            return "\n" in doc
        case Line(kind=kind):
            return kind not in ("soft", "space")
        case Group(hard=hard) | Indent(hard=hard) | Concat(hard=hard):
            return hard
        case AfterComment():
            return True
    return False


def concat(*parts: Doc) -> Doc:
    return Concat(parts, any(is_hard(part) for part in parts))


def group(*parts: Doc, by_width: bool = True) -> Doc:
    return Group(parts, any(is_hard(part) for part in parts), by_width)


def indent(*parts: Doc) -> Doc:
    return Indent(parts, any(is_hard(part) for part in parts))


def join(separator: Doc, docs: list[Doc]) -> Doc:
    parts: list[Doc] = []
    for number, doc in enumerate(docs):
        if number:
            parts.append(separator)
        parts.append(doc)
    return concat(*parts)


# ---------------------------------------------------------------- rendering

Mode = Literal["flat", "break"]
_Command = tuple[str, Mode, Doc]


class _Renderer:
    """Prettier's loop: a stack of (indentation, mode, doc), groups decided as they come."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[str] = []
        self.line = ""
        self.pending_indent: str | None = None  # written before the next text on a new line
        self.after_comment = False

    def text(self, text: str, indentation: str) -> None:
        if self.after_comment:
            # The blanks that would have followed on the comment's line are not needed on the next.
            text = text.lstrip(" ")
            if text:
                self.newline(indentation, strip=True)
        if not text:
            return
        if self.pending_indent is not None:
            self.line += self.pending_indent
            self.pending_indent = None
        first, *rest = text.split("\n")
        self.line += first
        for piece in rest:  # only a block comment's own lines: kept as written
            self.lines.append(self.line)
            self.line = piece

    def newline(self, indentation: str | None, strip: bool) -> None:
        self.lines.append(self.line.rstrip(" ") if strip else self.line)
        self.line = ""
        self.pending_indent = indentation
        self.after_comment = False

    def column(self) -> int:
        return len(self.line) + (len(self.pending_indent) if self.pending_indent else 0)

    def run(self, doc: Doc) -> str:
        stack: list[_Command] = [("", "break", doc)]
        while stack:
            indentation, mode, current = stack.pop()
            match current:
                case str():
                    self.text(current, indentation)
                case Concat(parts=parts):
                    stack.extend((indentation, mode, part) for part in reversed(parts))
                case Indent(parts=parts):
                    stack.extend((indentation + INDENT, mode, part) for part in reversed(parts))
                case Group(parts=parts, hard=hard, by_width=by_width):
                    flat = not hard and (not by_width or self.fits(list(parts), stack, self.width - self.column()))
                    stack.extend((indentation, "flat" if flat else "break", part) for part in reversed(parts))
                case Line(kind=kind):
                    self.line_break(kind, mode, indentation)
                case AfterComment():
                    self.after_comment = True
        self.newline(None, strip=True)
        return "\n".join(self.lines) + "\n"

    def line_break(self, kind: LineKind, mode: Mode, indentation: str) -> None:
        if mode == "flat" and kind in ("soft", "space"):
            if kind == "space" and not self.after_comment:
                self.text(" ", indentation)
            return
        if kind == "literal":
            self.newline("", strip=False)
        else:
            self.newline(indentation, strip=kind != "string")

    def fits(self, parts: list[Doc], rest: list[_Command], room: int) -> bool:
        """Whether `parts` laid flat, and what follows up to the next break, fit in `room`."""
        pending: list[tuple[Mode, Doc]] = [("flat", part) for part in reversed(parts)]
        rest_index = len(rest)
        while room >= 0:
            if not pending:
                if rest_index == 0:
                    return True
                rest_index -= 1
                _, mode, doc = rest[rest_index]
                pending.append((mode, doc))
            mode, doc = pending.pop()
            match doc:
                case str():
                    room -= len(doc)
                case Concat(parts=inner) | Indent(parts=inner):
                    pending.extend((mode, part) for part in reversed(inner))
                case Group(parts=inner, hard=hard):
                    group_mode: Mode = "break" if hard else mode
                    pending.extend((group_mode, part) for part in reversed(inner))
                case Line(kind=kind):
                    if mode == "break" or kind not in ("soft", "space"):
                        return True
                    room -= 1 if kind == "space" else 0
                case AfterComment():
                    return True
        return False


def render(doc: Doc, width: int) -> str:
    """`doc` laid out in `width` columns, ending in one newline, no trailing blanks outside strings."""
    return _Renderer(width).run(doc)
