"""The text of literals as the language reads it: sizes, string escapes, and `''` strings' indentation.

Pure functions of text, with no parser in them: the lowering uses them on
tokens, and the evaluator's memory limit (`GWC_MEMORY_LIMIT=2GiB`) reads a
size with the same rules.
"""

from __future__ import annotations

import sys
from typing import Any

from gwlang.syntax import ast

SIZE_UNITS = {
    "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50,
    "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15,
}

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "$": "$"}


def parse_size(text: str) -> int:
    """Bytes of a size literal such as `512MiB` (the grammar guarantees the form)."""
    digits = len(text) - len(text.lstrip("0123456789"))
    return int(text[:digits]) * SIZE_UNITS[text[digits:]]


def unescape(chunk: str) -> str:
    """A string chunk's text with its escapes (`\\n`, `\\"`, `\\$`...) read as the language reads them."""
    if "\\" not in chunk:
        return chunk
    out: list[str] = []
    index = 0
    while index < len(chunk):
        char = chunk[index]
        if char == "\\" and index + 1 < len(chunk):
            following = chunk[index + 1]
            out.append(ESCAPES.get(following, following))
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def dedent(pieces: list[Any]) -> tuple[str | ast.Expr, ...]:
    """Nix's rule for `''...''`: strip the indentation common to every line.

    Only spaces count, and only lines holding more than spaces are measured;
    interpolations and escapes count as text.  A first line holding only
    spaces is dropped with its newline, and so are the spaces after the last
    newline (the newline stays).  Escapes are applied after measuring, so
    `''$` never shifts it.
    """
    # Split into lines of (kind, text) fragments.
    lines: list[list[tuple[str, Any]]] = [[]]
    for piece in pieces:
        if isinstance(piece, tuple) and piece[0] == "text":
            segments = piece[1].split("\n")
            for number, segment in enumerate(segments):
                if number:
                    lines.append([])
                if segment:
                    lines[-1].append(("text", segment))
        elif isinstance(piece, tuple):
            lines[-1].append(piece)
        else:
            lines[-1].append(("expr", piece))

    def indentation(line: list[tuple[str, Any]]) -> int | None:
        count = 0
        for kind, value in line:
            if kind != "text":
                return count
            stripped = value.lstrip(" ")
            count += len(value) - len(stripped)
            if stripped:
                return count
        return None  # blank line: does not count

    if len(lines) > 1 and indentation(lines[0]) is None:
        lines = lines[1:]
    if len(lines) > 1 and indentation(lines[-1]) is None:
        lines[-1] = []
    # With no line but blanks nothing bounds the cut, and every blank goes
    # (Nix: `''\n  ''` is `""`, `''  ''` too).
    widths = [w for w in (indentation(line) for line in lines) if w is not None]
    strip = min(widths, default=sys.maxsize)
    parts: list[str | ast.Expr] = []

    def add(value: str | ast.Expr) -> None:
        if isinstance(value, str) and parts and isinstance(parts[-1], str):
            parts[-1] += value
        elif value != "":
            parts.append(value)

    for number, line in enumerate(lines):
        if number:
            add("\n")
        remaining = strip
        for kind, value in line:
            if remaining and kind == "text":
                blanks = len(value) - len(value.lstrip(" "))
                cut = min(remaining, blanks)
                value = value[cut:]
                remaining = remaining - cut if not value else 0
            else:
                remaining = 0
            add(value)
    return tuple(parts)
