"""Recompiling only the sites whose inputs changed since the last compile into the same folder.

A site's output is a function of its inputs: the compiler's own code, the
site's name, and the text (and name) of every module it can see: the file
that declares it, that file's imports transitively, the stdlib prelude and
every module that declares a schema (schemas are global).  Their digest is
the site's *fingerprint*.  After a compile, the record of the output folder
keeps, per site, the fingerprint, the files written with their stat
signature (size, modification time, inode: the files are hard links the
writer keeps when content is unchanged), the node count and the MACs for
the check across sites.

Next time, a site whose fingerprint is the same and whose files on disk
still carry the recorded signatures is not evaluated at all: the writer
keeps its files as they are.  Anything else (a touched file, a new
compiler, a missing record) compiles the site.  Records live outside the
output folder, in `~/.cache/gwlang/builds/` (`GWLANG_CACHE` moves it), so
a committed `generated/` holds no machine state; a clean checkout simply
compiles everything.  `gwc compile --no-cache` ignores them.

Records are pruned so that the folder does not grow forever: at most once a
day, a compile that saves its record drops the records of output folders
that no longer exist, records no compile has written for `UNUSED_DAYS`, and
unreadable ones.  Losing a record only costs one full compile of its folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gwlang.eval.modules import LoadedModule
from gwlang.eval.values import Declaration
from gwlang.model.program import Program
from gwlang.syntax import ast

RECORD_FORMAT = 2
PACKAGE = Path(__file__).resolve().parent
UNUSED_DAYS = 30                # a record no compile has written for this long is dropped
PRUNE_EVERY = 24 * 3600         # seconds between two prunings of the records (each reads every record)
DAY = 24 * 3600

Signature = tuple[int, int, int]        # size, mtime_ns, inode


@dataclass(frozen=True)
class SiteRecord:
    """What one site's last compile into a folder produced, and from what."""
    fingerprint: str
    files: Mapping[str, Signature]      # paths relative to the output folder
    nodes: int
    macs: tuple[str, ...]               # `MacEntry.encode()` of each


@lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """A digest of gwlang's own code and templates: a new compiler recompiles everything."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2", ".lark"):
            digest.update(str(path.relative_to(PACKAGE)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def site_fingerprint(program: Program, site: Declaration) -> str:
    index = _index(program)
    digest = hashlib.sha256(f"{RECORD_FORMAT}\0{compiler_fingerprint()}\0{site.name}\0{os.getcwd()}".encode())
    for module in sorted(site_modules(program, site), key=lambda m: str(m.path)):
        digest.update(f"\0{module.path}\0{module.source.name}\0".encode())
        digest.update(index.text_digest(module))
    return digest.hexdigest()


def site_modules(program: Program, site: Declaration) -> list[LoadedModule]:
    """Every module the site can see: its own, its imports transitively, the prelude and schema modules."""
    index = _index(program)
    declaring = index.declaring.get(id(site.node))
    roots = [declaring, *index.schemas] if declaring is not None else list(index.schemas)
    seen: dict[int, LoadedModule] = {}
    pending = list(roots)
    while pending:
        module = pending.pop()
        if id(module) not in seen:
            seen[id(module)] = module
            pending.extend(module.dependencies.values())
    return list(seen.values())


class _ModuleIndex:
    """What every site's fingerprint asks of the program, found once: a thousand sites, not a million scans."""

    def __init__(self, program: Program) -> None:
        self.declaring = {id(item): module for module in program.inputs for item in module.module.items
                          if isinstance(item, ast.SiteDecl)}
        self.schemas = [module for module in program.session.loader.modules.values()
                        if any(isinstance(item, ast.SchemaDecl) for item in module.module.items)]
        self.digests: dict[int, bytes] = {}

    def text_digest(self, module: LoadedModule) -> bytes:
        found = self.digests.get(id(module))
        if found is None:
            found = self.digests[id(module)] = hashlib.sha256(
                module.source.text.encode("utf-8", "surrogatepass")).digest()
        return found


