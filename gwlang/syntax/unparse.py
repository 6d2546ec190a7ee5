"""Printing an AST back as canonical gw source, without comments.

The one printer is the formatter's (`gwlang.fmt.printer`); this is its
entry for an AST that has no source text, as tests and tools build them:
`parse(unparse(module)) == module` for every module `parse` can produce.
"""

from __future__ import annotations

from gwlang.fmt.doc import render
from gwlang.fmt.printer import Printer, quote
from gwlang.syntax import ast

LINE_WIDTH = 100

__all__ = ["LINE_WIDTH", "expression", "quote", "unparse"]


def unparse(module: ast.Module) -> str:
    """The module as canonical gw source, ending in a newline."""
    return render(Printer().module(module), LINE_WIDTH)


def expression(expr: ast.Expr, width: int = LINE_WIDTH) -> str:
    """One expression as canonical gw source (a schema default in the reference, a hover)."""
    return render(Printer().expression(expr), width).rstrip("\n")
