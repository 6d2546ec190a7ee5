"""Recompiling only the sites whose inputs changed since the last compile into the same folder.

A site's output is a function of its inputs: the compiler's own code, the
site's name, the working directory, and the text (and name) of every module
it can see: the file that declares it, that file's imports transitively,
the stdlib prelude and every module that declares a schema (schemas are
global).  Their digest is the site's *fingerprint*.  After a compile, the
record of the output folder keeps the source files read (each with its stat
signature and the digest of its text), which of them each site read, its
fingerprint, its output files with one digest of their stat signatures, its
node count and MACs (for the check across sites), and the compiler's
fingerprint.

The next compile first asks the record alone (`check_folder`), before
anything is parsed: same command line and environment, same compiler, the
same source files found, each source's stat signature unchanged (or, where
it changed, the same digest), and every output file still carrying the
signature recorded.  Then nothing is compiled and nothing written.
Otherwise the program is loaded and each site's fingerprint decides
(`site_fingerprint`): a site whose inputs and outputs are as recorded is
kept, the others compiled.  Every decision comes with its reason, for
`gwc compile --explain-rebuild`.

An output file's signature is (inode, size, mtime, ctime).  The ctime is
set by the kernel on every write, rename, chmod or link, and no tool can set
it back, so a hand edit is noticed even when it keeps size and mtime; a
deleted file fails its `lstat`.  Checking costs one `lstat` per file (see
docs/artefacts.md for the measurements and the trade-off).

Records live outside the output folder, in `~/.cache/gwlang/builds/`
(`GWLANG_CACHE` moves it), so a committed `generated/` holds no machine
state; a clean checkout simply compiles everything.  `gwc compile
--no-cache` ignores them.  Records are pruned so that the folder does not
grow forever: at most once a day, a compile that saves its record drops the
records of output folders that no longer exist, records no compile has
written for `UNUSED_DAYS`, and unreadable ones.  Losing a record only costs
one full compile of its folder.

This module imports neither the parser nor the evaluator: a compile that
changes nothing never loads them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gwlang import cachedir

if TYPE_CHECKING:
    from gwlang.eval.modules import LoadedModule
    from gwlang.eval.values import Declaration
    from gwlang.model.program import Program

RECORD_FORMAT = 3
PACKAGE = Path(__file__).resolve().parent
COMPILER_SUFFIXES = (".py", ".j2", ".lark")
UNUSED_DAYS = 30                # a record no compile has written for this long is dropped
PRUNE_EVERY = 24 * 3600         # seconds between two prunings of the records (each reads every record)
DAY = 24 * 3600
STABLE_AFTER_NS = 100_000_000   # a source changed this close to the compile's start is hashed again next time

Signature = tuple[int, int, int, int]       # inode, size, mtime_ns, ctime_ns


@dataclass(frozen=True)
class SourceFile:
    """One module as a compile read it: where, as diagnostics name it, the digest of its text."""
    path: str
    name: str
    digest: str
    signature: Signature | None     # None: it may have changed while it was read; hash it next time


@dataclass(frozen=True)
class SiteRecord:
    """What one site's last compile into a folder produced, and from what."""
    fingerprint: str
    modules: tuple[str, ...]        # the paths of the sources it read
    files: tuple[str, ...]          # its output files, relative to the output folder, sorted
    outputs: str                    # `outputs_digest` of those files after the compile
    nodes: int
    macs: tuple[str, ...]           # `MacEntry.encode()` of each


@dataclass(frozen=True)
class FolderRecord:
    """The record of one output folder: the sites, and what the whole compile read."""
    sites: Mapping[str, SiteRecord]
    compiler: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()                    # the source files found, in the order loaded
    sources: Mapping[str, SourceFile] = field(default_factory=dict)
    absent: tuple[str, ...] = ()                    # files that would shadow an import if they appeared


# ---------------------------------------------------------------- the compiler's fingerprint

@lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """A digest of gwlang's own code and templates: a new compiler recompiles everything.

    Each file is hashed only when its stat signature differs from the one
    remembered in the cache (`compiler-*.json`), so an unchanged compiler
    costs a walk of its folder, not a read of every file.
    """
    remembered = _read_json(_compiler_cache())
    known: dict[str, list[Any]] = remembered if isinstance(remembered, dict) else {}
    current: dict[str, list[Any]] = {}
    for relative, status in _package_files():
        signature = [status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns]
        entry = known.get(relative)
        if isinstance(entry, list) and len(entry) == 5 and entry[:4] == signature:
            current[relative] = entry
        else:
            with open(PACKAGE / relative, "rb") as file:
                current[relative] = [*signature, hashlib.sha256(file.read()).hexdigest()]
    if current != known:
        _write_json(_compiler_cache(), current)
    digest = hashlib.sha256()
    for relative in sorted(current):
        digest.update(f"{relative}\0{current[relative][4]}\0".encode())
    return digest.hexdigest()


