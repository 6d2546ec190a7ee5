"""The parse cache (gwlang/syntax/parse_cache.py): a cached AST is the fresh one, and no cache entry, however
damaged or foreign, and no cache folder, however unusable, changes what a command does."""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from gwlang.diagnostics import GwError, Source, Span, render_all
from gwlang.eval.evaluator import Evaluator
from gwlang.eval.modules import ModuleLoader, SearchPath
from gwlang.syntax import ast, parse_cache
from gwlang.syntax.nodes import Node

ROOT = Path(__file__).resolve().parent.parent
REPO_SOURCES = sorted(p for p in ROOT.rglob("*.gw") if not {".git", ".venv", "generated"} & set(p.parts))

ONE = "rec { a = 1 + 2; b = \"x${toString a}\"; c = [ 10.0.0.1 00:16:3e:00:00:01 512MiB ]; }\n"
ONE_PRINTED = '{ a = 3; b = "x3"; c = [ 10.0.0.1 00:16:3e:00:00:01 512MiB ]; }\n'


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own (for this process and the `gwc` it runs)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GWLANG_CACHE", str(folder))
    return folder


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "parses").glob("*.ast")) if (cache / "parses").is_dir() else []


def gwc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gwlang", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def loaded(path: Path, text: str | None = None) -> tuple[Source, ast.Module]:
    """What module loading makes of a file: its source and AST (through the parse cache)."""
    loader = ModuleLoader(SearchPath.build(project=path.parent), Evaluator({}))
    return loader.parse_text(path.resolve(), path.read_text(encoding="utf-8") if text is None else text)


def everything(value: Any, source: Source) -> Any:
    """A node with every field, spans and the fields equality leaves out included; a span not on
    `source` shows as such."""
    if isinstance(value, Span):
        return ("span", value.start, value.end, value.source is source)
    if isinstance(value, Node):
        return (type(value).__name__, *[(f.name, everything(getattr(value, f.name), source))
                                        for f in dataclasses.fields(value)])
    if isinstance(value, tuple):
        return tuple(everything(item, source) for item in value)
    assert value is None or type(value) in (str, int, bool), type(value)
    return value


# ---------------------------------------------------------------- a cached AST is the fresh one


def test_every_source_of_the_repository_reads_back_from_the_cache_as_parsed(cache: Path) -> None:
    assert len(REPO_SOURCES) > 200
    for path in REPO_SOURCES:
        before = set(entries(cache))
        try:
            source, fresh = loaded(path)
        except GwError as failure:
            # A file with a syntax error is never kept: it fails the same way again, from the parser.
            assert set(entries(cache)) == before, path
            with pytest.raises(GwError) as again:
                loaded(path)
            assert render_all(again.value.diagnostics) == render_all(failure.diagnostics), path
            continue
        [entry] = set(entries(cache)) - before or [e for e in before if _same_text(e, source)]
        written = entry.stat().st_ino
        source_again, cached = loaded(path)
        assert entry.stat().st_ino == written, f"{path}: parsed again, not read from the cache"
        assert cached == fresh
        assert everything(cached, source_again) == everything(fresh, source), path
    assert len(entries(cache)) > 150


def _same_text(entry: Path, source: Source) -> bool:
    """A file whose text an earlier file had: its entry is that file's."""
    return entry.read_bytes().startswith(_header(source.text))


def test_spans_of_a_cached_ast_name_the_file_being_loaded(cache: Path, tmp_path: Path) -> None:
    """The same text in two files is one entry; each file's spans are its own (diagnostics name it)."""
    (tmp_path / "a.gw").write_text(ONE)
    (tmp_path / "b.gw").write_text(ONE)
    first, _ = loaded(tmp_path / "a.gw")
    second, module = loaded(tmp_path / "b.gw")
    assert len(entries(cache)) == 1
    assert first.name != second.name
    first_again, module_again = loaded(tmp_path / "a.gw")
    assert everything(module, second) == everything(module_again, first_again)
    assert module.span.source is second and module.span.location.startswith(second.name)


