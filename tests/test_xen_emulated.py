"""gwc's Xen artefacts run by Xen itself: Xen 4.17 with a Debian dom0, under QEMU's software emulation.

One dom0 boot (tests/support/xen_host.py) serves both scenarios:

1. the seed paper's way: the generated xl.cfg files and the host's boot
   script `gw-domains`, put into dom0, start the site's guests in dependency
   order with `xl`; each guest (the guest kit's busybox system) configures its
   network from its config disk; the worker node reaches the CE by name; the
   script's `stop` takes them down in reverse order;
2. the runtime's way: libvirtd's Xen driver in dom0, reached over a
   loopback-only port forward as `xen+tcp://127.0.0.1:PORT/system`, runs the
   generated libvirt definitions.

Stage timings are printed (`pytest -s` shows them) and kept in
`XenHost.timings`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gwlang.cli import main
from tests.support import guest_kit, xen_host

# The slowest test of the suite (a nested Xen under software emulation): its own worker under
# `pytest -n` (`./dev test` runs `--dist loadgroup`), while the rest share the other cores.
pytestmark = pytest.mark.xdist_group("xen-emulated")

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "tests/cases/xen-emulated/site.gw"
SITE = "xemu"
HOST = "gw"
NODES = ("install", "ce", "wn01")
KIT_DIR = "/var/lib/gwlang/kit"
SCENARIO1 = "/etc/gwlang"
# The guests power off when Xen asks them to (`xl shutdown`): the kit's /init
# is no init that busybox `poweroff` could signal.
POWEROFF = b"#!/bin/busybox sh\nexec /bin/busybox poweroff -f\n"


def _compile(output: Path) -> Path:
    assert main(["compile", str(CASE), "-o", str(output)]) == 0
    return output / SITE


def config_images(site: Path, work: Path) -> dict[str, Path]:
    """Each node's config disk, built as `gwc apply` would: ext4 of the overlay, label gw-config."""
    data = json.loads((site / "site.json").read_text())
    images: dict[str, Path] = {}
    for node in NODES:
        image = work / f"{node}-config.img"
        image.unlink(missing_ok=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "gw-config", "-d", str(site / "nodes" / node / "overlay"),
                        str(image), "4M"], check=True, capture_output=True)
        images[data["nodes"][node]["config-disk"]["path"]] = image
    return images


class Stopwatch:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = time.monotonic()

    def lap(self, stage: str) -> float:
        now = time.monotonic()
        self.timings[stage] = round(now - self.last, 1)
        self.last = now
        return self.timings[stage]


@pytest.fixture(scope="module")
def xen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[xen_host.XenHost]:
    work = tmp_path_factory.mktemp("xen")
    timings: dict[str, float] = {}
    clock = Stopwatch(timings)
    packages = xen_host.fetch_packages()
    kit = guest_kit.kit()
    initrd = guest_kit.build_initramfs(modules=(*guest_kit.MODULES, "xen-blkfront", "xen-netfront"),
                                       extra_files={"sbin/poweroff": POWEROFF})
    clock.lap("packages fetched and unpacked, guest kit built")
    site = _compile(work / "compiled")
    files: dict[str, Path | bytes] = {f"{KIT_DIR}/vmlinuz": kit.kernel, f"{KIT_DIR}/initrd.img": initrd}
    files.update(config_images(site, work))
    xen_host.build_initramfs(packages, work / "dom0.img", files=files,
                             directories=[(site / "hosts" / HOST, f"{SCENARIO1}/{SITE}/{HOST}")])
    clock.lap("dom0 initramfs built")
    host = xen_host.start(packages, work, work / "dom0.img")
    host.timings = timings
    try:
        host.wait_for(xen_host.READY, timeout=420)
        host.wait_control(timeout=120)
        clock.lap("Xen booted to dom0 ready")
        yield host
    finally:
        save_consoles(host)
        host.stop()
        print("\nemulated Xen host, stage timings (s):")
        for stage, seconds in timings.items():
            print(f"  {seconds:7.1f}  {stage}")


def save_consoles(xen: xen_host.XenHost) -> None:
    """The guests' console logs out of dom0, beside its serial log in the work folder (for a failure's post-mortem)."""
    try:
        for node in NODES:
            status, text = xen.run(f"cat /var/log/xen/console/guest-{node}.log", timeout=30)
            if status == 0:
                (xen.work / f"console-{node}.log").write_text(text)
    except (OSError, RuntimeError, TimeoutError):
        pass


def guest_markers(xen: xen_host.XenHost, node: str) -> list[str]:
    """The `GW-E2E` lines of the guest's last boot, from the console log xenconsoled keeps in dom0."""
    found = guest_kit.markers(xen.check(f"cat /var/log/xen/console/guest-{node}.log 2>/dev/null || true"))
    last_boot = max((i for i, marker in enumerate(found) if marker == "boot"), default=0)
    return found[last_boot:]


