"""gw source as HTML lines: a small tokenizer for comments, strings, keywords and literals.

The report shows every source line with an anchor; colouring it only needs
the token classes a reader's eye uses, not the parser's precision, so a
regular expression does (no Pygments needed).  Each line comes back as safe
HTML, every character of the source escaped.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

KEYWORDS = ("abstract", "as", "assert", "else", "extends", "false", "final", "host", "if", "import", "in",
            "inherit", "let", "node", "null", "or", "profile", "rec", "schema", "site", "then", "true")

_TOKEN = re.compile(r"""
    (?P<comment> \#[^\n]* | /\*.*?(?:\*/|\Z) )
  | (?P<string>  "(?:\\.|[^"\\])*(?:"|\Z) | ''.*?(?:''|\Z) )
  | (?P<keyword> \b(?:""" + "|".join(KEYWORDS) + r""")\b(?![-\w]) )
  | (?P<literal> (?<![\w-])\d[\w.:/]* )
""", re.VERBOSE | re.DOTALL)

_CLASSES = {"comment": "c", "string": "s", "keyword": "k", "literal": "l"}


def highlight_lines(text: str) -> list[Markup]:
    """Each line of `text` as HTML, tokens in `<span class=...>` (a token across lines is split at them)."""
    pieces: list[tuple[str | None, str]] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() > position:
            pieces.append((None, text[position:match.start()]))
        pieces.append((_CLASSES[match.lastgroup or ""], match.group()))
        position = match.end()
    pieces.append((None, text[position:]))
    lines: list[list[str]] = [[]]
    for kind, piece in pieces:
        for index, part in enumerate(piece.split("\n")):
            if index:
                lines.append([])
            if part:
                escaped = str(escape(part))
                lines[-1].append(f'<span class="{kind}">{escaped}</span>' if kind else escaped)
    if text.endswith("\n") or not text:
        lines.pop()
    return [Markup("".join(line)) for line in lines]
