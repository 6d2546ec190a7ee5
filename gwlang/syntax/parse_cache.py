"""The parse cache: a file's AST kept on disk by the digest of its text, so an unchanged file skips Lark.

Parsing is the costliest step of loading (Lark's import, its tables, its
loop and the lowering: 5 ms for a 4 KB file); unpickling the AST the same
text gave last time costs a twentieth of it, and a command whose files are
all in the cache never imports Lark.  An entry is named by the digest of
the text and of the front end's own code (`front_end_version`: the
grammar, the lowering, the AST classes), so a new gwlang or an edited
grammar simply misses.

A cached AST is the fresh one: spans are offsets into the text, which the
digest fixes, and their `Source` is not stored but replaced, on loading, by
the source being loaded (its name depends on where the file is and on the
working directory, not on its text).  Only files that parse without a
diagnostic are stored: a file with a mistake is parsed again each time, so
its diagnostics are always the parser's own.

Nothing here fails a command: an entry that cannot be read, is truncated,
fails its checksum or belongs to another front end is a miss, and an entry
that cannot be written (a read-only or missing folder) is not written.
Entries are written atomically (a temporary file renamed into place) and
pruned now and then: those unused for `UNUSED_DAYS`, and the oldest beyond
`MAX_ENTRIES`.  They live in `parses/` of the cache folder (`GWLANG_CACHE`,
else `$XDG_CACHE_HOME/gwlang`, else `~/.cache/gwlang`).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import os
import pickle
import sys
import threading
import time
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from gwlang.cachedir import cache_root
from gwlang.diagnostics import Source
from gwlang.syntax import ast
from gwlang.syntax.nodes import Node

FORMAT = b"gwlang parse cache 1\n"
UNUSED_DAYS = 30              # an entry no load has used for this long is dropped
MAX_ENTRIES = 20_000          # beyond this, the least recently used go (an editor's buffers add up)
PRUNE_EVERY = 24 * 3600       # seconds between two prunings (each lists the folder)
DAY = 24 * 3600
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What the AST of a text depends on: the grammar, the lowering and what it imports, the classes it makes.
_FRONT_END = ("syntax", "diagnostics.py", "eval/limits.py")
_HEADER = len(FORMAT) + 32 + 32 + 4   # format, front end, text digest, checksum of the payload

_unwritable: set[Path] = set()        # folders a write failed in: not tried again by this process


def parses_folder() -> Path | None:
    root = cache_root()
    return root / "parses" if root is not None else None


def parse(source: Source) -> ast.Module:
    """`parser.parse`, answered from the cache when the same front end parsed the same text before.

    Lark and the parser are imported only on a miss.
    """
    key = _key(source.text)
    folder = parses_folder()
    entry = folder / f"{key.name}.ast" if folder is not None and key is not None else None
    if entry is not None and key is not None:
        cached = _read(entry, key, source)
        if cached is not None:
            return cached
    from gwlang.syntax.parser import parse as parse_fresh
    module = parse_fresh(source)       # a file with syntax errors raises here: never stored
    if entry is not None and key is not None and entry.parent not in _unwritable:
        _write(entry, key, module)
    return module


# ---------------------------------------------------------------- keys


class _Key:
    """An entry's name, and the two digests its header must repeat."""

    __slots__ = ("front_end", "name", "text")

    def __init__(self, front_end: bytes, text: bytes) -> None:
        self.front_end = front_end
        self.text = text
        self.name = hashlib.sha256(front_end + text).hexdigest()


def _key(text: str) -> _Key | None:
    front_end = front_end_version()
    if front_end is None:
        return None
    return _Key(front_end, hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())


@lru_cache(maxsize=1)
def front_end_version() -> bytes | None:
    """A digest of everything a text's AST depends on besides the text; None if the code cannot be read.

    Read at every start (under a millisecond): a stamp or a modification time would let an edited
    grammar in a checkout reuse the entries of the one before.
    """
    digest = hashlib.sha256(FORMAT + sys.implementation.cache_tag.encode())
    try:
        for name in _front_end_files():
            with open(os.path.join(_PACKAGE, name), "rb") as file:
                digest.update(f"\0{name}\0".encode() + file.read())
    except OSError:
        return None
    return digest.digest()


def _front_end_files() -> list[str]:
    files = []
    for part in _FRONT_END:
        place = os.path.join(_PACKAGE, part)
        if os.path.isdir(place):
            files += sorted(f"{part}/{name}" for name in os.listdir(place) if name.endswith((".py", ".lark")))
        else:
            files.append(part)
    return files


