"""A Xen host under QEMU's software emulation: Xen 4.17 with a Debian dom0, built from Debian packages.

Everything comes from Debian packages unpacked into `.tools/debs/` (never
installed): the hypervisor (`xen-hypervisor-4.17-amd64`, its multiboot image
gunzipped), the toolstack (`xen-utils-4.17`, `xen-utils-common`, the Xen
libraries), the kernel (`linux-image-amd64`'s current image) and busybox.  A
few programs the Xen hotplug scripts and the boot script need (bash, iproute2's
`ip`, util-linux's `losetup` and `flock`, coreutils' `stat`, `screen`) are taken from the machine's own
Debian installation with the libraries `ldd` finds for them.

The dom0 initramfs is a newc cpio archive written here (no `cpio` needed);
its `/init` mounts what Xen's tools need, loads the Xen back-end modules,
starts xenstored, runs xen-init-dom0, starts xenconsoled (each guest's
console logged to `/var/log/xen/console/guest-<name>.log`), creates the
bridge `xenbr0`, runs any `/etc/gw-dom0.d/*` start hooks (libvirtd), and
serves commands on TCP port 2222 (busybox `nc -ll -e`).  QEMU forwards that
port and libvirtd's 16509 to 127.0.0.1 only (`restrict=on`: dom0 reaches
nothing else).

Run it by hand:

    python -m tests.support.xen_host --shell     # dom0's console on this terminal
    python -m tests.support.xen_host --boot      # boot, print the ports, wait for ^C
"""

from __future__ import annotations

import argparse
import ctypes
import gzip
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.debs import unpacked

XEN_VERSION = "4.17"
XEN_LIB = f"/usr/lib/xen-{XEN_VERSION}"
XEN_PACKAGES = (
    f"xen-hypervisor-{XEN_VERSION}-amd64", f"xen-utils-{XEN_VERSION}", "xen-utils-common", "xenstore-utils",
    f"libxenmisc{XEN_VERSION}", "libxencall1", "libxendevicemodel1", "libxenevtchn1", "libxenforeignmemory1",
    "libxengnttab1", "libxenhypfs1", "libxenstore4", "libxentoollog1", "libxentoolcore1", "libyajl2",
    "busybox-static",
)
# Kernel modules dom0 loads, in order (the kernel's modules.dep is not used).
DOM0_MODULES = (
    "xen-privcmd", "xenfs", "xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-blkback", "xen-netback",
    "llc", "stp", "bridge", "loop", "e1000",
)
# Xen programs put into dom0 (from /usr/lib/xen-4.17/bin).
XEN_PROGRAMS = ("xl", "xenstored", "xenconsoled", "xenconsole", "xen-init-dom0", "libxl-save-helper",
                "xenstore-control")
# Programs from the machine's own Debian installation: (path on the machine, path in dom0).
HOST_PROGRAMS = (("/bin/bash", "/bin/bash"), ("/sbin/ip", "/sbin/ip"), ("/sbin/losetup", "/sbin/losetup"),
                 ("/usr/bin/screen", "/usr/bin/screen"), ("/usr/bin/flock", "/usr/bin/flock"),
                 ("/usr/bin/stat", "/usr/bin/stat"))
TERMINFO = ("/usr/share/terminfo/v/vt100", "/lib/terminfo/v/vt100", "/lib/terminfo/l/linux",
            "/usr/share/terminfo/l/linux", "/lib/terminfo/d/dumb", "/usr/share/terminfo/d/dumb")
