"""Syntax error recovery: find the smallest edit after which parsing goes on.

When the parser stops on a token, recovery tries a short list of edits in
order of how often people make the mistake: a `;` forgotten at the end of a
line, `=` for `:` in a function, a wrong or missing closing bracket, a stray
token.  An edit counts only if the parser then reads several more tokens
without stopping (a *trial*, run on copies without building any AST); that
is what keeps one mistake from being reported as a cascade.  Where no edit
works, *panic mode* drops the half-read construct and skips ahead to where
parsing can resume: the start of a later line or statement.

Recovery decides what to do (with the checkpoints, repairs and trials of
`trial.py`); the driver applies it, and `messages` words it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from lark import Token

from gwlang.diagnostics import Diagnostic, Span, did_you_mean
from gwlang.syntax import messages
from gwlang.syntax.tables import END, synthetic
from gwlang.syntax.trial import (
    CLOSERS,
    LOOKAHEAD,
    MINIMUM_PROGRESS,
    OPENERS,
    Checkpoint,
    Context,
    Repair,
    depths,
    first_token_fits,
    open_delimiters,
    trial,
)

# Declaration keywords are names wherever a name fits: LALR merges some
# states in which both are possible, and the lexer then prefers the keyword.
SOFT_KEYWORDS = frozenset({"IMPORT", "AS", "SCHEMA", "PROFILE", "SITE", "HOST", "NODE", "EXTENDS",
                           "ABSTRACT", "FINAL", "ASSERT"})
# Separators and keywords that are easily forgotten, tried where one is missing.
_FORGOTTEN = (",", "=", "then", "else", "in")
# How far back a `;` or a closing bracket may be put: tokens, and line starts.
RECENT_TOKENS = 3
RECENT_LINES = 3
# How far panic mode looks ahead for a place to resume.
RESUME_POSITIONS = 200

# Tokens that can start a binding, statement, field or import.
_STARTERS = frozenset({'"', "${", "or", "final", "assert", "inherit", "import"})
# What a `;` ends, by the keyword that opened the enclosing construct.
_ENDED_BY_SEMICOLON = {"LET": "binding", "IMPORT": "import", "SCHEMA": "field", "PROFILE": "statement",
                       "SITE": "statement", "HOST": "statement", "NODE": "statement"}


# ---------------------------------------------------------------- repairs


def find_repair(context: Context, at: Checkpoint, history: Sequence[Checkpoint],
                misread: Sequence[Checkpoint] = ()) -> Repair | None:
    """The first edit, in order of preference, that lets parsing go on; or the one that gets furthest.

    `misread` are places where a keyword was read as a name (see `semicolon_repairs`).
    """
    target = at.token.start_pos or 0
    best: tuple[int, Repair] | None = None
    for repair in _candidates(context, at, history, misread):
        progress = trial(context, repair, target)
        if progress >= LOOKAHEAD:
            return repair
        # Dropping a token is the last resort: a partial success of it is
        # more often the start of a cascade than panic mode would be.
        dropping = not repair.tokens
        if progress >= MINIMUM_PROGRESS and not dropping and (best is None or progress > best[0]):
            best = (progress, repair)
    return best[1] if best else None


def semicolon_repairs(context: Context, at: Checkpoint, history: Sequence[Checkpoint],
                      misread: Sequence[Checkpoint] = ()) -> Iterator[Repair]:
    """A `;` before the failing token, or before one of the tokens just read.

    First before a keyword read as a name: in `let a = 1 in a` and in
    `dns = [ ... ]` followed by a line `host gw { ... }`, the `;` is missing
    just before the `in` or the `host`; without it the lexer reads them as
    names, and the parser stops only later, or at the end of the file.
    """
    places = [*misread, *_places(at, history)]
    for place in places:
        semicolon = synthetic("SEMICOLON", ";", place.previous_end, context.source)
        yield Repair(place, (semicolon,), place.previous_end, len(place.states),
                     _missing_semicolon(context, place))


def _candidates(context: Context, at: Checkpoint, history: Sequence[Checkpoint],
                misread: Sequence[Checkpoint]) -> Iterator[Repair]:
    token = at.token
    for place in [at, *list(history)[-2:]]:
        if place.token.type in SOFT_KEYWORDS and _names_an_attribute(context, place.token):
            keyword = place.token
            name = Token("ID", str(keyword), keyword.start_pos, keyword.line, keyword.column, keyword.end_line,
                         keyword.end_column, keyword.end_pos)
            yield Repair(place, (name,), _after(keyword), len(place.states), lambda: None)
    yield from semicolon_repairs(context, at, history, misread)
    yield from _replacements(context, at)
    yield from _closer_insertions(context, at, history)
    yield from keyword_insertions(context, at, history)
    if token.type != END:
        yield from _pops(context, at)
        yield Repair(at, (), _after(token), len(at.states), lambda: _stray(context, at))


def _names_an_attribute(context: Context, keyword: Token) -> bool:
    """Whether a keyword is followed by what follows an attribute's name: `site = ...`, `node.x = ...`."""
    following = context.source.text[keyword.end_pos or 0 :].lstrip(" \t")
    return following.startswith(("=", "+=", "-=", "?=")) or (following.startswith(".") and
                                                               not following.startswith(".."))


