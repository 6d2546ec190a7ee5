"""A newcomer's first mistakes: each `tests/cases/newcomer/<name>.gw` fails, and its diagnostics say how to fix it.

`EXPECTED` gives the codes a case raises and a piece of the help line that
proposes the fix (without which the case would pass as "some error").  The
rendered diagnostics are snapshots, to be read as a newcomer would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.diagnostics import Diagnostic, GwError, render_all
from gwlang.eval.evaluator import run_deep
from gwlang.model.program import load_program

CASES = Path(__file__).resolve().parent / "cases" / "newcomer"
NEWCOMER_CASES = sorted(CASES.glob("*.gw"))

EXPECTED: dict[str, tuple[list[str], str]] = {
    "after-one-name-in-quotes": (["E0401"], "write `after = [ install ];`"),
    "list-append-string": (["E0401"], 'write `packages += [ "emacs" ];`'),
    "list-remove-string": (["E0401"], 'write `packages -= [ "ntp" ];`'),
    "list-set-string": (["E0401"], 'write `packages = [ "emacs" ];`'),
    "misspelt-host": (["E0201"], "did you mean `gw`?"),
    "misspelt-node-in-after": (["E0201"], "did you mean `install`?"),
    "profile-cycle-once": (["E0302"], "remove one of the `extends`"),
    "reference-in-quotes": (["E0401"], "write `host = gw;`: a reference is written without quotes"),
    "reference-in-quotes-in-a-list": (["E0401"], 'write `install` instead of `"install"`'),
    "reference-in-quotes-misspelt": (["E0401"], "without quotes; did you mean `gw`?"),
    "site-cycle-once": (["E0302"], "remove one of the `extends`"),
    "size-unit-letter": (["E0215"], "write `4GiB`"),
    "size-unit-lower-case": (["E0215"], "write `4GiB`"),
    "size-unit-spaced": (["E0215"], "write `4GiB`"),
    "size-without-unit": (["E0401"], "write `512MiB`"),
    "size-without-unit-below-minimum": (["E0401"], "write `4GiB`"),
    "unknown-node-in-after": (["E0201"], "name one of the site's nodes: `install`, `ce`"),
}


def diagnostics_of(name: str) -> list[Diagnostic]:
    """Every diagnostic of compiling and checking the case's site (call from inside the cases folder)."""
    def compile_site() -> list[Diagnostic]:
        try:
            program = load_program([Path(f"{name}.gw")])
            for site in program.sites():
                program.site_model(site, checked=True)
        except GwError as failure:
            return failure.diagnostics
        return []
    return run_deep(compile_site)


def test_every_case_says_what_it_expects() -> None:
    assert sorted(EXPECTED) == sorted(path.stem for path in NEWCOMER_CASES)


@pytest.mark.parametrize("path", NEWCOMER_CASES, ids=lambda path: path.stem)
def test_newcomer_case(path: Path, monkeypatch: pytest.MonkeyPatch, snapshot: SnapshotAssertion) -> None:
    monkeypatch.chdir(CASES)
    codes, fix = EXPECTED[path.stem]
    diagnostics = diagnostics_of(path.stem)
    assert [diagnostic.code for diagnostic in diagnostics] == codes
    assert any(fix in (diagnostic.help or "") for diagnostic in diagnostics), render_all(diagnostics)
    assert render_all(diagnostics) == snapshot


def test_a_misspelt_node_is_not_offered_a_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    (diagnostic,) = diagnostics_of("misspelt-node-in-after")
    assert diagnostic.help == "did you mean `install`?"   # not `tail`, which is as close a spelling
    (diagnostic,) = diagnostics_of("unknown-node-in-after")
    assert "seq" not in (diagnostic.help or "")


def test_a_cycle_met_from_each_member_starts_at_the_first_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    (diagnostic,) = diagnostics_of("profile-cycle-once")
    assert diagnostic.message == "`a` inherits from itself"
    assert diagnostic.notes == ("the cycle: `a` -> `b` -> `c` -> `a`",)


# -- gwc explain: the site prefix only where it is needed, did-you-mean for every part -------------

ROOT = Path(__file__).resolve().parent.parent
TWO_SITES = "tests/cases/explain/two-sites.gw"


def gwc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gwlang", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_explain_needs_no_site_prefix_when_the_sources_declare_one() -> None:
    full = gwc("explain", "sites/tcd.gw", "tcd.ce.vm.memory")
    short = gwc("explain", "sites/tcd.gw", "ce.vm.memory")
    assert full.returncode == 0 and short.returncode == 0, short.stderr
    assert short.stdout == full.stdout
    assert "tcd.ce.vm.memory = " in short.stdout


def test_explain_takes_the_site_from_the_option_when_there_are_several() -> None:
    full = gwc("explain", TWO_SITES, "tcd.ce.vm.memory")
    chosen = gwc("explain", TWO_SITES, "--site", "tcd", "ce.vm.memory")
    assert full.returncode == 0 and chosen.returncode == 0, chosen.stderr
    assert chosen.stdout == full.stdout
    assert "tcd.ce.vm.memory = 2GiB" in chosen.stdout


EXPLAIN_MISTAKES = {
    "misspelt-node": ("sites/tcd.gw", "cee.vm.memory", "did you mean `ce`?"),
    "misspelt-attribute": ("sites/tcd.gw", "ce.vm.memroy", "did you mean `vm.memory`"),
    "misspelt-site": (TWO_SITES, "tcdd.ce.vm.memory", "did you mean `tcd`?"),
    "no-site-among-several": (TWO_SITES, "ce.vm.memory", "choose one with `--site`"),
    "attribute-of-a-size": ("sites/tcd.gw", "ce.vm.memory.bytes", "explain `vm.memory`"),
}


@pytest.mark.parametrize("mistake", sorted(EXPLAIN_MISTAKES))
def test_explain_mistakes_suggest_what_exists(mistake: str, snapshot: SnapshotAssertion) -> None:
    sources, target, fix = EXPLAIN_MISTAKES[mistake]
    done = gwc("explain", sources, target)
    assert done.returncode == 1
    assert fix in done.stderr
    assert done.stderr == snapshot


@pytest.mark.parametrize("command", ["check", "compile"])
def test_a_cycle_of_sites_is_reported_once_for_all_of_them(command: str, tmp_path: Path) -> None:
    output = ["-o", str(tmp_path / "out")] if command == "compile" else []
    done = gwc(command, "tests/cases/newcomer/site-cycle-once.gw", *output)
    assert done.returncode == 1
    assert done.stderr.count("error[E0302]") == 1, done.stderr