def _package_files() -> Iterable[tuple[str, os.stat_result]]:
    pending = [""]
    while pending:
        folder = pending.pop()
        with os.scandir(PACKAGE / folder) as entries:
            for entry in entries:
                relative = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append(relative)
                elif entry.name.endswith(COMPILER_SUFFIXES):
                    yield relative, entry.stat()


def _compiler_cache() -> Path:
    key = hashlib.sha256(str(PACKAGE).encode()).hexdigest()[:16]
    return cache_root() / f"compiler-{key}.json"


# ---------------------------------------------------------------- fingerprints of sites

def fingerprint(site: str, compiler: str, cwd: str, modules: Iterable[SourceFile]) -> str:
    """A site's fingerprint from what it read; the same function whether the modules were parsed or not."""
    digest = hashlib.sha256(f"{RECORD_FORMAT}\0{compiler}\0{site}\0{cwd}".encode())
    for module in sorted(modules, key=lambda m: m.path):
        digest.update(f"\0{module.path}\0{module.name}\0{module.digest}".encode())
    return digest.hexdigest()


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def site_fingerprint(program: Program, site: Declaration) -> str:
    return fingerprint(site.name, compiler_fingerprint(), os.getcwd(), site_sources(program, site))


def site_sources(program: Program, site: Declaration) -> list[SourceFile]:
    index = _index(program)
    return [index.source(module) for module in site_modules(program, site)]


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
        from gwlang.syntax import ast
        self.declaring = {id(item): module for module in program.inputs for item in module.module.items
                          if isinstance(item, ast.SiteDecl)}
        self.schemas = [module for module in program.session.loader.modules.values()
                        if any(isinstance(item, ast.SchemaDecl) for item in module.module.items)]
        self.sources: dict[int, SourceFile] = {}
        self.stable_before = time.time_ns() - STABLE_AFTER_NS

    def source(self, module: LoadedModule) -> SourceFile:
        found = self.sources.get(id(module))
        if found is None:
            found = self.sources[id(module)] = SourceFile(
                str(module.path), module.source.name, text_digest(module.source.text),
                _stable_signature(str(module.path), self.stable_before))
        return found


def _stable_signature(path: str, stable_before: int) -> Signature | None:
    """The file's signature, if the file has not changed since before the compile began (else it may
    differ from the text that was read, and must be hashed next time)."""
    found = signature(path)
    return found if found is not None and found[3] < stable_before else None


_last_index: list[tuple[Program, _ModuleIndex]] = []     # the program of the current compile, and its index


def _index(program: Program) -> _ModuleIndex:
    if not _last_index or _last_index[0][0] is not program:
        _last_index[:] = [(program, _ModuleIndex(program))]
    return _last_index[0][1]


def program_facts(program: Program) -> tuple[dict[str, SourceFile], tuple[str, ...]]:
    """Every module the program loaded, and the files that would shadow one of its `<...>` imports."""
    index = _index(program)
    loader = program.session.loader
    sources = {str(module.path): index.source(module) for module in loader.modules.values()}
    absent: list[str] = []
    for module in loader.modules.values():
        for (target, search, _), _loaded in module.dependencies.items():
            if not search:
                continue
            for root in loader.search.search_roots:
                candidate = os.path.join(root, target)
                if os.path.isfile(candidate):
                    break
                absent.append(candidate)
    return sources, tuple(sorted(set(absent)))


# ---------------------------------------------------------------- the command line's context

def context_of(sources: Sequence[str], include: Sequence[str]) -> dict[str, Any]:
    """What, besides the files, decides what a compile reads: it must be the same for a record to count."""
    return {"cwd": os.getcwd(), "sources": list(sources), "include": list(include),
            "gwpath": os.environ.get("GWPATH", ""), "stdlib": os.environ.get("GWLANG_STDLIB", "")}


