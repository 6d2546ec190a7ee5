"""A tiny Linux guest for the end-to-end tests: a Debian kernel and a busybox initramfs.

Everything comes from Debian packages, unpacked (never installed) with
`tests.support.debs`: the kernel of `linux-image-amd64` and `busybox-static`.
The initramfs is written here in Python (cpio "newc", gzip with a fixed
time), so the same inputs give the same bytes, and it is cached under
`.tools/guest-kit/` by the hash of those inputs.

The guest's `/init` (busybox sh, `INIT` below):

1. mounts proc, sys and devtmpfs; quiets the kernel's console messages;
2. loads the kit's modules that exist, in dependency order (virtio PCI, net,
   block; ext4 with crc32c), ignoring failures; Debian's kernel has the Xen
   PV console (hvc0) built in but its disk and network frontends as modules,
   so the Xen test builds a variant with `xen-blkfront` and `xen-netfront`
   added (`build_initramfs(modules=...)`): disks xvd*, console hvc0;
3. finds the config disk by its label `gw-config` (`findfs`), mounts it
   read-only, and takes from it what `gwc compile` wrote into the node's
   overlay: `etc/hostname`, `etc/hosts`, `etc/resolv.conf` and the network
   file of the node's OS family: `etc/sysconfig/network-scripts/ifcfg-eth0`
   (IPADDR, PREFIX or NETMASK, GATEWAY: redhat) or `etc/network/interfaces`
   (`iface eth0 inet static`: address with or without /prefix, netmask,
   gateway: debian); configures `eth0` with busybox `ip`;
4. runs the actions the kernel command line asks for (below), printing every
   result as a line `GW-E2E ...` on the console;
5. optionally copies those lines to the start of a disk, then `poweroff -f`.

Kernel command line (all optional; `console=ttyS0` on QEMU, `console=hvc0` on Xen PV):

- `gw.e2e.serve=PORT`      wait for one message on TCP PORT (`nc -l -p`), print
                           `GW-E2E received <message>`;
- `gw.e2e.ping=A,B`        ping each name until it answers (names resolve
                           through the delivered /etc/hosts), print
                           `GW-E2E ping A ok address=IP` or `GW-E2E ping A failed`;
- `gw.e2e.notify=NAME:PORT` send `hello from <hostname>` to NAME:PORT (`nc`),
                           print `GW-E2E notify NAME ok|failed`;
- `gw.e2e.wait=SECONDS`    how long serve and ping wait (default 60);
- `gw.e2e.log=DEVICE`      write the `GW-E2E` lines to the start of /dev/DEVICE
                           (a writable data disk such as `vda`), ended by `GW-E2E end`
                           and a NUL byte, so a test can read them from the
                           volume after the guest stopped (`markers_from_disk`);
- `gw.e2e.halt=no`         stay up instead of powering off, until asked to shut
                           down: the ACPI power button (libvirt's shutdown of a
                           QEMU guest) or SIGUSR2/SIGTERM to init (what Xen's
                           shutdown request ends in, through /sbin/poweroff);
- `gw.e2e.shell=yes`       with `halt=no`: a busybox shell on the console once
                           done, for a person at `gwc console` (the lines are in
                           /tmp/gw-e2e.log; `ping ce` works by name).

Markers always printed: `GW-E2E boot`, `GW-E2E config=/dev/vdz` (or
`config missing`), `GW-E2E hostname=NAME`, `GW-E2E family=redhat|debian`,
`GW-E2E eth0=IP/PREFIX`, `GW-E2E gateway=IP`, `GW-E2E done`.

API: `kit()` returns a `Kit` (kernel path, initramfs path), building what is
missing; `build_initramfs(modules=..., extra_files=...)` makes variants (the
Xen harness may add modules or files); `markers(text)` parses `GW-E2E` lines.
"""

from __future__ import annotations

import fcntl
import functools
import gzip
import hashlib
import io
import re
import stat
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support import debs

KIT = debs.ROOT / ".tools" / "guest-kit"
MARKER = "GW-E2E"

# Modules the guest loads, by name; their dependencies (the .ko's own
# `depends=`) are added and ordered first.  crc32c_generic is ext4's soft
# dependency (the crc32c checksum of its metadata).  button and evdev let a
# guest that stays up see QEMU's ACPI power button (libvirt's shutdown).
MODULES = (
    "virtio_pci",
    "virtio_net",
    "virtio_blk",
    "crc32c_generic",
    "ext4",
    "button",
    "evdev",
)

