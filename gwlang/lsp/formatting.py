"""Formatting through `gwc fmt`'s own function, imported only when an editor asks.

The formatter lives in its own module (`format_text(text, path, width)`);
the language server holds no layout rules of its own, so a buffer formatted
in the editor is byte for byte what `gwc fmt` writes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

# Where the formatter may live; the first that imports is used.
FORMATTER_MODULES = ("gwlang.syntax.format", "gwlang.format", "gwlang.syntax.formatter")


def formatter() -> Callable[..., str] | None:
    for name in FORMATTER_MODULES:
        try:
            module: Any = importlib.import_module(name)
        except ImportError:
            continue
        function = getattr(module, "format_text", None)
        if callable(function):
            return function  # type: ignore[no-any-return]
    return None


def format_document(text: str, path: str | None, width: int = 100) -> str | None:
    """The formatted text, or None when this gwc has no formatter."""
    function = formatter()
    if function is None:
        return None
    return function(text, path, width)
