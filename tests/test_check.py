"""`gwc check` finds every error `gwc compile` finds, and writes nothing.

Inputs are the sites the emitters refuse: `tests/cases/emit-errors/*.gw`
(one file per emit code, named after it, and one file of several sites) and
`tests/cases/libvirt/errors/*.gw` (what libvirt would refuse).  For each,
`gwc check FILE` must fail exactly as `gwc compile FILE -o DIR` does: the same
exit status and the same rendered diagnostics, and the compile must leave no
output folder.  The diagnostics of the emit-errors cases are snapshots.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.cli import main

ROOT = Path(__file__).resolve().parent.parent
EMIT_ERRORS = sorted((ROOT / "tests/cases/emit-errors").glob("*.gw"))
LIBVIRT_ERRORS = sorted((ROOT / "tests/cases/libvirt/errors").glob("*.gw"))
CASES = EMIT_ERRORS + LIBVIRT_ERRORS


def _run(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main([*arguments, "--color", "never"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_check_fails_exactly_as_compile_does(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case.parent)         # diagnostics name the file as given: relative, as a user types it
    output = tmp_path / "out"
    compiled = _run(["compile", case.name, "-o", str(output), "-j", "1"], capsys)
    checked = _run(["check", case.name, "-j", "1"], capsys)
    assert compiled[0] == 1, compiled
    assert not output.exists(), "a failing compile writes nothing"
    assert "error[E06" in compiled[2], compiled[2]
    assert checked == compiled


@pytest.mark.parametrize("case", EMIT_ERRORS, ids=[p.stem for p in EMIT_ERRORS])
def test_emit_error_diagnostics(case: Path, snapshot: SnapshotAssertion, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case.parent)
    status, _, err = _run(["check", case.name], capsys)
    assert status == 1
    code = case.stem.split("-")[0]
    assert code == "several" or f"error[{code}]" in err, "the case's file name says which error it shows"
    assert err == snapshot


def test_several_workers_report_what_one_does(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    case = ROOT / "tests/cases/emit-errors/several-sites.gw"
    monkeypatch.chdir(case.parent)
    assert _run(["check", case.name, "-j", "3"], capsys) == _run(["check", case.name, "-j", "1"], capsys)


def test_check_of_good_sites_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("GWLANG_CACHE", str(tmp_path / "cache"))       # no build records either
    status, out, err = _run(["check", str(ROOT / "sites")], capsys)
    assert (status, err) == (0, "")
    assert out.endswith(": no problems\n") and out.startswith("10 sites, ")
    assert list(work.iterdir()) == []
    # The cache folder holds parses (the parse cache) but no build record.
    assert {p.name for p in tmp_path.iterdir()} <= {"work", "cache"}
    assert not (tmp_path / "cache" / "builds").exists()