def discover_inputs(sources: Sequence[str]) -> tuple[str, ...] | None:
    """The files `gw_files` would find for `sources`, without importing the compiler; None where
    only it can tell (a symlink, a missing path, a folder named like a source)."""
    files: dict[str, Path] = {}
    for text in sources:
        path = Path(text)
        if not path.is_dir():
            if not path.is_file():
                return None
            files.setdefault(os.path.abspath(path), path)
            continue
        try:
            found = _gw_under(text)
        except OSError:             # an unreadable folder: loading the program reports it
            found = None
        if found is None:
            return None
        for relative in sorted(found, key=lambda r: r.split("/")):
            files.setdefault(os.path.abspath(path / relative), path / relative)
    return tuple(str(path) for path in files.values())


def _gw_under(top: str) -> list[str] | None:
    found: list[str] = []
    pending = [""]
    while pending:
        folder = pending.pop()
        with os.scandir(os.path.join(top, folder) if folder else top) as entries:
            for entry in entries:
                relative = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_symlink():
                    if entry.name.endswith(".gw") or entry.is_dir():
                        return None
                elif entry.is_dir():
                    if entry.name.endswith(".gw"):
                        return None
                    pending.append(relative)
                elif entry.name.endswith(".gw"):
                    found.append(relative)
    return found


# ---------------------------------------------------------------- output files

def signature(path: str) -> Signature | None:
    try:
        status = os.lstat(path)
    except OSError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns


def outputs_digest(output: str, files: Iterable[str]) -> str | None:
    """One digest of the signatures of a site's output files; None when one is missing."""
    numbers = array("q")
    lstat = os.lstat
    try:
        for relative in files:
            status = lstat(f"{output}/{relative}")
            numbers.extend((status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns))
    except OSError:
        return None
    return hashlib.blake2b(numbers.tobytes(), digest_size=16).hexdigest()


def output_change(output: str, record: SiteRecord, written_at: int) -> str:
    """Why a site's outputs no longer match: the first file missing, or one changed since the record."""
    for relative in record.files:
        found = signature(f"{output}/{relative}")
        if found is None:
            return f"its output `{relative}` was deleted"
        if found[3] > written_at:
            return f"its output `{relative}` was changed by hand"
    return "one of its outputs was changed by hand"


# ---------------------------------------------------------------- the decision from the record alone

@dataclass
class FolderCheck:
    """What the record alone says: nothing changed, or why the program must be loaded."""
    record: FolderRecord | None
    reason: str | None = None                           # why every site must be looked at again
    stale: dict[str, str] = field(default_factory=dict)  # site -> why it must be compiled
    refreshed: bool = False                             # a source was touched but its text is the same

    @property
    def unchanged(self) -> bool:
        return self.record is not None and self.reason is None and not self.stale


def check_folder(output: Path, context: Mapping[str, Any]) -> FolderCheck:
    """Can the last compile into `output` stand, as far as the record alone can tell?"""
    loaded = load_record_with_time(output)
    if loaded is None:
        return FolderCheck(None, "there is no record of a compile into this folder")
    record, written_at = loaded
    if dict(record.context) != dict(context):
        return FolderCheck(record, "the sources named, the search path or the working directory changed")
    if record.compiler != compiler_fingerprint():
        return FolderCheck(record, "the compiler changed")
    if discover_inputs(context["sources"]) != record.inputs:
        return FolderCheck(record, "source files were added or removed")
    shadowing = next((path for path in record.absent if os.path.isfile(path)), None)
    if shadowing is not None:
        return FolderCheck(record, f"`{shadowing}` now comes before an imported module in the search path")
    check = FolderCheck(record)
    current = _current_sources(record, check)
    out = str(output.absolute())
    cwd = str(context["cwd"])
    for name, site in record.sites.items():
        read = [current.get(path) for path in site.modules]
        if None in read or fingerprint(name, record.compiler, cwd, [s for s in read if s]) != site.fingerprint:
            check.stale[name] = _source_change(site, record, current)
        elif outputs_digest(out, site.files) != site.outputs:
            check.stale[name] = output_change(out, site, written_at)
    return check


def _source_change(site: SiteRecord, record: FolderRecord, current: Mapping[str, SourceFile]) -> str:
    for path in site.modules:
        now, before = current.get(path), record.sources.get(path)
        if now is None:
            return f"`{before.name if before else path}` was deleted"
        if before is None or now.digest != before.digest:
            return f"`{now.name}` changed"
    return "a module it reads changed since it was compiled"


