"""Writing the output folder so that it is always either the old state or the new one.

The new tree is built beside the output folder: files whose content did not
change are hard links to the old ones (so they are not rewritten: same
inode, same modification time), files gwc does not own are carried over the
same way, and files gwc produced before but no longer does are left out.
The finished tree then replaces the old one with a single `renameat2`
exchange, atomic on Linux; a kill before it leaves the old folder, a kill
after it the new one.  Where the exchange is not available (another OS, or
a folder that is a mount point), files are replaced one by one instead.

A file is gwc's when a site folder's `manifest.json`, written by gwc, lists it.

Writing runs at the I/O floor: one `mkdir` per new folder, a file written
with `os.open`/`os.write` (a `chmod` only where the umask took a permission
bit away), an old file compared only when its size and mode already match,
and nothing read back.  `stage` writes one site's files into the staging
tree and returns only their names (`StagedSite`), so a worker process of a
parallel compile writes its own site's folder and sends back names, not
texts; `add` takes the names into the writer's account.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gwlang.emit.artifact import Artifact

STAGING_PREFIX = ".gwc-staging-"
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
MANIFEST = "manifest.json"
GENERATOR = "gwc"


@dataclass
class Summary:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StagedSite:
    """One site's files as `stage` left them: written into the staging tree, or unchanged in the old one."""
    written: list[str]
    unchanged: list[str]


@dataclass(frozen=True)
class Difference:
    path: str
    status: str             # "missing", "changed", "extra"
    expected: str | None = None
    actual: str | None = None


def owned_files(output: Path) -> set[str]:
    """Files gwc wrote last time: every file listed by a gwc manifest, and the manifests."""
    owned: set[str] = set()
    if not output.is_dir():
        return owned
    for manifest in sorted(output.glob(f"*/{MANIFEST}")):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or data.get("generator") != GENERATOR:
            continue
        site = manifest.parent.name
        owned.add(f"{site}/{MANIFEST}")
        for entry in data.get("files", []):
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                owned.add(f"{site}/{entry['path']}")
    return owned