def _places(at: Checkpoint, history: Sequence[Checkpoint]) -> Iterator[Checkpoint]:
    """Where a missing token may go: before the failing token, the last few, and recent line starts."""
    yield at
    recent = list(history)[::-1]
    yield from recent[:RECENT_TOKENS]
    line_starts = [place for place in recent[RECENT_TOKENS:] if place.line_start]
    yield from line_starts[:RECENT_LINES]


def _replacements(context: Context, at: Checkpoint) -> Iterator[Repair]:
    """Confusions of one token for another, each with its own message."""
    token, text = at.token, str(at.token)
    span = _span(context, token)
    confusions = {"=": ("COLON", ":", lambda: messages.lambda_equals(span)),
                  ":": ("EQUAL", "=", lambda: messages.colon_for_equals(span)),
                  ",": ("SEMICOLON", ";", lambda: messages.comma_for_semicolon(span))}
    if token.type != "STR_CHUNK" and text in confusions and (text != "=" or _may_be_function(at)):
        terminal, replacement, describe = confusions[text]
        yield Repair(at, (_replace(token, terminal, replacement),), _after(token), len(at.states),
                     describe)
    if text in CLOSERS and token.type != "STR_CHUNK":
        opened = open_delimiters(at.values)
        if opened and str(opened[-1]) in ("{", "[", "(", "${") and OPENERS[str(opened[-1])] != text:
            opener = opened[-1]
            expected = OPENERS[str(opener)]
            terminal = context.grammar.terminal_of_text[expected]
            yield Repair(at, (_replace(token, terminal, expected),), _after(token), len(at.states),
                         lambda: messages.mismatched_closer(span, text, _span(context, opener), str(opener),
                                                            expected))


def _may_be_function(at: Checkpoint) -> bool:
    """Whether `=` here may stand for a function's `:`: in brackets, as in `map (x = x + 1) xs`,
    or after a set pattern.  Elsewhere `a = b = 1` is more likely a binding gone wrong."""
    opened = open_delimiters(at.values)
    after_pattern = bool(at.values) and isinstance(at.values[-1], Token) and str(at.values[-1]) == "}"
    return after_pattern or (bool(opened) and str(opened[-1]) in ("(", "["))


def _closer_insertions(context: Context, at: Checkpoint, history: Sequence[Checkpoint]) -> Iterator[Repair]:
    """The closing bracket of the innermost open one, before the failing token or a recent line."""
    for place in _places(at, history):
        opened = open_delimiters(place.values)
        if not opened or str(opened[-1]) not in ("{", "[", "(", "${"):
            continue
        opener = opened[-1]
        closer_text = OPENERS[str(opener)]
        closer = synthetic(context.grammar.terminal_of_text[closer_text], closer_text, place.previous_end,
                           context.source)
        yield Repair(place, (closer,), place.previous_end, len(place.states),
                     _unclosed(context, place, opener, closer_text))


def keyword_insertions(context: Context, at: Checkpoint, history: Sequence[Checkpoint]) -> Iterator[Repair]:
    """A forgotten separator or keyword: `assert c "m";`, `if c x else y`, `let a = 1; a`."""
    for text in _FORGOTTEN:
        terminal = context.grammar.terminal_of_text[text]
        for place in _places(at, history):
            token = synthetic(terminal, text, place.previous_end, context.source)
            yield Repair(place, (token,), place.previous_end, len(place.states),
                         _missing(context, place, text))


def _pops(context: Context, at: Checkpoint) -> Iterator[Repair]:
    """Drop the construct under way and go on at the same token: `a = 1 * ;` lacks an operand."""
    start = at.token.start_pos or 0
    for depth in depths(at, len(at.states) - 1):
        if first_token_fits(context, at.states[depth - 1], start):
            yield Repair(at, (), start, depth, lambda: _stray(context, at))


# ---------------------------------------------------------------- panic mode


def find_resume(context: Context, at: Checkpoint) -> Repair | None:
    """Drop the construct under way and skip to the first place where parsing goes on for a while.

    Places are the failing token itself (with part of the parser's stack
    popped), then the starts of later lines and the points after a later
    `;` or `}`; at each, the parser's stack is popped from the top down
    until the next tokens fit.
    """
    for position in _resume_positions(context.source.text, at.token.start_pos or 0):
        for depth in depths(at, len(at.states) - (position == at.token.start_pos)):
            if not first_token_fits(context, at.states[depth - 1], position):
                continue
            repair = Repair(at, (), position, depth, lambda: None)
            if trial(context, repair, position) >= LOOKAHEAD:
                return repair
    return None


