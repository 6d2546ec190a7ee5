"""One pass of the parser over one source: read a token, keep a checkpoint, feed it.

The driver runs the LALR automaton (`tables.Automaton`) itself, token by token, so that it
can go back: before each token it keeps a checkpoint (copies of the parser's
stacks and the lexer's position).  When a token does not fit, `recovery`
picks an edit from a recent checkpoint, the driver applies it and reads on,
and each mistake becomes one diagnostic.  The lowering transformer runs as
the parser reduces; going back truncates what it collected since.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from itertools import chain

from lark import Token

from gwlang.diagnostics import Diagnostic, Source, Span
from gwlang.syntax import ast, messages
from gwlang.syntax.lower import Lowerer
from gwlang.syntax.recovery import find_repair, find_resume, keyword_insertions, semicolon_repairs, unexpected
from gwlang.syntax.tables import (
    END,
    QUOTE,
    Grammar,
    Rejected,
    Snapshot,
    lexer_state_at,
    restored_values,
    synthetic,
)
from gwlang.syntax.trial import (
    DECLARATION_KEYWORDS,
    LOOKAHEAD,
    OPENERS,
    Checkpoint,
    Context,
    Repair,
    open_delimiters,
    trial,
)

MAX_SYNTAX_ERRORS = 25
MISREAD_KEPT = 3
# Checkpoints kept: enough for the few tokens and lines a repair looks back over.
HISTORY = 48
# Keywords that start a construct: the end of file may leave one unfinished.
_CONSTRUCTS = frozenset({"let", "if", "profile", "site", "schema", "host", "node", "import", "assert", "inherit"})


class _Stop(Exception):
    """The pass cannot go on: the end of the file in error, or too many errors."""


@dataclass(frozen=True, slots=True)
class Runaway:
    """A `"` string that ran on past its line end, and how the next pass ends it.

    Most often its closing quote is missing: the next pass ends it at `cut`,
    the end of its line (before the `;` or brackets that end the line).  When it opened inside a `${`
    of another string on the same line, the `}` is what is missing, and the
    `"` was meant to close the outer string: the next pass closes the `${`
    at `interpolation` just before it.
    """
    opener: int
    cut: int
    interpolation: int | None


@dataclass
class Outcome:
    """What one pass found.

    `runaway` is the first string of a pass with errors that ran over a line
    end: ending it early may explain those errors, so `parse` tries another
    pass that does, and keeps whichever reports less.
    """
    module: ast.Module | None
    diagnostics: list[Diagnostic]
    runaway: Runaway | None = None
    ended_in_string: bool = False

    def weight(self) -> tuple[int, int]:
        """How much is wrong: errors, then the lines they are on.

        A pass that ended inside a string counts two more errors: it could not
        check what the string swallowed, so its fewer errors mean less.  Between
        passes with as many errors, the one with its errors on fewer lines has
        fewer follow-on errors.
        """
        lines = {d.primary.span.source.line_column(d.primary.span.start)[0] for d in self.diagnostics if d.primary}
        return len(self.diagnostics) + 2 * self.ended_in_string, len(lines)


class Pass:
    """One pass over `source`, ending early the strings that ran away in earlier passes."""

    def __init__(self, grammar: Grammar, lowerer: Lowerer, source: Source,
                 fixes: tuple[Runaway, ...] = ()) -> None:
        self.grammar, self.lowerer, self.source = grammar, lowerer, source
        self.context = Context(grammar, source, tuple(f.cut for f in fixes if f.interpolation is None))
        self.closes = {f.opener: f.interpolation for f in fixes if f.interpolation is not None}
        self.parser = grammar.parser([grammar.start_state], [], quiet=False)
        self.lexer_state = lexer_state_at(0, source)
        # The stacks at the last checkpoint: the next one keeps only what changed since.
        self.last: Snapshot | None = None
        self.history: deque[Checkpoint] = deque(maxlen=HISTORY)
        self.diagnostics: list[Diagnostic] = [_runaway_diagnostic(source, f) for f in fixes]
        self.previous_end = 0
        self.bad_characters: set[int] = set()
        self.runaway: Runaway | None = None
        self.ended_in_string = False
        self.fixed = {f.opener for f in fixes}
        # Brackets whose closer is indented unlike its opener's line: hints
        # for which one is unclosed when the file ends with one open.
        self.misaligned: list[tuple[Token, Token]] = []
        # The first places since the last repair where a keyword was read as a name.
        self.misread: list[Checkpoint] = []
        self.tried_at_end = False
        lowerer.reset(source)

    def run(self) -> Outcome:
        module: ast.Module | None = None
        try:
            while module is None:
                module = self._step()
        except _Stop:
            module = None
        diagnostics = self.diagnostics + self.lowerer.diagnostics
        runaway = (self.runaway or _unbalanced_line(self.source.text)) if diagnostics else None
        if runaway is not None and runaway.opener in self.fixed:
            runaway = None
        return Outcome(module, diagnostics, runaway, self.ended_in_string)

    # -- reading and feeding -------------------------------------------------------

    def _step(self) -> ast.Module | None:
        at = self._read()
        token = at.token
        try:
            result = self.parser.feed(token)
        except Rejected:
            self._recover(at)
            return None
        if token.type == END:
            module: ast.Module = result
            return module
        self._after_feed(at)
        return None

    def _read(self) -> Checkpoint:
        lowered = (len(self.lowerer.diagnostics), len(self.lowerer.imports))
        token = self.grammar.lex(self.parser.position, self.lexer_state, self.source, self.context.cuts,
                                 self._bad_character)
        start = token.start_pos or 0
        if token.type == QUOTE and start in self.closes:
            self._close_interpolation(token)
        line_start = self.previous_end == 0 or self.source.text.find("\n", self.previous_end, start) >= 0
        self.last = Snapshot(self.parser, self.last)
        return Checkpoint(self.last, lowered, self.previous_end, token, line_start)

    def _close_interpolation(self, quote: Token) -> None:
        """The fix for a runaway string opened inside a `${`: a `}` before its quote."""
        opened = open_delimiters(self.parser.values)
        brace = synthetic("RBRACE", "}", quote.start_pos or 0, self.source)
        if opened and str(opened[-1]) == "${" and self.grammar.can_feed(self.parser.states, [brace]):
            self.parser.feed(brace)

    def _bad_character(self, position: int) -> None:
        if position in self.bad_characters:
            return
        self.bad_characters.add(position)
        text = self.source.text
        if text.startswith("/*", position):
            self._report(messages.unclosed_comment(Span(self.source, position, position + 2)))
            raise _Stop
        self._report(messages.unexpected_character(Span(self.source, position, position + 1), text[position]))

    def _after_feed(self, at: Checkpoint) -> None:
        token = at.token
        if token.type == "STR_CHUNK" and "\n" in token and self.runaway is None:
            self._note_runaway(token)
        if str(token) in ("}", "]", ")") and at.line_start:
            self._note_pair(at)
        if token.type == "ID" and len(self.misread) < MISREAD_KEPT and self._keyword_read_as_name(at):
            self.misread.append(at)
        self.history.append(at)
        self.previous_end = token.end_pos or 0

    def _keyword_read_as_name(self, at: Checkpoint) -> bool:
        """`in`, or a declaration keyword first on its line, read as a name: a hint of a missing `;`."""
        if str(at.token) == "in":
            return True
        anywhere = self.grammar.lex_anywhere(at.token.start_pos or 0, self.source) if at.line_start else None
        return anywhere is not None and anywhere.type in DECLARATION_KEYWORDS

    def _note_runaway(self, chunk: Token) -> None:
        """Remember the first `"` string that runs over a line end: the likeliest unclosed one."""
        opened = open_delimiters(self.parser.values)
        if not opened or str(opened[-1]) != '"':
            return
        start = chunk.start_pos or 0
        cut = _cut(self.source.text, start, start + str(chunk).index("\n"))
        opener = opened[-1].start_pos or 0
        interpolation = None
        if len(opened) > 1 and str(opened[-2]) == "${" and _same_line(self.source, opened[-2], opened[-1]):
            interpolation = opened[-2].start_pos
        self.runaway = Runaway(opener, cut, interpolation)

    def _note_pair(self, at: Checkpoint) -> None:
        opened = open_delimiters(at.values)
        if opened and _indentation(self.source, opened[-1]) != _indentation(self.source, at.token):
            self.misaligned.append((opened[-1], at.token))

    # -- recovery ------------------------------------------------------------------------

    def _report(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)
        if len(self.diagnostics) >= MAX_SYNTAX_ERRORS:
            raise _Stop

    def _recover(self, at: Checkpoint) -> None:
        if at.token.type == END:
            self._end_of_file(at)
            return
        repair = find_repair(self.context, at, self.history, self.misread)
        if repair is None:
            self._report(unexpected(self.context, at))
            repair = find_resume(self.context, at)
            if repair is None:
                raise _Stop
        self._apply(repair)

    def _apply(self, repair: Repair) -> None:
        diagnostic = repair.diagnostic()
        if diagnostic is not None:
            self._report(diagnostic)
        at = repair.at
        self.parser.restore(at.states[:repair.depth], restored_values(at.values, at.sizes, repair.depth - 1))
        self.last = None        # restored trees are new objects: the next snapshot takes the whole stacks
        del self.lowerer.diagnostics[at.lowered[0]:]
        del self.lowerer.imports[at.lowered[1]:]
        self.lexer_state = lexer_state_at(repair.resume, self.source)
        for token in repair.tokens:
            self.parser.feed(token)
        self.history.clear()
        self.misread = []
        self.previous_end = repair.resume

    # -- the end of the file -------------------------------------------------------------

    def _end_of_file(self, at: Checkpoint) -> None:
        """The file ends too early: an open string or bracket, a missing `;`, or a construct cut short."""
        opened = open_delimiters(at.values)
        if opened and str(opened[-1]) in ('"', "''"):
            self._unclosed_string(opened[-1])
        if not self.tried_at_end and self._missing_at_end(at, opened):
            return
        if opened and self._closer_fits(at, opened[-1]):
            self._report(self._unclosed_at_end(opened))
        else:
            self._report(self._cut_short(at, opened))
        raise _Stop

    def _closer_fits(self, at: Checkpoint, opener: Token) -> bool:
        """Whether all that is missing at the end is the bracket's closer (else the construct is unfinished)."""
        closer = OPENERS[str(opener)]
        token = synthetic(self.grammar.terminal_of_text[closer], closer, at.previous_end, self.source)
        return self.grammar.can_feed(at.states, [token])

    def _missing_at_end(self, at: Checkpoint, opened: list[Token]) -> bool:
        """A `;` (or `in`, `else`...) missing near the end: one after which the file ends well,
        or else a `;` just before the end."""
        self.tried_at_end = True
        insertions = chain(semicolon_repairs(self.context, at, self.history, self.misread),
                           keyword_insertions(self.context, at, self.history))
        for repair in insertions:
            if trial(self.context, repair, len(self.source.text)) >= LOOKAHEAD:
                self._apply(repair)
                return True
        semicolon = synthetic("SEMICOLON", ";", at.previous_end, self.source)
        if not self.grammar.can_feed(at.states, [semicolon]):
            return False
        repair = next(semicolon_repairs(self.context, at, ()))
        if opened and self.source.text[at.previous_end - 1 : at.previous_end] in ("}", "]", ")"):
            # `{ a = { b = 1; }` at the end: the `;` after the `}` is part of
            # the unclosed bracket's story, not a mistake of its own.
            repair = replace(repair, diagnostic=lambda: None)
        self._apply(repair)
        return True

    def _unclosed_string(self, quote: Token) -> None:
        self.ended_in_string = True
        self._report(messages.unclosed_string(_token_span(self.source, quote), str(quote), runs_on=False))
        raise _Stop

    def _unclosed_at_end(self, opened: list[Token]) -> Diagnostic:
        innermost = opened[-1]
        others = [(_token_span(self.source, t), str(t)) for t in reversed(opened[:-1])]
        suspect = None
        for inner, closer in self.misaligned:
            if (inner.start_pos or 0) > (innermost.start_pos or 0) and \
                    _indentation(self.source, closer) == _indentation(self.source, innermost):
                line = self.source.line_column(innermost.start_pos or 0)[0]
                suspect = (_token_span(self.source, inner), _token_span(self.source, closer), line)
                break
        return messages.unclosed_at_end(_token_span(self.source, innermost), str(innermost),
                                        OPENERS[str(innermost)], others, suspect)

    def _cut_short(self, at: Checkpoint, opened: list[Token]) -> Diagnostic:
        if len(at.states) == 1:
            return messages.empty_file(Span(self.source, 0, 0))
        expected = self.grammar.expected(at.states)
        construct = next(((_token_span(self.source, v), str(v)) for v in reversed(at.values)
                          if isinstance(v, Token) and str(v) in _CONSTRUCTS), None)
        unclosed = [(_token_span(self.source, t), str(t)) for t in reversed(opened)]
        return messages.unexpected_end(self._after(at.previous_end), expected, construct, unclosed)

    def _after(self, position: int) -> Span:
        """The character after `position`, where a missing token would go."""
        return Span(self.source, position, min(position + 1, len(self.source.text)))


