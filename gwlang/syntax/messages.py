"""The wording of syntax errors: terminals named for people, one builder per mistake.

The parser and its recovery decide *what* went wrong; this module decides
how it reads.  A terminal is known here by its *key*: its text where it has
one (`;`, `}`, `let`), else its name in the grammar (`ID`, `SIZE`).  It is
shown as its text, or in words ("a name"); whole families fold into one
phrase ("an expression", "an operator") so that a list of what was expected
stays short enough to read.
"""

from __future__ import annotations

from collections.abc import Collection

from gwlang.diagnostics import Diagnostic, Label, Span

# Terminals that are not a fixed text, named by what they are.
TERMINAL_WORDS = {
    "ID": "a name", "INT": "a number", "NEG_INT": "a number", "SIZE": "a size such as `512MiB`",
    "IPV4": "an IPv4 address", "IPV4_NET": "an IPv4 network", "MAC": "a MAC address",
    "SEARCH_PATH": "a search path such as `<grid/base.gw>`", "STR_CHUNK": "string text",
    "IND_CHUNK": "string text", "IND_ESCAPE": "an escape", "$END": "the end of the file",
    "EQ_OP": "`==` or `!=`", "CMP_OP": "a comparison", "SUM_OP": "`+` or `-`", "MUL_OP": "`*` or `/`",
    "WS": "blank space", "COMMENT": "a comment", "BLOCK_COMMENT": "a comment",
    '"': "a string", "''": "an indented string",
}

# Where most of an expression's first tokens are acceptable, "an expression"
# says it better than twenty alternatives.
_EXPRESSION_STARTS = frozenset({"ID", "INT", "SIZE", "IPV4", "IPV4_NET", "MAC", "true", "false", "null", '"', "''",
                                "(", "[", "{", "rec", "let", "if", "!", "-", "import"})
_OPERATORS = frozenset({"EQ_OP", "CMP_OP", "SUM_OP", "MUL_OP", "->", "||", "&&", "//", "++", "?", ".", "or"})
# The ways an attribute's name may start: a name, a quoted name, `${...}`.
_NAME_STARTS = frozenset({"ID", '"', "${", "or"})
_ITEMS = ("import", "let", "schema", "profile", "site")
# Tokens that only continue a construct already under way; naming them adds noise.
_NOISE = frozenset({"STR_CHUNK", "IND_CHUNK", "IND_ESCAPE", "${"})
# Shown first when expected: the tokens that end or close something.
_FIRST = (";", "}", ")", "]", ":", "=", ",", "then", "else", "in")


def describe(key: str) -> str:
    """One terminal, by its key, as a message names it."""
    return TERMINAL_WORDS.get(key, f"`{key}`")


def expected_phrase(keys: Collection[str]) -> str:
    """`;`, `}` or an operator: what could have come next, for people."""
    rest = set(keys)
    words = [describe(key) for key in _FIRST if key in rest]
    rest -= set(_FIRST)
    for group, phrase in ((_EXPRESSION_STARTS, "an expression"), (_OPERATORS, "an operator")):
        if len(rest & group) >= 4:
            rest -= group
            words.append(phrase)
    if {"ID", '"'} <= rest:
        rest -= _NAME_STARTS
        words.append("a name")
    if sum(item in rest for item in _ITEMS) >= 4:
        rest -= {*_ITEMS, "abstract"}
        words.append("an item (" + ", ".join(f"`{item}`" for item in _ITEMS) + ")")
    words += sorted(describe(key) for key in rest - _NOISE)
    words = list(dict.fromkeys(words))
    if len(words) > 6:
        words = [*words[:5], "..."]
    return _either(words)


def _either(words: list[str]) -> str:
    if not words:
        return "nothing more"
    if len(words) == 1 or words[-1] == "...":
        return ", ".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


# ---------------------------------------------------------------- one builder per mistake


def missing_semicolon(after: Span, before: Span | None, ended: str) -> Diagnostic:
    """`ended` names what the `;` ends: a binding, statement, field or import."""
    secondary = (Label(before, f"the next {ended} starts here"),) if before is not None else ()
    return Diagnostic("E0102", "missing `;`", Label(after, "expected `;` here"), secondary,
                      (f"every {ended} ends with `;`",))


def missing_token(after: Span, text: str) -> Diagnostic:
    return Diagnostic("E0101", f"missing `{text}`", Label(after, f"expected `{text}` here"))


def comma_for_semicolon(comma: Span) -> Diagnostic:
    return Diagnostic("E0102", "`,` where a binding ends with `;`", Label(comma, "expected `;` here"),
                      notes=("attributes are written `{ a = 1; b = 2; }`",), help="replace `,` with `;`")