INIT = r"""#!/bin/busybox sh
# The gwlang end-to-end guest: configure the node from gwc's config disk,
# run the actions of the kernel command line, power off.
/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin /proc /sys /dev /tmp /etc /config /run
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo 1 > /proc/sys/kernel/printk
LOG=/tmp/gw-e2e.log
: > $LOG
say() { echo "GW-E2E $*"; echo "GW-E2E $*" >> $LOG; }

SERVE= PING= NOTIFY= WAIT=60 LOGDEV= HALT=yes SHELL=no
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        gw.e2e.serve=*) SERVE=${arg#*=} ;;
        gw.e2e.ping=*) PING=${arg#*=} ;;
        gw.e2e.notify=*) NOTIFY=${arg#*=} ;;
        gw.e2e.wait=*) WAIT=${arg#*=} ;;
        gw.e2e.log=*) LOGDEV=${arg#*=} ;;
        gw.e2e.halt=*) HALT=${arg#*=} ;;
        gw.e2e.shell=*) SHELL=${arg#*=} ;;
    esac
done
say boot

for module in $(cat /lib/modules/order); do
    insmod /lib/modules/$module.ko 2>/dev/null
done

finish() {
    say done
    if [ -n "$LOGDEV" ] && [ -b "/dev/$LOGDEV" ]; then
        { cat $LOG; echo "GW-E2E end"; printf '\000'; } > /tmp/record
        dd if=/dev/zero of=/dev/$LOGDEV bs=4096 count=16 2>/dev/null
        dd if=/tmp/record of=/dev/$LOGDEV conv=notrunc 2>/dev/null
        sync
    fi
    if [ "$HALT" = no ]; then
        # Stay up until asked to stop: libvirt's shutdown presses QEMU's ACPI
        # power button (read here from its input device); Xen's asks the
        # kernel, which runs /sbin/poweroff, which signals init (USR2).
        trap 'say shutdown requested; poweroff -f' USR2 TERM
        for event in /sys/class/input/event*; do
            if grep -q "Power Button" "$event/device/name" 2>/dev/null; then
                ( head -c 1 "/dev/input/${event##*/}" > /dev/null && kill -USR2 1 ) &
            fi
        done
        if [ "$SHELL" = yes ]; then
            # A shell on the console for whoever attaches (`gwc console`): Enter for a prompt.
            ( while :; do setsid cttyhack sh; sleep 1; done ) &
        fi
        while :; do sleep 1; done
    fi
    poweroff -f
    sleep 5
}

DEV=
i=0
while [ $i -lt 100 ]; do
    DEV=$(findfs LABEL=gw-config 2>/dev/null) && break
    DEV=
    i=$((i + 1))
    sleep 0.1
done
if [ -z "$DEV" ] || ! mount -t ext4 -o ro,noload "$DEV" /config; then
    say config missing
    finish
fi
say config=$DEV

C=/config
if [ -s $C/etc/hostname ]; then
    hostname "$(head -n 1 $C/etc/hostname)"
    say hostname=$(hostname)
fi
[ -f $C/etc/hosts ] && cp $C/etc/hosts /etc/hosts
[ -f $C/etc/resolv.conf ] && cp $C/etc/resolv.conf /etc/resolv.conf

IP= PREFIX= NETMASK= GATEWAY=
IFCFG=$C/etc/sysconfig/network-scripts/ifcfg-eth0
IFACES=$C/etc/network/interfaces
if [ -f $IFCFG ]; then
    say family=redhat
    value() { sed -n "s/^$1=[\"']\{0,1\}\([^\"']*\)[\"']\{0,1\}\$/\1/p" $IFCFG | tail -n 1; }
    IP=$(value IPADDR) PREFIX=$(value PREFIX) NETMASK=$(value NETMASK) GATEWAY=$(value GATEWAY)
elif [ -f $IFACES ]; then
    say family=debian
    eval "$(awk '
        $1 == "iface" { inside = ($2 == "eth0" && $4 == "static"); next }
        $1 == "auto" || $1 == "allow-hotplug" || $1 == "mapping" || $1 == "source" { inside = 0; next }
        inside && $1 == "address" { split($2, a, "/"); print "IP=" a[1]; if (a[2] != "") print "PREFIX=" a[2] }
        inside && $1 == "netmask" { print "NETMASK=" $2 }
        inside && $1 == "gateway" { print "GATEWAY=" $2 }
    ' $IFACES)"
else
    say family=unknown
fi
if [ -z "$PREFIX" ] && [ -n "$NETMASK" ]; then
    PREFIX=$(ipcalc -p "$IP" "$NETMASK" | sed 's/^PREFIX=//')
fi

ip link set lo up
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
if [ -n "$IP" ] && [ -e /sys/class/net/eth0 ]; then
    ip link set eth0 up
    ip addr add "$IP/$PREFIX" dev eth0 && say eth0=$IP/$PREFIX
    if [ -n "$GATEWAY" ]; then
        ip route add default via "$GATEWAY" dev eth0 && say gateway=$GATEWAY
    fi
else
    say eth0 missing
fi

if [ -n "$SERVE" ]; then
    (
        timeout "$WAIT" nc -l -p "$SERVE" > /tmp/received 2>/dev/null
        if [ -s /tmp/received ]; then
            say received $(head -n 1 /tmp/received)
        else
            say received nothing
        fi
    ) &
    SERVER=$!
fi

for name in $(echo "$PING" | tr , ' '); do
    ok=
    i=0
    while [ $i -lt "$WAIT" ]; do
        if ping -c 1 -W 1 "$name" > /dev/null 2>&1; then ok=yes; break; fi
        i=$((i + 1))
        sleep 1
    done
    if [ -n "$ok" ] && ping -c 3 -W 2 "$name" > /tmp/ping 2>&1; then
        address=$(sed -n '1s/^PING [^ ]* (\([0-9.]*\)).*/\1/p' /tmp/ping)
        say ping $name ok address=$address
    else
        say ping $name failed
    fi
done

if [ -n "$NOTIFY" ]; then
    target=${NOTIFY%:*} port=${NOTIFY##*:} ok=
    i=0
    while [ $i -lt 20 ]; do
        if echo "hello from $(hostname)" | nc -w 2 "$target" "$port" 2>/dev/null; then ok=yes; break; fi
        i=$((i + 1))
        sleep 1
    done
    if [ -n "$ok" ]; then say notify $target ok; else say notify $target failed; fi
fi

[ -n "$SERVE" ] && wait $SERVER
finish
"""


