"""End to end on real parts: `gwc apply` boots a site under QEMU; its guests configure themselves from gwc's files.

Nothing is mocked.  The test starts its own libvirtd and virtlogd with QEMU
(software emulation: KVM does not work on the project's machines) in a
network namespace it creates (`tests/support/libvirtd.py`), so the site's
bridge `virbr0`, the taps and the guests never touch the machine's own
network; a libvirtd the machine may run is not touched either (a private
socket, reached as `qemu:///system?socket=...`).

The site is the README's laptop example, `sites/lab.gw`: an install server
(a Debian node), a CE and a worker node (Red Hat nodes) on one `qemu` host
on libvirt's bridge `virbr0` (here in the test's own namespace), each
booted directly from a Debian kernel and a busybox initramfs the test builds
from Debian packages and puts where the site expects them, through the
command the README gives (`python -m tests.support.guest_kit FOLDER`;
`tests/support/guest_kit.py`).  Only the kit's folder, the storage folder
and the URI are replaced.  Then:

1. `gwc plan -o PLAN` saves the plan, and `gwc apply PLAN` carries it out:
   it creates the volumes and the config disks from the compiled overlays,
   defines the domains and starts them in dependency order;
2. each guest's /init finds its config disk by its label `gw-config`, sets
   its host name and /etc/hosts from gwc's files, configures eth0 from its
   OS family's network file (ifcfg-eth0 or etc/network/interfaces); the CE
   waits for a message, the worker pings the CE and the install server *by
   name* and sends the CE the message;
3. the test reads what happened from each guest's serial console (libvirt's
   console stream, attached as soon as the domain runs) and from the record
   each guest writes to the start of its first disk, and checks both against
   what the sources say (names, addresses, families);
4. a command typed into the CE's console through `gwc console`'s relay runs
   in the shell the guest keeps there (`gw.e2e.shell=yes`);
5. a second `gwc apply` changes nothing and says so; `gwc destroy` removes
   the domains and keeps the volumes.

Everything is stopped afterwards, even on failure.  Needs root; `./dev test`
installs the Debian packages (libvirt-daemon, libvirt-daemon-driver-qemu,
qemu-system-x86, e2fsprogs, iproute2).  Measured on a 2-core machine: the kit
in about 15 s the first time (the 70 MB kernel package fetched and unpacked
into .tools/), 1.5 s once cached; libvirtd up in 0.15 s; the first apply 7 s;
the guests' last markers 15 to 25 s after it (three guests sharing two
emulated CPUs); the second apply 0.1 s; destroy 8 s (the guests power off on
the ACPI button); the whole test about 45 s.

The second apply must change nothing: QEMU stores the machine `pc` as its
versioned name (`pc-i440fx-7.2`), which the runtime reads as the same machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import libvirt
import pytest

from gwlang.cli import main as gwc_main
from gwlang.runtime.console import run_console
from tests.support import guest_kit, libvirtd

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "sites" / "lab.gw"
NODES = ("install", "ce", "wn01")
# This guest's console is read through `gwc console`'s relay, the others through libvirt directly.
THROUGH_GWC_CONSOLE = "ce"
EXPECTED = {
    "install": {"family": "debian", "eth0": "192.168.122.10/24"},
    "ce": {"family": "redhat", "eth0": "192.168.122.11/24"},
    "wn01": {"family": "redhat", "eth0": "192.168.122.21/24"},
}
BOOT_TIMEOUT = 240.0

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="starts libvirtd, namespaces and bridges: needs root")


class Consoles:
    """Each named domain's serial console, recorded to a file from the moment the domain runs.

    A pty console drops what nobody reads, so a thread watches for the
    domains and attaches (libvirt's `openConsole` on a blocking stream) as
    soon as each is active; the guests' markers come seconds later, after
    the kernel booted.
    """

    def __init__(self, uri: str, names: tuple[str, ...], folder: Path) -> None:
        self.uri = uri
        self.names = names
        self.files = {name: folder / f"console-{name}.log" for name in names}
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.attached: dict[str, float] = {}
        self.keys: int | None = None            # the write end of `gwc console`'s keyboard pipe
        self.watcher = threading.Thread(target=self._watch, name="consoles", daemon=True)

    def __enter__(self) -> Consoles:
        self.watcher.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        if self.keys is not None:
            os.close(self.keys)
        self.watcher.join(timeout=5)
        for thread in self.threads:
            thread.join(timeout=5)

    def text(self, name: str) -> str:
        path = self.files[name]
        return path.read_text(errors="replace") if path.exists() else ""

    def markers(self, name: str) -> list[str]:
        return guest_kit.markers(self.text(name))

    def _watch(self) -> None:
        connection = libvirt.open(self.uri)
        try:
            while not self.stop.is_set() and len(self.attached) < len(self.names):
                for name in self.names:
                    if name in self.attached:
                        continue
                    with contextlib.suppress(libvirt.libvirtError):
                        domain = connection.lookupByName(name)
                        if domain.isActive():
                            self._attach(name)
                time.sleep(0.05)
        finally:
            connection.close()

    def _attach(self, name: str) -> None:
        if name == THROUGH_GWC_CONSOLE:
            self._attach_gwc_console(name)
            return
        connection = libvirt.open(self.uri)
        stream = connection.newStream(0)
        connection.lookupByName(name).openConsole("serial0", stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
        self.attached[name] = time.monotonic()
        thread = threading.Thread(target=self._record, args=(connection, stream, name), daemon=True)
        thread.start()
        self.threads.append(thread)

    def _attach_gwc_console(self, name: str) -> None:
        """`gwc console`'s own relay (`run_console`), with a pipe for the keyboard: closing it leaves."""
        keyboard, self.keys = os.pipe()
        self.attached[name] = time.monotonic()

        def relay() -> None:
            with open(keyboard, "rb", buffering=0) as source, open(self.files[name], "ab") as log:
                try:
                    run_console(self.uri, name, stdin=source, stdout=log)  # type: ignore[arg-type]
                except Exception as failure:  # shown with the console's text when the markers are missing
                    log.write(f"\ngwc console failed: {failure}\n".encode())

        thread = threading.Thread(target=relay, name=f"gwc-console-{name}", daemon=True)
        thread.start()
        self.threads.append(thread)

    def _record(self, connection: libvirt.virConnect, stream: libvirt.virStream, name: str) -> None:
        with open(self.files[name], "ab") as log:
            try:
                while not self.stop.is_set():
                    data = stream.recv(4096)
                    if not isinstance(data, bytes) or not data:
                        break
                    log.write(data)
                    log.flush()
            except libvirt.libvirtError:
                pass
            finally:
                with contextlib.suppress(libvirt.libvirtError):
                    stream.abort()
                connection.close()


def render_site(folder: Path, kit: Path, uri: str) -> tuple[Path, Path]:
    """The laptop site with the kit's folder, a storage folder under `folder` and the daemon's URI."""
    storage = folder / "storage"
    storage.mkdir()
    text = SITE.read_text()
    for placeholder, value in (
        ('"/var/lib/gwlang/kit/', f'"{kit}/'),
        ('"/var/lib/libvirt/images/gwlang-lab"', f'"{storage}"'),
        ('"qemu:///system"', f'"{uri}"'),
    ):
        assert placeholder in text, placeholder
        text = text.replace(placeholder, value)
    site = folder / "site.gw"
    site.write_text(text)
    return site, storage


def gwc(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    """Run `gwc ARGUMENTS` in this process; its standard output, or a failure with both outputs."""
    capsys.readouterr()
    status = gwc_main(list(arguments))
    out, err = capsys.readouterr()
    assert status == 0, f"gwc {' '.join(arguments)} exited {status}\n{out}\n{err}"
    return out


def wait_for_markers(storage: Path, consoles: Consoles, finished: dict[str, float]) -> dict[str, list[str]]:
    """Each node's record from its first disk, once every node wrote one (`done`); `finished`: when, in s."""
    started = time.monotonic()
    deadline = started + BOOT_TIMEOUT
    records: dict[str, list[str]] = {}
    while time.monotonic() < deadline:
        for name in NODES:
            image = storage / f"{name}-xvda.img"
            if name not in records and image.exists():
                found = guest_kit.markers_from_disk(image)
                if "done" in found:
                    records[name] = found
                    finished[name] = round(time.monotonic() - started, 1)
        if len(records) == len(NODES):
            return records
        time.sleep(0.5)
    consoles_text = "\n".join(f"--- {n}:\n{consoles.text(n)[-3000:]}" for n in NODES)
    raise AssertionError(f"guests did not finish in {BOOT_TIMEOUT:.0f} s: {sorted(records)}\n{consoles_text}")


@contextlib.contextmanager
def timed(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    timings[name] = round(time.monotonic() - started, 1)


def test_apply_boots_the_site_and_the_guests_configure_themselves_from_gwc_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timings: dict[str, float] = {}
    kit = tmp_path / "kit"
    with timed(timings, "kit"):
        assert guest_kit.main([str(kit)]) == 0
    started = time.monotonic()
    with libvirtd.running(["virbr0"]) as daemon:
        timings["daemon"] = round(time.monotonic() - started, 2)
        site, storage = render_site(tmp_path, kit, daemon.uri)
        with Consoles(daemon.uri, NODES, tmp_path) as consoles:
            # Reviewed first: the plan saved, then exactly that plan applied (no question asked).
            saved = tmp_path / "lab.plan"
            with timed(timings, "plan -o"):
                planned = gwc(capsys, "plan", str(site), "-o", str(saved))
            assert f"plan saved to {saved}" in planned, planned
            assert json.loads(saved.read_text())["summary"]["changes"] > 0
            with timed(timings, "apply"):
                first = gwc(capsys, "apply", str(saved))
            assert "started in order: install, ce, wn01" in first, first
            finished: dict[str, float] = {}
            records = wait_for_markers(storage, consoles, finished)
            timings.update({f"{name} done after apply": seconds for name, seconds in finished.items()})

            # The console saw what the guest recorded on its disk.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not all("done" in consoles.markers(n) for n in NODES):
                time.sleep(0.2)
            for name in NODES:
                assert consoles.markers(name)[: len(records[name])] == records[name], (
                    f"{name}: console {consoles.markers(name)} != disk {records[name]}\n{consoles.text(name)}"
                )

            # The keyboard half of `gwc console`: a command typed to the CE's shell runs there.
            assert consoles.keys is not None
            os.write(consoles.keys, b"\necho GW-E2E typed-$(hostname)-$((6 * 7))\n")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and f"typed-{THROUGH_GWC_CONSOLE}-42" not in consoles.markers(
                    THROUGH_GWC_CONSOLE):
                time.sleep(0.2)
            assert f"typed-{THROUGH_GWC_CONSOLE}-42" in consoles.markers(THROUGH_GWC_CONSOLE), consoles.text(
                THROUGH_GWC_CONSOLE)[-2000:]

            for name, record in records.items():
                want = EXPECTED[name]
                assert any(m.startswith("config=/dev/vd") for m in record), (name, record)
                assert f"hostname={name}" in record, (name, record)
                assert f"family={want['family']}" in record, (name, record)
                assert f"eth0={want['eth0']}" in record, (name, record)
                assert "gateway=192.168.122.1" in record, (name, record)
            assert "ping ce ok address=192.168.122.11" in records["wn01"], records["wn01"]
            assert "ping install ok address=192.168.122.10" in records["wn01"], records["wn01"]
            assert "notify ce ok" in records["wn01"], records["wn01"]
            assert "received hello from wn01" in records["ce"], records["ce"]

            with timed(timings, "second apply"):
                second = gwc(capsys, "apply", "-y", str(site))
            status = gwc(capsys, "status", str(site))
            for name in NODES:
                assert re.search(rf"^{name}\s+laptop\s+running\b", status, re.MULTILINE), status

            with timed(timings, "destroy"):
                destroyed = gwc(capsys, "destroy", "-y", str(site))
        connection = daemon.connect()
        try:
            assert [d.name() for d in connection.listAllDomains()] == [], destroyed
        finally:
            connection.close()
        for name in NODES:
            assert (storage / f"{name}-xvda.img").exists(), destroyed
            assert (storage / f"{name}-config.img").exists(), destroyed
        assert (storage / "install-xvdb.img").exists(), destroyed

    print(f"\nfirst apply:\n{first}\nsecond apply:\n{second}\ndestroy:\n{destroyed}\ntimings (s): {timings}")
    # Checked last so that a failure here still shows whether destroy works.
    assert "nothing changed" in second, second