def lambda_equals(equals: Span) -> Diagnostic:
    return Diagnostic("E0104", "`=` where a function needs `:`", Label(equals, "expected `:` here"),
                      notes=("a function is written `x: body` or `{ a, b }: body`",),
                      help="replace `=` with `:`")


def colon_for_equals(colon: Span) -> Diagnostic:
    return Diagnostic("E0101", "`:` where a binding needs `=`", Label(colon, "expected `=` here"),
                      notes=("an attribute is written `name = value;`",), help="replace `:` with `=`")


def mismatched_closer(closer: Span, found: str, opener: Span, opened: str, expected: str) -> Diagnostic:
    return Diagnostic("E0106", f"mismatched `{found}`",
                      Label(closer, f"expected `{expected}` to close the `{opened}`"),
                      (Label(opener, f"`{opened}` opened here"),),
                      help=f"replace `{found}` with `{expected}`")


def unclosed(opener: Span, opened: str, closer: str, before: Span, before_text: str,
             previous_line: int | None) -> Diagnostic:
    where = f"at the end of line {previous_line}" if previous_line is not None else f"before `{before_text}`"
    return Diagnostic("E0106", f"unclosed `{opened}`", Label(opener, f"this `{opened}` is never closed"),
                      (Label(before, f"expected `{closer}` before this"),), help=f"add `{closer}` {where}")


def unclosed_at_end(opener: Span, opened: str, closer: str, others: list[tuple[Span, str]],
                    suspect: tuple[Span, Span, int] | None) -> Diagnostic:
    secondary: list[Label] = []
    notes: list[str] = []
    if suspect is not None:
        inner, inner_closer, line = suspect
        secondary.append(Label(inner, f"perhaps this `{opened}` is the one not closed"))
        secondary.append(Label(inner_closer, f"this `{closer}` closes it, but is indented like line {line}"))
    notes += [_not_closed(span, text) for span, text in others]
    return Diagnostic("E0106", f"unclosed `{opened}`", Label(opener, f"this `{opened}` is never closed"),
                      tuple(secondary), tuple(notes), help=f"add the missing `{closer}`")


def unclosed_string(opener: Span, quote: str, runs_on: bool) -> Diagnostic:
    if quote == "''":
        return Diagnostic("E0105", "unclosed indented string", Label(opener, "this string is never closed"),
                          notes=("the file ends before the closing `''`",))
    notes = ("a string runs to the next unescaped `\"`, even across lines; here that swallowed the "
             "code after it",) if runs_on else ("the file ends before the closing `\"`",)
    return Diagnostic("E0105", "unclosed string", Label(opener, "this string is never closed"), (), notes,
                      help="add the closing `\"`; a quote inside a string is written `\\\"`")


def unclosed_comment(opener: Span) -> Diagnostic:
    return Diagnostic("E0108", "unexpected end of file inside a comment",
                      Label(opener, "this `/*` comment is never closed"), help="end it with `*/`")


def unexpected_token(token: Span, shown: str, expected: str, help: str | None = None) -> Diagnostic:
    return Diagnostic("E0101", f"unexpected {shown}", Label(token, f"expected {expected}"), help=help)


def unmatched_closer(closer: Span, text: str, innermost: tuple[Span, str] | None) -> Diagnostic:
    secondary = (Label(innermost[0], f"the innermost open bracket is this `{innermost[1]}`"),) if innermost else ()
    label = "nothing is open here" if innermost is None else "this closes nothing"
    return Diagnostic("E0101", f"unmatched `{text}`", Label(closer, label), secondary,
                      help=f"remove the `{text}`")


def unexpected_character(at: Span, char: str) -> Diagnostic:
    shown = char if char.isprintable() else repr(char)[1:-1]
    notes: tuple[str, ...] = ()
    if char in "'`":
        notes = ("strings are written `\"...\"` or `''...''`",)
    return Diagnostic("E0107", f"unexpected character `{shown}`", Label(at, "no token starts with this"),
                      notes=notes)


def unexpected_end(end: Span, expected: str, construct: tuple[Span, str] | None,
                   unclosed: list[tuple[Span, str]]) -> Diagnostic:
    secondary = (Label(construct[0], f"this `{construct[1]}` is not finished"),) if construct else ()
    return Diagnostic("E0108", "unexpected end of file", Label(end, f"expected {expected}"), secondary,
                      tuple(_not_closed(span, text) for span, text in unclosed))


def _not_closed(span: Span, text: str) -> str:
    line = span.source.line_column(span.start)[0]
    return f"the `{text}` on line {line} is not closed either"


def empty_file(start: Span) -> Diagnostic:
    return Diagnostic("E0108", "the file holds nothing", Label(start, "expected an expression or declarations"),
                      notes=("a `.gw` file is one expression, or a sequence of imports, `let`s, schemas, "
                             "profiles and sites",))