@dataclass(frozen=True)
class Kit:
    """The guest's kernel and initramfs, as files on this machine."""

    kernel: Path
    initramfs: Path
    kernel_version: str


@functools.cache
def kernel_package() -> str:
    """The versioned kernel package `linux-image-amd64` depends on (`linux-image-6.1.0-N-amd64`)."""
    for attempt in range(2):
        result = subprocess.run(
            ["apt-cache", "depends", "linux-image-amd64"], capture_output=True, text=True
        )
        found = re.search(r"Depends: (linux-image-[0-9][^\s]*)", result.stdout)
        if found:
            return found.group(1)
        if attempt == 0:
            subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
    raise RuntimeError("apt-cache finds no kernel package for linux-image-amd64")


def kernel_tree() -> tuple[Path, str]:
    """The unpacked kernel package and its version (the folder under lib/modules)."""
    root = debs.unpacked(kernel_package())
    versions = sorted(p.name for p in (root / "lib" / "modules").iterdir() if p.is_dir())
    if not versions:
        raise RuntimeError(f"no lib/modules/<version> in {root}")
    return root, versions[-1]


def busybox() -> Path:
    return debs.unpacked("busybox-static") / "bin" / "busybox"


def module_files(modules_dir: Path) -> dict[str, Path]:
    """Every module of the kernel by name (`virtio_net`), `-` and `_` alike."""
    found: dict[str, Path] = {}
    for path in modules_dir.rglob("*.ko*"):
        name = path.name.split(".ko")[0].replace("-", "_")
        found[name] = path
    return found


def _depends(path: Path) -> list[str]:
    data = _module_bytes(path)
    found = re.search(rb"(?:^|\x00)depends=([^\x00]*)\x00", data)
    if not found or not found.group(1):
        return []
    return [d.decode().replace("-", "_") for d in found.group(1).split(b",") if d]


def _module_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".xz"):
        import lzma

        return lzma.decompress(data)
    if path.name.endswith(".zst"):
        raise RuntimeError(f"zstd-compressed module not supported: {path}")
    return data


