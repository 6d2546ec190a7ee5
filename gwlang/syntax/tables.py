"""The compiled grammar: Lark's LALR tables and the lexer of each parser state.

Lark compiles `grammar.lark` once per process (its tables cached on disk);
this module holds what the parser driver needs from it and nothing else
reaches into Lark's internals: the parse table, the contextual lexer of each
state, a context-free fallback lexer for naming a token that is wrong where
it stands, how each terminal is named in a message, and `Automaton`, a run
of the LALR parser whose stacks the driver copies and restores.  Lark's
`Token` is the token type of the whole syntax stage; its parser state, its
exceptions and its trees stay in here.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Collection
from copy import copy
from functools import cached_property
from importlib import resources
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedToken
from lark.lexer import BasicLexer, LexerState, LineCounter
from lark.parsers.lalr_parser_state import ParserState
from lark.utils import TextSlice

from gwlang.cachedir import cache_root
from gwlang.diagnostics import Source
from gwlang.syntax.lower import Lowerer

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

    # What only the recovering driver needs is built on its first use: a valid
    # file is read by Lark's own loop, and `gwc eval` of one starts sooner.

    @cached_property
    def conf(self) -> Any:
        return self._interactive.parser_state.parse_conf

    @cached_property
    def quiet_conf(self) -> Any:
        """Trial parses run without the lowering callbacks: they must have no side effects, and their
        values are thrown away."""
        quiet = copy(self.conf)
        quiet.callbacks = {}
        return quiet

    @cached_property
    def table(self) -> dict[int, dict[str, Any]]:
        states: dict[int, dict[str, Any]] = self.conf.states
        return states

    @cached_property
    def state_lexers(self) -> dict[int, Any]:
        contextual: Any = self._interactive.lexer_thread.lexer
        lexers: dict[int, Any] = contextual.lexers
        return lexers

    @cached_property
    def fallback(self) -> Any:
        return _fallback_lexer(self.lark.lexer_conf)

    @cached_property
    def terminal_text(self) -> dict[str, str]:
        return {t.name: t.pattern.value for t in self.lark.terminals if t.pattern.type == "str"}

    @cached_property
    def terminal_of_text(self) -> dict[str, str]:
        return {value: name for name, value in self.terminal_text.items()}

    @cached_property
    def _interactive(self) -> Any:
        return self.lark.parse_interactive("")

    def parse_valid(self, text: str) -> Any:
        """The lowered module of a file without syntax errors, read by Lark's own loop (the fastest); else None."""
        try:
            return self.lark.parse(text)
        except LarkError:
            return None

    # -- parser states -----------------------------------------------------------

    def parser(self, states: list[int], values: list[Any], quiet: bool) -> Automaton:
        """A run of the automaton over (copies of) the given stacks; `quiet` builds no AST."""
        return Automaton(ParserState(self.quiet_conf if quiet else self.conf, _NO_LEXER, list(states),
                                     list(values)))

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
        trial = Automaton(ParserState(self.quiet_conf, _NO_LEXER, list(states), [None] * (len(states) - 1)))
        try:
            for token in tokens:
                trial.feed(token)
        except Rejected:
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
        from gwlang.syntax.messages import expected_phrase  # wording only when there is an error
        return expected_phrase({self.key(terminal) for terminal in self.accepts(states)})

    def describe(self, terminal: str) -> str:
        """A terminal as a message names it: its text, or in words."""
        from gwlang.syntax.messages import describe
        return describe(self.key(terminal))


class Rejected(Exception):
    """The token cannot come where the automaton stands."""


class Automaton:
    """One run of the LALR automaton: its state and value stacks, fed one token at a time.

    The value stack holds tokens, AST nodes, and Lark's trees of the items
    of a repetition read so far (see `restored_values`).
    """

    __slots__ = ("_state",)

    def __init__(self, state: ParserState[Any]) -> None:
        self._state = state

    @property
    def states(self) -> list[int]:
        stack: list[int] = self._state.state_stack
        return stack

    @property
    def values(self) -> list[Any]:
        stack: list[Any] = self._state.value_stack
        return stack

    @property
    def position(self) -> int:
        """The state on top: which lexer reads the next token."""
        position: int = self._state.position
        return position

    def feed(self, token: Token) -> Any:
        """Shift `token` (reducing first as the table says); the module at `$END`; `Rejected` if it cannot."""
        try:
            return self._state.feed_token(token, token.type == END)
        except UnexpectedToken:
            raise Rejected(token) from None

    def restore(self, states: list[int], values: list[Any]) -> None:
        """Put the stacks back as a checkpoint had them."""
        self._state.state_stack[:] = states
        self._state.value_stack[:] = values


# ---------------------------------------------------------------- value stacks


