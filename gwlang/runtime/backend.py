"""libvirt, through libvirt-python: the only module that imports `libvirt`.

A `Host` is one open connection to one host's libvirt, with the few
operations the runtime needs, each raising `HostError` with libvirt's own
reason.  Connections come from `connect(uri)`; `keep_open(uri)` pins one
connection for a URI so that several commands in one process see the same
host (libvirt's test driver keeps its state in the connection: a new
connection to `test:///PATH` starts from the file again).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape

import libvirt

from gwlang.emit.libvirt import NAMESPACE
from gwlang.runtime.live import (
    CONFIG_NAMESPACE,
    CONFIG_PREFIX,
    LiveDomain,
    LiveHost,
    LiveVolume,
    config_marker,
    marker_hash,
    owner_of,
    significant,
)
from gwlang.runtime.target import Volume

LOCK_VOLUME = "gwc-apply.lock"
HOLDER_PREFIX = "gwc-apply.lock."
STOP_SECONDS = 60.0

_kept: dict[str, libvirt.virConnect] = {}
_kept_guard = threading.Lock()


def _quiet(_context: object, _error: object) -> None:
    """libvirt prints every error on stderr by default; gwc reports them itself."""


libvirt.registerErrorHandler(_quiet, None)


class HostError(Exception):
    """An operation on a host failed; the message is libvirt's reason."""


class Unsupported(HostError):
    """The host's driver lacks the operation (libvirt's test driver has no volume upload); `reason` is libvirt's."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


def _reason(failure: libvirt.libvirtError) -> str:
    return str(failure.get_error_message() or failure)


@contextlib.contextmanager
def _libvirt(what: str) -> Iterator[None]:
    try:
        yield
    except libvirt.libvirtError as failure:
        if failure.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT:
            raise Unsupported(f"{what}: {_reason(failure)}", _reason(failure)) from None
        raise HostError(f"{what}: {_reason(failure)}") from None


@contextlib.contextmanager
def keep_open(uri: str) -> Iterator[None]:
    """Within the block, every `connect(uri)` shares one connection (tests: state across commands)."""
    with _libvirt(f"cannot connect to {uri}"):
        connection = libvirt.open(uri)
    with _kept_guard:
        _kept[uri] = connection
    try:
        yield
    finally:
        with _kept_guard:
            _kept.pop(uri, None)
        connection.close()


def connect(uri: str) -> Host:
    with _kept_guard:
        kept = _kept.get(uri)
    if kept is not None:
        return Host(uri, kept, owned=False)
    with _libvirt("cannot connect"):
        return Host(uri, libvirt.open(uri), owned=True)


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds a host's apply lock, from the holder volume's name."""
    machine: str
    pid: int
    started: int

    @property
    def volume(self) -> str:
        return f"{HOLDER_PREFIX}{self.machine}.{self.pid}.{self.started}"

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.started))
        return f"pid {self.pid} on {self.machine}, started {when}"

    @property
    def stale(self) -> bool:
        """Held by a process of this machine that no longer runs."""
        if self.machine != this_machine():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


def this_machine() -> str:
    # A volume name cannot hold `/`; a host name never does, but be safe.
    return socket.gethostname().replace("/", "_") or "localhost"


