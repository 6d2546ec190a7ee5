"""Hostile input: sources, paths and folders meant to make gwc hang, fill the memory or read what it should not.

Each is a diagnostic (or, for the command line and the environment, a usage
error): numbers, lists, strings and node families past their bounds
(E0230, E0231), a program holding too much at once (E0232, run in a
subprocess with a small `GWC_MEMORY_LIMIT`), import paths no file system
accepts (E0233), a `.gw` symlink leading out of a scanned folder (E0234).
The last test runs a few hundred inputs of bench/fuzz_inputs.py.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import gwc_eval
from syrupy.assertion import SnapshotAssertion

from gwlang.cli import main as gwc

TESTS = Path(__file__).resolve().parent
CASES = TESTS / "cases"
HOSTILE = CASES / "hostile"
EVAL_CASES = ["list-blowups", "string-blowups", "number-blowups"]


@pytest.fixture
def in_cases(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(CASES)
    return CASES


def run_gwc(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`gwc ARGV` in this process: its exit status and what it wrote to stderr."""
    status = gwc(argv)
    return status, capsys.readouterr().err


def run_gwc_process(argv: list[str], limit: str) -> tuple[int, str, float]:
    """`gwc ARGV` in a process of its own with `GWC_MEMORY_LIMIT=limit`: status, stderr, seconds."""
    environment = {**os.environ, "GWC_MEMORY_LIMIT": limit, "PYTHONPATH": str(TESTS.parent)}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "gwlang", *argv], cwd=CASES, env=environment,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stderr, time.monotonic() - started


# ---------------------------------------------------------------- bounds


@pytest.mark.parametrize("name", EVAL_CASES)
def test_values_past_their_bounds_are_refused(name: str, in_cases: Path, snapshot: SnapshotAssertion) -> None:
    started = time.monotonic()
    output = gwc_eval(Path("hostile") / f"{name}.gw")
    assert time.monotonic() - started < 30
    assert "error[E0231]" in output
    assert output == snapshot


def test_a_family_of_ten_billion_nodes_is_refused_when_read(in_cases: Path, capsys: pytest.CaptureFixture[str],
                                                            snapshot: SnapshotAssertion) -> None:
    started = time.monotonic()
    status, errors = run_gwc(["check", "hostile/family-too-large.gw"], capsys)
    assert (status, time.monotonic() - started < 10) == (1, True)
    assert "error[E0230]: this node family is too large" in errors
    assert errors == snapshot


def test_overlay_paths_no_file_system_takes_are_diagnostics(in_cases: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str],
                                                            snapshot: SnapshotAssertion) -> None:
    status, errors = run_gwc(["compile", "hostile/files-path-hostile.gw", "-o", str(tmp_path / "out"),
                              "--no-cache"], capsys)
    assert status == 1
    assert errors.count("error[E0620]") == 3
    assert errors == snapshot


@pytest.mark.parametrize("argv", [["eval", "hostile/memory-many-lists.gw"],
                                  ["check", "hostile/family-huge-data.gw"]], ids=["lists", "family"])
def test_the_memory_guard_ends_a_run_holding_too_much(argv: list[str]) -> None:
    # No snapshot: where the guard's exception lands (so which location is shown) depends on timing.
    status, errors, seconds = run_gwc_process(argv, "300MiB")
    assert status == 1, errors
    assert seconds < 60
    assert errors.startswith("error[E0232]: evaluation ran out of memory")
    assert "= note: an evaluation may take at most 300 MiB (set GWC_MEMORY_LIMIT to change it)" in errors
    assert "Traceback" not in errors and "internal error" not in errors


# ---------------------------------------------------------------- paths


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GWPATH", raising=False)
    (tmp_path / "loop-a").symlink_to("loop-b")
    (tmp_path / "loop-b").symlink_to("loop-a")
    return tmp_path


IMPORTS = {
    "nul": 'import "./a\0b.gw";\n',
    "long-relative": f'import "./{"a" * 5000}.gw";\n',
    "long-name": f'let x = import "./{"b" * 300}.gw"; in x\n',
    "long-search": f'import <{"a/" * 3000}x.gw>;\n',
    "symlink-loop": 'import "./loop-a";\n',
}