# libvirtd with its Xen (libxl) and storage drivers, and QEMU as Xen's disk back-end (qdisk: what
# libvirt's Xen driver asks for a disk with `<driver name="qemu">`).
LIBVIRT_PACKAGES = ("libvirt-daemon", "libvirt-daemon-driver-xen", "qemu-system-xen")
LIBVIRT_PROGRAMS = (
    "usr/sbin/libvirtd", "usr/lib/libvirt/libvirt_iohelper", "usr/libexec/xen-qemu-system-i386",
    "usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_libxl.so",
    "usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_storage.so",
    "usr/lib/x86_64-linux-gnu/libvirt/storage-backend/libvirt_storage_backend_fs.so",
    "usr/lib/x86_64-linux-gnu/libvirt/storage-file/libvirt_storage_file_fs.so",
)
LIBVIRTD_CONF = b"""listen_tls = 0
listen_tcp = 1
auth_tcp = "none"
tcp_port = "16509"
listen_addr = "0.0.0.0"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
"""
START_LIBVIRTD = b"""#!/bin/sh
# Start libvirtd (Xen driver, TCP without authentication: dom0 is reachable only through
# QEMU's loopback port forward); return once it answers.
mkdir -p /var/lib/libvirt /var/log/libvirt /run/libvirt /var/cache/libvirt /etc/libvirt
libvirtd --daemon --listen --pid-file /run/libvirtd.pid --config /etc/libvirt/libvirtd.conf || exit 1
i=0
while ! grep -q ':407D 00000000:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 120 ] && { echo "libvirtd does not listen"; tail -n 30 /var/log/libvirt/libvirtd.log; exit 1; }
    sleep 0.5
done
"""
CONTROL_PORT = 2222
LIBVIRT_PORT = 16509
READY = "GW-DOM0 READY"


def kernel_package() -> str:
    """The kernel image package `linux-image-amd64` currently depends on."""
    done = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True, text=True)
    if done.returncode != 0 or "Depends:" not in done.stdout:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        done = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True, text=True,
                              check=True)
    for line in done.stdout.splitlines():
        found = re.search(r"Depends:\s*(linux-image-\S+-amd64)", line)
        if found:
            return found.group(1)
    raise RuntimeError(f"no kernel image in `apt-cache depends linux-image-amd64`:\n{done.stdout}")


@dataclass
class Packages:
    """The unpacked Debian packages, one folder each (a fake root)."""

    roots: list[Path]
    kernel_root: Path

    def find(self, relative: str) -> Path:
        for root in [*self.roots, self.kernel_root]:
            candidate = root / relative.lstrip("/")
            if candidate.exists() or candidate.is_symlink():
                return candidate
        raise FileNotFoundError(f"{relative} is in none of the unpacked packages")

    def lib_dirs(self) -> list[Path]:
        dirs: list[Path] = []
        for root in self.roots:
            for sub in ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu", f"{XEN_LIB}/lib/x86_64-linux-gnu"):
                if (root / sub).is_dir():
                    dirs.append(root / sub)
        return dirs

    @property
    def kernel_version(self) -> str:
        return next((self.kernel_root / "lib/modules").iterdir()).name

    @property
    def vmlinuz(self) -> Path:
        return next((self.kernel_root / "boot").glob("vmlinuz-*"))

    def module(self, name: str) -> Path:
        base = self.kernel_root / "lib/modules" / self.kernel_version / "kernel"
        for candidate in (name, name.replace("-", "_"), name.replace("_", "-")):
            found = sorted(base.rglob(f"{candidate}.ko"))
            if found:
                return found[0]
        raise FileNotFoundError(f"kernel module {name}")


def fetch_packages(libvirt: bool = True) -> Packages:
    """Download and unpack (once, cached in `.tools/debs/`) everything the Xen host needs."""
    roots = [unpacked(name) for name in (*XEN_PACKAGES, *(LIBVIRT_PACKAGES if libvirt else ()))]
    return Packages(roots, unpacked(kernel_package()))


def xen_image(packages: Packages, work: Path) -> Path:
    """Xen's multiboot image, gunzipped (QEMU's -kernel does not read gzip)."""
    target = work / "xen"
    with gzip.open(packages.find(f"boot/xen-{XEN_VERSION}-amd64.gz")) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    return target


# ------------------------------------------------------------------ the initramfs


