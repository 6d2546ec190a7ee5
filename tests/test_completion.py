"""`gwc completion bash|zsh|fish`: the scripts load in their shells and complete commands and names from the sources."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def path_with_gwc(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has a `gwc` running this checkout, as the scripts call `gwc __complete`."""
    folder = tmp_path / "bin"
    folder.mkdir()
    wrapper = folder / "gwc"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m gwlang "$@"\n')
    wrapper.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}


def shell(program: str, script: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([program, "-c", script], capture_output=True, text=True, cwd=ROOT, env=environment,
                          timeout=300)


def bash_completions(words: list[str], environment: dict[str, str]) -> list[str]:
    """What bash offers for the last of `words`, through the function the script registers."""
    quoted = " ".join(f"'{word}'" for word in words)
    done = shell("bash", f'source <(gwc completion bash); COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; '
                         f'COMP_LINE="{" ".join(words)}"; COMP_POINT=${{#COMP_LINE}}; '
                         f"_shtab_gwc gwc '{words[-1]}' '{words[-2]}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                 environment)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_bash_script_loads(path_with_gwc: dict[str, str]) -> None:
    done = shell("bash", "source <(gwc completion bash); complete -p gwc", path_with_gwc)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "complete -o bashdefault -F _shtab_gwc gwc"


def test_bash_completes_commands_options_and_names(path_with_gwc: dict[str, str]) -> None:
    assert bash_completions(["gwc", "co"], path_with_gwc) == ["compile", "console", "completion"]
    assert "--node" in bash_completions(["gwc", "show", "--"], path_with_gwc)
    nodes = bash_completions(["gwc", "show", "sites/tcd.gw", "--node", ""], path_with_gwc)
    assert nodes == ["install", "ce", "se", "ui", "wn01", "wn02", "gw"]
    assert bash_completions(["gwc", "check", "--site", "u"], path_with_gwc) == ["ucc", "ucd"]
    assert bash_completions(["gwc", "doc", "node.vm.m"], path_with_gwc) == ["node.vm.memory", "node.vm.maxmem"]
    assert bash_completions(["gwc", "explain", "sites/tcd.gw", "ce.vm.m"], path_with_gwc) == [
        "ce.vm.memory", "ce.vm.maxmem"]


def test_the_hidden_helper_stays_hidden(path_with_gwc: dict[str, str]) -> None:
    assert "__complete" not in bash_completions(["gwc", "_"], path_with_gwc)
    help_text = subprocess.run([sys.executable, "-m", "gwlang", "--help"], capture_output=True, text=True,
                               cwd=ROOT, timeout=60).stdout
    assert "__complete" not in help_text and "SUPPRESS" not in help_text


def test_the_helper_reads_the_sources_typed_so_far(tmp_path: Path) -> None:
    def names(*words: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gwlang", "__complete", *words], capture_output=True,
                              text=True, cwd=cwd, timeout=120)
    assert names("hosts", "show", "sites/lab.gw").stdout.split() == ["laptop"]
    targets = names("targets", "explain").stdout.split()   # several sites: each path starts with one
    assert "ucd.se.vm.memory" in targets and "tcd.gw.memory" in targets and "ucd.domain" in targets
    sites = names("sites").stdout.split()
    assert sites == sorted(path.stem for path in (ROOT / "sites").glob("*.gw"))
    (tmp_path / "broken.gw").write_text("site x {")
    broken = names("nodes", "show", "broken.gw", cwd=tmp_path)
    assert (broken.returncode, broken.stdout, broken.stderr) == (0, "", "")   # nothing to offer, no noise


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed (./dev test installs it)")
def test_the_zsh_script_registers(path_with_gwc: dict[str, str]) -> None:
    done = shell("zsh", 'autoload -U compinit && compinit -u -D; eval "$(gwc completion zsh)"; '
                        "print -r -- ${_comps[gwc]}; whence -w _gwc_names_nodes", path_with_gwc)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["_shtab_gwc", "_gwc_names_nodes: function"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed (./dev test installs it)")
def test_fish_completes_commands_and_names(path_with_gwc: dict[str, str]) -> None:
    done = shell("fish", 'gwc completion fish | source; complete -C "gwc sh"; echo ---; '
                         'complete -C "gwc show sites/tcd.gw --node w"; echo ---; complete -C "gwc repl --col"',
                 path_with_gwc)
    assert done.returncode == 0, done.stderr
    commands, nodes, options = done.stdout.split("---\n")
    assert commands.splitlines() == ["show\tPrint the fully evaluated site, or one host or node of it."]
    assert [line.split("\t")[0] for line in nodes.splitlines()] == ["wn01", "wn02"]
    assert re.match(r"--color\t", options)


def test_an_unknown_shell_is_a_usage_error() -> None:
    done = subprocess.run([sys.executable, "-m", "gwlang", "completion", "tcsh"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert "invalid choice: 'tcsh'" in done.stderr
