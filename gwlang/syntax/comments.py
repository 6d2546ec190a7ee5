"""Comments: kept by the lexer beside the AST, and attached to the nodes around them.

The grammar ignores comments, so the AST has none; the parser's lexer hands
each one over as it skips it (`parser.parse_with_comments`).  `attach` then
gives each comment to one node, the way Prettier does: the smallest node
that holds it, and there the child before it (a comment on the same line,
after nothing but blanks: a trailing comment), else the child after it (a
leading comment), else the child before, else the node itself (a dangling
comment, inside an empty set or block).  The formatter prints each comment
with its node, so every comment is printed exactly once and near its place.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gwlang.diagnostics import Span
from gwlang.syntax import ast


@dataclass(frozen=True, slots=True)
class Comment:
    """`# text` to the end of the line, or `/* text */`."""

    text: str
    span: Span = field(compare=False, repr=False)

    @property
    def is_block(self) -> bool:
        return self.text.startswith("/*")


@dataclass(slots=True)
class Attached:
    """The comments given to one node, in source order."""

    leading: list[Comment] = field(default_factory=list)
    trailing: list[Comment] = field(default_factory=list)
    dangling: list[Comment] = field(default_factory=list)


# The nodes the formatter prints as units, each able to carry comments.  The
# others (names, keys, patterns, types) are read through: a comment among
# them belongs to the nearest of these around it.
COMMENTABLE = (
    ast.IntLit, ast.SizeLit, ast.DomainLit, ast.Const, ast.Str, ast.Var, ast.Select, ast.HasAttr, ast.Apply,
    ast.Lambda, ast.AttrSet, ast.ListExpr, ast.Let, ast.If, ast.BinOp, ast.Not, ast.Negate, ast.Import,
    ast.Bind, ast.Inherit, ast.Formal, ast.Define, ast.Assert, ast.Field, ast.SchemaDecl, ast.ProfileDecl,
    ast.HostDecl, ast.NodeDecl, ast.SiteDecl, ast.ImportItem, ast.LetItem,
)

# The nodes whose printer lays out a comment left at the end of their body,
# on a line of its own, instead of moving it up after the last entry.
_BODIES = (ast.Module, ast.AttrSet, ast.ListExpr, ast.SchemaDecl, ast.ProfileDecl, ast.SiteDecl, ast.HostDecl,
           ast.NodeDecl)

# Printed as plain text (a field's type): a comment inside goes to the node around.
_OPAQUE = (ast.TypeName, ast.TypeCall, ast.TypeList, ast.TypeAttrs, ast.TypeNullable, ast.TypeRange)

Attachments = dict[int, Attached]  # by id() of the node


def children(node: object) -> list[object]:
    """The commentable nodes directly under `node`, in source order."""
    found = list(_commentable_under(node))
    found.sort(key=lambda child: span_of(child).start)
    return found


def _commentable_under(node: object) -> Iterator[object]:
    for item in dataclasses.fields(node):  # type: ignore[arg-type]
        if not item.compare:  # spans, and how a string was written
            continue
        value = getattr(node, item.name)
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, COMMENTABLE):
                yield child
            elif isinstance(child, _OPAQUE):
                continue
            elif dataclasses.is_dataclass(child) and hasattr(child, "span"):
                yield from _commentable_under(child)


def span_of(node: object) -> Span:
    """The span of any AST node (they all have one)."""
    spanned: Any = node
    span: Span = spanned.span
    return span


def attach(module: ast.Module, comments: list[Comment]) -> Attachments:
    """Each comment given to one node of `module` (the module itself for a file of comments only)."""
    attachments: Attachments = {}
    text = _without_comments(module.span.source.text, comments)
    for comment in comments:
        node, kind = _place(module, comment, text)
        getattr(attachments.setdefault(id(node), Attached()), kind).append(comment)
    return attachments


def _without_comments(text: str, comments: list[Comment]) -> str:
    """`text` with each comment blanked out, so gaps read as blanks.

    A block comment's own line ends go too: what follows it on its last
    line is on the line of what preceded it, as the formatter prints it.
    """
    pieces: list[str] = []
    position = 0
    for comment in comments:
        pieces += [text[position:comment.span.start], " " * len(comment.text)]
        position = comment.span.end
    return "".join(pieces) + text[position:]


def _place(module: ast.Module, comment: Comment, text: str) -> tuple[object, str]:
    """The node that carries `comment`, and how (`text` has the comments blanked out).

    The rules are chosen so that the formatter's output places each comment
    again where it was printed: formatting twice changes nothing.
    """
    node: object = module
    path: list[object] = []
    while True:
        kids = children(node)
        inside = next((kid for kid in kids if span_of(kid).start <= comment.span.start < span_of(kid).end), None)
        if inside is not None:
            path.append(node)
            node = inside
            continue
        before = [kid for kid in kids if span_of(kid).end <= comment.span.start]
        after = [kid for kid in kids if span_of(kid).start >= comment.span.end]
        gap_before = text[span_of(before[-1]).end:comment.span.start] if before else None
        gap_after = text[comment.span.end:span_of(after[0]).start] if after else None
        if gap_before is not None and all(char in " \t)" for char in gap_before):
            return before[-1], "trailing"  # on its line, after it (or after the `)` closing it)
        # Parentheses are left out of spans: a `(` before a node, a `)` after it, are its own.
        if gap_after is not None and not gap_after.strip(" \t\r\n("):
            return after[0], "leading"  # right before it, on lines of their own or not
        if gap_before is not None and not gap_before.strip(" \t\r\n)") and not isinstance(node, _BODIES):
            return before[-1], "trailing"  # on a line of its own after it, tokens of `node` following
        if after:
            return after[0], "leading"
        if before and not isinstance(node, _BODIES):
            return before[-1], "trailing"
        if isinstance(node, _BODIES):
            return node, "dangling"
        # Inside a node with no entries, such as `import # c\n "x.gw"`: printed after
        # it, where it reads back as following the largest node ending there.
        while path and not isinstance(path[-1], _BODIES) and span_of(path[-1]).end == span_of(node).end:
            node = path.pop()
        return node, "dangling"


_EMPTY_LINE = re.compile(r"\n[ \t\r]*\n")


def blank_line_between(text: str, start: int, end: int) -> bool:
    """Whether an empty line separates two positions: a break the author made, kept by the formatter."""
    return _EMPTY_LINE.search(text, start, end) is not None
