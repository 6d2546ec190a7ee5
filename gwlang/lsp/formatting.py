"""Formatting through `gwc fmt`'s own function, imported only when an editor asks.

The language server holds no layout rules of its own: a buffer formatted in
the editor is byte for byte what `gwc fmt` writes (`gwlang.fmt.format_text`).
"""

from __future__ import annotations


def format_document(text: str, path: str | None, width: int = 100) -> str:
    """The formatted text; raises `GwError` with the syntax errors of a buffer that does not parse."""
    from gwlang.fmt import format_text
    return format_text(text, path, width)