def _resume_positions(text: str, start: int) -> Iterator[int]:
    """The failing token, then each later line start and point after a `;` or `}`.

    Only points outside any bracket opened after the failing token count: a
    block whose opening went wrong is skipped whole, so that its `}` is not
    taken for the end of the construct around it.
    """
    yield start
    count = depth = 0
    index = start
    while index < len(text) and count < RESUME_POSITIONS:
        char = text[index]
        if char == '"':
            index = _string_end(text, index)
            continue
        if char == "#":
            index = text.find("\n", index) % (len(text) + 1)
            continue
        depth += (char in "{[(") - (char in "}])")
        if char in ";}\n" and depth <= 0:
            position = _skip_blanks(text, index + 1)
            if position < len(text):
                count += 1
                yield position
        index += 1


def _string_end(text: str, quote: int) -> int:
    """Just after the `"` string starting at `quote` (its line's end, if it does not close there)."""
    index = quote + 1
    while index < len(text) and text[index] not in '"\n':
        index += 2 if text[index] == "\\" else 1
    return index + 1 if index < len(text) and text[index] == '"' else index


def _skip_blanks(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


# ---------------------------------------------------------------- helpers and wording


def _after(token: Token) -> int:
    return token.end_pos or 0


def _replace(token: Token, terminal: str, text: str) -> Token:
    return Token(terminal, text, token.start_pos, token.line, token.column, token.end_line,
                 token.end_column, token.end_pos)


def _span(context: Context, token: Token) -> Span:
    start = token.start_pos or 0
    end = token.end_pos if token.end_pos is not None else start
    return Span(context.source, start, min(max(end, start + 1), len(context.source.text)))


def _point(context: Context, position: int) -> Span:
    """The character just after `position`: where a missing token goes."""
    return Span(context.source, position, min(position + 1, len(context.source.text)))


def _missing_semicolon(context: Context, place: Checkpoint) -> Callable[[], Diagnostic]:
    def describe() -> Diagnostic:
        token = place.token
        starts_another = (token.type == "ID" and str(token) != "in") or str(token) in _STARTERS
        before = _span(context, token) if place.line_start and starts_another else None
        return messages.missing_semicolon(_point(context, place.previous_end), before, _ending(place.values))
    return describe


def _ending(values: Sequence[Any]) -> str:
    """What the `;` missing on this parser stack would end: a binding, statement, field or import."""
    braces = [value for value in open_delimiters(values) if str(value) == "{"]
    inside = max((index for index, value in enumerate(values) if braces and value is braces[-1]), default=-1)
    for value in reversed(values[inside + 1 :]):
        if isinstance(value, Token) and value.type in ("LET", "IMPORT"):
            return _ENDED_BY_SEMICOLON[value.type]
    # In braces: a declaration's body (`profile p {`) or an attribute set's.
    before = [value.type for value in values[max(0, inside - 4) : max(0, inside)] if isinstance(value, Token)]
    return next((_ENDED_BY_SEMICOLON[t] for t in reversed(before) if t in _ENDED_BY_SEMICOLON), "binding")


def _missing(context: Context, place: Checkpoint, text: str) -> Callable[[], Diagnostic]:
    return lambda: messages.missing_token(_point(context, place.previous_end), text)


def _unclosed(context: Context, place: Checkpoint, opener: Token, closer: str) -> Callable[[], Diagnostic]:
    def describe() -> Diagnostic:
        line: int | None = None
        if place.line_start:
            line = context.source.line_column(max(0, place.previous_end - 1))[0]
        return messages.unclosed(_span(context, opener), str(opener), closer, _span(context, place.token),
                                 str(place.token), line)
    return describe


def _stray(context: Context, at: Checkpoint) -> Diagnostic:
    """A token that had to go: a closer that matches no open bracket, or any other."""
    token = at.token
    opened = [t for t in open_delimiters(at.values) if str(t) in ("{", "[", "(", "${")]
    if str(token) in CLOSERS and not (opened and OPENERS[str(opened[-1])] == str(token)):
        innermost = (_span(context, opened[-1]), str(opened[-1])) if opened else None
        return messages.unmatched_closer(_span(context, token), str(token), innermost)
    return unexpected(context, at)


def unexpected(context: Context, at: Checkpoint) -> Diagnostic:
    """`unexpected X`, with what could have come instead."""
    token = at.token
    accepted = context.grammar.accepts(at.states)
    expected = context.grammar.expected(at.states)
    return messages.unexpected_token(_span(context, token), shown_token(token), expected,
                                     _suggestion(context, token, accepted))


def _suggestion(context: Context, token: Token, accepted: set[str]) -> str | None:
    """`profle` for `profile`; `=+` for `+=`."""
    start = token.start_pos or 0
    if str(token) in ("+", "-") and context.source.text[start - 1 : start] == "=":
        return f"the operator is written `{token}=`"
    if token.type == "ID":
        keywords = [context.grammar.key(t) for t in accepted if context.grammar.key(t).isalpha()]
        return did_you_mean(str(token), keywords)
    return None


def shown_token(token: Token) -> str:
    if str(token) == '"':
        return "string"
    if str(token) == "''":
        return "indented string"
    if token.type == "ID":
        return f"name `{token}`"
    if token.type == END:
        return "end of file"
    return f"`{token}`"