class Archive:
    """A newc cpio archive built in memory (what the kernel unpacks as its initramfs)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[int, bytes]] = {}

    def directory(self, path: str, mode: int = 0o755) -> None:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            name = "/".join(parts[:i])
            if name and name not in self.entries:
                self.entries[name] = (stat.S_IFDIR | mode, b"")

    def file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        name = path.strip("/")
        self.directory(os.path.dirname(name))
        self.entries[name] = (stat.S_IFREG | mode, data)

    def symlink(self, path: str, target: str) -> None:
        name = path.strip("/")
        self.directory(os.path.dirname(name))
        self.entries.setdefault(name, (stat.S_IFLNK | 0o777, target.encode()))

    def copy(self, source: Path, path: str) -> None:
        """A file (following symlinks) or a whole folder, keeping the mode."""
        if source.is_dir():
            for child in sorted(source.rglob("*")):
                target = f"{path}/{child.relative_to(source)}"
                if child.is_symlink():
                    self.symlink(target, os.readlink(child))
                elif child.is_dir():
                    self.directory(target)
                else:
                    self.file(target, child.read_bytes(), child.stat().st_mode & 0o7777)
        else:
            self.file(path, source.read_bytes(), source.stat().st_mode & 0o7777)

    def has(self, path: str) -> bool:
        return path.strip("/") in self.entries

    def write(self, target: Path) -> None:
        with open(target, "wb") as out:
            for number, (name, (mode, data)) in enumerate(sorted(self.entries.items()), start=1):
                self._entry(out, number, name, mode, data)
            self._entry(out, 0, "TRAILER!!!", 0, b"")

    @staticmethod
    def _entry(out: object, inode: int, name: str, mode: int, data: bytes) -> None:
        encoded = name.encode() + b"\0"
        fields = [inode, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0]
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        chunk = header + encoded
        chunk += b"\0" * (-len(chunk) % 4) + data
        chunk += b"\0" * (-len(chunk) % 4)
        out.write(chunk)  # type: ignore[attr-defined]


def _libraries(binaries: list[Path], lib_dirs: list[Path]) -> dict[str, Path]:
    """The shared libraries `ldd` finds for the binaries: soname -> file."""
    environment = dict(os.environ, LD_LIBRARY_PATH=os.pathsep.join(str(d) for d in lib_dirs))
    found: dict[str, Path] = {}
    for binary in binaries:
        done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, env=environment)
        if "not a dynamic executable" in done.stdout + done.stderr:
            continue
        for line in done.stdout.splitlines():
            match = re.match(r"\s*(\S+) => (\S+)", line)
            if match:
                found[match.group(1)] = Path(match.group(2))
            elif "not found" in line:
                raise RuntimeError(f"{binary}: a library is missing: {line.strip()}")
    return found


INIT = r"""#!/bin/sh
# dom0's /init: what xencommons does on a Debian Xen host, by hand.
export PATH=/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin:/usr/lib/xen-4.17/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/usr/lib/xen-4.17/lib/x86_64-linux-gnu
export TERM=vt100 HOME=/root
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t tmpfs run /run
mkdir -p /var/lock /var/log/xen/console /var/lib/xen /var/lib/xenstored /run/xen /run/screen /tmp /root
chmod 1777 /tmp
chmod 777 /run/screen
ln -s /run /var/run
echo "GW-DOM0 init $(cut -d' ' -f1 /proc/uptime)"
for module in $(cat /etc/gw-dom0-modules); do
    insmod "/lib/gw-modules/$module.ko" || echo "GW-DOM0 insmod $module failed"
