"""Parsing: text to `ast.Module`, with every recoverable syntax error reported.

`parse` is the syntax stage's one public function.  A valid file is read
by Lark's own parser loop, the fastest.  A file with a mistake is read again
by a `driver.Pass`: Lark's LALR automaton fed token by token, with
`recovery` repairing each mistake, so that one run reports every independent
error.  A string left unclosed turns the rest of the file inside out, so a
pass with errors is tried once more with the likeliest culprit (the first
string running over a line end) ended at its line's end; the pass that
reports less wins.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from lark import Token

from gwlang.codes import CODES
from gwlang.diagnostics import Diagnostic, GwError, Source, Span
from gwlang.syntax import ast
from gwlang.syntax.comments import Comment
from gwlang.syntax.lower import Lowerer
from gwlang.syntax.tables import Grammar

if TYPE_CHECKING:
    from gwlang.syntax.driver import Runaway

# Every code the syntax stage reports, with its one-line title: the syntax rows of
# gwlang/codes.py (where the explanations live), not a copy of them.
SYNTAX_CODES = {code: entry.title for code, entry in CODES.items() if entry.stage == "syntax"}

# Each pass may close one more runaway string; a file rarely has more.
_MAX_PASSES = 4


class _Parser:
    """The compiled grammar and its lowering transformer; one parse at a time."""

    def __init__(self) -> None:
        self.lowerer = Lowerer()
        # Comments the lexer skipped in the current parse, by position (a
        # recovering parse may lex a stretch twice).
        self.comments: dict[int, Token] = {}
        self.grammar = Grammar(self.lowerer, self._comment)
        self.lock = threading.Lock()

    def _comment(self, token: Token) -> Token:
        self.comments[token.start_pos or 0] = token
        return token

    def parse(self, source: Source) -> ast.Module:
        return self.parse_with_comments(source)[0]

    def parse_with_comments(self, source: Source) -> tuple[ast.Module, list[Comment]]:
        with self.lock:
            self.comments = {}
            module, found = self._passes(source)
            comments = [Comment(str(token), Span(source, start, start + len(token)))
                        for start, token in sorted(self.comments.items())]
        diagnostics = sorted(found, key=lambda d: d.sort_key())
        if diagnostics:
            raise GwError(diagnostics)
        if module is None:  # never without a diagnostic; kept as a guard
            raise GwError(Diagnostic("E0108", "unexpected end of file", None))
        return module, comments

    def _passes(self, source: Source) -> tuple[ast.Module | None, list[Diagnostic]]:
        # Most files are valid: Lark's own loop reads them fastest.  Only a
        # file with a syntax error pays for the driver's checkpoints.
        self.lowerer.reset(source)
        module: ast.Module | None = self.grammar.parse_valid(source.text)
        if module is not None:
            return module, list(self.lowerer.diagnostics)
        # The recovering driver is imported only for a file with a mistake.
        from gwlang.syntax.driver import Pass
        fixes: tuple[Runaway, ...] = ()
        best = Pass(self.grammar, self.lowerer, source).run()
        while best.runaway is not None and len(fixes) < _MAX_PASSES:
            fixes += (best.runaway,)
            candidate = Pass(self.grammar, self.lowerer, source, fixes).run()
            if candidate.weight() >= best.weight():
                break
            best = candidate
        return best.module, best.diagnostics


@lru_cache(maxsize=1)
def _parser() -> _Parser:
    return _Parser()


def parse(source: Source) -> ast.Module:
    """Parse one source into a module, or raise `GwError` with every syntax error found."""
    return _parser().parse(source)


def parse_with_comments(source: Source) -> tuple[ast.Module, list[Comment]]:
    """`parse`, and the comments of the source in order (the AST has none): for the formatter."""
    return _parser().parse_with_comments(source)


def parse_text(text: str, name: str = "<input>") -> ast.Module:
    return parse(Source(name, text))
