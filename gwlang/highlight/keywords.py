"""The keywords of gw, read from `grammar.lark` so the highlighters cannot drift from the parser.

A keyword is a terminal whose pattern is a word (`PROFILE: "profile"`).
The Pygments lexer uses this list; a test checks the TextMate grammar in
`editors/gw.tmLanguage.json` against it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

_TERMINAL = re.compile(r'^([A-Z_]+):\s*"([a-z]+)"\s*$', re.MULTILINE)
# Keywords that are values, highlighted as constants.
CONSTANTS = frozenset({"true", "false", "null"})


@lru_cache(maxsize=1)
def keywords() -> tuple[str, ...]:
    """Every word the grammar reserves somewhere, constants included, sorted."""
    grammar = resources.files("gwlang.syntax").joinpath("grammar.lark").read_text()
    return tuple(sorted(word for _, word in _TERMINAL.findall(grammar)))
