"""Parsing: text to `ast.Module`, with every recoverable syntax error reported.

Lark's LALR parser runs with the lowering transformer inline.  When it stops
on a token it cannot use, `_Recovery` decides what the user most likely
meant (a missing `;`, `=` for `:` in a function, an unclosed string or
bracket), words the diagnostic for people, and resumes so that one run
reports every independent mistake in the file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from gwlang.diagnostics import Diagnostic, GwError, Label, Source, Span
from gwlang.syntax import ast
from gwlang.syntax.lower import Lowerer

MAX_SYNTAX_ERRORS = 25

# How each terminal is named in a message.  Literal terminals are shown as
# their text; the others by what they are.
_TERMINAL_WORDS = {
    "ID": "a name", "INT": "a number", "NEG_INT": "a number", "SIZE": "a size such as `512MiB`",
    "IPV4": "an IPv4 address", "IPV4_NET": "an IPv4 network", "MAC": "a MAC address",
    "SEARCH_PATH": "a search path such as `<grid/base.gw>`", "STR_CHUNK": "string text",
    "IND_CHUNK": "string text", "IND_ESCAPE": "an escape", "$END": "the end of the file",
    "EQ_OP": "`==` or `!=`", "CMP_OP": "a comparison", "SUM_OP": "`+` or `-`",
    "MUL_OP": "`*` or `/`",
}
_SOFT_KEYWORDS = frozenset({"IMPORT", "AS", "SCHEMA", "PROFILE", "SITE", "HOST", "NODE", "EXTENDS",
                            "ABSTRACT", "FINAL", "ASSERT"})
_OPENERS = {"{": "}", "[": "]", "(": ")", "${": "}"}
_CLOSERS = {"}", "]", ")"}


@dataclass
class _ParseState:
    """What the lexer callbacks learn while one file is parsed."""
    source: Source
    open_delimiters: list[Token] = field(default_factory=list)
    last_token: Token | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    resync_at: int = -1


class _Parser:
    """The compiled grammar plus the per-parse state its callbacks write to."""

    def __init__(self) -> None:
        grammar = resources.files("gwlang.syntax").joinpath("grammar.lark").read_text()
        self.lowerer = Lowerer()
        self.state = _ParseState(Source("<none>", ""))
        self.lock = threading.Lock()
        options: dict[str, Any] = {"parser": "lalr", "lexer": "contextual", "keep_all_tokens": True,
                                   "maybe_placeholders": False}
        # Terminal names are known only once the grammar is compiled; the
        # callback table needs them all, so compile once to learn them.
        names = [t.name for t in Lark(grammar, cache=_cache_file(grammar, "terminals"), **options).terminals]
        self.lark = Lark(grammar, transformer=self.lowerer, cache=_cache_file(grammar, "parser"),
                         lexer_callbacks={name: self._track for name in names}, **options)
        self.terminal_text = {t.name: t.pattern.value for t in self.lark.terminals
                              if t.pattern.type == "str"}

    def _track(self, token: Token) -> Token:
        """Lexer callback for every token: keep the stack of open delimiters."""
        state = self.state
        text = str(token)
        stack = state.open_delimiters
        if text in _OPENERS:
            stack.append(token)
        elif text in _CLOSERS:
            if stack and str(stack[-1]) not in ('"', "''"):
                stack.pop()
        elif text in ('"', "''") and token.type not in ("STR_CHUNK", "IND_CHUNK"):
            if stack and str(stack[-1]) == text:
                stack.pop()
            else:
                stack.append(token)
        state.last_token = token
        return token

    def parse(self, source: Source) -> ast.Module:
        with self.lock:
            self.state = _ParseState(source)
            self.lowerer.reset(source)
            recovery = _Recovery(self, source)
            try:
                module: ast.Module = self.lark.parse(source.text, on_error=recovery)
            except UnexpectedInput as failure:
                recovery.report_final(failure)
                module = ast.Module((), None, Span(source, 0, 0))
            except _TooManyErrors:
                module = ast.Module((), None, Span(source, 0, 0))
            diagnostics = sorted(self.state.diagnostics + self.lowerer.diagnostics,
                                 key=lambda d: d.sort_key())
            if diagnostics:
                raise GwError(diagnostics)
            return module

    def describe(self, terminal: str) -> str:
        if terminal in _TERMINAL_WORDS:
            return _TERMINAL_WORDS[terminal]
        text = self.terminal_text.get(terminal)
        return f"`{text}`" if text is not None else terminal.lower()


class _TooManyErrors(Exception):
    pass


class _Recovery:
    """Lark's `on_error` hook: report one mistake, repair or skip, go on."""

    def __init__(self, parser: _Parser, source: Source) -> None:
        self.parser = parser
        self.source = source
        self.state = parser.state

    def _add(self, diagnostic: Diagnostic) -> None:
        self.state.diagnostics.append(diagnostic)
        if len(self.state.diagnostics) >= MAX_SYNTAX_ERRORS:
            raise _TooManyErrors()

    def _span_at(self, start: int, end: int | None = None) -> Span:
        return Span(self.source, start, end if end is not None else start + 1)

    def __call__(self, failure: UnexpectedInput) -> bool:
        if isinstance(failure, UnexpectedCharacters):
            return self._unexpected_character(failure)
        if isinstance(failure, UnexpectedToken):
            return self._unexpected_token(failure)
        return False

    def _unexpected_character(self, failure: UnexpectedCharacters) -> bool:
        position = failure.pos_in_stream
        char = self.source.text[position : position + 1]
        if position >= self.state.resync_at:
            shown = repr(char)[1:-1] if not char.isprintable() else char
            self._add(Diagnostic(
                "E0107", f"unexpected character `{shown}`", Label(self._span_at(position), "not valid here"),
                notes=self._expected_note(failure.allowed or set())))
            self.state.resync_at = self._next_statement_end(position)
        return True

    def _unexpected_token(self, failure: UnexpectedToken) -> bool:
        token: Token = failure.token
        interactive = failure.interactive_parser
        accepts = interactive.accepts()
        if token.type == "$END":
            self._report_end(accepts)
            return False
        position = token.start_pos or 0
        if token.type in _SOFT_KEYWORDS and "ID" in accepts and self._try_as_name(interactive, token):
            return True
        if "SEMICOLON" in accepts and self._try_insert(interactive, "SEMICOLON", ";", token):
            self._missing_semicolon(token)
            return True
        if position < self.state.resync_at:
            return True
        if str(token) == "=" and "COLON" in accepts:
            self._add(Diagnostic(
                "E0104", "`=` where a function needs `:`",
                Label(self._token_span(token), "expected `:` here"),
                notes=("a function is written `x: body` or `{ a, b }: body`",),
                help="replace `=` with `:`"))
        else:
            self._add(self._unexpected(token, accepts))
        self.state.resync_at = self._next_statement_end(position)
        return True

    def _try_as_name(self, interactive: Any, token: Token) -> bool:
        """Declaration keywords are names wherever a name fits (`{ site = 1; }`).

        The contextual lexer already lexes them as names in most places, but
        LALR merges the states after a binding's `;` with those after a
        module-level `let`, where `site` or `profile` may start the next item.
        """
        name = Token("ID", str(token), token.start_pos, token.line, token.column,
                     token.end_line, token.end_column, token.end_pos)
        trial = interactive.copy()
        try:
            trial.feed_token(name)
        except UnexpectedInput:
            return False
        interactive.feed_token(name)
        return True

    def _try_insert(self, interactive: Any, terminal: str, text: str, token: Token) -> bool:
        """Feed `text` then the failing token to a copy; if both fit, do it for real."""
        trial = interactive.copy()
        inserted = Token(terminal, text, token.start_pos, token.line, token.column,
                         token.end_line, token.end_column, token.start_pos)
        try:
            trial.feed_token(inserted)
            trial.feed_token(token)
        except UnexpectedInput:
            return False
        interactive.feed_token(inserted)
        interactive.feed_token(token)
        return True

    def _missing_semicolon(self, token: Token) -> None:
        previous = self._previous_token_end(token)
        self._add(Diagnostic(
            "E0102", "missing `;`", Label(self._span_at(previous), "expected `;` here"),
            secondary=(Label(self._token_span(token), "before this"),),
            notes=("every binding and statement ends with `;`",)))

    def _previous_token_end(self, token: Token) -> int:
        """Where the text before `token` ends, skipping blanks and comments."""
        text = self.source.text
        position = (token.start_pos or 0)
        end = position
        while end > 0 and text[end - 1] in " \t\r\n":
            end -= 1
        line_start = text.rfind("\n", 0, end) + 1
        hash_at = text.find("#", line_start, end)
        if hash_at >= 0:
            end = hash_at
            while end > 0 and text[end - 1] in " \t\r\n":
                end -= 1
        return end

    def _token_span(self, token: Token) -> Span:
        start = token.start_pos or 0
        end = token.end_pos if token.end_pos is not None else start + 1
        return Span(self.source, start, max(end, start + 1))

    def _expected_note(self, accepts: set[str] | frozenset[str]) -> tuple[str, ...]:
        words = sorted({self.parser.describe(t) for t in accepts if not t.startswith("__")})
        if not words:
            return ()
        if len(words) > 8:
            words = words[:8] + ["..."]
        return ("expected " + ", ".join(words),)

    def _unexpected(self, token: Token, accepts: set[str]) -> Diagnostic:
        shown = self.parser.describe(token.type) if token.type in _TERMINAL_WORDS else f"`{token}`"
        stack = self.state.open_delimiters
        secondary: tuple[Label, ...] = ()
        message = f"unexpected {shown}"
        if str(token) in _CLOSERS and stack:
            opener = stack[-1]
            expected = _OPENERS.get(str(opener))
            if expected and expected != str(token):
                message = f"`{token}` does not close this `{opener}`"
                secondary = (Label(self._token_span(opener), f"`{opener}` opened here"),)
        return Diagnostic("E0101", message, Label(self._token_span(token), "not expected here"),
                          secondary, self._expected_note(accepts))

    def _report_end(self, accepts: set[str]) -> None:
        end = len(self.source.text)
        at_end = self._span_at(max(0, end - 1), end) if end else self._span_at(0, 0)
        stack = self.state.open_delimiters
        if stack:
            opener = stack[-1]
            if str(opener) in ('"', "''"):
                self._add(Diagnostic(
                    "E0105", "unclosed string", Label(self._token_span(opener), "this string is never closed"),
                    notes=(f"the file ends before the closing `{opener}`",),
                    help="close the string, or escape a quote inside it as `\\\"`"))
                return
            closer = _OPENERS[str(opener)]
            self._add(Diagnostic(
                "E0106", f"unclosed `{opener}`", Label(self._token_span(opener), "opened here"),
                secondary=(Label(at_end, "the file ends here"),),
                help=f"add the missing `{closer}`"))
            return
        if "SEMICOLON" in accepts:
            self._add(Diagnostic("E0102", "missing `;`", Label(at_end, "expected `;` at the end"),
                                 notes=("every binding and statement ends with `;`",)))
            return
        self._add(Diagnostic("E0108", "unexpected end of file", Label(at_end, "the file ends here"),
                             notes=self._expected_note(accepts)))

    def report_final(self, failure: UnexpectedInput) -> None:
        """A failure the recovery gave up on (always at the end of the file)."""
        if not self.state.diagnostics:
            self._add(Diagnostic("E0108", "unexpected end of file",
                                 Label(self._span_at(max(0, len(self.source.text) - 1)), "")))

    def _next_statement_end(self, position: int) -> int:
        text = self.source.text
        ends = [i for i in (text.find(";", position), text.find("}", position)) if i >= 0]
        return min(ends) + 1 if ends else len(text) + 1


def _cache_file(grammar: str, role: str) -> str | bool:
    """Where Lark keeps its compiled tables (4x faster start); keyed by the grammar's hash.

    A per-user cache folder; when it cannot be written, Lark's own default
    (the temporary folder) is used.
    """
    import hashlib
    import os
    import tempfile
    digest = hashlib.sha256(grammar.encode()).hexdigest()[:16]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "gwlang")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        folder = tempfile.gettempdir()
    if not os.access(folder, os.W_OK):
        return True
    return os.path.join(folder, f"grammar-{digest}-{role}.lark-cache")


@lru_cache(maxsize=1)
def _parser() -> _Parser:
    return _Parser()


def parse(source: Source) -> ast.Module:
    """Parse one source into a module, or raise `GwError` with every syntax error found."""
    return _parser().parse(source)


def parse_text(text: str, name: str = "<input>") -> ast.Module:
    return parse(Source(name, text))