def module_order(wanted: Iterable[str], available: Mapping[str, Path]) -> list[str]:
    """`wanted` and their dependencies, each after what it depends on; missing names are skipped."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order or name in visiting or name not in available:
            return
        visiting.add(name)
        for dep in _depends(available[name]):
            visit(dep)
        visiting.discard(name)
        order.append(name)

    for name in wanted:
        visit(name.replace("-", "_"))
    return order


class _Cpio:
    """A cpio archive in the "newc" format the kernel unpacks, built in memory."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.inode = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        encoded = name.encode() + b"\x00"
        fields = [self.inode, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
        self.inode += 1
        self.out.write(b"070701" + b"".join(b"%08X" % f for f in fields) + encoded)
        self.out.write(b"\x00" * (-self.out.tell() % 4))
        self.out.write(data)
        self.out.write(b"\x00" * (-self.out.tell() % 4))

    def directory(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def char_device(self, name: str, major: int, minor: int) -> None:
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        self.out.write(b"\x00" * (-self.out.tell() % 512))
        return self.out.getvalue()


def build_initramfs(
    modules: Iterable[str] = MODULES,
    extra_files: Mapping[str, bytes] | None = None,
    init: str = INIT,
) -> Path:
    """The guest initramfs (gzip'd cpio) with busybox, the modules (and their dependencies) and `init`.

    `extra_files` maps paths inside the guest (`etc/foo`) to contents.  The
    result is cached under `.tools/guest-kit/` by the hash of its inputs.
    """
    tree, version = kernel_tree()
    available = module_files(tree / "lib" / "modules" / version)
    order = module_order(modules, available)
    box = busybox().read_bytes()
    files: dict[str, tuple[bytes, int]] = {
        "init": (init.encode(), 0o755),
        "bin/busybox": (box, 0o755),
        "lib/modules/order": ("".join(f"{m}\n" for m in order).encode(), 0o644),
    }
    for name in order:
        files[f"lib/modules/{name}.ko"] = (_module_bytes(available[name]), 0o644)
    for path, data in (extra_files or {}).items():
        files[path.lstrip("/")] = (data, 0o755 if data.startswith(b"#!") else 0o644)

    digest = hashlib.sha256()
    for path in sorted(files):
        data, mode = files[path]
        digest.update(f"{path}\0{mode}\0{len(data)}\0".encode())
        digest.update(data)
    target = KIT / f"initramfs-{digest.hexdigest()[:16]}.gz"
    if target.exists():
        return target

    archive = _Cpio()
    directories = {"bin", "dev", "etc", "lib", "lib/modules", "proc", "sys", "tmp", "config", "root"}
    for path in files:
        parts = path.split("/")[:-1]
        directories.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    for directory in sorted(directories):
        archive.directory(directory)
    archive.char_device("dev/console", 5, 1)
    archive.char_device("dev/null", 1, 3)
    for path in sorted(files):
        data, mode = files[path]
        archive.file(path, data, mode)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=6) as packed:
        packed.write(archive.finish())
    KIT.mkdir(parents=True, exist_ok=True)
    with open(KIT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        partial = target.with_suffix(".partial")
        partial.write_bytes(buffer.getvalue())
        partial.replace(target)
    return target


def kit() -> Kit:
    """The kernel and the default initramfs, fetched and built when missing."""
    tree, version = kernel_tree()
    kernel = tree / "boot" / f"vmlinuz-{version}"
    if not kernel.is_file():
        raise RuntimeError(f"no kernel at {kernel}")
    return Kit(kernel=kernel, initramfs=build_initramfs(), kernel_version=version)


def markers(text: str) -> list[str]:
    """The `GW-E2E` lines of a console log, without the prefix, in order."""
    found = []
    for line in text.replace("\r", "").splitlines():
        at = line.find(MARKER + " ")
        if at >= 0:
            found.append(line[at + len(MARKER) + 1 :].strip())
    return found


def markers_from_disk(image: Path) -> list[str]:
    """The lines a guest wrote with `gw.e2e.log=DEVICE` to the disk whose image is `image`."""
    with open(image, "rb") as disk:
        head = disk.read(65536)
    text = head.split(b"\x00", 1)[0].decode(errors="replace")
    found = markers(text)
    return found[: found.index("end")] if "end" in found else []


def install(folder: Path) -> Kit:
    """The kit copied into `folder` as `vmlinuz` and `initramfs.gz`: where `sites/lab.gw` boots its guests from."""
    built = kit()
    folder.mkdir(parents=True, exist_ok=True)
    installed = Kit(kernel=folder / "vmlinuz", initramfs=folder / "initramfs.gz", kernel_version=built.kernel_version)
    for source, target in ((built.kernel, installed.kernel), (built.initramfs, installed.initramfs)):
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(source.read_bytes())
        partial.chmod(0o644)
        partial.replace(target)
    return installed


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.support.guest_kit [FOLDER]`: build the kit and copy it into FOLDER."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.support.guest_kit", description=main.__doc__)
    parser.add_argument("folder", nargs="?", default="/var/lib/gwlang/kit", type=Path,
                        help="where to put vmlinuz and initramfs.gz (default: %(default)s)")
    installed = install(parser.parse_args(argv).folder)
    print(f"{installed.kernel}\n{installed.initramfs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