@pytest.mark.parametrize("name", IMPORTS)
def test_unusable_import_paths_are_diagnostics_at_the_import(name: str, project: Path, snapshot: SnapshotAssertion,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (project / f"{name}.gw").write_text(IMPORTS[name])
    status, errors = run_gwc(["eval", f"{name}.gw"], capsys)
    assert status == 1
    assert "error[E0233]" in errors
    assert "\0" not in errors.split("\n")[0]
    assert errors == snapshot


LONG = "c" * 5000


@pytest.mark.parametrize(("argv", "gwpath", "message"), [
    (["eval", LONG], None, f"the file `{LONG[:40]}...{LONG[-17:]}` is 5,000 bytes long"),
    (["check", LONG], None, "the source `c"),
    (["eval", "-I", LONG, "one.gw"], None, "the `-I` folder `c"),
    (["eval", "-I", "loop-a", "one.gw"], None, "the `-I` folder `loop-a` cannot be resolved: it is a symlink loop"),
    (["eval", "one.gw"], f"ok:{LONG}", "the `GWPATH` folder `c"),
    (["eval", "one.gw"], "loop-a", "the `GWPATH` folder `loop-a` cannot be resolved: it is a symlink loop"),
    (["compile", "one.gw", "-o", LONG], None, "the output folder `c"),
    (["compile", "one.gw", "-o", "loop-a"], None, "the output folder `loop-a` cannot be resolved"),
], ids=["eval-file", "check-source", "include", "include-loop", "gwpath", "gwpath-loop", "output", "output-loop"])
def test_unusable_paths_of_the_command_line_are_usage_errors(argv: list[str], gwpath: str | None, message: str,
                                                             project: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (project / "one.gw").write_text("1\n")
    if gwpath is not None:
        monkeypatch.setenv("GWPATH", gwpath)
    status, errors = run_gwc(argv, capsys)
    assert status == 2, errors
    assert errors.startswith(f"gwc: error: {message}")
    assert "internal error" not in errors


# ---------------------------------------------------------------- symlinks in a folder of sources


SECRET = "root:x:0:0:secret-line:/root:/bin/bash\n"  # as /etc/passwd reads: not gw


@pytest.fixture
def linked_folder(project: Path) -> Path:
    """`sites/` with a link to a file outside it, a link to a file inside it, and that file."""
    (project / "secret.gw").write_text(SECRET)
    sites = project / "sites"
    (sites / "lib").mkdir(parents=True)
    (sites / "lib" / "value.gw").write_text("let answer = 42;\n")
    (sites / "inside.gw").symlink_to(Path("lib") / "value.gw")
    (sites / "outside.gw").symlink_to(project / "secret.gw")
    return sites


def test_a_link_out_of_a_scanned_folder_is_not_read(linked_folder: Path, capsys: pytest.CaptureFixture[str],
                                                    snapshot: SnapshotAssertion) -> None:
    status, errors = run_gwc(["check", "sites"], capsys)
    assert status == 1
    assert "secret-line" not in errors
    assert errors == snapshot


def test_links_inside_a_scanned_folder_are_read(linked_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (linked_folder / "outside.gw").unlink()
    status, errors = run_gwc(["check", "sites"], capsys)
    assert (status, errors) == (0, "")


def test_a_link_named_on_the_command_line_is_read(linked_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, errors = run_gwc(["check", "sites", "sites/outside.gw"], capsys)
    assert status == 1
    assert "secret-line" in errors  # the user chose the file: its syntax error is shown like any other


# ---------------------------------------------------------------- fuzzing


def test_a_few_hundred_mutated_inputs_are_never_a_fault_or_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("fuzz_inputs", TESTS.parent / "bench" / "fuzz_inputs.py")
    assert spec is not None and spec.loader is not None
    fuzz_inputs = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "fuzz_inputs", fuzz_inputs)  # its dataclasses look themselves up there
    spec.loader.exec_module(fuzz_inputs)
    monkeypatch.setenv("GWC_MEMORY_LIMIT", "2GiB")
    tally = fuzz_inputs.fuzz(300, seed=13, seconds=10.0, site_share=0.02)
    faults = "\n".join(trace for _, trace in tally.faults[:3])
    assert tally.outcomes["internal"] == 0, faults
    assert tally.outcomes["hang"] == 0
    assert sum(tally.outcomes.values()) == 300


def test_unique_of_a_million_elements_ends_in_seconds(in_cases: Path) -> None:
    # It compared each element with every earlier one: hours for a mistyped range.
    started = time.monotonic()
    output = gwc_eval(Path("hostile") / "list-blowups.gw",
                      "[ (length (unique (range 1 1000000))) (unique [ 1 true 1 \"1\" [ 1 ] [ 1 ] 1MiB 1MiB ]) ]")
    assert output == '[ 1000000 [ 1 true "1" [ 1 ] 1MiB ] ]'
    assert time.monotonic() - started < 20
