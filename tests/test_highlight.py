"""Highlighting: the Pygments lexer and the TextMate grammar read gw as the parser does.

Both are run over every .gw file of the repository that parses: no error
token, and the comments they find are exactly the parser's.  The TextMate
grammar is run by a small interpreter of its rules (match, begin/end,
include), enough to check it without an editor.  Their keyword lists are
the grammar's terminals, so a keyword added to grammar.lark fails here
until the highlighters know it.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pygments.token import Comment, Error, Keyword

from gwlang.diagnostics import GwError, Source
from gwlang.highlight.keywords import CONSTANTS, keywords
from gwlang.highlight.pygments_lexer import GwLexer
from gwlang.syntax.parser import parse_with_comments

ROOT = Path(__file__).resolve().parent.parent
TEXTMATE = json.loads((ROOT / "editors" / "gw.tmLanguage.json").read_text())


def parser_comments(path: Path) -> list[str] | None:
    try:
        return [comment.text for comment in parse_with_comments(Source(str(path), path.read_text()))[1]]
    except GwError:
        return None


PROGRAMS = [path for path in sorted(ROOT.glob("**/*.gw"))
            if ".git" not in path.parts and parser_comments(path) is not None]


def test_there_are_programs_to_highlight() -> None:
    assert len(PROGRAMS) > 100


# ---------------------------------------------------------------- Pygments


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_pygments_lexes_every_program_without_errors(path: Path) -> None:
    tokens = list(GwLexer().get_tokens_unprocessed(path.read_text()))
    assert [(position, text) for position, token, text in tokens if token is Error] == []
    assert [text for _, token, text in tokens if token in Comment] == parser_comments(path)


def test_pygments_reads_keywords_as_the_parser_does() -> None:
    tokens = [(token, text) for token, text in GwLexer().get_tokens("site s { x = node.name; }") if text.strip()]
    assert tokens[0] == (Keyword, "site")
    assert (Keyword, "node") not in tokens  # `node.name` is a variable, not the keyword


def test_the_lexer_is_registered_for_pygmentize() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pygments.lexers"] == {"gw": "gwlang.highlight.pygments_lexer:GwLexer"}
    assert any(requirement.startswith("pygments") for requirement in project["optional-dependencies"]["highlight"])
    assert "gw" in GwLexer.aliases and "*.gw" in GwLexer.filenames


# ---------------------------------------------------------------- TextMate


def test_textmate_keywords_are_the_grammars() -> None:
    repository = TEXTMATE["repository"]
    listed = set(re.search(r"\(([a-z|]+)\)", repository["keywords"]["match"]).group(1).split("|"))  # type: ignore[union-attr]
    constants = repository["literals"]["patterns"][-1]["match"]
    assert listed == set(keywords()) - CONSTANTS
    assert set(re.search(r"\(([a-z|]+)\)", constants).group(1).split("|")) == CONSTANTS  # type: ignore[union-attr]
    assert TEXTMATE["scopeName"] == "source.gw" and TEXTMATE["fileTypes"] == ["gw"]


class TextMate:
    """The rules of a TextMate grammar applied with Python's `re` (close enough to Oniguruma for these)."""

    def __init__(self, grammar: dict[str, Any]) -> None:
        self.repository = grammar["repository"]
        self.top = grammar["patterns"]

    def rules(self, patterns: list[dict[str, Any]]) -> list[dict[str, Any]]:
        flat: list[dict[str, Any]] = []
        for rule in patterns:
            if "include" in rule:
                flat += self.rules([self.repository[rule["include"][1:]]])
            elif "match" not in rule and "begin" not in rule:
                flat += self.rules(rule["patterns"])
            else:
                flat.append(rule)
        return flat

    def scopes(self, text: str) -> list[tuple[str, str]]:
        """(scope, text) of each match, then of the region around it; unmatched text as `?`."""
        found: list[tuple[str, str]] = []
        self._run(text, 0, self.rules(self.top), None, found)
        return found

    def _run(self, text: str, position: int, rules: list[dict[str, Any]], end: str | None,
             found: list[tuple[str, str]], text_region: bool = False) -> int:
        """Up to `end`; in a string or comment (`text_region`) unmatched text is its content."""
        while position < len(text):
            if end is not None and (closing := re.compile(end, re.M).match(text, position)):
                return closing.end()
            for rule in rules:
                key = "match" if "match" in rule else "begin"
                matched = re.compile(rule[key], re.M).match(text, position)
                if matched and matched.end() > position:
                    break
            else:
                if not text[position].isspace() and not text_region:
                    found.append(("?", text[position]))
                position += 1
                continue
            if "match" in rule:
                found.append((rule.get("name", "captures"), matched.group()))
                position = matched.end()
            else:
                inner = self.rules(rule.get("patterns", []))
                inner_text = rule.get("name", "").startswith(("string.", "comment."))
                after = self._run(text, matched.end(), inner, rule["end"], found, inner_text)
                found.append((rule.get("name", "region"), text[position:after]))
                position = after
        return position


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_textmate_reads_every_program(path: Path) -> None:
    scopes = TextMate(TEXTMATE).scopes(path.read_text())
    assert [text for scope, text in scopes if scope == "?"] == []
    assert [text for scope, text in scopes if scope.startswith("comment.")] == parser_comments(path)


def test_textmate_scopes_of_a_line() -> None:
    scopes = TextMate(TEXTMATE).scopes('import <grid/roles.gw>;\nprofile p { vm.memory = 512MiB; ip = 10.0.0.1; }')
    assert ("keyword.control.gw", "profile") in scopes
    assert ("captures", "import <grid/roles.gw>") in scopes
    assert ("constant.numeric.size.gw", "512MiB") in scopes and ("constant.numeric.address.gw", "10.0.0.1") in scopes
    assert any(scope == "region" and "512MiB" in text for scope, text in scopes)
