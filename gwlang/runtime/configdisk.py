"""Building a node's config disk image locally: ext4 (`mkfs.ext4 -d`) or a cloud-init NoCloud ISO.

It packs the files the compiled site lists for the disk (`ConfigDisk.image`)
and decides nothing about their content: the overlay, the LCFG profile's
place and cloud-init's `meta-data` and `user-data` are compiled files
(`emit/configdisk.py`).  The image is built in a temporary folder, without mounting anything, and
is deterministic: the same files give the same bytes on any machine (a
fixed file system UUID and hash seed derived from the node's UUID, fixed
timestamps, root-owned files), so an unchanged overlay is never rewritten
for a difference of timestamps.  The runtime uploads the bytes into the
config disk's volume through libvirt.

A big apply builds a thousand images: `Builds` makes them a few steps ahead
of their upload in a shared thread pool (mkfs.ext4 and debugfs are
subprocesses, so threads overlap them on every core), and stages them on
tmpfs (`/dev/shm`) where there is one, since every image is written twice
and read once.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import threading
import time
import types
import uuid as uuids
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from pathlib import Path

from gwlang.runtime.target import ConfigDisk, OverlayFile

EPOCH = 946_684_800
"""Every timestamp written into an image: 2000-01-01T00:00:00Z."""

EXT4_LABEL = "gw-config"
NOCLOUD_LABEL = "cidata"
MIB = 1 << 20
_NAMESPACE = uuids.UUID("5d0c5f0e-6b3a-4f7e-9a51-6f2d4c0e7a10")   # the config disks' own UUID namespace
_PYCDLIB_CLOCK = threading.Lock()


class BuildFailed(Exception):
    """The image could not be built; the message says why (mkfs.ext4's own words)."""


def build_image(disk: ConfigDisk, node_uuid: str) -> bytes:
    """The config disk's image as bytes; the node's UUID seeds an ext4 image's own identifiers."""
    if disk.format == "ext4":
        return build_ext4(disk.image, node_uuid)
    if disk.format == "nocloud":
        return build_nocloud(disk.image)
    raise BuildFailed(f"unknown config disk format `{disk.format}`")


def known_size(disk: ConfigDisk) -> int | None:
    """The image's size in bytes before it is built (ext4's is fixed by its files), or None (NoCloud)."""
    return image_size(disk.image) if disk.format == "ext4" else None


def image_size(files: Sequence[OverlayFile]) -> int:
    """An ext4 image comfortably larger than its files (4 KiB blocks, inodes): at least 8 MiB, whole MiB."""
    content = sum(len(f.data) + 4096 for f in files)
    return max(8 * MIB, -(-(2 * content + 4 * MIB) // MIB) * MIB)


def build_ext4(files: Sequence[OverlayFile], node_uuid: str) -> bytes:
    tool = shutil.which("mkfs.ext4") or "/usr/sbin/mkfs.ext4"
    fs_uuid = str(uuids.uuid5(_NAMESPACE, f"ext4/{node_uuid}"))
    seed = str(uuids.uuid5(_NAMESPACE, f"hash-seed/{node_uuid}"))
    with tempfile.TemporaryDirectory(prefix="gwc-config-", dir=_scratch()) as work:
        root = Path(work) / "root"
        folders = _write_tree(root, files)
        image = Path(work) / "config.img"
        with image.open("wb") as out:
            out.truncate(image_size(files))
        environment = {**os.environ, "E2FSPROGS_FAKE_TIME": str(EPOCH), "SOURCE_DATE_EPOCH": str(EPOCH)}
        # A list, never a shell: no file name or label is ever interpreted.
        command = [tool, "-q", "-F", "-t", "ext4", "-b", "4096", "-O", "^has_journal", "-L", EXT4_LABEL,
                   "-U", fs_uuid, "-E", f"root_owner=0:0,hash_seed={seed}", "-d", str(root), str(image)]
        result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)
        if result.returncode != 0:
            raise BuildFailed(f"mkfs.ext4 failed: {(result.stderr or result.stdout).strip()}")
        _stop_change_times(image, len(files) + folders, Path(work), environment)
        return image.read_bytes()


SHM, SHM_FREE = "/dev/shm", 256 * MIB


def _scratch() -> str | None:
    """Where images are staged: tmpfs when the machine has a writable one with room to spare (a container's
    may hold 64 MiB), unless `TMPDIR` says otherwise; else the usual temporary folder."""
    if os.environ.get("TMPDIR") or not os.path.isdir(SHM) or not os.access(SHM, os.W_OK | os.X_OK):
        return None
    room = os.statvfs(SHM)
    return SHM if room.f_bavail * room.f_frsize >= SHM_FREE else None


def _stop_change_times(image: Path, entries: int, work: Path, environment: dict[str, str]) -> None:
    """Every inode's change time set to EPOCH, as its other times already are.

    `mkfs.ext4 -d` copies each staged file's ctime, which no one can set: two
    builds a second apart gave different bytes (mke2fs 1.47.0 ignores the fake
    clock there).  mkfs numbers the root 2, lost+found 11 and the staged
    entries from 12 on, so one debugfs run over those numbers reaches them all.
    """
    tool = shutil.which("debugfs") or "/usr/sbin/debugfs"
    inodes = [2, 11, *range(12, 12 + entries)]
    requests = work / "ctimes.debugfs"
    requests.write_text("".join(f"set_inode_field <{inode}> ctime @{EPOCH}\n" for inode in inodes))
    result = subprocess.run([tool, "-w", "-f", str(requests), str(image)], capture_output=True, text=True,
                            env=environment, timeout=120)
    failed = [line for line in result.stderr.splitlines() if ":" in line and "debugfs" not in line]
    if result.returncode != 0 or failed:
        raise BuildFailed(f"debugfs failed: {(result.stderr or result.stdout).strip()}")


def _write_tree(root: Path, files: Sequence[OverlayFile]) -> int:
    """The overlay staged under `root` with fixed times and modes; the number of folders below `root`."""
    root.mkdir()
    folders = {root}
    for file in files:
        target = root.joinpath(*file.path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        folders.update(p for p in target.parents if root in (p, *p.parents))
        target.write_bytes(file.data)
        target.chmod(file.mode)
        os.utime(target, (EPOCH, EPOCH))
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        folder.chmod(0o755)
        os.utime(folder, (EPOCH, EPOCH))
    return len(folders) - 1


def build_nocloud(files: Sequence[OverlayFile]) -> bytes:
    """A NoCloud seed ISO holding `files` (cloud-init's `meta-data` and `user-data`) at its root."""
    import pycdlib
    with _PYCDLIB_CLOCK:
        saved = _freeze_pycdlib_clock()
        try:
            iso = pycdlib.PyCdlib()
            iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=NOCLOUD_LABEL)
            for file in files:
                iso.add_fp(io.BytesIO(file.data), len(file.data), "/" + file.path.upper().replace("-", "_") + ".;1",
                           rr_name=file.path, joliet_path="/" + file.path)
            out = io.BytesIO()
            iso.write_fp(out)
            iso.close()
        finally:
            _restore_pycdlib_clock(saved)
    return out.getvalue()


# pycdlib stamps every record with time.time() in local time; during a build
# its modules see a clock stopped at EPOCH in UTC.  The lock keeps concurrent
# builds (one thread per host) from restoring the clock under each other.
_PYCDLIB_MODULES = ("pycdlib.pycdlib", "pycdlib.headervd", "pycdlib.dates", "pycdlib.udf", "pycdlib.inode",
                    "pycdlib.dr", "pycdlib.rockridge")


def _freeze_pycdlib_clock() -> dict[str, object]:
    import importlib
    frozen = types.SimpleNamespace(time=lambda: float(EPOCH), localtime=lambda seconds=None: time.gmtime(
        EPOCH if seconds is None else seconds), gmtime=time.gmtime, mktime=time.mktime, timezone=0,
        strftime=time.strftime, struct_time=time.struct_time)
    saved: dict[str, object] = {}
    for name in _PYCDLIB_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "time"):
            saved[name] = module.time
            module.time = frozen  # type: ignore[attr-defined]
    return saved


def _restore_pycdlib_clock(saved: dict[str, object]) -> None:
    import importlib
    for name, clock in saved.items():
        importlib.import_module(name).time = clock  # type: ignore[attr-defined]


class Builds:
    """A host's config disk images, built ahead of their upload in `pool`'s threads, in the order given.

    At most `ahead` images are built or held at once (each is megabytes); `take`
    waits for one and starts the next.  Without a pool, `take` builds on the spot.
    """

    def __init__(self, pool: Executor | None, disks: Sequence[tuple[str, ConfigDisk, str]], ahead: int = 4) -> None:
        self.pool, self.ahead = pool, ahead
        self.waiting = deque(disks)                     # (node, disk, node's UUID), not started yet
        self.disks = {node: (disk, uuid) for node, disk, uuid in disks}
        self.started: dict[str, Future[bytes]] = {}
        self.skipped: set[str] = set()                  # taken or discarded before they were started

    def take(self, node: str) -> bytes:
        """The node's image (raising `BuildFailed` if it could not be built)."""
        self._fill()
        future = self.started.pop(node, None)
        if future is None:
            self.skipped.add(node)
            disk, uuid = self.disks[node]
            return build_image(disk, uuid)
        self._fill()
        return future.result()

    def discard(self, node: str) -> None:
        """The node's image will not be taken (its node failed, or the host takes no upload)."""
        future = self.started.pop(node, None)
        if future is not None:
            future.cancel()
        self.skipped.add(node)

    def stop(self) -> None:
        """Nothing more is taken: what has not started never will."""
        self.waiting.clear()
        for future in self.started.values():
            future.cancel()
        self.started.clear()

    def _fill(self) -> None:
        while self.pool is not None and self.waiting and len(self.started) < self.ahead:
            node, disk, uuid = self.waiting.popleft()
            if node not in self.skipped:
                self.started[node] = self.pool.submit(build_image, disk, uuid)