def _token_span(source: Source, token: Token) -> Span:
    start = token.start_pos or 0
    return Span(source, start, min(max(token.end_pos or start, start + 1), len(source.text)))


def _indentation(source: Source, token: Token) -> int:
    line = source.line_column(token.start_pos or 0)[0]
    text = source.line_text(line)
    return len(text) - len(text.lstrip(" \t"))


def _same_line(source: Source, first: Token, second: Token) -> bool:
    return source.line_column(first.start_pos or 0)[0] == source.line_column(second.start_pos or 0)[0]


def _runaway_diagnostic(source: Source, runaway: Runaway) -> Diagnostic:
    quote = Span(source, runaway.opener, runaway.opener + 1)
    if runaway.interpolation is None:
        return messages.unclosed_string(quote, '"', runs_on=True)
    start = runaway.interpolation
    return messages.unclosed(Span(source, start, start + 2), "${", "}", quote, '"', None)


def _cut(text: str, start: int, end: int) -> int:
    """Where a string that runs past `end`, its line's end, most likely stops.

    `"ce;` and `"netplan }` lack their quote before what ends the line.
    """
    while end > start and text[end - 1] in " \t\r;,)]}":
        end -= 1
    return end


def _unbalanced_line(text: str) -> Runaway | None:
    """The first line with a `"` string it does not close, when the parser saw none run away.

    Panic mode may skip the text where a string went wrong; lines are short
    and strings rarely span them, so an odd quote on a line is the next best
    clue.  Indented strings, which do span lines, are passed over.
    """
    offset = 0
    indented = False
    for line in text.split("\n"):
        if line.count("''") % 2:
            indented = not indented
        elif not indented:
            opener = _open_quote(line)
            if opener is not None:
                return Runaway(offset + opener, _cut(text, offset + opener + 1, offset + len(line)), None)
        offset += len(line) + 1
    return None


def _open_quote(line: str) -> int | None:
    """The column of a `"` the line opens and does not close, ignoring escapes and comments."""
    opener: int | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and opener is not None:
            index += 1
        elif char == '"':
            opener = index if opener is None else None
        elif char == "#" and opener is None:
            break
        index += 1
    return opener
