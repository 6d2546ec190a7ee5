"""docs/tutorial.md, run step by step in an empty folder.

Blocks ```gw file=PATH``` write a file; blocks ```console``` hold one
command (`$ gwc ...`) and lines its output must contain; `exit=1` marks a
command expected to fail.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

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
        for line in expected:
            assert line in output, f"{command}: expected {line!r} in\n{output}"
