"""`gwc fmt`'s engine: gw source to its canonical layout, comments kept.

`format_text` parses (with the comments the lexer skipped), attaches the
comments to the AST, prints the AST as a layout document and renders it in
the width.  Like Black, it then reads its own output back: a different AST
or a lost comment is a fault of the formatter, reported as such rather than
written over the user's file.
"""

from __future__ import annotations

from gwlang.diagnostics import Source
from gwlang.fmt.doc import render
from gwlang.fmt.printer import Printer
from gwlang.syntax import ast
from gwlang.syntax.comments import Comment, attach
from gwlang.syntax.parser import parse_with_comments

WIDTH = 100


class FormatterFault(Exception):
    """The formatted text would not mean what the source meant: a bug in the formatter."""


def format_text(text: str, path: str | None = None, width: int = WIDTH) -> str:
    """`text` in the canonical layout; raises `GwError` with the syntax diagnostics on bad input."""
    source = Source(path or "<stdin>", text)
    module, comments = parse_with_comments(source)
    formatted = format_module(module, comments, width)
    again, comments_again = parse_with_comments(Source(source.name, formatted))
    if again != module:
        raise FormatterFault(f"formatting `{source.name}` would change its meaning")
    if [comment.text for comment in comments_again] != [comment.text for comment in comments]:
        raise FormatterFault(f"formatting `{source.name}` would lose or reorder comments")
    return formatted


def format_module(module: ast.Module, comments: list[Comment] | None = None, width: int = WIDTH) -> str:
    """`module` printed in the canonical layout, with `comments` (from the same source) at their places."""
    attachments = attach(module, comments or [])
    printer = Printer(module.span.source.text, attachments)
    return render(printer.module(module), width)