_last_index: list[tuple[Program, _ModuleIndex]] = []     # the program of the current compile, and its index


def _index(program: Program) -> _ModuleIndex:
    if not _last_index or _last_index[0][0] is not program:
        _last_index[:] = [(program, _ModuleIndex(program))]
    return _last_index[0][1]


# ---------------------------------------------------------------- the record of an output folder

def builds_folder() -> Path:
    root = Path(os.environ.get("GWLANG_CACHE") or Path.home() / ".cache" / "gwlang")
    return root / "builds"


def record_path(output: Path) -> Path:
    key = hashlib.sha256(str(output.resolve()).encode()).hexdigest()[:32]
    return builds_folder() / f"{key}.json"


def load_records(output: Path) -> dict[str, SiteRecord]:
    """The sites recorded for `output`; an unreadable or foreign record is no record."""
    try:
        data = json.loads(record_path(output).read_text(encoding="utf-8"))
        if data.get("format") != RECORD_FORMAT or data.get("output") != str(output.resolve()):
            return {}
        return {name: SiteRecord(entry["fingerprint"], {p: tuple(s) for p, s in entry["files"].items()},
                                 entry["nodes"], tuple(entry["macs"]))
                for name, entry in data["sites"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save_records(output: Path, records: Mapping[str, SiteRecord]) -> None:
    """Written atomically; a failure to write it only costs the next compile its shortcut."""
    path = record_path(output)
    data = {"format": RECORD_FORMAT, "output": str(output.resolve()),
            "sites": {name: {"fingerprint": r.fingerprint, "files": {p: list(s) for p, s in r.files.items()},
                             "nodes": r.nodes, "macs": list(r.macs)} for name, r in sorted(records.items())}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)
        prune_records_now_and_then()
    except OSError:
        pass


def prune_records_now_and_then() -> None:
    """`prune_records` at most once every `PRUNE_EVERY` seconds, as a stamp file's time says."""
    stamp = builds_folder() / ".pruned"
    try:
        if time.time() - stamp.stat().st_mtime < PRUNE_EVERY:
            return
    except OSError:
        pass                    # no stamp yet: prune now
    prune_records()
    stamp.touch()


def prune_records(now: float | None = None) -> list[Path]:
    """Drop the records nothing will read again; returns them.

    A record is dropped when its output folder is gone (a deleted checkout,
    a temporary folder), when no compile has written it for `UNUSED_DAYS`
    (its modification time: every successful compile into the folder
    rewrites it), or when it cannot be read at all.  A record of another
    `RECORD_FORMAT` (an older or newer gwc sharing the cache) is judged by
    the same rules, not dropped for its format.  Temporary files of writes
    that were interrupted go after a day.
    """
    now = time.time() if now is None else now
    dropped = []
    for path in sorted(builds_folder().glob("*")):
        try:
            age = now - path.stat().st_mtime
            if path.name.endswith(".tmp"):
                stale = age > DAY
            elif path.suffix == ".json":
                stale = age > UNUSED_DAYS * DAY or not _output_exists(path)
            else:
                stale = False
            if stale:
                path.unlink()
                dropped.append(path)
        except OSError:
            continue            # another compile got there first, or the folder is read-only: no harm
    return dropped


def _output_exists(record: Path) -> bool:
    try:
        output = json.loads(record.read_text(encoding="utf-8")).get("output")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return False
    return isinstance(output, str) and Path(output).is_dir()


def signature(path: Path) -> Signature | None:
    try:
        status = path.lstat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns, status.st_ino


def signatures(output: Path, files: Iterable[str]) -> dict[str, Signature]:
    found = {relative: signature(output / relative) for relative in files}
    return {relative: sig for relative, sig in found.items() if sig is not None}


def still_valid(output: Path, record: SiteRecord, fingerprint: str) -> bool:
    """Same inputs, and every file still exactly as the compile left it."""
    return record.fingerprint == fingerprint and all(
        signature(output / relative) == sig for relative, sig in record.files.items())