done
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xen/xenstored.pid
xen-init-dom0
xenconsoled --pid-file=/run/xen/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console
ip link set lo up
ip link add name xenbr0 type bridge stp_state 0 forward_delay 0
ip link set xenbr0 up
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
ip route add default via 10.0.2.2
for hook in /etc/gw-dom0.d/*; do
    [ -x "$hook" ] && "$hook"
done
nc -ll -p 2222 -e /usr/sbin/gw-exec &
echo "GW-DOM0 READY $(cut -d' ' -f1 /proc/uptime)"
if grep -q gw.shell /proc/cmdline; then
    while :; do setsid cttyhack sh; done
fi
while :; do sleep 3600; done
"""

EXEC = """#!/bin/sh
# One command connection on port 2222: the script comes on stdin.
exec 2>&1
cd /root
exec /bin/sh
"""


def build_initramfs(packages: Packages, target: Path, files: Mapping[str, Path | bytes] = {},
                    directories: Iterable[tuple[Path, str]] = (), libvirt: bool = True) -> None:
    """dom0's initramfs: busybox, Xen's tools and back-end modules, and the caller's files (dom0 path -> content).

    `directories` are folders copied whole (source, dom0 path).  With
    `libvirt`, libvirtd with the Xen driver and QEMU's Xen disk back-end are
    added, started by `/usr/sbin/gw-start-libvirtd`.
    """
    archive = Archive()
    programs: list[Path] = []
    if libvirt:
        programs = [packages.find(path) for path in LIBVIRT_PROGRAMS]
        archive.copy(Path("/usr/share/libvirt/cpu_map"), "/usr/share/libvirt/cpu_map")
        # libxl starts the disk back-end with `-vnc none`, which still loads a keymap.
        archive.copy(Path("/usr/share/qemu/keymaps/en-us"), "/usr/share/qemu/keymaps/en-us")
        archive.file("/etc/libvirt/libvirtd.conf", LIBVIRTD_CONF)
        archive.file("/usr/sbin/gw-start-libvirtd", START_LIBVIRTD, 0o755)
    for path in ("dev", "proc", "sys", "run", "tmp", "root", "etc", "var/lib", "var/log", "mnt"):
        archive.directory(path)
    busybox = packages.find("bin/busybox")
    archive.copy(busybox, "/bin/busybox")
    binaries: list[Path] = []
    for host_file, path in HOST_PROGRAMS:
        archive.copy(Path(host_file), path)
        binaries.append(Path(host_file))
    for name in XEN_PROGRAMS:
        program = packages.find(f"{XEN_LIB}/bin/{name}")
        archive.copy(program, f"{XEN_LIB}/bin/{name}")
        archive.symlink(f"/usr/sbin/{name}", f"{XEN_LIB}/bin/{name}")
        binaries.append(program)
    xenstore = packages.find("usr/bin/xenstore")
    binaries.append(xenstore)
    for tool in sorted(xenstore.parent.glob("xenstore*")):
        if not tool.is_symlink():
            archive.copy(tool, f"/usr/bin/{tool.name}")
    for program in programs:
        relative = "/" + str(program).split("/.tools/debs/", 1)[1].split("/", 1)[1]
        archive.copy(program, relative)
        binaries.append(program)
    archive.copy(packages.find("etc/xen/scripts"), "/etc/xen/scripts")
    archive.copy(packages.find("etc/xen/xl.conf"), "/etc/xen/xl.conf")
    for name in TERMINFO:
        if Path(name).exists():
            archive.copy(Path(name), name)
    libraries = _libraries(binaries, packages.lib_dirs())
    # glibc loads libgcc_s with dlopen (pthread_cancel, as xl uses): ldd does not list it.
    libraries["libgcc_s.so.1"] = Path("/lib/x86_64-linux-gnu/libgcc_s.so.1")
    for soname, library in sorted(libraries.items()):
        archive.copy(library, f"/lib/x86_64-linux-gnu/{soname}")
    archive.copy(Path("/lib64/ld-linux-x86-64.so.2"), "/lib64/ld-linux-x86-64.so.2")
    names = list(DOM0_MODULES)
    for name in names:
        archive.copy(packages.module(name), f"/lib/gw-modules/{name}.ko")
    archive.file("/etc/gw-dom0-modules", "\n".join(names).encode() + b"\n")
    archive.file("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    archive.file("/etc/group", b"root:x:0:\nutmp:x:43:\n")
    archive.file("/init", INIT.encode(), 0o755)
    archive.file("/usr/sbin/gw-exec", EXEC.encode(), 0o755)
    for source_dir, path in directories:
        archive.copy(source_dir, path)
    for path, content in files.items():
        if isinstance(content, Path):
            archive.copy(content, path)
        else:
            archive.file(path, content, 0o755 if content.startswith(b"#!") else 0o644)
    applets = subprocess.run([str(busybox), "--list-full"], capture_output=True, text=True, check=True)
    for applet in applets.stdout.split():
        if not archive.has(applet) and not archive.has(applet.replace("usr/", "")):
            archive.symlink(f"/{applet}", "/bin/busybox")
    archive.write(target)


# ------------------------------------------------------------------ the emulated machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class XenHost:
    """A running emulated Xen host: QEMU's process, dom0's serial log, the forwarded ports."""

    work: Path
    process: subprocess.Popen[bytes]
    serial: Path
    control_port: int
    libvirt_port: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def libvirt_uri(self) -> str:
        return f"xen+tcp://127.0.0.1:{self.libvirt_port}/system"

    def log(self) -> str:
        return self.serial.read_text(errors="replace") if self.serial.exists() else ""

    def wait_for(self, marker: str, timeout: float) -> float:
        """Seconds until `marker` shows on dom0's serial console."""
        start = time.monotonic()
        while marker not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"QEMU exited ({self.process.returncode}) before {marker!r}:\n{self.tail()}")
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"no {marker!r} on dom0's console after {timeout:.0f}s:\n{self.tail()}")
            time.sleep(0.5)
        return time.monotonic() - start

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def run(self, script: str, timeout: float = 120) -> tuple[int, str]:
        """Run a shell script in dom0 (as root, busybox sh); its exit status and output."""
        payload = f"(\n{script}\n) </dev/null\necho \"GW-EXIT:$?\"\nexit\n".encode()
        deadline = time.monotonic() + timeout
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=30) as connection:
            connection.sendall(payload)
            chunks: list[bytes] = []
            while True:
                connection.settimeout(max(1.0, deadline - time.monotonic()))
                try:
                    chunk = connection.recv(65536)
                except TimeoutError:
                    raise TimeoutError(f"dom0 command timed out after {timeout}s:\n{script}\n"
                                       f"output so far:\n{b''.join(chunks).decode(errors='replace')}") from None
                if not chunk:
                    break
                chunks.append(chunk)
        output = b"".join(chunks).decode(errors="replace")
        match = re.search(r"GW-EXIT:(\d+)\s*$", output)
        if not match:
            raise RuntimeError(f"dom0 command ended without its status:\n{script}\n{output}")
        return int(match.group(1)), output[: match.start()]

    def check(self, script: str, timeout: float = 120) -> str:
        status, output = self.run(script, timeout)
        if status != 0:
            raise AssertionError(f"dom0 command failed ({status}):\n{script}\n{output}")
        return output

    def wait_control(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.run("true", timeout=20)[0] == 0:
                    return
            except (OSError, RuntimeError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
            time.sleep(1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


def _die_with_parent() -> None:
    """In the child: the kernel kills QEMU when the test process dies, however it dies (no stray QEMU)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG


def start(packages: Packages, work: Path, initramfs: Path, memory_mib: int = 3072, dom0_mib: int = 1024,
          interactive: bool = False) -> XenHost:
    """Start QEMU with Xen and dom0 (not waiting for it); the caller stops it."""
    xen = xen_image(packages, work)
    vmlinuz = work / "vmlinuz"
    shutil.copyfile(packages.vmlinuz, vmlinuz)
    serial = work / "serial.log"
    control, libvirt = free_port(), free_port()
    dom0_args = "console=hvc0 panic=-1 quiet loglevel=4" + (" gw.shell" if interactive else "")
    command = [
        "qemu-system-x86_64", "-machine", "pc,accel=tcg", "-cpu", "Nehalem", "-m", str(memory_mib),
        "-smp", "2", "-no-reboot", "-display", "none", "-monitor", "none",
        "-serial", "mon:stdio" if interactive else f"file:{serial}",
        "-kernel", str(xen),
        "-append", f"console=com1 com1=115200,8n1 dom0_mem={dom0_mib}M,max:{dom0_mib}M loglvl=warning",
        "-initrd", f"{vmlinuz} {dom0_args},{initramfs}",
        "-nic", f"user,model=e1000,restrict=on,hostfwd=tcp:127.0.0.1:{control}-:{CONTROL_PORT},"
                f"hostfwd=tcp:127.0.0.1:{libvirt}-:{LIBVIRT_PORT}",
    ]
    if "," in str(vmlinuz) or " " in str(work):
        raise ValueError(f"QEMU's -initrd cannot take this folder: {work}")
    if interactive:
        process = subprocess.Popen(command)
    else:
        with open(work / "qemu.stderr", "wb") as errors:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=errors, start_new_session=True, preexec_fn=_die_with_parent)
    return XenHost(work, process, serial, control, libvirt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.xen_host",
                                     description="Boot Xen with a Debian dom0 under QEMU's software emulation.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--shell", action="store_true", help="dom0's console on this terminal (^A x quits QEMU)")
    mode.add_argument("--boot", action="store_true", help="boot, print the forwarded ports, wait for ^C")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    options = parser.parse_args(argv)
    work = options.work or Path(tempfile.mkdtemp(prefix="gw-xen-"))
    work.mkdir(parents=True, exist_ok=True)
    packages = fetch_packages()
    build_initramfs(packages, work / "dom0.img")
    host = start(packages, work, work / "dom0.img", interactive=options.shell)
    if options.shell:
        return host.process.wait()
    try:
        print(f"work folder {work}; dom0's console: tail -f {host.serial}", flush=True)
        print(f"ready after {host.wait_for(READY, 600):.0f}s", flush=True)
        print(f"commands: nc 127.0.0.1 {host.control_port}; libvirt: {host.libvirt_uri}", flush=True)
        while host.process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
