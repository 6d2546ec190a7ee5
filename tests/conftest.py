"""Shared helpers: run gw sources the way `gwc eval` does and render the outcome as text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gwlang.diagnostics import render_all
from gwlang.eval.evaluator import run_deep
from gwlang.session import Printed, evaluate_to_text


def rendered(printed: Printed) -> str:
    """What `gwc eval` shows: the value, or the sorted diagnostics as plain text."""
    if printed.collector.diagnostics:
        return render_all(sorted(printed.collector.diagnostics, key=lambda d: d.sort_key()))
    assert printed.text is not None
    return printed.text


def gwc_eval(path: Path, expression: str | None = None, as_json: bool = False,
             include: Sequence[str] = ()) -> str:
    """`gwc eval PATH [-E EXPRESSION] [--json] [-I DIR...]`, on the deep-stack thread as the CLI runs it."""
    printed = run_deep(lambda: evaluate_to_text(path, expression, as_json, list(include)))
    return rendered(printed)
