"""A Pygments lexer for gw: `pygmentize -l gw`, and gw code blocks in Pygments-based doc tools.

Registered through the `pygments.lexers` entry point (pyproject.toml); the
only module importing pygments, which the `highlight` extra installs.  Its
keywords come from the grammar (`keywords.py`); a keyword right after or
before a `.` is a name (`node.name`), as the parser reads it.  Strings
follow the grammar's terminals: `$` takes the next character along, so
`$${x}` is text, and `''` strings have their `'''`, `''$` and `''\\` escapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

from gwlang.highlight.keywords import CONSTANTS, keywords

# Pygments leaves `bygroups` untyped: one typed name for it.
_groups: Callable[..., Any] = bygroups
IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_'\-]*"
_NOT_NAME = r"(?<![A-Za-z0-9_'\-.])"
_END_OF_WORD = r"(?![A-Za-z0-9_'\-.])"


class GwLexer(RegexLexer):
    """gw source: the Nix-flavoured language of gwlang's sites, profiles and schemas."""

    name = "gw"
    aliases: ClassVar[list[str]] = ["gw", "gwlang", "gw-example", "gw-merge"]
    filenames: ClassVar[list[str]] = ["*.gw"]
    mimetypes: ClassVar[list[str]] = ["text/x-gw"]
    url = "https://github.com/gwlang/gwlang"

    tokens: ClassVar[dict[str, Any]] = {
        "root": [
            include("code"),
            (r"[{}]", Punctuation),
        ],
        "code": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r"/\*[\s\S]*?\*/", Comment.Multiline),
            (r"''", String, "indented"),
            (r'"', String, "string"),
            (r"\$\{", String.Interpol, "interpolation"),
            (r"(import)(\s+)(<[A-Za-z0-9._+\-]+(?:/[A-Za-z0-9._+\-]+)*>)",
             _groups(Keyword.Namespace, Whitespace, String.Other)),
            (r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}(?![A-Za-z0-9_:])", Number.Hex),
            (r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}/[0-9]{1,2}(?![0-9])", Number),
            (r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9.])", Number),
            (r"[0-9]+(?:KiB|MiB|GiB|TiB|PiB|KB|MB|GB|TB|PB|B)(?![A-Za-z0-9_'\-])", Number),
            (r"[0-9]+", Number.Integer),
            (words(sorted(CONSTANTS), prefix=_NOT_NAME, suffix=_END_OF_WORD), Keyword.Constant),
            (words([word for word in keywords() if word not in CONSTANTS], prefix=_NOT_NAME, suffix=_END_OF_WORD),
             Keyword),
            (r"\.\.\.?", Punctuation),
            (r"(\.)(\s*)(" + IDENTIFIER + ")", _groups(Punctuation, Whitespace, Name.Attribute)),
            (IDENTIFIER, Name),
            (r"->|\|\||&&|==|!=|<=|>=|//|\+\+|\?=|\+=|-=|[<>+\-*/!?=@:]", Operator),
            (r"[;,().\[\]]", Punctuation),
        ],
        "interpolation": [
            (r"\}", String.Interpol, "#pop"),
            (r"\{", Punctuation, "braces"),
            include("code"),
        ],
        "braces": [
            (r"\}", Punctuation, "#pop"),
            (r"\{", Punctuation, "#push"),
            include("code"),
        ],
        "string": [
            (r'"', String, "#pop"),
            (r"\\[\s\S]", String.Escape),
            (r"\$\{", String.Interpol, "interpolation"),
            (r'\$[^{"\\]', String),
            (r'[^"\\$]+', String),
            (r"\$", String),
        ],
        "indented": [
            (r"'''|''\$|''\\[\s\S]", String.Escape),
            (r"''", String, "#pop"),
            (r"\$\{", String.Interpol, "interpolation"),
            (r"\$[^{']", String),
            (r"[^'$]+", String),
            (r"['$]", String),
        ],
    }
