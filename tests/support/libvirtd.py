"""A private libvirtd + virtlogd with QEMU, started and stopped by a test, off the machine's network.

`running()` is a context manager:

1. creates a network namespace `gwtest-<pid>` with `lo` and the asked bridges
   up (no uplink), so taps, bridges and guests never touch the machine's own
   network;
2. inside it (and in the private mount namespace `ip netns exec` gives every
   command), bind-mounts fresh folders of a temporary directory over
   /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and
   /var/log/libvirt, writes a `qemu.conf` (QEMU runs as root, no security
   driver: Debian's `libvirt-qemu` user may not exist) and a `libvirtd.conf`
   (no auth on the Unix socket), and runs `virtlogd --daemon` and
   `libvirtd --daemon`, each with a pid file;
3. yields a `Libvirtd` whose `uri` is `qemu:///system?socket=<tmp>/run/libvirt-sock`:
   the socket is an ordinary file, so libvirt-python outside the namespaces
   reaches it, and a libvirtd the machine may run itself is never touched;
4. afterwards (even when the test failed): destroys and undefines every
   domain, stops libvirtd and virtlogd by their pids, kills by pid any process
   still in the namespace (QEMU outlives libvirtd), deletes the namespace and
   the temporary directory.  The mount points (/run/libvirt and the other
   folders the libvirt packages own) are created when missing and left, empty:
   removing one would detach the mounts of a concurrent run's daemon.

Needs root, iproute2, `libvirt-daemon` + `libvirt-daemon-driver-qemu` (not
`libvirt-daemon-system`: no services, no default network) and `qemu-system-x86`
(the `dev` script installs them).  KVM does not work on the project's
machines: domains must be `type='qemu'` (TCG).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libvirt

# The folders libvirtd uses in system mode, each replaced by a private one.
PRIVATE = {
    "etc": "/etc/libvirt",
    "run": "/run/libvirt",
    "lib": "/var/lib/libvirt",
    "cache": "/var/cache/libvirt",
    "log": "/var/log/libvirt",
}

QEMU_CONF = """\
# Written by tests/support/libvirtd.py for a private, throw-away libvirtd.
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
remember_owner = 0
"""

LIBVIRTD_CONF = """\
# Written by tests/support/libvirtd.py for a private, throw-away libvirtd.
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
"""

# libvirt prints every error to stderr unless a handler takes it; the
# exceptions carry the same messages.
libvirt.registerErrorHandler(lambda _context, _error: None, None)

PROGRAMS = ("libvirtd", "virtlogd", "qemu-system-x86_64", "ip")


@dataclass
class Libvirtd:
    """A running private libvirtd: its URI, namespace and folders."""

    namespace: str
    root: Path
    bridges: tuple[str, ...]
    started: float = field(default_factory=time.monotonic)

    @property
    def socket(self) -> Path:
        return self.root / "run" / "libvirt-sock"

    @property
    def uri(self) -> str:
        return f"qemu:///system?socket={self.socket}"

    @property
    def log_dir(self) -> Path:
        """libvirt's /var/log/libvirt: qemu/<domain>.log holds QEMU's own messages."""
        return self.root / "log"

    def connect(self) -> libvirt.virConnect:
        return libvirt.open(self.uri)

    def netns(self, *command: str) -> subprocess.CompletedProcess[str]:
        """Run a command inside the namespace (`ip -br link`), output captured."""
        return subprocess.run(
            ["ip", "netns", "exec", self.namespace, *command], capture_output=True, text=True
        )


def missing_programs() -> list[str]:
    return [p for p in PROGRAMS if shutil.which(p) is None and not Path("/usr/sbin", p).exists()]


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purpose.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _stop(pid: int | None, timeout: float = 10.0) -> None:
    if pid is None or not _alive(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _namespace_pids(namespace: str) -> list[int]:
    result = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True)
    return [int(p) for p in result.stdout.split() if p.isdigit()]


def _remove_stale_namespaces() -> None:
    """Namespaces (and their processes) and folders of earlier test processes that died without cleaning up."""
    result = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    for line in result.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name.startswith("gwtest-"):
            continue
        owner = name.removeprefix("gwtest-")
        if owner.isdigit() and not _alive(int(owner)):
            for pid in _namespace_pids(name):
                _stop(pid, timeout=2)
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
    for folder in Path(tempfile.gettempdir()).glob("gwtest-libvirt-*-*"):
        owner = folder.name.split("-")[2]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


def _clean_domains(uri: str) -> None:
    try:
        conn = libvirt.open(uri)
    except libvirt.libvirtError:
        return
    try:
        for domain in conn.listAllDomains():
            with contextlib.suppress(libvirt.libvirtError):
                if domain.isActive():
                    domain.destroy()
            with contextlib.suppress(libvirt.libvirtError):
                domain.undefine()
    finally:
        conn.close()


def _private_accounts(root: Path) -> list[tuple[Path, str]]:
    """/etc/passwd and /etc/group with the `libvirt-qemu` user and group, for the daemon only.

    Debian's QEMU driver parses its built-in default user `libvirt-qemu:kvm`
    before it reads qemu.conf, and fails without them; `libvirt-daemon-system`
    would create them on the machine.  Copies with the entries added are
    bind-mounted in the daemon's mount namespace instead (QEMU runs as root).
    """
    mounts: list[tuple[Path, str]] = []
    passwd = Path("/etc/passwd").read_text()
    group = Path("/etc/group").read_text()
    groups = {line.split(":")[0] for line in group.splitlines()}
    added_groups = [g for g in ("kvm", "libvirt-qemu") if g not in groups]
    if added_groups:
        extra = "".join(f"{g}:x:{64050 + i}:\n" for i, g in enumerate(added_groups))
        (root / "group").write_text(group.rstrip("\n") + "\n" + extra)
        mounts.append((root / "group", "/etc/group"))
    if not any(line.startswith("libvirt-qemu:") for line in passwd.splitlines()):
        entry = "libvirt-qemu:x:64055:64050:gwlang test:/nonexistent:/usr/sbin/nologin\n"
        (root / "passwd").write_text(passwd.rstrip("\n") + "\n" + entry)
        mounts.append((root / "passwd", "/etc/passwd"))
    return mounts


@contextlib.contextmanager
def running(bridges: Sequence[str] = ("virbr0",), ready_timeout: float = 20.0) -> Iterator[Libvirtd]:
    """A private libvirtd with QEMU in a fresh network namespace holding `bridges`."""
    missing = missing_programs()
    if missing:
        raise RuntimeError(f"missing programs: {', '.join(missing)} (./dev test installs them)")
    _remove_stale_namespaces()
    namespace = f"gwtest-{os.getpid()}"
    root = Path(tempfile.mkdtemp(prefix=f"gwtest-libvirt-{os.getpid()}-"))
    daemon = Libvirtd(namespace=namespace, root=root, bridges=tuple(bridges))
    namespace_made = False
    try:
        for name, target in PRIVATE.items():
            (root / name).mkdir()
            Path(target).mkdir(parents=True, exist_ok=True)
        (root / "etc" / "qemu.conf").write_text(QEMU_CONF)
        (root / "etc" / "libvirtd.conf").write_text(LIBVIRTD_CONF)
        (root / "etc" / "virtlogd.conf").write_text("")

        _run("ip", "netns", "add", namespace)
        namespace_made = True
        _run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up")
        for bridge in bridges:
            _run("ip", "netns", "exec", namespace, "ip", "link", "add", bridge, "type", "bridge")
            _run("ip", "netns", "exec", namespace, "ip", "link", "set", bridge, "up")

        mounts = [(root / name, target) for name, target in PRIVATE.items()]
        mounts += _private_accounts(root)
        binds = " && ".join(f"mount --bind {source} {target}" for source, target in mounts)
        script = (
            f"{binds} && "
            f"virtlogd --daemon --pid-file {root / 'virtlogd.pid'} && "
            f"libvirtd --daemon --config {root / 'etc' / 'libvirtd.conf'} --pid-file {root / 'libvirtd.pid'}"
        )
        env = dict(os.environ, PATH="/usr/sbin:/usr/bin:/sbin:/bin")
        result = subprocess.run(
            ["ip", "netns", "exec", namespace, "sh", "-c", script],
            capture_output=True,
            text=True,
            env=env,
        )
        if result.returncode != 0:
            raise RuntimeError(f"starting libvirtd failed: {result.stderr.strip()}")

        deadline = time.monotonic() + ready_timeout
        while True:
            try:
                libvirt.open(daemon.uri).close()
                break
            except libvirt.libvirtError as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"libvirtd did not answer on {daemon.socket}: {error}") from error
                time.sleep(0.05)
        yield daemon
    finally:
        _clean_domains(daemon.uri)
        _stop(_pid(root / "libvirtd.pid"))
        _stop(_pid(root / "virtlogd.pid"))
        if namespace_made:
            for pid in _namespace_pids(namespace):
                _stop(pid, timeout=5)
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
