"""docs/tutorial.md, run step by step in an empty folder.

Blocks ```gw file=PATH``` write a file; blocks ```console``` hold one
command (`$ gwc ...`) and its whole output, stdout then stderr, as the
tutorial promises its readers: a line `...` stands for any number of lines
left out, and a line ending in `...` for a line that starts with the rest
(timings).  `exit=1` marks a command expected to fail.  `gwc` runs as this
Python's `-m gwlang`, the checkout's gwlang.
"""

from __future__ import annotations

import difflib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```(gw file=(?P<file>\S+)|console(?P<fail> exit=1)?)\n(?P<body>.*?)^```", re.M | re.S)


def test_the_tutorial_runs_as_written(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "tutorial.md").read_text()
    steps = list(BLOCK.finditer(text))
    assert len(steps) > 10
    for step in steps:
        body = step.group("body")
        if step.group("file"):
            target = tmp_path / step.group("file")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
            continue
        command, *expected = body.splitlines()
        assert command.startswith("$ "), command
        words = shlex.split(command[2:])
        if words[0] == "gwc":
            words = [sys.executable, "-m", "gwlang", *words[1:]]
        done = subprocess.run(words, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        output = done.stdout + done.stderr
        assert done.returncode == (1 if step.group("fail") else 0), f"{command}\n{output}"
        # Blank lines at the end cannot be seen in a rendered block (`gwc graph` prints one).
        lines = output.rstrip("\n").splitlines()
        difference = "\n".join(difflib.unified_diff(expected, lines, "tutorial", "output", lineterm=""))
        assert shown_as(expected, lines), f"{command}: the output is not as shown\n{difference}"


def shown_as(shown: list[str], output: list[str]) -> bool:
    """Whether `output` is what the tutorial shows, with `...` for what it leaves out."""
    if not shown:
        return not output
    first, rest = shown[0], shown[1:]
    if first == "...":
        return any(shown_as(rest, output[start:]) for start in range(len(output) + 1))
    if not output:
        return False
    line = output[0]
    fits = line.startswith(first.removesuffix("...")) if first.endswith("...") else line == first
    return fits and shown_as(rest, output[1:])


@pytest.mark.parametrize(("shown", "output", "fits"), [
    (["a", "b"], ["a", "b"], True),
    (["a"], ["a", "b"], False),                  # a block without `...` is the whole output
    (["a", "...", "d"], ["a", "b", "c", "d"], True),
    (["a", "...", "d"], ["a", "b", "c"], False),
    (["done in ..."], ["done in 0.2s"], True),
    (["done in ..."], ["failed in 0.2s"], False),
    (["..."], [], True),
])
def test_what_the_tutorial_leaves_out_is_marked(shown: list[str], output: list[str], fits: bool) -> None:
    assert shown_as(shown, output) is fits
