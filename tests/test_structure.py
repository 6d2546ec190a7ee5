"""The shape of the package that users feel: what `gwc` imports for a command, and no import cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gwlang"
HEAVY = {"networkx", "jinja2", "libvirt", "pycdlib"}


def imported(*args: str, cwd: Path = ROOT) -> set[str]:
    """The top-level packages a `gwc` command line imports, read from `python -X importtime`."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "gwlang", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines()
            if line.startswith("import time:")}


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["eval", "--help"]])
def test_version_and_help_import_no_compiler(args: list[str]) -> None:
    assert not imported(*args) & (HEAVY | {"lark"})


def test_eval_imports_only_the_front_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GWLANG_CACHE", str(tmp_path / "cache"))     # an empty parse cache: Lark parses
    (tmp_path / "one.gw").write_text("{ a = 1 + 2; }\n")
    packages = imported("eval", "one.gw", cwd=tmp_path)
    assert "lark" in packages          # the test can fail: it sees what eval does import
    assert not packages & HEAVY


def test_eval_of_a_file_in_the_parse_cache_imports_no_lark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GWLANG_CACHE", str(tmp_path / "cache"))
    (tmp_path / "one.gw").write_text("{ a = 1 + 2; }\n")
    imported("eval", "one.gw", cwd=tmp_path)                  # parsed, and kept in the parse cache
    assert not imported("eval", "one.gw", cwd=tmp_path) & (HEAVY | {"lark"})


def test_compile_imports_no_libvirt(tmp_path: Path) -> None:
    packages = imported("check", str(ROOT / "sites" / "tcd.gw"), "-j", "1")
    assert {"networkx", "jinja2"} <= packages
    assert not packages & {"libvirt", "pycdlib"}


# ---------------------------------------------------------------- import cycles

# Lazy imports inside functions that close a cycle, each with its reason.  A new one fails the test.
KNOWN_LAZY_CYCLES = [
    # The evaluator and its operator and attribute-set helpers call into each other (being reshaped by
    # the performance work of issue 9).
    {"gwlang.eval.evaluator", "gwlang.eval.operators"},
    {"gwlang.eval.evaluator", "gwlang.eval.attrs"},
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, everywhere: bool) -> set[str]:
    """The modules a file imports: at module level (not under `if TYPE_CHECKING`), or anywhere."""
    statements = list(ast.walk(tree)) if everywhere else tree.body
    found: set[str] = set()
    for statement in statements:
        if isinstance(statement, ast.Import):
            found |= {alias.name for alias in statement.names}
        elif isinstance(statement, ast.ImportFrom) and statement.module and statement.level == 0:
            found |= {statement.module} | {f"{statement.module}.{alias.name}" for alias in statement.names}
    if everywhere:   # type-only imports are no cycle at run time
        for block in ast.walk(tree):
            if isinstance(block, ast.If) and ast.unparse(block.test).endswith("TYPE_CHECKING"):
                found -= _imports(ast.Module(body=block.body, type_ignores=[]), everywhere=True)
    return found


def import_graph(everywhere: bool) -> networkx.DiGraph[str]:
    files = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: networkx.DiGraph[str] = networkx.DiGraph()
    for module, path in files.items():
        for target in _imports(ast.parse(path.read_text()), everywhere):
            if target in files and target != module:
                graph.add_edge(module, target)
    return graph


def test_no_import_cycle_at_module_level() -> None:
    assert list(networkx.simple_cycles(import_graph(everywhere=False))) == []


def test_no_new_import_cycle_through_lazy_imports() -> None:
    cycles = [set(cycle) for cycle in networkx.simple_cycles(import_graph(everywhere=True))]
    assert [cycle for cycle in cycles if cycle not in KNOWN_LAZY_CYCLES] == []


def test_the_cycle_check_sees_lazy_imports() -> None:
    graph = import_graph(everywhere=True)
    assert graph.has_edge("gwlang.commands.evaluate", "gwlang.session")   # imported inside `command_eval`
    assert not graph.has_edge("gwlang.commands.sites", "gwlang.cli")


# ---------------------------------------------------------------- the table of commands


def test_every_listed_command_registers_itself_with_the_listed_help() -> None:
    """`gwc --help` shows `COMMANDS`' help without importing the commands: it must be what they register."""
    import argparse

    from gwlang import cli
    parser = cli.build_parser(complete=True)
    [commands] = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    registered = {action.dest: action.help for action in commands._choices_actions}
    # A hidden command (no help, e.g. `__complete`) is registered but not listed.
    assert registered == {command.name: command.help for command in cli.COMMANDS if command.help}
    for command in cli.COMMANDS:     # a real parser, not the stub: it has the common options
        assert "--error-format" in commands.choices[command.name].format_help()


def _documented_modules() -> set[str]:
    """Module paths the table of docs/architecture.md names: `a/b/c.py` in full, or `a/b/c.py`, `d.py`, ...
    on one row (the siblings named after the first by their file name)."""
    named: set[str] = set()
    for line in (ROOT / "docs" / "architecture.md").read_text().splitlines():
        if not line.startswith("| `gwlang/"):
            continue
        first_cell = line.split(" | ")[0]
        paths = [part.strip("`, |") for part in first_cell.split("`") if part.strip("`, |")]
        folder = Path(paths[0]).parent
        named.update(path if "/" in path else str(folder / path) for path in paths)
    return named


def test_architecture_names_every_module_and_only_modules_that_exist() -> None:
    # A package's __init__.py is its docstring and re-exports: the modules are what the table describes.
    modules = {str(path.relative_to(ROOT)) for path in (ROOT / "gwlang").rglob("*.py") if path.name != "__init__.py"}
    modules |= {str(path.relative_to(ROOT)) for path in (ROOT / "gwlang").rglob("*.lark")}
    documented = {path for path in _documented_modules()
                  if path.endswith((".py", ".lark")) and not path.endswith("__init__.py")}
    assert sorted(modules - documented) == [], "modules without a row in docs/architecture.md"
    assert sorted(documented - modules) == [], "rows of docs/architecture.md naming no module"
