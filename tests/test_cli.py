"""The `gwc` command line: output, exit codes, diagnostics formats, help."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gwlang import cli

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gwlang", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_eval_prints_gw_syntax(tmp_path: Path) -> None:
    write(tmp_path, "a.gw", '{ memory = 512MiB; ip = 10.0.0.1; names = [ "ce" "se" ]; }')
    done = run("eval", "a.gw", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{ ip = 10.0.0.1; memory = 512MiB; names = [ "ce" "se" ]; }\n'


def test_eval_json_uses_canonical_strings(tmp_path: Path) -> None:
    write(tmp_path, "a.gw", "{ m = 512MiB; ip = 10.0.0.1; net = 10.0.0.0/24; mac = 00:16:3E:00:00:01; "
                            "v6 = ip \"2001:db8::1\"; n = null; }")
    done = run("eval", "a.gw", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"m": "512MiB", "ip": "10.0.0.1", "net": "10.0.0.0/24",
                                       "mac": "00:16:3e:00:00:01", "v6": "2001:db8::1", "n": None}


def test_expression_in_module_scope(tmp_path: Path) -> None:
    write(tmp_path, "a.gw", "let subnet = 10.1.0.0/16;\nlet gateway = hostIn subnet 1;\n")
    done = run("eval", "a.gw", "-E", "[ gateway subnet.prefix ]", cwd=tmp_path)
    assert done.stdout == "[ 10.1.0.1 16 ]\n", done.stderr


def test_user_error_exits_1_with_a_located_diagnostic(tmp_path: Path) -> None:
    write(tmp_path, "bad.gw", "let memory = 1;\n in memroy + 1")
    done = run("eval", "bad.gw", "--color", "never", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "error[E0201]: undefined variable `memroy`" in done.stderr
    assert " --> bad.gw:2:5" in done.stderr
    assert "2 |  in memroy + 1\n  |     ^^^^^^ not defined here" in done.stderr
    assert "did you mean `memory`?" in done.stderr
    assert "Traceback" not in done.stderr


def test_error_format_json(tmp_path: Path) -> None:
    write(tmp_path, "bad.gw", "{ a = 1GiB < 3; b = { }.c; }")
    done = run("eval", "bad.gw", "--error-format=json", cwd=tmp_path)
    assert done.returncode == 1
    diagnostics = json.loads(done.stdout)
    assert [d["code"] for d in diagnostics] == ["E0208", "E0202"]
    first = diagnostics[0]
    assert first["primary"]["file"] == "bad.gw"
    assert (first["primary"]["line"], first["primary"]["column"]) == (1, 12)
    assert first["secondary"][0]["message"] == "this is a size"


def test_colour_only_when_asked(tmp_path: Path) -> None:
    write(tmp_path, "bad.gw", "x")
    assert "\x1b[" not in run("eval", "bad.gw", cwd=tmp_path).stderr
    assert "\x1b[" in run("eval", "bad.gw", "--color", "always", cwd=tmp_path).stderr


@pytest.mark.parametrize("args", [["eval"], ["eval", "missing.gw"], ["frobnicate"], ["eval", "a.gw", "--bogus"]])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    write(tmp_path, "a.gw", "1")
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("gwc: error:")
    assert "Traceback" not in done.stderr


def test_no_command_prints_help_and_exits_2() -> None:
    done = run()
    assert done.returncode == 2
    assert "eval" in done.stderr


@pytest.mark.parametrize("args", [["--help"], ["eval", "--help"]])
def test_help_shows_examples(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 0
    assert "examples:" in done.stdout
    assert "gwc eval docs/examples/gateway.gw" in done.stdout


def test_internal_fault_exits_70_without_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import gwlang.session

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("simulated fault")

    monkeypatch.setattr(gwlang.session, "evaluate_to_text", broken)
    write(tmp_path, "a.gw", "1")
    assert cli.main(["eval", str(tmp_path / "a.gw")]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: simulated fault" in err
    assert "report" in err and "Traceback" not in err
    assert cli.main(["eval", str(tmp_path / "a.gw"), "--debug"]) == cli.EXIT_INTERNAL
    assert "Traceback" in capsys.readouterr().err


def test_missing_stdlib_is_one_error_not_schema_noise(tmp_path: Path) -> None:
    # Before E0711, a gwc without its stdlib reported six "schema `site` declares no attributes".
    write(tmp_path, "a.gw", "site s { }\n")
    done = subprocess.run([sys.executable, "-m", "gwlang", "check", "a.gw"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, env={**os.environ, "GWLANG_STDLIB": str(tmp_path / "gone")})
    assert done.returncode == 1
    assert done.stderr == (
        "error[E0711]: the standard library is missing\n"
        f"  = note: gwc looks for it in `{tmp_path / 'gone'}`, which does not exist\n"
        "  = help: reinstall gwlang from a wheel or sdist built from the repository (they carry stdlib/), "
        "or set `GWLANG_STDLIB` to a stdlib folder\n")


@pytest.mark.parametrize("command", ["plan", "apply", "status", "destroy", "console"])
def test_runtime_commands_without_the_runtime_extra_say_what_to_install(
        command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # The real missing libvirt-python is tested on an installed wheel (tests/test_install.py); here one of
    # the extra's modules is made a name that no installation has.
    from gwlang.commands import runtime
    monkeypatch.setattr(runtime, "RUNTIME_MODULES", {"libvirt": "libvirt-python", "gw_absent_module": "pycdlib"})
    site = ["sites/tcd.gw", "ce"] if command == "console" else ["sites/tcd.gw"]
    monkeypatch.chdir(ROOT)
    assert cli.main([command, *site]) == cli.EXIT_ERRORS
    assert capsys.readouterr() == ("", f"gwc: error: `gwc {command}` needs the runtime extra (pycdlib is not "
                                       "installed): pip install 'gwlang[runtime]'\n")


def test_graph_image_without_graphviz_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "gwlang", "graph", "sites/tcd.gw", "--format", "svg"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PATH": str(tmp_path)})
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == ("gwc: error: `--format svg` needs Graphviz's `dot` (apt-get install graphviz); "
                           "or use `--format dot` and draw the graph elsewhere\n")


def test_example_of_the_readme_runs() -> None:
    done = run("eval", "docs/examples/gateway.gw", "-E", "memory.fits")
    assert (done.returncode, done.stdout) == (0, "true\n"), done.stderr


@pytest.mark.parametrize("command", ["eval", "compile", "check", "show", "explain", "graph", "doc", "repl",
                                     "completion", "init", "report", "fmt"])
def test_every_command_help_has_examples(command: str) -> None:
    done = run(command, "--help")
    assert done.returncode == 0
    assert "examples:" in done.stdout and f"gwc {command}" in done.stdout


# ---------------------------------------------------------------- the examples of `--help`

# Commands whose examples talk to the site's hosts: the runtime is tested against libvirt in test_runtime.py.
# `gwc lsp` serves an editor on stdin and stdout: tests/test_lsp.py drives it as a client.
NOT_RUN = {"plan", "apply", "status", "console", "destroy", "lsp"}


def _help_examples() -> list[str]:
    """Each `gwc ...` line of the examples of `gwc --help` and of every `gwc COMMAND --help`, command part only."""
    parser = cli.build_parser(complete=True)
    commands = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    epilogs = [parser.epilog or "", *(command.epilog or "" for command in commands[0].choices.values())]
    found = []
    for epilog in epilogs:
        for line in epilog.splitlines():
            if line.startswith("  gwc "):
                found.append(re.split(r"\s{2,}", line.strip(), maxsplit=1)[0])    # before its description
    return sorted(set(found))


HELP_EXAMPLES = _help_examples()
RUN_HERE = [example for example in HELP_EXAMPLES if shlex.split(example)[1] not in NOT_RUN]


@pytest.mark.parametrize("example", RUN_HERE)
def test_every_help_example_runs(example: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """As a user would paste it in the repository's root (a copy of it, where examples write)."""
    words = shlex.split(example)
    redirected = "--format" in words and "dot" not in words
    if redirected and shutil.which("dot") is None:
        pytest.skip("drawing needs Graphviz's `dot`")
    if ">" in words:
        words = words[:words.index(">")]        # the test captures stdout itself
    for folder in ("sites", "docs/examples", "generated"):           # `gwc compile` writes generated/
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))   # `gwc repl FILE` reads its inputs: none
    status = cli.main(words[1:])
    captured = capsys.readouterr()
    assert status == cli.EXIT_OK, captured.err
    assert captured.out or captured.err == ""


def test_the_help_examples_are_found() -> None:
    """The parsing above finds the examples, including those of `gwc eval --help`."""
    assert "gwc eval docs/examples/gateway.gw -E 'map (n: n.ip) (attrValues nodes)' --json" in HELP_EXAMPLES
    assert len(RUN_HERE) >= 15
