"""Evaluation cases: each `tests/cases/eval/<name>.gw` is printed by `gwc eval`, snapshot per case.

A case whose first line is `# output: json` is printed as JSON.  Paths in
diagnostics are relative to `tests/cases`, so snapshots hold no absolute path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import gwc_eval
from syrupy.assertion import SnapshotAssertion

CASES = Path(__file__).resolve().parent / "cases"
EVAL_CASES = sorted((CASES / "eval").glob("*.gw"))


def wants_json(path: Path) -> bool:
    return path.read_text().startswith("# output: json")


@pytest.fixture
def in_cases(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(CASES)
    return CASES


@pytest.mark.parametrize("path", EVAL_CASES, ids=lambda path: path.stem)
def test_eval_case(path: Path, in_cases: Path, snapshot: SnapshotAssertion) -> None:
    output = gwc_eval(path.relative_to(in_cases), as_json=wants_json(path))
    assert str(in_cases) not in output
    assert "Traceback" not in output
    assert output == snapshot


# What users rely on, asserted directly as well as through the snapshots.


def test_infinite_recursion_names_the_chain_with_locations(in_cases: Path) -> None:
    output = gwc_eval(Path("eval/infinite-recursion-attrs.gw"))
    assert "error[E0204]: infinite recursion: `a` needs its own value" in output
    assert "the chain: `a` (eval/infinite-recursion-attrs.gw:2:15) -> `b` (eval/infinite-recursion-attrs.gw:2:24)" \
        " -> `a` (eval/infinite-recursion-attrs.gw:2:15)" in output


def test_infinite_recursion_of_a_let_binding(in_cases: Path) -> None:
    output = gwc_eval(Path("eval/infinite-recursion-let.gw"))
    assert output.startswith("error[E0204]: infinite recursion: `x` needs its own value\n"
                             " --> eval/infinite-recursion-let.gw:2:9")
    assert "RecursionError" not in output


def test_every_independent_error_of_a_set_is_reported(in_cases: Path) -> None:
    output = gwc_eval(Path("eval/multiple-errors.gw"))
    codes = [line.split("]")[0] for line in output.splitlines() if line.startswith("error[")]
    assert codes == ["error[E0202", "error[E0206", "error[E0207", "error[E0206", "error[E0206"]
    assert output.endswith("5 errors")
    assert output.count("error[E0206]: reported once") == 1


def test_unused_throws_are_never_evaluated(in_cases: Path) -> None:
    output = gwc_eval(Path("eval/laziness-unused-throw.gw"))
    assert "error" not in output


def test_deep_recursion_is_a_located_diagnostic(in_cases: Path) -> None:
    output = gwc_eval(Path("eval/deep-recursion.gw"))
    assert output.startswith("error[E0205]: evaluation is too deep\n --> eval/deep-recursion.gw:2:")


def test_declaration_keywords_are_names_in_a_let(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.gw").write_text("let a = 1; site = { name = \"tcd\"; }; in site.name\n")
    assert gwc_eval(Path("a.gw")) == '"tcd"'


def test_keyword_named_let_binding_after_two_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.gw").write_text("let a = 1; b = 2; site = 3; in a + b + site\n")
    assert gwc_eval(Path("a.gw")) == "6"
    # The parser goes back over `site` (a keyword there) more than once: each time the bindings must be as read.
    (tmp_path / "b.gw").write_text("let a = 1; b = 2; c = 3; site = 4; d = 5; node = 6; in [ a b c site d node ]\n")
    assert gwc_eval(Path("b.gw")) == "[ 1 2 3 4 5 6 ]"


def test_builtins_force_only_what_their_result_needs(in_cases: Path) -> None:
    output = gwc_eval(Path("eval/builtins-force-only-what-they-need.gw"))
    assert "error" not in output
    assert "foldl-start = 42;" in output
    assert 'replaceStrings-unused = "AAA";' in output
