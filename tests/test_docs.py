"""docs/language.md cannot drift: its worked examples run, and it lists every builtin as the registry has it.

A worked example is a line `EXPR  ==>  RESULT` in a ```gw-example block (an
expression may run over several lines; it ends at the line with `==>`).
RESULT is the value as `gwc eval` prints it, or `error[CODE]` for each diagnostic of a failure.
Every ```gw block is a whole module and must parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import gwc_eval

from gwlang.diagnostics import Source
from gwlang.eval.builtins import REGISTRY, BuiltinSpec
from gwlang.syntax.parser import parse
from tests.support.outer import outer_environment

DOC = Path(__file__).resolve().parent.parent / "docs" / "language.md"
ARROW = "  ==>  "


@dataclass(frozen=True)
class Example:
    line: int
    expression: str
    result: str

    def __str__(self) -> str:
        return f"language.md:{self.line}: {self.expression.splitlines()[0]}"


def fenced_blocks(text: str, language: str) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of every ```language block."""
    blocks: list[tuple[int, list[str]]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() == f"```{language}":
            start = index + 1
            end = lines.index("```", start)
            blocks.append((start + 1, lines[start:end]))
            index = end
        index += 1
    return blocks


def examples_in(text: str) -> list[Example]:
    found: list[Example] = []
    for first_line, lines in fenced_blocks(text, "gw-example"):
        pending: list[str] = []
        for offset, line in enumerate(lines):
            if not pending and not line.strip():
                continue
            if ARROW in line:
                left, _, result = line.partition(ARROW)
                expression = "\n".join([*pending, left])
                found.append(Example(first_line + offset - len(pending), expression, result.strip()))
                pending = []
            else:
                pending.append(line)
        assert not pending, f"language.md:{first_line}: an example without `==>`"
    return found


EXAMPLES = examples_in(DOC.read_text())


def evaluate(expression: str, folder: Path) -> str:
    path = folder / "example.gw"
    path.write_text(expression + "\n")
    return gwc_eval(path)


def check(example_result: str, output: str) -> None:
    """RESULT is a printed value, or `error[CODE]...`: the codes of every diagnostic, in order."""
    if re.fullmatch(r"(error\[E\d{4}\] ?)+", example_result):
        expected = re.findall(r"E\d{4}", example_result)
        assert re.findall(r"^error\[(E\d{4})\]", output, re.MULTILINE) == expected, output
    else:
        assert output == example_result


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) > 150


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_worked_example(example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    check(example.result, evaluate(example.expression, tmp_path))


@pytest.mark.parametrize("first_line, lines", fenced_blocks(DOC.read_text(), "gw"))
def test_gw_blocks_parse(first_line: int, lines: list[str]) -> None:
    parse(Source(f"language.md:{first_line}", "\n".join(lines)))


# ---------------------------------------------------------------- builtins


@dataclass(frozen=True)
class DocumentedBuiltin:
    signature: str
    doc: str
    example: str


def documented_builtins(text: str) -> dict[str, DocumentedBuiltin]:
    """`#### \\`signature\\``, then a one-line doc, then a gw-example block, in the Builtins section."""
    section = re.split(r"^## \d+\. Builtins$", text, maxsplit=1, flags=re.MULTILINE)[1]
    entries = re.findall(r"^#### `([^`]+)`\n\n(.+)\n\n```gw-example\n(.+)\n```$", section, re.MULTILINE)
    return {signature.split()[0]: DocumentedBuiltin(signature, doc, example) for signature, doc, example in entries}


def doc_entry(spec: BuiltinSpec) -> str:
    return f"#### `{spec.signature}`\n\n{spec.doc}\n\n```gw-example\n{spec.example}{ARROW}{spec.result}\n```\n"


def test_every_builtin_is_documented_as_registered() -> None:
    documented = documented_builtins(DOC.read_text())
    missing = [spec for name, spec in REGISTRY.items() if name not in documented]
    assert not missing, "add to the Builtins section of docs/language.md:\n\n" + "\n".join(map(doc_entry, missing))
    assert sorted(set(documented) - set(REGISTRY)) == [], "documented builtins that do not exist"
    for name, spec in REGISTRY.items():
        entry = documented[name]
        assert (entry.signature, entry.doc, entry.example) == \
            (spec.signature, spec.doc, f"{spec.example}{ARROW}{spec.result}"), f"update `{name}`:\n{doc_entry(spec)}"


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=lambda spec: spec.name)
def test_builtin_example_evaluates_as_declared(spec: BuiltinSpec, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert evaluate(spec.example, tmp_path) == spec.result


# ---------------------------------------------------------------- docs/tools.md

TOOLS = DOC.parent / "tools.md"


@dataclass(frozen=True)
class Session:
    """A ```console block: `$ ` commands run in one shell, and the output they print together."""
    line: int
    commands: list[str]
    output: str
    empty_folder: bool

    def __str__(self) -> str:
        return f"tools.md:{self.line}: {self.commands[0][:60]}"


def console_sessions(text: str) -> list[Session]:
    sessions = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("```console"):
            end = lines.index("```", index + 1)
            body = lines[index + 1:end]
            commands = [entry[2:] for entry in body if entry.startswith("$ ")]
            output = "".join(entry + "\n" for entry in body if not entry.startswith("$ "))
            sessions.append(Session(index + 2, commands, output, "empty-folder" in line))
    return sessions


def expected_pattern(output: str) -> str:
    """The output as a regular expression: `...` alone on a line stands for any lines, inside one for any text."""
    parts = []
    for line in output.splitlines():
        parts.append(r"(?:[^\n]*\n)*?" if line == "..." else re.escape(line).replace(r"\.\.\.", "[^\n]*") + "\n")
    return "".join(parts)


SESSIONS = console_sessions(TOOLS.read_text())


def test_the_tools_page_has_an_example_per_tool() -> None:
    commands = " ".join(command for session in SESSIONS for command in session.commands)
    for tool in ("gwc doc", "gwc repl", "gwc completion", "gwc init"):
        assert tool in commands, tool


@pytest.mark.parametrize("session", SESSIONS, ids=str)
def test_tools_example(session: Session, tmp_path: Path) -> None:
    """As a user would type them: `gwc` and `pytest` on PATH, from the root or an empty folder."""
    import os
    import subprocess
    import sys
    root = DOC.parent.parent
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, module in (("gwc", "gwlang"), ("pytest", "pytest")):
        (folder / name).write_text(f'#!/bin/sh\nexec {sys.executable} -m {module} "$@"\n')
        (folder / name).chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    environment = outer_environment(PATH=f"{folder}:{os.environ['PATH']}", PYTHONPATH=str(root), NO_COLOR="1")
    done = subprocess.run(["bash", "-c", "exec 2>&1\n" + "\n".join(session.commands)], capture_output=True,
                          text=True, cwd=work if session.empty_folder else root, env=environment, timeout=600)
    assert re.fullmatch(expected_pattern(session.output), done.stdout), done.stdout