def test_diagnostics_and_explanations_from_cached_asts_are_the_fresh_ones(cache: Path, tmp_path: Path) -> None:
    (tmp_path / "wrong.gw").write_text("{\n  a = 1 + \"x\";\n  b = 2 - true;\n}\n")
    failed = [gwc("eval", "wrong.gw", cwd=tmp_path) for _ in range(2)]
    assert failed[0].returncode == 1 and "wrong.gw:2:" in failed[0].stderr and "wrong.gw:3:" in failed[0].stderr
    assert failed[1].stderr == failed[0].stderr and len(entries(cache)) == 1
    explained = [gwc("explain", str(ROOT / "sites" / "tcd.gw"), "tcd.ce.packages", cwd=ROOT) for _ in range(2)]
    assert explained[0].returncode == 0, explained[0].stderr
    assert "<stdlib>/grid/roles.gw:49:3" in explained[0].stdout
    assert explained[1].stdout == explained[0].stdout


def test_a_file_with_a_syntax_error_is_never_kept(cache: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.gw").write_text("{ a = 1 }\n")
    runs = [gwc("eval", "bad.gw", cwd=tmp_path) for _ in range(2)]
    assert runs[0].returncode == 1 and "error[E01" in runs[0].stderr
    assert runs[1].stderr == runs[0].stderr
    assert entries(cache) == []


# ---------------------------------------------------------------- damaged, foreign and unusable caches


def _header(text: str) -> bytes:
    version = parse_cache.front_end_version()
    assert version is not None
    return parse_cache.FORMAT + version + parse_cache._key(text).text   # type: ignore[union-attr]


class _Payload:
    """What a hostile entry would hold: a call of `os.system` when unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def _damages(tmp_path: Path) -> dict[str, Any]:
    """Each way of spoiling a good entry: a function of its bytes."""
    def signed(payload: bytes) -> Any:
        return lambda data: _header(ONE) + zlib.crc32(payload).to_bytes(4, "big") + payload
    return {
        "empty": lambda data: b"",
        "truncated": lambda data: data[: len(data) // 2],
        "header only": lambda data: data[: len(_header(ONE)) + 4],
        "a flipped bit": lambda data: data[:-20] + bytes([data[-20] ^ 1]) + data[-19:],
        "garbage": lambda data: os.urandom(len(data)),
        "another front end": lambda data: parse_cache.FORMAT + bytes(32) + data[len(parse_cache.FORMAT) + 32:],
        "another text's digest": lambda data: data[: len(parse_cache.FORMAT) + 32] + bytes(32)
        + data[len(parse_cache.FORMAT) + 64:],
        "not a module": signed(pickle.dumps(ast.IntLit(1, Span(Source("x", "1"), 0, 1)))),
        "a list": signed(pickle.dumps([1, 2, 3])),
        "code": signed(pickle.dumps(_Payload(tmp_path / "pwned"))),
        "a directory": None,
    }


@pytest.mark.parametrize("damage", list(_damages(Path())))
def test_a_damaged_or_foreign_entry_is_a_miss_and_is_replaced(cache: Path, tmp_path: Path, damage: str) -> None:
    (tmp_path / "one.gw").write_text(ONE)
    assert gwc("eval", "one.gw", cwd=tmp_path).stdout == ONE_PRINTED
    [entry] = entries(cache)
    spoil = _damages(tmp_path)[damage]
    if spoil is None:
        entry.unlink()
        (entry / "inside").mkdir(parents=True)
    else:
        entry.write_bytes(spoil(entry.read_bytes()))
    run = gwc("eval", "one.gw", cwd=tmp_path)
    assert (run.returncode, run.stdout, run.stderr) == (0, ONE_PRINTED, "")
    assert not (tmp_path / "pwned").exists()
    if spoil is not None:      # parsed again, and kept again: the next run reads it
        assert entry.read_bytes().startswith(_header(ONE))
        assert gwc("eval", "one.gw", cwd=tmp_path).stdout == ONE_PRINTED


@pytest.mark.parametrize("place", ["under a file", "in /proc"])
def test_an_unusable_cache_folder_fails_no_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   place: str) -> None:
    """Root may write anywhere it has a folder: a cache under a plain file, or in /proc, cannot be made."""
    (tmp_path / "file").write_text("")
    folder = tmp_path / "file" / "cache" if place == "under a file" else Path("/proc/gwlang-cache")
    monkeypatch.setenv("GWLANG_CACHE", str(folder))
    (tmp_path / "one.gw").write_text(ONE)
    for _ in range(2):
        run = gwc("eval", "one.gw", cwd=tmp_path)
        assert (run.returncode, run.stdout, run.stderr) == (0, ONE_PRINTED, "")
    compiled = gwc("check", str(ROOT / "sites" / "tcd.gw"), cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stderr
    assert not folder.exists()


def test_a_read_only_entry_folder_is_read(cache: Path, tmp_path: Path) -> None:
    """Entries made by someone else and shared read-only: read, never rewritten."""
    (tmp_path / "one.gw").write_text(ONE)
    gwc("eval", "one.gw", cwd=tmp_path)
    [entry] = entries(cache)
    entry.chmod(0o444)
    written = entry.stat().st_ino
    assert gwc("eval", "one.gw", cwd=tmp_path).stdout == ONE_PRINTED
    assert entry.stat().st_ino == written


# ---------------------------------------------------------------- pruning


def test_pruning_drops_unused_entries_the_oldest_beyond_the_limit_and_stale_temporaries(tmp_path: Path) -> None:
    folder = tmp_path / "parses"
    folder.mkdir()
    now = time.time()
    ages = {"fresh.ast": 0, "week.ast": 7, "month.ast": 31, "a.ast.1.2.tmp": 2, "b.ast.1.3.tmp": 0}
    for name, days in ages.items():
        (folder / name).write_bytes(b"x")
        os.utime(folder / name, (now - days * 86400, now - days * 86400))
    dropped = parse_cache.prune(folder, now)
    assert sorted(p.name for p in dropped) == ["a.ast.1.2.tmp", "month.ast"]
    assert parse_cache.prune(folder, now, limit=1) == [folder / "week.ast"]
    assert sorted(p.name for p in folder.iterdir()) == ["b.ast.1.3.tmp", "fresh.ast"]


def test_a_compile_prunes_the_parse_cache_once_a_day(cache: Path, tmp_path: Path) -> None:
    (tmp_path / "one.gw").write_text(ONE)
    old = cache / "parses" / ("0" * 64 + ".ast")
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x")
    os.utime(old, (time.time() - 40 * 86400, time.time() - 40 * 86400))
    gwc("eval", "one.gw", cwd=tmp_path)
    assert not old.exists() and (cache / "parses" / ".pruned").exists()


def test_an_entry_read_is_kept_alive(cache: Path, tmp_path: Path) -> None:
    (tmp_path / "one.gw").write_text(ONE)
    gwc("eval", "one.gw", cwd=tmp_path)
    [entry] = entries(cache)
    long_ago = time.time() - 20 * 86400
    os.utime(entry, (long_ago, long_ago))
    gwc("eval", "one.gw", cwd=tmp_path)
    assert entry.stat().st_mtime > long_ago + 86400


# ---------------------------------------------------------------- the node classes


def test_node_classes_read_as_the_dataclasses_they_were() -> None:
    here, there = Span(Source("a", "1 + 2"), 0, 5), Span(Source("b", "\n1 + 2"), 1, 6)
    one = ast.BinOp("+", ast.IntLit(1, here), ast.IntLit(2, here), here, here)
    same = ast.BinOp("+", ast.IntLit(1, there), ast.IntLit(2, there), there, there)
    assert one == same and hash(one) == hash(same)            # spans take no part in equality
    assert one != ast.BinOp("-", one.left, one.right, here, here)
    assert ast.Str(("a",), True, here) == ast.Str(("a",), False, there)
    assert ast.IntLit(1, here) != ast.SizeLit("1", 1, here)
    assert repr(one) == "BinOp(op='+', left=IntLit(value=1), right=IntLit(value=2))"
    assert dataclasses.is_dataclass(one)
    assert [f.name for f in dataclasses.fields(one)] == ["op", "left", "right", "span", "op_span"]
    assert ast.Module((), None, here).imports == ()
    match one:
        case ast.BinOp(op, ast.IntLit(left), ast.IntLit(value=right)):
            assert (op, left, right) == ("+", 1, 2)
        case _:
            pytest.fail("no match")
    with pytest.raises(AttributeError):
        one.extra = 1  # type: ignore[attr-defined]