# ---------------------------------------------------------------- reading and writing entries


def _read(entry: Path, key: _Key, source: Source) -> ast.Module | None:
    try:
        with open(entry, "rb") as file:
            data = file.read()
            if time.time() - os.fstat(file.fileno()).st_mtime > DAY:
                os.utime(entry)       # used: pruning keeps what was read lately
    except (OSError, ValueError):
        return None
    header = FORMAT + key.front_end + key.text
    if not data.startswith(header) or len(data) < _HEADER:
        return None
    payload = memoryview(data)[_HEADER:]
    if zlib.crc32(payload).to_bytes(4, "big") != data[_HEADER - 4:_HEADER]:
        return None
    # An AST holds no cycle: the collector, which would scan every node already loaded each time
    # the new ones pass its threshold (quadratic over a thousand files), has nothing to find here.
    collecting = gc.isenabled()
    gc.disable()
    try:
        module = _Unpickler(io.BytesIO(payload), source).load()
    except Exception:         # whatever a damaged or foreign pickle raises: a miss
        return None
    finally:
        if collecting:
            gc.enable()
    return module if isinstance(module, ast.Module) else None


def _write(entry: Path, key: _Key, module: ast.Module) -> None:
    try:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = {Source: _source_reference}
        pickler.dump(module)
        payload = buffer.getvalue()
    except Exception:         # an AST too deep to pickle on this stack (RecursionError): parsed each time
        return
    checksum = zlib.crc32(payload).to_bytes(4, "big")
    temporary = entry.with_name(f"{entry.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as file:
            file.write(FORMAT + key.front_end + key.text + checksum)
            file.write(payload)
        os.replace(temporary, entry)
        prune_now_and_then(entry.parent)
    except (OSError, ValueError):
        _unwritable.add(entry.parent)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _source_reference(source: Source) -> tuple[Callable[[], Source], tuple[()]]:
    """Spans keep no source in an entry: `_loaded_source` stands for the one being loaded."""
    return _loaded_source, ()


def _loaded_source() -> Source:
    raise pickle.UnpicklingError("an entry's source is given by the loader")   # see _Unpickler.find_class


_MODULES = frozenset({"gwlang.syntax.ast", "gwlang.diagnostics"})   # the AST classes, and `Span`


class _Unpickler(pickle.Unpickler):
    """Makes AST nodes and spans only, with the source being loaded: an entry is data, never code."""

    def __init__(self, file: io.BytesIO, source: Source) -> None:
        super().__init__(file)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (__name__, _loaded_source.__name__):
            return lambda: self.source
        found = getattr(sys.modules.get(module), name, None) if module in _MODULES else None
        if not (isinstance(found, type) and issubclass(found, Node)):
            raise pickle.UnpicklingError(f"not in a parse cache entry: {module}.{name}")
        return found


# ---------------------------------------------------------------- pruning


def prune_now_and_then(folder: Path) -> None:
    """`prune` at most once every `PRUNE_EVERY` seconds, as a stamp file's time says."""
    stamp = folder / ".pruned"
    try:
        if time.time() - stamp.stat().st_mtime < PRUNE_EVERY:
            return
    except OSError:
        pass                  # no stamp yet: prune now
    prune(folder)
    stamp.touch()


def prune(folder: Path, now: float | None = None, limit: int = MAX_ENTRIES) -> list[Path]:
    """Drop entries unused for `UNUSED_DAYS`, the least recently used beyond `limit`, and
    temporary files of writes interrupted a day ago or more; returns what was dropped.

    An entry's modification time is when it was last written or read (a read
    touches an entry older than a day).
    """
    now = time.time() if now is None else now
    entries: list[tuple[float, Path]] = []
    stale: list[Path] = []
    with os.scandir(folder) as found:
        for item in found:
            try:
                age = now - item.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            path = Path(item.path)
            if item.name.endswith(".tmp"):
                if age > DAY:
                    stale.append(path)
            elif item.name.endswith(".ast") and age > UNUSED_DAYS * DAY:
                stale.append(path)
            elif item.name.endswith(".ast"):
                entries.append((age, path))
    entries.sort()
    stale += [path for _, path in entries[limit:]]
    dropped = []
    for path in stale:
        try:
            path.unlink()
            dropped.append(path)
        except OSError:
            continue          # another process got there first, or the folder is read-only
    return dropped
