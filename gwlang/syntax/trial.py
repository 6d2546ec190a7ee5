"""What recovery works with: checkpoints, repairs, and the trial that tells whether a repair works.

A *trial* runs a repair on copies of a checkpoint's stacks, without
building any AST, and counts how far the parser then reads; `recovery.py`
chooses among repairs by it, and the driver applies the chosen one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lark import Token

from gwlang.diagnostics import Diagnostic, Source
from gwlang.syntax import ast
from gwlang.syntax.tables import END, Grammar, Rejected, Snapshot, lexer_state_at, repetition_items

# A repair must let the parser read this many tokens from the error on.
LOOKAHEAD = 5
# How far a trial follows a bracket the repair opened (see `trial`).
HORIZON = 80
# A repair that gets this far is still better than dropping the construct.
MINIMUM_PROGRESS = 2
ITEMS = (ast.ImportItem, ast.LetItem, ast.SchemaDecl, ast.ProfileDecl, ast.SiteDecl)
OPENERS = {"{": "}", "[": "]", "(": ")", "${": "}", '"': '"', "''": "''"}
CLOSERS = frozenset({"}", "]", ")"})
# Keywords that start a declaration or an item, wherever they stand first on a line.
DECLARATION_KEYWORDS = frozenset({"IMPORT", "LET", "SCHEMA", "PROFILE", "SITE", "HOST", "NODE", "ABSTRACT"})
DECLARATION_WORDS = frozenset({"import", "let", "schema", "profile", "site", "host", "node", "abstract"})

@dataclass(slots=True)
class Checkpoint:
    """The parser and lexer just before one token: a place a repair can start from."""
    stacks: Snapshot       # the parser's stacks then, put together when read
    lowered: tuple[int, int]
    previous_end: int      # where the previous token ends, and the lexer stands
    token: Token           # the token read from here
    line_start: bool       # whether `token` is the first on its line

    @property
    def states(self) -> list[int]:
        return self.stacks.stacks()[0]

    @property
    def values(self) -> list[Any]:
        return self.stacks.stacks()[1]

    @property
    def sizes(self) -> tuple[int, ...]:
        """Each value's child count then (see `restored_values`)."""
        return self.stacks.stacks()[2]


@dataclass(frozen=True, slots=True)
class Repair:
    """Go back to `at`, keep `depth` parser states, feed `tokens`, read on from offset `resume`."""
    at: Checkpoint
    tokens: tuple[Token, ...]
    resume: int
    depth: int
    diagnostic: Callable[[], Diagnostic | None]


@dataclass(frozen=True, slots=True)
class Context:
    grammar: Grammar
    source: Source
    cuts: tuple[int, ...]


def open_delimiters(values: Sequence[Any]) -> list[Token]:
    """The brackets and quotes still open on a parser's value stack, outermost first."""
    stack: list[Token] = []
    for value in values:
        if not isinstance(value, Token):
            continue
        text = str(value)
        if text in ('"', "''") and stack and str(stack[-1]) == text:
            stack.pop()
        elif text in OPENERS:
            stack.append(value)
        elif text in CLOSERS and stack:
            stack.pop()
    return stack



def trial(context: Context, repair: Repair, target: int) -> int:
    """How many tokens from offset `target` on the parser reads after the repair (at most LOOKAHEAD).

    A repair that opens a bracket is followed further, until the bracket
    closes: if a declaration (`node`, `host`...) first on its line is read as
    a name inside it, the repair turned the declarations after it into an
    expression, and it counts for nothing.
    """
    at, depth = repair.at, repair.depth
    parser = context.grammar.parser(at.states[:depth], at.values[:depth - 1], quiet=True)
    progress = 0
    try:
        for token in repair.tokens:
            parser.feed(token)
            progress += (token.start_pos or 0) >= target
        level = len(open_delimiters(parser.values))
        lexer_state = lexer_state_at(repair.resume, context.source)
        for _ in range(HORIZON):
            token = context.grammar.lex(parser.position, lexer_state, context.source, context.cuts, ignore)
            if _declaration_read_as_name(context, token):
                return 0 if len(open_delimiters(parser.values)) > level else progress
            parser.feed(token)
            if token.type == END:
                return LOOKAHEAD
            progress = min(LOOKAHEAD, progress + ((token.start_pos or 0) >= target))
            if progress >= LOOKAHEAD and len(open_delimiters(parser.values)) <= level:
                break
    except Rejected:
        pass
    return progress


def _declaration_read_as_name(context: Context, token: Token) -> bool:
    """`node` first on a line, read as a name: the edit made a declaration part of an expression."""
    if token.type != "ID" or str(token) not in DECLARATION_WORDS:
        return False
    start = token.start_pos or 0
    line_start = context.source.text.rfind("\n", 0, start) + 1
    return not context.source.text[line_start:start].strip()


def ignore(position: int) -> None:
    """Trials skip a bad character silently; the real run reports it."""


def depths(at: Checkpoint, deepest: int) -> Iterator[int]:
    """How many parser states to keep, from `deepest` down, never dropping a quote, a `;` or an item.

    Dropping a string's quote would turn the text after it inside out:
    code read as a string, and the string read as code.  Dropping a `;` or
    the items already read would make what was finished go on, as the start
    of an expression that swallows what follows.
    """
    for depth in range(deepest, 0, -1):
        dropped = at.values[depth - 1] if depth - 1 < len(at.values) else None
        if (isinstance(dropped, Token) and str(dropped) in ('"', "''", ";")) or holds_items(dropped):
            return
        yield depth


def holds_items(value: Any) -> bool:
    """Whether the items of a module or block read so far are in `value`: dropping it would lose them."""
    return any(isinstance(item, ITEMS) for item in repetition_items(value))


def first_token_fits(context: Context, state: int, position: int) -> bool:
    """Whether the token at `position` fits the parser `state`, read as the same token it is anywhere.

    `site` after an expression reads as a name, and a whole declaration as
    the arguments of a function: a declaration keyword must stay one.
    """
    lexer_state = lexer_state_at(position, context.source)
    token = context.grammar.lex(state, lexer_state, context.source, context.cuts, ignore)
    anywhere = context.grammar.lex_anywhere(position, context.source)
    if anywhere is not None and anywhere.type in DECLARATION_KEYWORDS and token.type != anywhere.type:
        return False
    return token.type in context.grammar.table[state]