def wait_markers(xen: xen_host.XenHost, node: str, wanted: str, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        found = guest_markers(xen, node)
        if wanted in found:
            return found
        if time.monotonic() > deadline:
            consoles = xen.run("xl list; tail -n 30 /var/log/xen/console/*")[1]
            raise AssertionError(f"{node} never printed {wanted!r}; its markers: {found}\n{consoles}")
        time.sleep(3)


def assert_site_works(xen: xen_host.XenHost) -> None:
    """Every guest configured itself from its config disk; the worker node reached the CE by name."""
    for node, address in (("install", "192.0.2.10"), ("ce", "192.0.2.11")):
        found = wait_markers(xen, node, f"eth0={address}/24", timeout=300)
        assert "config=/dev/xvdz" in found and f"hostname={node}" in found and "family=redhat" in found, found
    wn = wait_markers(xen, "wn01", "done", timeout=400)
    assert "config=/dev/xvdz" in wn and "hostname=wn01" in wn and "eth0=192.0.2.20/24" in wn, wn
    assert "ping ce ok address=192.0.2.11" in wn, wn
    assert "ping install ok address=192.0.2.10" in wn, wn
    assert "notify ce ok" in wn, wn
    wait_markers(xen, "ce", "received hello from wn01", timeout=120)


def running_guests(xen: xen_host.XenHost) -> list[str]:
    listed = xen.check("xl list | awk 'NR > 2 { print $1 }'")
    return listed.split()


def destroy_guests(xen: xen_host.XenHost) -> None:
    """No guest left from an earlier scenario (one that failed half-way)."""
    xen.check("for guest in $(xl list | awk 'NR > 2 { print $1 }'); do xl destroy \"$guest\"; done", timeout=300)


def test_boot_script_starts_and_stops_the_site_with_xl(xen: xen_host.XenHost) -> None:
    destroy_guests(xen)
    clock = Stopwatch(xen.timings)
    script = f"{SCENARIO1}/{SITE}/{HOST}/boot/gw-domains"
    status, started = xen.run(f"{script} start", timeout=600)
    clock.lap("scenario 1: gw-domains start (xl create x3)")
    assert status == 0, started
    assert [line for line in started.splitlines() if line.startswith("Starting")] == \
        [f"Starting {node}" for node in NODES], started
    assert running_guests(xen) == list(NODES)
    assert_site_works(xen)
    clock.lap("scenario 1: guests configured, wn01 reached ce by name")

    status, report = xen.run(f"{script} status")
    assert status == 0, report

    status, stopped = xen.run(f"GW_STOP_TIMEOUT=60 {script} stop", timeout=400)
    clock.lap("scenario 1: gw-domains stop")
    assert status == 0, stopped
    assert [line for line in stopped.splitlines() if line.startswith("Stopping")] == \
        [f"Stopping {node}" for node in reversed(NODES)], stopped
    assert "destroying" not in stopped, stopped
    assert running_guests(xen) == []


def gwc(*arguments: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gwlang", *arguments], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def test_gwc_apply_runs_the_site_through_libvirts_xen_driver(xen: xen_host.XenHost, tmp_path: Path) -> None:
    import libvirt

    destroy_guests(xen)
    clock = Stopwatch(xen.timings)
    xen.check("gw-start-libvirtd", timeout=300)
    deadline = time.monotonic() + 120
    while True:
        try:
            libvirt.open(xen.libvirt_uri).close()
            break
        except libvirt.libvirtError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    clock.lap("scenario 2: libvirtd ready (xen+tcp through the loopback port forward)")
    # The same site, its host reached at the forwarded port, its storage a folder
    # the runtime fills itself (scenario 1's images are elsewhere).
    source = CASE.read_text()
    assert '    storage = "/var/lib/gwlang/images";' in source
    site = tmp_path / "site.gw"
    site.write_text(source.replace('    storage = "/var/lib/gwlang/images";',
                                   f'    storage = "/var/lib/gwlang/pool";\n    uri = "{xen.libvirt_uri}";'))

    applied = gwc("apply", "-y", str(site))
    clock.lap("scenario 2: gwc apply (config disks, define, start x3)")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "started in order: install, ce, wn01" in applied.stdout, applied.stdout
    assert running_guests(xen) == list(NODES)
    # The runtime wrote each config disk into the new storage folder through libvirt.
    images = xen.check("ls /var/lib/gwlang/pool").split()
    assert sorted(images) == sorted(f"{node}-config.img" for node in NODES), images
    assert_site_works(xen)
    clock.lap("scenario 2: guests configured, wn01 reached ce by name")

    status = gwc("status", str(site))
    assert status.returncode == 0, status.stdout + status.stderr
    for node in NODES:
        assert re.search(rf"^{node}\s+{HOST}\s+running\s+in sync", status.stdout, re.MULTILINE), status.stdout
    again = gwc("apply", "-y", str(site))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing changed" in again.stdout, again.stdout
    clock.lap("scenario 2: gwc status, second apply")

    destroyed = gwc("destroy", "-y", str(site))
    clock.lap("scenario 2: gwc destroy")
    assert running_guests(xen) == []
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert "nothing to destroy" not in destroyed.stdout, destroyed.stdout
    connection = libvirt.open(xen.libvirt_uri)
    try:
        assert [d.name() for d in connection.listAllDomains()] == ["Domain-0"]
    finally:
        connection.close()
