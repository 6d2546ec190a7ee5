"""Shared helpers: run gw sources the way `gwc eval` does and render the outcome as text."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from gwlang.diagnostics import render_all
from gwlang.eval.evaluator import run_deep
from gwlang.session import Printed, evaluate_to_text


@pytest.fixture(autouse=True, scope="session")
def _private_compile_records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`gwc compile` keeps records of what it wrote (gwlang/incremental.py); the suite keeps its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GWLANG_CACHE", str(tmp_path_factory.mktemp("gwlang-cache")))
        yield


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
