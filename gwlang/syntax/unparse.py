"""Printing an AST back as canonical gw source, without comments.

The one printer is the formatter's (`gwlang.fmt.printer`); this is its
entry for an AST that has no source text, as tests and tools build them:
`parse(unparse(module)) == module` for every module `parse` can produce.
"""

from __future__ import annotations

from gwlang.fmt.doc import render
from gwlang.fmt.printer import Printer
from gwlang.syntax import ast

LINE_WIDTH = 100


def unparse(module: ast.Module) -> str:
    """The module as canonical gw source, ending in a newline."""
    return render(Printer().module(module), LINE_WIDTH)
