"""What every lowering rule shares: spans from tokens, diagnostics, numbers and sizes with their bounds.

`LowererBase` is the root of the lowering transformer (`lower.Lowerer`);
the rules themselves live in `lower_schema.py` (schemas and field types)
and `lower.py` (everything else).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from lark import Token, Transformer

from gwlang.diagnostics import Diagnostic, Label, Source, Span
from gwlang.eval.limits import MAX_DIGITS
from gwlang.syntax import ast
from gwlang.syntax.literals import parse_size


@dataclass(frozen=True, slots=True)
class PlainString:
    """A string without interpolation where the grammar wants one: an import path, a field's documentation."""
    text: str
    span: Span


class LowererBase(Transformer[Token, Any]):
    """The lowering's state (the source, its diagnostics, the imports seen) and the helpers of its rules."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.source = Source("<none>", "")
        self.diagnostics: list[Diagnostic] = []
        self.imports: list[ast.Import | ast.ImportItem] = []

    def reset(self, source: Source) -> None:
        self.source = source
        self.diagnostics = []
        self.imports = []

    # -- spans ---------------------------------------------------------------

    def _span(self, children: list[Any]) -> Span:
        first = start_of(children[0])
        last = end_of(children[-1])
        return Span(self.source, first, last)

    def _token_span(self, token: Token) -> Span:
        start = token.start_pos or 0
        return Span(self.source, start, token.end_pos if token.end_pos is not None else start)

    def _report(self, code: str, message: str, span: Span, label: str = "",
                notes: tuple[str, ...] = (), help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, Label(span, label), (), notes, help))

    def _int(self, token: Token) -> int:
        """An integer token's value; one too long to convert is reported, and read as 0."""
        digits = str(token).lstrip("-")
        if len(digits) > MAX_DIGITS:
            self._report("E0109", "this number is too long", self._token_span(token), f"{len(digits)} digits",
                         notes=(f"a number has at most {MAX_DIGITS} digits",))
            return 0
        return int(str(token))

    def _size(self, token: Token) -> ast.SizeLit:
        text = str(token)
        if len(text) > MAX_DIGITS:
            self._report("E0109", "this size is too long", self._token_span(token), f"{len(text)} characters",
                         notes=(f"a number has at most {MAX_DIGITS} digits",))
            return ast.SizeLit("0B", 0, self._token_span(token))
        return ast.SizeLit(text, parse_size(text), self._token_span(token))

    def _name(self, token: Token) -> ast.Name:
        return ast.Name(str(token), self._token_span(token))

    def _flag(self, c: list[Any], token_type: str) -> tuple[bool, list[Any]]:
        if c and isinstance(c[0], Token) and c[0].type == token_type:
            return True, c[1:]
        return False, c


def start_of(node: Any) -> int:
    if isinstance(node, Token):
        return node.start_pos or 0
    if isinstance(node, tuple):
        if node and isinstance(node[0], tuple) and node and isinstance(node[0][0], ast.Formal):
            return node[0][0].span.start
        for item in node:
            if item is not None and not isinstance(item, (str, bool)):
                return start_of(item)
        raise ValueError("no span")
    if isinstance(node, list):
        return start_of(node[0])
    return int(node.span.start)


def end_of(node: Any) -> int:
    if isinstance(node, Token):
        return node.end_pos or 0
    if isinstance(node, tuple):
        for item in reversed(node):
            if item is not None and not isinstance(item, (str, bool)):
                return end_of(item)
        raise ValueError("no span")
    if isinstance(node, list):
        return end_of(node[-1])
    return int(node.span.end)


def is_plain_string(expr: Any) -> TypeGuard[ast.Str]:
    return isinstance(expr, ast.Str) and all(isinstance(p, str) for p in expr.parts)


def plain_string(expr: ast.Str) -> str:
    return "".join(p for p in expr.parts if isinstance(p, str))