def parse_holder(name: str) -> LockHolder | None:
    parts = name[len(HOLDER_PREFIX):].rsplit(".", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return LockHolder(parts[0], int(parts[1]), int(parts[2]))


class LockHeld(HostError):
    def __init__(self, holder: LockHolder | None) -> None:
        who = holder.describe() if holder else "an apply that has not named itself yet"
        stale = " (stale: that process is gone; `--break-lock` removes it)" if holder and holder.stale else ""
        super().__init__(f"another apply holds the lock: {who}{stale}")
        self.holder = holder


class Host:
    """One connection to one host's libvirt."""

    def __init__(self, uri: str, connection: libvirt.virConnect, owned: bool) -> None:
        self.uri = uri
        self.connection = connection
        self.owned = owned
        # Pools by folder, found once: every volume step used to list and parse every pool again.
        self._pools: dict[str, libvirt.virStoragePool] = {}
        self._pools_guard = threading.Lock()
        self.upload_refused: str | None = None
        """libvirt's reason, once the host has refused a volume upload (its driver has none): apply builds no
        more images for it."""

    def close(self) -> None:
        if self.owned:
            with contextlib.suppress(libvirt.libvirtError):
                self.connection.close()

    # ------------------------------------------------------------ reading

    def read(self) -> LiveHost:
        with _libvirt("cannot read the host's state"):
            domains = self.domains()
            pools: dict[str, str] = {}
            volumes: dict[str, LiveVolume] = {}
            for pool in self.connection.listAllStoragePools():
                folder = self._pool_folder(pool)
                if folder is None:
                    continue
                pools[folder] = pool.name()
                if not pool.isActive():
                    continue
                with contextlib.suppress(libvirt.libvirtError):
                    pool.refresh(0)
                for volume in pool.listAllVolumes():
                    volumes[volume.path()] = LiveVolume(volume.path(), int(volume.info()[1]))
        return LiveHost(self.uri, domains, pools, volumes)

    def domains(self, facts: bool = True) -> dict[str, LiveDomain]:
        """Every domain of the host, listed once; without `facts`, the definitions are not read (destroy)."""
        with _libvirt("cannot list the host's domains"):
            return {d.name(): self._domain(d, facts) for d in self.connection.listAllDomains()}

    def _domain(self, domain: libvirt.virDomain, facts: bool = True) -> LiveDomain:
        return LiveDomain(
            name=domain.name(), uuid=domain.UUIDString(), owner=owner_of(self._metadata(domain, NAMESPACE)),
            running=bool(domain.isActive()), state=_state_name(int(domain.state()[0])),
            autostart=bool(domain.autostart()),
            facts=significant(domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)) if facts else (),
            config_hash=marker_hash(self._metadata(domain, CONFIG_NAMESPACE)))

    @staticmethod
    def _metadata(domain: libvirt.virDomain, namespace: str) -> str | None:
        try:
            return str(domain.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, namespace,
                                       libvirt.VIR_DOMAIN_AFFECT_CONFIG))
        except libvirt.libvirtError:
            return None      # no such metadata: not ours

    @staticmethod
    def _pool_folder(pool: libvirt.virStoragePool) -> str | None:
        import xml.etree.ElementTree as ElementTree
        root = ElementTree.fromstring(pool.XMLDesc())
        if root.get("type") != "dir":
            return None
        path = root.findtext("target/path")
        return path.rstrip("/") or "/" if path else None

    def domain_state(self, name: str) -> str:
        with _libvirt(f"cannot read domain `{name}`"):
            return _state_name(int(self.connection.lookupByName(name).state()[0]))

    def defined(self, name: str) -> bool:
        """Whether a domain of that name exists (one lookup: nothing of it is read)."""
        with _libvirt(f"cannot read domain `{name}`"):
            try:
                self.connection.lookupByName(name)
            except libvirt.libvirtError as failure:
                if failure.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                    return False
                raise
            return True

    def owner(self, name: str) -> LiveDomain | None:
        with _libvirt(f"cannot read domain `{name}`"):
            try:
                domain = self.connection.lookupByName(name)
            except libvirt.libvirtError as failure:
                if failure.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                    return None
                raise
            return self._domain(domain)

    # ------------------------------------------------------------ storage

    def ensure_pool(self, folder: str, name: str) -> None:
        """A running, autostarted `dir` pool over `folder` (created and its folder made if missing)."""
        with _libvirt(f"cannot set up the storage pool for {folder}"):
            pool = self._pool(folder)
            if pool is None:
                pool = self.connection.storagePoolDefineXML(
                    f"<pool type='dir'><name>{escape(name)}</name>"
                    f"<target><path>{escape(folder)}</path></target></pool>", 0)
                with contextlib.suppress(libvirt.libvirtError):
                    pool.build(0)    # makes the folder; fails harmlessly where it exists
                with contextlib.suppress(libvirt.libvirtError):
                    pool.setAutostart(1)
            if not pool.isActive():
                pool.create(0)
            with self._pools_guard:
                self._pools[folder] = pool

    def _pool(self, folder: str) -> libvirt.virStoragePool | None:
        """The `dir` pool over `folder`: remembered once found, since an apply makes thousands of volume steps."""
        with self._pools_guard:
            known = self._pools.get(folder)
        if known is not None:
            return known
        for pool in self.connection.listAllStoragePools():
            found = self._pool_folder(pool)
            if found is not None:
                with self._pools_guard:
                    self._pools.setdefault(found, pool)
            if found == folder:
                return pool
        return None

    def _volume(self, folder: str, name: str) -> libvirt.virStorageVol | None:
        pool = self._pool(folder)
        if pool is None:
            return None
        try:
            return pool.storageVolLookupByName(name)
        except libvirt.libvirtError:
            return None

    def create_volume(self, volume: Volume) -> None:
        xml = (f"<volume><name>{escape(volume.name)}</name><capacity unit='bytes'>{volume.capacity}</capacity>"
               f"<target><format type='{escape(volume.format)}'/></target></volume>")
        with _libvirt(f"cannot create volume {volume.path}"):
            pool = self._pool(volume.folder)
            if pool is None:
                raise libvirt.libvirtError(f"no storage pool over {volume.folder}")
            if volume.image is None:
                pool.createXML(xml, 0)
                return
            folder, _, name = volume.image.rpartition("/")
            source = self._volume(folder or "/", name)
            if source is None:
                raise HostError(f"cannot create volume {volume.path}: its base image {volume.image} is not a "
                                f"volume of a storage pool on the host")
            pool.createXMLFrom(xml, source, 0)

    def make_volume(self, folder: str, name: str, size: int) -> libvirt.virStorageVol:
        """Volume `name` in the pool of `folder`, of at least `size` bytes (created or grown as needed)."""
        with _libvirt(f"cannot write volume {folder}/{name}"):
            volume = self._volume(folder, name)
            if volume is None:
                pool = self._pool(folder)
                if pool is None:
                    raise libvirt.libvirtError(f"no storage pool over {folder}")
                volume = pool.createXML(f"<volume><name>{escape(name)}</name><capacity unit='bytes'>{size}"
                                        "</capacity><target><format type='raw'/></target></volume>", 0)
            elif int(volume.info()[1]) < size:
                volume.resize(size, 0)
            return volume

    def write_volume(self, folder: str, name: str, data: bytes) -> None:
        """Make volume `name` hold `data` (created or grown as needed), uploaded through a libvirt stream."""
        volume = self.make_volume(folder, name, len(data))
        with _libvirt(f"cannot upload into volume {folder}/{name}"):
            stream = self.connection.newStream(0)
            try:
                volume.upload(stream, 0, len(data), 0)
            except libvirt.libvirtError as failure:
                if failure.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT:
                    self.upload_refused = _reason(failure)
                raise
            try:
                view = memoryview(data)
                for offset in range(0, len(data), 1 << 20):
                    stream.send(bytes(view[offset:offset + (1 << 20)]))
                stream.finish()
            except BaseException:
                with contextlib.suppress(libvirt.libvirtError):
                    stream.abort()
                raise

    def delete_volume(self, path: str) -> bool:
        folder, _, name = path.rpartition("/")
        with _libvirt(f"cannot delete volume {path}"):
            volume = self._volume(folder or "/", name)
            if volume is None:
                return False
            volume.delete(0)
            return True

    # ------------------------------------------------------------ domains

    def define(self, xml: str) -> None:
        with _libvirt("cannot define the domain"):
            self.connection.defineXML(xml)

    def set_config_marker(self, name: str, hash: str) -> None:
        with _libvirt("cannot record the config disk's hash"):
            self.connection.lookupByName(name).setMetadata(
                libvirt.VIR_DOMAIN_METADATA_ELEMENT, config_marker(hash), CONFIG_PREFIX, CONFIG_NAMESPACE,
                libvirt.VIR_DOMAIN_AFFECT_CONFIG)

    def set_autostart(self, name: str, autostart: bool) -> None:
        with _libvirt("cannot set autostart"):
            self.connection.lookupByName(name).setAutostart(int(autostart))

    def start(self, name: str) -> None:
        with _libvirt("cannot start the domain"):
            domain = self.connection.lookupByName(name)
            if not domain.isActive():
                domain.create()

    def set_cap(self, name: str, cap: int) -> None:
        """Xen's credit scheduler cap: libvirt's libxl driver takes it only on a running domain."""
        with _libvirt("cannot set the CPU cap"):
            domain = self.connection.lookupByName(name)
            if "cap" not in domain.schedulerParameters():
                # libvirt-python raises LookupError for a parameter the driver lacks (the test driver's
                # scheduler has only a weight): say so instead.
                reason = f"the {self.connection.getType()} driver's scheduler has no `cap`"
                raise Unsupported(f"cannot set the CPU cap: {reason}", reason)
            domain.setSchedulerParameters({"cap": cap})

    def stop(self, name: str, wait: float = STOP_SECONDS) -> None:
        """A clean shutdown, then a hard stop if the guest has not gone within `wait` seconds."""
        with _libvirt("cannot stop the domain"):
            domain = self.connection.lookupByName(name)
            if not domain.isActive():
                return
            with contextlib.suppress(libvirt.libvirtError):
                domain.shutdown()
            deadline = time.monotonic() + wait
            while domain.isActive() and time.monotonic() < deadline:
                time.sleep(0.2)
            if domain.isActive():
                domain.destroy()

    def undefine(self, name: str) -> None:
        with _libvirt("cannot undefine the domain"):
            domain = self.connection.lookupByName(name)
            try:
                domain.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                                     | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
            except libvirt.libvirtError as failure:
                # libvirt's Xen driver knows no snapshot metadata and refuses the flag (an invalid argument).
                if failure.get_error_code() not in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_INVALID_ARG):
                    raise
                domain.undefine()

    # ------------------------------------------------------------ the apply lock

    def lock(self, folder: str, holder: LockHolder, break_lock: bool = False) -> None:
        """Take the host's apply lock: volume `gwc-apply.lock` in the pool of `folder`, made atomically.

        libvirt refuses to create a volume that exists, on any driver and from
        any machine, so exactly one `createXML` succeeds.  A second volume,
        named after the holder (machine, pid, start time), says who has it.
        """
        if break_lock:
            self.unlock(folder, None)
        with _libvirt("cannot take the apply lock"):
            pool = self._pool(folder)
            if pool is None:
                raise libvirt.libvirtError(f"no storage pool over {folder}")
            try:
                pool.createXML(_empty_volume(LOCK_VOLUME), 0)
            except libvirt.libvirtError:
                if self._volume(folder, LOCK_VOLUME) is None:
                    raise
                raise LockHeld(self.lock_holder(folder)) from None
            pool.createXML(_empty_volume(holder.volume), 0)

    def lock_holder(self, folder: str) -> LockHolder | None:
        pool = self._pool(folder)
        if pool is None:
            return None
        with contextlib.suppress(libvirt.libvirtError):
            pool.refresh(0)
        for name in sorted(pool.listVolumes()):
            if name.startswith(HOLDER_PREFIX):
                return parse_holder(name)
        return None

    def unlock(self, folder: str, holder: LockHolder | None) -> None:
        """Release the lock (`holder`'s, or whoever's with `holder=None`, as `--break-lock` does)."""
        with _libvirt("cannot release the apply lock"):
            pool = self._pool(folder)
            if pool is None:
                return
            for name in pool.listVolumes():
                if name.startswith(HOLDER_PREFIX) and (holder is None or name == holder.volume):
                    pool.storageVolLookupByName(name).delete(0)
            volume = self._volume(folder, LOCK_VOLUME)
            if volume is not None:
                volume.delete(0)

    # ------------------------------------------------------------ console

    def open_console(self, name: str, on_data: Callable[[bytes], None]) -> ConsoleStream:
        with _libvirt(f"cannot open the console of `{name}`"):
            domain = self.connection.lookupByName(name)
            stream = self.connection.newStream(libvirt.VIR_STREAM_NONBLOCK)
            # None is the domain's first console; libvirt-python's annotation says str.
            domain.openConsole(None, stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE)  # type: ignore[arg-type]
        return ConsoleStream(stream, on_data)


