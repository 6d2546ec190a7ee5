"""The compiled grammar: Lark's LALR tables and the lexer of each parser state.

Lark compiles `grammar.lark` once per process (its tables cached on disk);
this module holds what the parser driver needs from it and nothing else
reaches into Lark's internals: the parse table, the contextual lexer of each
state, a context-free fallback lexer for naming a token that is wrong where
it stands, and how each terminal is named in a message.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Collection
from copy import copy
from importlib import resources
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedToken
from lark.lexer import BasicLexer, LexerState, LineCounter
from lark.parsers.lalr_parser_state import ParserState
from lark.utils import TextSlice

from gwlang.diagnostics import Source
from gwlang.syntax.lower import Lowerer
from gwlang.syntax.messages import describe, expected_phrase

# The bodies of strings: the fallback lexer leaves them out, or any stray
# character would lex as "string text".
_STRING_BODIES = frozenset({"STR_CHUNK", "IND_CHUNK", "IND_ESCAPE"})
QUOTE = "DBLQUOTE"
END = "$END"

OnBadCharacter = Callable[[int], None]
# The driver lexes for the parser itself: Lark's parser state holds no lexer.
_NO_LEXER: Any = None
_LineCounter: Any = LineCounter


class Grammar:
    """Everything compiled from `grammar.lark`, shared by every parse in the process."""

    def __init__(self, lowerer: Lowerer, on_comment: Callable[[Token], Token] | None = None) -> None:
        text = resources.files("gwlang.syntax").joinpath("grammar.lark").read_text()
        # The lexer skips comments; `on_comment` sees each one go by (for the formatter).
        callbacks = {"COMMENT": on_comment, "BLOCK_COMMENT": on_comment} if on_comment else {}
        self.lark = Lark(text, parser="lalr", lexer="contextual", keep_all_tokens=True,
                         maybe_placeholders=False, transformer=lowerer, cache=_cache_file(text),
                         lexer_callbacks=callbacks)
        interactive = self.lark.parse_interactive("")
        self.conf: Any = interactive.parser_state.parse_conf
        # Trial parses run without the lowering callbacks: they must have no
        # side effects, and their values are thrown away.
        self.quiet_conf: Any = copy(self.conf)
        self.quiet_conf.callbacks = {}
        self.table: dict[int, dict[str, Any]] = self.conf.states
        contextual: Any = interactive.lexer_thread.lexer
        self.state_lexers: dict[int, Any] = contextual.lexers
        self.fallback = _fallback_lexer(self.lark.lexer_conf)
        self.terminal_text: dict[str, str] = {t.name: t.pattern.value for t in self.lark.terminals
                                              if t.pattern.type == "str"}
        self.terminal_of_text = {value: name for name, value in self.terminal_text.items()}

    # -- parser states -----------------------------------------------------------

    def parser(self, states: list[int], values: list[Any], quiet: bool) -> Any:
        """A Lark parser state over (copies of) the given stacks."""
        return ParserState(self.quiet_conf if quiet else self.conf, _NO_LEXER, list(states), list(values))

    @property
    def start_state(self) -> int:
        state: int = self.conf.start_state
        return state

    def accepts(self, states: list[int]) -> set[str]:
        """The terminals a parser with this state stack can take next."""
        accepted: set[str] = set()
        for terminal in self.table[states[-1]]:
            if terminal.isupper() and self.can_feed(states, [Token(terminal, "")]):
                accepted.add(terminal)
        return accepted

    def can_feed(self, states: list[int], tokens: list[Token]) -> bool:
        trial = ParserState(self.quiet_conf, _NO_LEXER, list(states), [None] * (len(states) - 1))
        try:
            for token in tokens:
                trial.feed_token(token, token.type == END)
        except UnexpectedToken:
            return False
        return True

    # -- lexing ---------------------------------------------------------------------

    def lex(self, position: int, lexer_state: LexerState, source: Source, cuts: Collection[int],
            on_bad_character: OnBadCharacter) -> Token:
        """The next token where the parser stands in `position`, or `$END`.

        A character no terminal of this state matches is lexed context-free,
        so that the parser can say which token is out of place; a character
        that starts no token at all is reported and skipped.
        """
        while True:
            try:
                token: Token = self.state_lexers[position].next_token(lexer_state)
            except EOFError:
                return synthetic(END, "", len(source.text), source)
            except UnexpectedCharacters:
                fallback = self._lex_fallback(lexer_state)
                if fallback is not None:
                    return fallback
                on_bad_character(lexer_state.line_ctr.char_pos)
                lexer_state.line_ctr.feed(source.text[lexer_state.line_ctr.char_pos], True)
                continue
            if cuts and token.type == "STR_CHUNK":
                return _cut(token, lexer_state, source, cuts)
            return token

    def lex_anywhere(self, position: int, source: Source) -> Token | None:
        """The token at `position` read without context (keywords as keywords), if any."""
        return self._lex_fallback(lexer_state_at(position, source))

    def _lex_fallback(self, lexer_state: LexerState) -> Token | None:
        if lexer_state.text.text.startswith("/*", lexer_state.line_ctr.char_pos):
            return None  # a comment that never ends: a bad character, not a `/`
        trial = copy(lexer_state)
        try:
            token: Token = self.fallback.next_token(trial)
        except (UnexpectedCharacters, EOFError):
            return None
        lexer_state.line_ctr = trial.line_ctr
        return token

    def key(self, terminal: str) -> str:
        """How `messages` knows a terminal: its text where it has one, else its name."""
        return self.terminal_text.get(terminal, terminal)

    def expected(self, states: list[int]) -> str:
        """What a parser with this state stack could read next, in words."""
        return expected_phrase({self.key(terminal) for terminal in self.accepts(states)})

    def describe(self, terminal: str) -> str:
        """A terminal as a message names it: its text, or in words."""
        return describe(self.key(terminal))


def synthetic(terminal: str, text: str, at: int, source: Source) -> Token:
    """A token the parser is fed without its having been read: an inserted `;`, the end."""
    line, column = source.line_column(min(at, len(source.text)))
    return Token(terminal, text, at, line, column, line, column, at)


def counter_at(position: int, source: Source) -> LineCounter:
    """A lexer position anywhere in the text, as Lark keeps it."""
    counter: LineCounter = _LineCounter("\n")
    line, column = source.line_column(position)
    counter.char_pos, counter.line, counter.column = position, line, column
    counter.line_start_pos = position - column + 1
    return counter


def lexer_state_at(position: int, source: Source) -> LexerState:
    return LexerState(TextSlice(source.text, 0, len(source.text)), counter_at(position, source))


def _cut(chunk: Token, lexer_state: LexerState, source: Source, cuts: Collection[int]) -> Token:
    """End a runaway string at a cut: the text before it, then a closing quote."""
    for cut in cuts:
        if chunk.start_pos is not None and chunk.end_pos is not None and chunk.start_pos <= cut < chunk.end_pos:
            lexer_state.line_ctr = counter_at(cut, source)
            if chunk.start_pos < cut:
                return Token("STR_CHUNK", source.text[chunk.start_pos:cut], chunk.start_pos, chunk.line,
                             chunk.column, end_pos=cut)
            return synthetic(QUOTE, '"', cut, source)
    return chunk


def _fallback_lexer(lexer_conf: Any) -> Any:
    conf = copy(lexer_conf)
    conf.terminals = [t for t in lexer_conf.terminals if t.name not in _STRING_BODIES]
    conf.skip_validation = True
    return BasicLexer(conf)


def _cache_file(grammar: str) -> str | bool:
    """Where Lark keeps its compiled tables (4x faster start); keyed by the grammar's hash.

    A per-user cache folder; when it cannot be written, Lark's own default
    (the temporary folder) is used.
    """
    digest = hashlib.sha256(grammar.encode()).hexdigest()[:16]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "gwlang")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        folder = tempfile.gettempdir()
    if not os.access(folder, os.W_OK):
        return True
    return os.path.join(folder, f"grammar-{digest}-parser.lark-cache")