# Values that Python may share between places on the stack, so whose identity says nothing.
_SHAREABLE = frozenset({str, tuple, int, bool, type(None)})


# A snapshot built on this many earlier ones is put together at once: reading one costs at most this many steps.
_CHAIN = 32
_Stacks = tuple[list[int], list[Any], tuple[int, ...]]


class Snapshot:
    """The automaton's stacks as they were before one token, sharing their bottom with the snapshot before.

    A parser pops and pushes only at the top, so a snapshot keeps only what
    lies above the highest value still in its place since the last one: a
    value in its place means nothing under it was popped (values only ever
    move down the stack, into a reduction's result).  A string or tuple
    proves nothing: two equal ones may be one object (`""`, `()`).  Copying
    whole stacks, and counting the children of every tree on them, at every
    token made a file of 20,000 unclosed `[` take 19 s.  The stacks are put
    together when recovery reads them (`stacks`), which is rare.
    """

    __slots__ = ("_below", "_chain", "_kept", "_sizes", "_states", "_values", "_whole")
    _below: Snapshot | None
    _chain: int           # how many snapshots below this one are not put together
    _kept: int            # how many values at the bottom are those of `_below`
    _sizes: list[int]
    _states: list[int]
    _values: list[Any]
    _whole: _Stacks | None

    def __init__(self, automaton: Automaton, below: Snapshot | None) -> None:
        values = automaton.values
        kept = 0
        if below is not None:
            kept = min(len(values), below.depth)
            while kept and (values[kept - 1] is not below.value(kept - 1) or type(values[kept - 1]) in _SHAREABLE):
                kept -= 1
            kept = max(kept - 1, 0)       # the value in its place may be a tree that grew
        self._below = below if kept else None
        self._kept = kept
        self._values = values[kept:]
        self._states = automaton.states[kept + 1:] if kept else list(automaton.states)
        self._sizes = [len(value.children) if isinstance(value, Tree) else -1 for value in self._values]
        self._chain = below._chain + 1 if below is not None and kept else 0
        self._whole = None
        if self._chain >= _CHAIN:
            self.stacks()

    @property
    def depth(self) -> int:
        """How many values the stack held."""
        return self._kept + len(self._values)

    def value(self, index: int) -> Any:
        snapshot = self
        while snapshot._whole is None and index < snapshot._kept and snapshot._below is not None:
            snapshot = snapshot._below
        if snapshot._whole is not None:
            return snapshot._whole[1][index]
        return snapshot._values[index - snapshot._kept]

    def stacks(self) -> _Stacks:
        """The state stack, the value stack, and each value's child count (see `restored_values`)."""
        whole = self._whole
        if whole is None:
            chain: list[Snapshot] = []
            base: Snapshot = self
            while base._whole is None and base._below is not None:
                chain.append(base)
                base = base._below
            if base._whole is not None:
                states, values, sizes = list(base._whole[0]), list(base._whole[1]), list(base._whole[2])
            else:
                states, values, sizes = list(base._states), list(base._values), list(base._sizes)
            for snapshot in reversed(chain):
                del states[snapshot._kept + 1:], values[snapshot._kept:], sizes[snapshot._kept:]
                states += snapshot._states
                values += snapshot._values
                sizes += snapshot._sizes
            whole = self._whole = (states, values, tuple(sizes))
            self._below, self._chain = None, 0
        return whole


def restored_values(values: list[Any], counts: tuple[int, ...], depth: int) -> list[Any]:
    """The first `depth` values of a checkpoint's stack as they were when it was taken.

    Lark reduces a `+` or `*` repetition by appending to the list of the
    tree it reduced before (its left-recursion shortcut), so a tree kept in
    a checkpoint may have grown since; its first children are unchanged.
    """
    return [Tree(value.data, value.children[:size], value.meta)
            if isinstance(value, Tree) and len(value.children) != size else value
            for value, size in zip(values[:depth], counts, strict=False)]


def repetition_items(value: Any) -> list[Any]:
    """The items read so far when `value` is Lark's tree of a repetition (`item+`); else `value` alone."""
    return list(value.children) if isinstance(value, Tree) else [value]


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

    The gwlang cache folder (`cachedir.cache_root`); when it cannot be
    written, Lark's own default (the temporary folder) is used.
    """
    digest = hashlib.sha256(grammar.encode()).hexdigest()[:16]
    root = cache_root()
    folder = str(root) if root is not None else tempfile.gettempdir()
    try:
        os.makedirs(folder, exist_ok=True)
    except (OSError, ValueError):
        folder = tempfile.gettempdir()
    if not os.access(folder, os.W_OK):
        return True
    return os.path.join(folder, f"grammar-{digest}-parser.lark-cache")