class TreeWriter:
    """Collects artifacts into a staging tree, then swaps it in with `commit`."""

    def __init__(self, output: Path, sites: set[str] | None = None) -> None:
        """`sites` limits the compile to those sites' folders: the other sites' files stay as they are."""
        self.output = output.absolute()
        self.owned = {path for path in owned_files(self.output) if sites is None or path.split("/")[0] in sites}
        self.summary = Summary()
        self.produced: set[str] = set()
        remove_stale_staging(self.output)
        self.staging = self.output.parent / f"{STAGING_PREFIX}{self.output.name}-{os.getpid()}"
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.mkdir(parents=True)
        self.output_text, self.staging_text = str(self.output), str(self.staging)
        self.folders: set[str] = set()          # made in the staging tree (by this process)
        self.umask = _umask()

    def stage(self, artifacts: Iterable[Artifact]) -> StagedSite:
        """Write what changed into the staging tree; safe in a forked worker (it touches no shared state
        but folders, and each site's files lie under its own folder)."""
        written: list[str] = []
        unchanged: list[str] = []
        output, staging = self.output_text, self.staging_text
        for artifact in artifacts:
            relative = _safe_relative(artifact.path)
            data, mode = artifact.data, artifact.mode
            if _holds(f"{output}/{relative}", data, mode):
                unchanged.append(relative)
                continue
            folder = relative.rpartition("/")[0]
            if folder and folder not in self.folders:
                os.makedirs(f"{staging}/{folder}", exist_ok=True)
                self._made(folder)
            _write(f"{staging}/{relative}", data, mode, fix_mode=mode & self.umask != 0)
            written.append(relative)
        return StagedSite(written, unchanged)

    def add(self, staged: Artifact | StagedSite) -> None:
        """Take a site staged elsewhere (a worker) into account; an artifact alone is staged here first."""
        if isinstance(staged, Artifact):
            staged = self.stage([staged])
        for relative in (*staged.written, *staged.unchanged):
            if relative in self.produced:
                raise ValueError(f"two artifacts write {relative}")
            self.produced.add(relative)
        self.summary.written.extend(staged.written)
        self.summary.unchanged.extend(staged.unchanged)

    def _made(self, folder: str) -> None:
        while folder and folder not in self.folders:
            self.folders.add(folder)
            folder = folder.rpartition("/")[0]

    def keep(self, files: list[str]) -> None:
        """Files of a site the compile did not redo (see `incremental.py`): carried over as they are."""
        for relative in files:
            relative = _safe_relative(relative)
            if relative in self.produced:
                raise ValueError(f"two artifacts write {relative}")
            self.produced.add(relative)
            self.summary.unchanged.append(relative)

    def commit(self) -> Summary:
        """Carry over what is not ours, drop what we no longer make, swap the trees."""
        self.summary.removed = sorted(p for p in self.owned if p not in self.produced
                                      and (self.output / p).exists())
        if not self.summary.written and not self.summary.removed and self.output.is_dir():
            shutil.rmtree(self.staging, ignore_errors=True)
            return self.summary
        changed = {path.split("/", 1)[0] for path in (*self.summary.written, *self.summary.removed)}
        if len(changed) == 1 and self.output.is_dir() and self._swap_folder(changed.pop()):
            shutil.rmtree(self.staging, ignore_errors=True)
            return self.summary
        # Unchanged files join the new tree only now: a compile that changes nothing links nothing.
        self._link_into_staging("")
        if not self.output.exists():
            self.output.parent.mkdir(parents=True, exist_ok=True)
            os.rename(self.staging, self.output)
        elif not _exchange(self.staging, self.output):
            self._replace_one_by_one()
        shutil.rmtree(self.staging, ignore_errors=True)
        return self.summary

    def _swap_folder(self, site: str) -> bool:
        """Everything changed in one site's folder: swap that folder alone, not the whole tree.

        One edited site among a thousand then links its own files, not every
        file of every site.  The exchange of one folder is as atomic as that
        of the tree.
        """
        old, new = self.output / site, self.staging / site
        if old.is_symlink() or (old.exists() and not old.is_dir()):
            return False
        self._link_into_staging(site)
        if not old.exists():
            os.rename(new, old)
            return True
        if not _exchange(new, old):
            self._replace_one_by_one()
        return True

    def _link_into_staging(self, under: str) -> None:
        """The old tree's unchanged and foreign files (those under the folder `under`, "" for all) into staging."""
        prefix = f"{under}/" if under else ""
        output, staging = self.output_text, self.staging_text
        for relative in self.summary.unchanged:
            if relative.startswith(prefix):
                folder = relative.rpartition("/")[0]
                if folder and folder not in self.folders:
                    os.makedirs(f"{staging}/{folder}", exist_ok=True)
                    self._made(folder)
                os.link(f"{output}/{relative}", f"{staging}/{relative}")
        for relative in _foreign(self.output, self.owned | self.produced, under):
            _carry(self.output / relative, self.staging / relative)

    def abandon(self) -> None:
        """A failed compile: the output folder is left exactly as it was."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def _replace_one_by_one(self) -> None:
        for relative in self.summary.written:
            target = self.output / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / relative, target)
        for relative in self.summary.removed:
            (self.output / relative).unlink(missing_ok=True)
            _prune_empty(self.output, (self.output / relative).parent)


def compare(output: Path, artifacts: Iterator[Artifact], sites: set[str] | None = None) -> list[Difference]:
    """What `--check` reports: files missing, different, or produced no longer (in `sites`, when given)."""
    owned = {path for path in owned_files(output) if sites is None or path.split("/")[0] in sites}
    differences: list[Difference] = []
    produced: set[str] = set()
    for artifact in artifacts:
        relative = _safe_relative(artifact.path)
        produced.add(relative)
        path = output / relative
        if not path.is_file():
            differences.append(Difference(relative, "missing", artifact.text, None))
        elif not _same(path, artifact.data, artifact.mode, exact_mode=False):
            actual = path.read_bytes().decode("utf-8", errors="replace")
            differences.append(Difference(relative, "changed", artifact.text, actual))
    for relative in sorted(owned - produced):
        if (output / relative).exists():
            differences.append(Difference(relative, "extra"))
    return sorted(differences, key=lambda d: d.path)


def remove_stale_staging(output: Path) -> None:
    """Staging trees of compiles that were killed (their pid is gone)."""
    parent = output.absolute().parent
    if not parent.is_dir():
        return
    for stale in parent.glob(f"{STAGING_PREFIX}{output.name}-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _same(path: Path, data: bytes, mode: int, exact_mode: bool) -> bool:
    """The file holds `data` with `mode`: every permission bit when writing, only the executable bit for `--check`.

    Git keeps only the executable bit, so a checked-out generated/ has its
    private files (netplan's, 0600) at the umask's 0644: `--check` must not
    call that stale, while `gwc compile` puts the mode right.
    """
    try:
        stat = path.stat()
        same_mode = (stat.st_mode & 0o777) == mode if exact_mode else bool(stat.st_mode & 0o100) == bool(mode & 0o100)
        if stat.st_size != len(data) or not same_mode:
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _holds(path: str, data: bytes, mode: int) -> bool:
    """The old file at `path` is a regular file with exactly this content and mode (read only when size
    and mode already agree)."""
    try:
        status = os.lstat(path)
        if not stat.S_ISREG(status.st_mode) or status.st_size != len(data) or status.st_mode & 0o777 != mode:
            return False
        with open(path, "rb") as file:
            return file.read() == data
    except OSError:
        return False


def _write(path: str, data: bytes, mode: int, fix_mode: bool) -> None:
    descriptor = os.open(path, _CREATE, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
        if fix_mode:            # the umask took a bit `mode` asks for
            os.fchmod(descriptor, mode)
    finally:
        os.close(descriptor)


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _safe_relative(path: str) -> str:
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\x00" in path:
        raise ValueError(f"unsafe artifact path {path!r}")
    return path


def _foreign(output: Path, ours: set[str], under: str = "") -> Iterator[str]:
    """Everything in the old tree (or its folder `under`) that gwc neither owned nor produces now."""
    top = output / under if under else output
    if not top.is_dir() or top.is_symlink():
        return
    for root, directories, files in os.walk(top):
        for name in sorted(files) + [d for d in sorted(directories) if os.path.islink(os.path.join(root, d))]:
            relative = os.path.relpath(os.path.join(root, name), output).replace(os.sep, "/")
            if relative not in ours:
                yield relative
        directories[:] = sorted(d for d in directories if not os.path.islink(os.path.join(root, d)))


def _carry(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
    elif source.is_file():
        os.link(source, target)


def _prune_empty(top: Path, folder: Path) -> None:
    while folder != top and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths (Linux `renameat2`); False where that is not possible."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.EBUSY, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))
