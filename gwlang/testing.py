"""Snapshot testing of compiled sites, for site authors' own repositories.

Installed with gwlang as a pytest plugin (the `gw_bundle` fixture), so a
repository of `.gw` sites can keep reviewable snapshots of everything its
sites compile to, with syrupy:

    def test_tcd(gw_bundle, snapshot):
        assert gw_bundle("sites/tcd.gw") == snapshot

A bundle is one text per site: every generated file, in path order, under
a header line, so a change to a shared profile shows exactly which files of
which sites it changes.  Compilation happens in memory; nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from gwlang.diagnostics import GwError, render_all
from gwlang.eval.evaluator import run_deep
from gwlang.pipeline import compile_sources

HEADER = "=" * 20


class CompileFailed(AssertionError):
    """The sources have errors; the message is the rendered diagnostics."""


def bundle(sources: Sequence[Path | str] | Path | str, site: str | None = None,
           include: Sequence[str] = ()) -> str:
    """Every file of the compiled site(s) as one reviewable text."""
    paths = [sources] if isinstance(sources, str | Path) else list(sources)
    try:
        compiled = run_deep(lambda: compile_sources(paths, include, site))
    except GwError as failure:
        raise CompileFailed(render_all(failure.diagnostics)) from None
    parts = []
    for _, artifacts in compiled:
        for artifact in artifacts:
            parts.append(f"{HEADER} {artifact.path} ({artifact.kind}) {HEADER}\n{artifact.text}")
    return "".join(part if part.endswith("\n") else part + "\n" for part in parts)


@pytest.fixture
def gw_bundle() -> Callable[..., str]:
    """`gw_bundle(path_or_paths, site=None, include=())`: the compiled files as one text."""
    return bundle
