"""The committed generated/ folder is exactly what sites/ compiles to (CI's `gwc compile --check`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gwlang.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_generated_folder_is_current(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    status = main(["compile", "sites/", "-o", "generated/", "--check"])
    assert status == 0, "generated/ is stale: run `./dev compile` and commit it\n" + capsys.readouterr().err