def _current_sources(record: FolderRecord, check: FolderCheck) -> dict[str, SourceFile]:
    """Each recorded source as it is now (missing if gone): the record's where the stat signature is
    the same, a fresh digest where it is not (a touched but unchanged file renews its signature)."""
    current: dict[str, SourceFile] = {}
    fresh: dict[str, SourceFile] = {}
    stable_before = time.time_ns() - STABLE_AFTER_NS
    for path, source in record.sources.items():
        now = signature(path)
        if now is not None and now == source.signature:
            current[path] = source
            continue
        try:
            with open(path, encoding="utf-8") as file:
                digest = text_digest(file.read())
        except (OSError, UnicodeDecodeError):
            continue
        current[path] = SourceFile(path, source.name, digest, now if now and now[3] < stable_before else None)
        if digest == source.digest and current[path].signature is not None:
            fresh[path] = current[path]
    if fresh and check.record is not None:
        check.record = FolderRecord(**{**check.record.__dict__, "sources": {**record.sources, **fresh}})
        check.refreshed = True
    return current


# ---------------------------------------------------------------- the record of an output folder

def cache_root() -> Path:
    """The folder `cachedir` picks (GWLANG_CACHE, XDG_CACHE_HOME, home), shared with the parse cache."""
    root = cachedir.cache_root()
    if root is None:
        raise RuntimeError("no home folder for the build records: set GWLANG_CACHE")
    return root


def builds_folder() -> Path:
    return cache_root() / "builds"


def record_path(output: Path) -> Path:
    key = hashlib.sha256(str(output.resolve()).encode()).hexdigest()[:32]
    return builds_folder() / f"{key}.json"


def load_record(output: Path) -> FolderRecord | None:
    loaded = load_record_with_time(output)
    return loaded[0] if loaded is not None else None


def load_record_with_time(output: Path) -> tuple[FolderRecord, int] | None:
    """The record for `output` and when it was written (ns); an unreadable or foreign record is none."""
    path = record_path(output)
    data = _read_json(path)
    try:
        if data.get("format") != RECORD_FORMAT or data.get("output") != str(output.resolve()):
            return None
        return _decode(data), int(data["written"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def _decode(data: dict[str, Any]) -> FolderRecord:
    paths = [entry[0] for entry in data["sources"]]
    sources = {entry[0]: SourceFile(entry[0], entry[1], entry[2], tuple(entry[3]) if entry[3] else None)
               for entry in data["sources"]}
    layouts = [tuple(layout) for layout in data["layouts"]]
    sites = {name: SiteRecord(entry["fingerprint"], tuple(paths[i] for i in entry["modules"]),
                              tuple(f"{name}/{relative}" for relative in layouts[entry["layout"]]),
                              entry["outputs"], entry["nodes"], tuple(entry["macs"]))
             for name, entry in data["sites"].items()}
    return FolderRecord(sites, data["compiler"], data["context"], tuple(data["inputs"]), sources,
                        tuple(data["absent"]))


def _encode(output: Path, record: FolderRecord) -> dict[str, Any]:
    """Compact: sources by index, and each distinct list of a site's files (its layout) once."""
    paths = sorted(record.sources)
    number = {path: index for index, path in enumerate(paths)}
    layouts: dict[tuple[str, ...], int] = {}
    sites = {}
    for name, site in sorted(record.sites.items()):
        layout = tuple(relative.split("/", 1)[1] for relative in site.files)
        sites[name] = {"fingerprint": site.fingerprint, "modules": [number[p] for p in site.modules if p in number],
                       "layout": layouts.setdefault(layout, len(layouts)), "outputs": site.outputs,
                       "nodes": site.nodes, "macs": list(site.macs)}
    return {"format": RECORD_FORMAT, "output": str(output.resolve()), "written": time.time_ns(),
            "compiler": record.compiler,
            "context": dict(record.context), "inputs": list(record.inputs), "absent": list(record.absent),
            "sources": [[p, record.sources[p].name, record.sources[p].digest, record.sources[p].signature]
                        for p in paths],
            "layouts": [list(layout) for layout in layouts], "sites": sites}


def save_records(output: Path, record: FolderRecord | Mapping[str, SiteRecord]) -> None:
    """Written atomically; a failure to write it only costs the next compile its shortcut."""
    if not isinstance(record, FolderRecord):
        record = FolderRecord(record)
    if _write_json(record_path(output), _encode(output, record)):
        with contextlib.suppress(OSError):
            prune_records_now_and_then()


def record_used(output: Path) -> None:
    """A compile that kept everything still used the record: it must not look unused to the pruning."""
    try:
        os.utime(record_path(output))
        prune_records_now_and_then()
    except OSError:
        pass


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data: object) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(temporary, path)
        return True
    except OSError:
        return False


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
