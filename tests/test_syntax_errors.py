"""Syntax errors: each `tests/cases/syntax/<mistake>.gw` holds one kind of mistake.

The snapshot of each case is what `gwc` prints for it (the diagnostics as
text, without colour), so every message can be reviewed as a person reads
it.  Sources are named relative to `tests/cases`, so snapshots hold no
absolute path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.codes import CODES
from gwlang.diagnostics import Diagnostic, GwError, Source, render_all
from gwlang.syntax.parser import SYNTAX_CODES, parse
from gwlang.syntax.tables import Grammar

CASES = Path(__file__).resolve().parent / "cases"
SYNTAX_CASES = sorted((CASES / "syntax").glob("*.gw"))


def syntax_errors(path: Path) -> list[Diagnostic]:
    source = Source(path.relative_to(CASES).as_posix(), path.read_text())
    with pytest.raises(GwError) as failure:
        parse(source)
    return failure.value.diagnostics


@pytest.mark.parametrize("path", SYNTAX_CASES, ids=lambda path: path.stem)
def test_syntax_error(path: Path, snapshot: SnapshotAssertion) -> None:
    diagnostics = syntax_errors(path)
    assert all(d.code in SYNTAX_CODES for d in diagnostics)
    assert render_all(diagnostics, colour=False) == snapshot


# What users rely on, asserted directly as well as through the snapshots.

LARK_NAMES = re.compile(r"\b(__ANON_\d+|[A-Z]+_[A-Z_]+|LBRACE|RBRACE|LPAR|RPAR|LSQB|RSQB|SEMICOLON|COLON|"
                        r"EQUAL|DBLQUOTE|QMARK|COMMA|DOT|BANG|MINUS|ID|INT)\b")


@pytest.mark.parametrize("path", SYNTAX_CASES, ids=lambda path: path.stem)
def test_messages_never_name_lark_terminals(path: Path) -> None:
    text = render_all(syntax_errors(path))
    assert not LARK_NAMES.search(text), LARK_NAMES.search(text)


def test_every_terminal_has_a_name_for_people() -> None:
    from gwlang.syntax.parser import _parser
    grammar: Grammar = _parser().grammar
    for terminal in grammar.lark.terminals:
        described = grammar.describe(terminal.name)
        assert described != "a token" and not LARK_NAMES.search(described), (terminal.name, described)


def test_syntax_codes_agree_with_the_code_table() -> None:
    for code, title in SYNTAX_CODES.items():
        assert code in CODES and CODES[code].title == title


def test_a_missing_semicolon_points_after_the_previous_token() -> None:
    [diagnostic] = syntax_errors(CASES / "syntax" / "missing-semicolon.gw")
    assert diagnostic.code == "E0102"
    assert diagnostic.primary is not None
    assert diagnostic.primary.span.location == "syntax/missing-semicolon.gw:3:8"


def test_independent_errors_are_all_reported_without_cascades() -> None:
    diagnostics = syntax_errors(CASES / "syntax" / "two-independent-errors.gw")
    assert [(d.code, d.primary.span.location if d.primary else "") for d in diagnostics] == [
        ("E0101", "syntax/two-independent-errors.gw:4:15"),
        ("E0102", "syntax/two-independent-errors.gw:9:29"),
    ]


def test_an_unclosed_brace_names_where_it_was_opened() -> None:
    [diagnostic] = syntax_errors(CASES / "syntax" / "unclosed-brace.gw")
    assert diagnostic.code == "E0106"
    assert diagnostic.primary is not None
    assert diagnostic.primary.span.location == "syntax/unclosed-brace.gw:1:14"


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_an_empty_file_is_one_error(text: str) -> None:
    with pytest.raises(GwError) as failure:
        parse(Source("empty.gw", text))
    assert [d.code for d in failure.value.diagnostics] == ["E0108"]


def test_a_number_too_long_to_read_is_a_diagnostic() -> None:
    with pytest.raises(GwError) as failure:
        parse(Source("long.gw", "1" * 5000))
    assert [d.code for d in failure.value.diagnostics] == ["E0109"]