class ConsoleStream:
    """A domain's console stream; `run_events` drives libvirt's event loop in a thread while it is open."""

    def __init__(self, stream: libvirt.virStream, on_data: Callable[[bytes], None]) -> None:
        self.stream = stream
        self.closed = threading.Event()

        def readable(stream: libvirt.virStream, events: int, _opaque: object) -> None:
            if events & (libvirt.VIR_STREAM_EVENT_ERROR | libvirt.VIR_STREAM_EVENT_HANGUP):
                self.closed.set()
                return
            try:
                data: object = stream.recv(4096)    # bytes, or -2 when nothing is ready yet
            except libvirt.libvirtError:
                self.closed.set()
                return
            if data == b"":
                self.closed.set()
            elif isinstance(data, bytes):
                on_data(data)

        stream.eventAddCallback(libvirt.VIR_STREAM_EVENT_READABLE | libvirt.VIR_STREAM_EVENT_ERROR
                                | libvirt.VIR_STREAM_EVENT_HANGUP, readable, None)

    def send(self, data: bytes) -> None:
        with _libvirt("cannot write to the console"):
            self.stream.send(data)

    def close(self) -> None:
        with contextlib.suppress(libvirt.libvirtError):
            self.stream.eventRemoveCallback()
        with contextlib.suppress(libvirt.libvirtError):
            self.stream.finish()
        self.closed.set()


_event_loop_started = threading.Lock()
_event_loop = False


def start_event_loop() -> None:
    """libvirt's default event loop in a daemon thread (needed for console streams); must precede `connect`."""
    global _event_loop
    with _event_loop_started:
        if _event_loop:
            return
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()
        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        _event_loop = True


def _empty_volume(name: str) -> str:
    return (f"<volume><name>{escape(name)}</name><capacity unit='bytes'>0</capacity>"
            "<target><format type='raw'/></target></volume>")


_STATES = {libvirt.VIR_DOMAIN_NOSTATE: "no state", libvirt.VIR_DOMAIN_RUNNING: "running",
           libvirt.VIR_DOMAIN_BLOCKED: "blocked", libvirt.VIR_DOMAIN_PAUSED: "paused",
           libvirt.VIR_DOMAIN_SHUTDOWN: "shutting down", libvirt.VIR_DOMAIN_SHUTOFF: "shut off",
           libvirt.VIR_DOMAIN_CRASHED: "crashed", libvirt.VIR_DOMAIN_PMSUSPENDED: "suspended"}


def _state_name(state: int) -> str:
    return _STATES.get(state, f"state {state}")
