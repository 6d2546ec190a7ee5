"""The boot files of a host and a node's reconfigure.sh, checked by the programs that read them.

- `gw-domains` and `reconfigure.sh` pass `sh -n`/`bash -n` and shellcheck;
  `gw-domains` is run, under dash and bash, with fake `xl`, `virsh` and
  `screen` (tests/support/fake_domains.py) that log their calls: the start
  order, the waits, the reverse stop order, the timeouts and the screen
  sessions are read from that log.
- The systemd units are installed with their script into a temporary root
  and checked with `systemd-analyze verify --root`, which must print nothing.
- `reconfigure.sh` runs on temporary image roots, and on a partitioned raw
  image through a loop device where the machine allows it.

Inputs are `tests/cases/boot/*.gw`; the generated files of each are one
reviewable snapshot.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.cli import main
from gwlang.emit.artifact import Artifact
from gwlang.eval.evaluator import run_deep
from gwlang.model.graph import start_order
from gwlang.model.model import SiteModel
from gwlang.pipeline import compile_sources
from tests.support.fake_domains import install_fakes

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests/cases/boot").glob("*.gw"))
SHELLS = ["dash", "bash"]
BOOT_KINDS = {"boot-order", "boot-script", "systemd-unit", "reconfigure-script"}


@functools.cache
def compiled(*sources: Path) -> list[tuple[SiteModel, list[Artifact]]]:
    return run_deep(lambda: compile_sources(list(sources)))


@functools.cache
def examples(output: Path) -> Path:
    """The example sites, compiled once into `output`."""
    assert main(["compile", str(ROOT / "sites"), "-o", str(output)]) == 0
    return output


@pytest.fixture(scope="module")
def sites_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return examples(tmp_path_factory.mktemp("sites"))


@pytest.fixture(scope="module")
def cases_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("cases")
    assert main(["compile", *map(str, CASES), "-o", str(output)]) == 0
    return output


# ---------------------------------------------------------------- snapshots, order

@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_boot_files_snapshot(case: Path, snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    ((_, artifacts),) = compiled(case.relative_to(ROOT))
    shown = [a for a in artifacts if a.kind in BOOT_KINDS and (a.kind != "reconfigure-script" or a.node == "ce")]
    assert "".join(f"==== {a.path} ====\n{a.text}" for a in shown) == snapshot


def test_the_order_file_is_the_start_order_of_each_host() -> None:
    for model, artifacts in compiled(*CASES):
        texts = {a.path: a.text for a in artifacts}
        for host in model.hosts:
            assert texts[f"{model.name}/hosts/{host}/boot/order"].split() == start_order(model, host)


def test_the_script_and_the_units_follow_waits_across_hosts() -> None:
    # On `compute` the worker nodes wait for `db` through the CE of the other host.
    ((_, artifacts),) = compiled(ROOT / "tests/cases/boot/two-hosts.gw")
    texts = {a.path: a.text for a in artifacts}
    assert '    "$@" wn01 yes db\n' in texts["pair/hosts/compute/boot/gw-domains"]
    unit = texts["pair/hosts/compute/boot/systemd/gw-domain-wn01.service"]
    assert "Requires=gw-domain-db.service\nAfter=gw-domain-db.service\n" in unit
    assert "gw-domain-ce" not in unit
    assert "Requires=" not in texts["pair/hosts/services/boot/systemd/gw-domain-install.service"]


def test_boot_files_are_executable_where_they_are_run(cases_output: Path) -> None:
    assert os.access(cases_output / "small/hosts/gw/boot/gw-domains", os.X_OK)
    assert os.access(cases_output / "small/nodes/ce/reconfigure.sh", os.X_OK)
    assert not os.access(cases_output / "small/hosts/gw/boot/order", os.X_OK)


# ---------------------------------------------------------------- shell syntax and shellcheck

def _scripts(output: Path) -> list[Path]:
    """Every host's script, and one node's reconfigure.sh per site (they differ only in quoted values)."""
    reconfigure = {path.parts[-4]: path for path in sorted(output.glob("*/nodes/*/reconfigure.sh"))}
    return sorted(output.glob("*/hosts/*/boot/gw-domains")) + sorted(reconfigure.values())


def test_every_script_parses_and_passes_shellcheck(sites_output: Path, cases_output: Path) -> None:
    scripts = _scripts(sites_output) + _scripts(cases_output)
    assert len(scripts) > 25
    for script in scripts:
        shells = ["bash"] if script.name == "reconfigure.sh" else ["dash", "bash"]
        for shell in shells:
            done = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
            assert done.returncode == 0, f"{shell} -n {script}:\n{done.stderr}"
    done = subprocess.run(["shellcheck", "--format=gcc", *map(str, scripts)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------- systemd

@pytest.fixture(scope="module")
def systemd_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root holding the system's own units, for `systemd-analyze verify --root`."""
    root = tmp_path_factory.mktemp("systemd-root")
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    return root


def verify_units(root: Path, host_folder: Path, site: str, host: str) -> str:
    """Installs a host's folder and units into `root` as docs/artefacts.md says; systemd's complaints."""
    for folder in (root / "etc/gwlang", root / "etc/systemd/system"):
        shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(host_folder, root / "etc/gwlang" / site / host)
    units = sorted((host_folder / "boot/systemd").glob("*.service"))
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in units:
        shutil.copy(unit, root / "etc/systemd/system" / unit.name)
    done = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "--man=no",
                           *(f"/etc/systemd/system/{unit.name}" for unit in units)],
                          capture_output=True, text=True, env=dict(os.environ, SYSTEMD_LOG_COLOR="0"))
    return (done.stdout + done.stderr) if done.returncode or done.stdout or done.stderr else ""


def test_every_unit_passes_systemd_analyze_verify(sites_output: Path, cases_output: Path,
                                                  systemd_root: Path) -> None:
    hosts = sorted(sites_output.glob("*/hosts/*")) + sorted(cases_output.glob("*/hosts/*"))
    assert len(hosts) > 10
    for host_folder in hosts:
        complaints = verify_units(systemd_root, host_folder, host_folder.parts[-3], host_folder.name)
        assert complaints == "", f"{host_folder}:\n{complaints}"


def test_systemd_analyze_verify_catches_a_broken_unit(cases_output: Path, systemd_root: Path,
                                                      tmp_path: Path) -> None:
    # The check above is worth something only if verify speaks up: a misspelt
    # setting and a missing script both make it complain.
    host = tmp_path / "gw"
    shutil.copytree(cases_output / "small/hosts/gw", host)
    unit = host / "boot/systemd/gw-domain-ce.service"
    unit.write_text(unit.read_text().replace("RemainAfterExit=yes", "RemainAfterExits=yes"))
    assert "Unknown key 'RemainAfterExits'" in verify_units(systemd_root, host, "small", "gw")
    shutil.copy(cases_output / "small/hosts/gw/boot/systemd/gw-domain-ce.service", unit)
    (host / "boot/gw-domains").unlink()
    assert "is not executable" in verify_units(systemd_root, host, "small", "gw")


# ---------------------------------------------------------------- gw-domains, run

class Host:
    """One host's gw-domains, run with the fakes; `log` is what the fakes were asked."""

    def __init__(self, folder: Path, state: Path, shell: str) -> None:
        self.folder, self.state, self.shell = folder, state, shell
        self.environment = dict(os.environ, PATH=f"{install_fakes(state)}:{os.environ['PATH']}",
                                FAKE_STATE=str(state), GW_CONFIG_DIR=str(folder),
                                GW_DEFAULTS=str(state / "no-defaults"), GW_POLL_INTERVAL="0.05")

    def run(self, *arguments: str, **settings: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.shell, str(self.folder / "boot/gw-domains"), *arguments],
                              env=dict(self.environment, **settings), capture_output=True, text=True, timeout=60)

    @property
    def log(self) -> list[str]:
        path = self.state / "log"
        return path.read_text().splitlines() if path.exists() else []

    def forget(self) -> None:
        (self.state / "log").unlink(missing_ok=True)

    def calls(self, prefix: str) -> list[str]:
        """The last word of each logged call starting with `prefix` (the guest, or `-> guest`)."""
        return [line.split()[-1] for line in self.log if line.startswith(prefix)]


@pytest.fixture(params=SHELLS)
def xen_host(request: pytest.FixtureRequest, cases_output: Path, tmp_path: Path) -> Host:
    return Host(cases_output / "small/hosts/gw", tmp_path / "state", request.param)


@pytest.fixture(params=SHELLS)
def kvm_host(request: pytest.FixtureRequest, cases_output: Path, tmp_path: Path) -> Host:
    return Host(cases_output / "pair/hosts/compute", tmp_path / "state", request.param)


def test_start_creates_the_guests_in_order_each_once_what_it_waits_for_runs(xen_host: Host) -> None:
    done = xen_host.run("start", FAKE_BOOT_POLLS="2")
    assert done.returncode == 0, done.stderr
    # `ui` does not start at boot: `start` without names leaves it.
    assert xen_host.calls("xl create") == ["install", "ce", "se", "wn01", "wn02"]
    assert [line.split()[2] for line in xen_host.log if line.startswith("xl create")] == [
        f"{xen_host.folder}/xen/{name}.cfg" for name in ["install", "ce", "se", "wn01", "wn02"]]
    log = xen_host.log
    for guest, waited in [("ce", "install"), ("se", "install"), ("wn01", "ce"), ("wn02", "ce")]:
        before = log[:log.index(f"xl create {xen_host.folder}/xen/{guest}.cfg -> {guest}")]
        looks = [line for line in before if line.startswith(f"xl list {waited} ")]
        assert looks[-1] == f"xl list {waited} -> -b----", f"{guest} started before {waited} ran"
    # The install server was seen starting, and waited for, before the CE was created.
    assert "xl list install -> --p---" in log[:log.index(f"xl create {xen_host.folder}/xen/ce.cfg -> ce")]
    assert "Waiting for install to run" in done.stdout


def test_each_started_guest_gets_a_screen_session_named_after_it(xen_host: Host) -> None:
    assert xen_host.run("start").returncode == 0
    assert [line for line in xen_host.log if line.startswith("screen")] == [
        f"screen -dmS {name} xl console {name}" for name in ["install", "ce", "se", "wn01", "wn02"]]
    log = xen_host.log
    assert log.index("screen -dmS ce xl console ce") > log.index(f"xl create {xen_host.folder}/xen/ce.cfg -> ce")
    xen_host.forget()
    # Starting again creates nothing and opens no second console.
    again = xen_host.run("start")
    assert again.returncode == 0
    assert xen_host.calls("xl create") == [] and xen_host.calls("screen") == []
    assert "ce is already blocked" in again.stdout


def test_stop_shuts_the_guests_down_in_reverse_order(xen_host: Host) -> None:
    assert xen_host.run("start").returncode == 0
    xen_host.forget()
    done = xen_host.run("stop")
    assert done.returncode == 0, done.stderr
    assert xen_host.calls("xl shutdown") == ["wn02", "wn01", "se", "ce", "install"]
    assert xen_host.calls("xl destroy") == []
    assert "ui is already stopped" in done.stdout


def test_a_guest_that_does_not_shut_down_in_time_is_destroyed(xen_host: Host) -> None:
    assert xen_host.run("start").returncode == 0
    xen_host.forget()
    done = xen_host.run("stop", FAKE_STUBBORN="ce", GW_STOP_TIMEOUT="1")
    assert done.returncode == 0, done.stderr
    assert xen_host.calls("xl destroy") == ["ce"]
    log = xen_host.log
    assert log.index("xl shutdown -F ce") < log.index("xl destroy ce") < log.index("xl shutdown -F install")
    assert "ce did not shut down within 1s: destroying it" in done.stderr


def test_guests_waiting_for_a_guest_that_never_runs_are_not_started(xen_host: Host) -> None:
    done = xen_host.run("start", FAKE_NEVER_RUNS="ce", GW_START_TIMEOUT="1")
    assert done.returncode == 1
    assert xen_host.calls("xl create") == ["install", "ce", "se"]
    assert "ce is not running after 1s: not starting wn01" in done.stderr
    assert "not starting wn02: ce is not running" in done.stderr


def test_status_lists_every_guest_and_fails_when_one_that_should_run_does_not(xen_host: Host) -> None:
    assert xen_host.run("start").returncode == 0
    status = xen_host.run("status")
    assert status.returncode == 0
    assert status.stdout.splitlines() == [
        "install: blocked, console: screen -r install", "ce: blocked, console: screen -r ce",
        "se: blocked, console: screen -r se", "ui: stopped (not started at boot)",
        "wn01: blocked, console: screen -r wn01", "wn02: blocked, console: screen -r wn02"]
    assert xen_host.run("status", "ui").returncode == 3
    assert xen_host.run("stop", "se").returncode == 0
    assert xen_host.run("status").returncode == 3


def test_naming_guests_brings_in_what_they_wait_for_and_what_waits_for_them(xen_host: Host) -> None:
    assert xen_host.run("start", "ui").returncode == 0
    assert xen_host.calls("xl create") == ["install", "ui"]
    assert xen_host.run("start").returncode == 0
    xen_host.forget()
    assert xen_host.run("stop", "ce").returncode == 0
    assert xen_host.calls("xl shutdown") == ["wn02", "wn01", "ce"]
    xen_host.forget()
    assert xen_host.run("restart", "ce").returncode == 0
    assert xen_host.calls("xl create") == ["ce", "wn01", "wn02"]


def test_one_guest_alone_for_the_systemd_units(xen_host: Host) -> None:
    assert xen_host.run("start-guest", "wn01").returncode == 0
    assert xen_host.calls("xl create") == ["wn01"]
    assert xen_host.calls("screen") == ["wn01"]
    assert xen_host.run("stop-guest", "wn01").returncode == 0
    assert xen_host.calls("xl shutdown") == ["wn01"]


@pytest.mark.parametrize("arguments, message", [
    (("start", "nosuch"), "no guest nosuch on host gw"),
    (("stop", "ce", "nosuch"), "no guest nosuch on host gw"),
    (("start-guest",), "start-guest needs one guest of host gw"),
    (("start-guest", "nosuch"), "start-guest needs one guest of host gw"),
    (("reload",), "usage: gw-domains start|stop|restart|force-reload|status"),
    ((), "usage: gw-domains"),
])
def test_wrong_arguments_change_nothing(xen_host: Host, arguments: tuple[str, ...], message: str) -> None:
    done = xen_host.run(*arguments)
    assert done.returncode == 2
    assert message in done.stderr
    assert xen_host.calls("xl create") == [] and xen_host.calls("xl shutdown") == []


def test_a_libvirt_host_defines_and_starts_its_guests_with_virsh(kvm_host: Host) -> None:
    done = kvm_host.run("start", FAKE_BOOT_POLLS="1")
    assert done.returncode == 0, done.stderr
    uri = "virsh -c qemu:///system"
    assert kvm_host.calls(f"{uri} define") == ["db", "wn01", "wn02"]
    assert kvm_host.calls(f"{uri} start") == ["db", "wn01", "wn02"]
    log = kvm_host.log
    assert f"{uri} define {kvm_host.folder}/libvirt/db.xml -> db" in log
    before = log[:log.index(f"{uri} start wn01")]
    assert [line for line in before if line.startswith(f"{uri} domstate db")][-1] == f"{uri} domstate db -> running"
    assert [line for line in log if line.startswith("screen")] == [
        f"screen -dmS {name} {uri} console {name}" for name in ["db", "wn01", "wn02"]]
    kvm_host.forget()
    assert kvm_host.run("stop", FAKE_STUBBORN="wn01", GW_STOP_TIMEOUT="1").returncode == 0
    assert kvm_host.calls(f"{uri} shutdown") == ["wn02", "wn01", "db"]
    assert kvm_host.calls(f"{uri} destroy") == ["wn01"]


def test_the_libvirt_connection_can_be_changed(kvm_host: Host) -> None:
    assert kvm_host.run("start-guest", "db", GW_LIBVIRT_URI="qemu+ssh://root@elsewhere/system").returncode == 0
    assert kvm_host.calls("virsh -c qemu+ssh://root@elsewhere/system start") == ["db"]


def test_settings_come_from_the_defaults_file(xen_host: Host, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(xen_host.folder, moved)
    defaults = tmp_path / "defaults"
    defaults.write_text(f"GW_CONFIG_DIR={moved}\n")
    assert xen_host.run("start-guest", "ce", GW_DEFAULTS=str(defaults), GW_CONFIG_DIR="").returncode == 0
    assert f"xl create {moved}/xen/ce.cfg -> ce" in xen_host.log


# ---------------------------------------------------------------- names

def test_a_name_that_cannot_be_a_unit_or_a_session_is_refused(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "odd.gw"
    site.write_text("""
import <grid/roles.gw>;
site odd {
  domain = "odd.example.org";
  network.subnet = 192.0.2.0/24;
  network.gateway = 192.0.2.1;
  host gw { memory = 4GiB; cpus = 2; bridges.xenbr0.interface = "eth0"; }
  node o'brien : wn {
    host = gw; ip = 192.0.2.20; network.hostname = "obrien"; network.fqdn = "obrien.odd.example.org";
  }
}
""")
    assert main(["compile", str(site), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "error[E0601]: node `o'brien` cannot name a systemd unit, a screen session or a shell word" in err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- reconfigure.sh

def tree(folder: Path) -> dict[str, str]:
    """Every entry under `folder`: links as their target, files as a hash of their bytes and their mode."""
    entries = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            entries[name] = "-> " + os.readlink(path)
        elif path.is_dir():
            entries[name] = "dir"
        else:
            entries[name] = f"{oct(path.stat().st_mode & 0o777)} {hashlib.sha256(path.read_bytes()).hexdigest()}"
    return entries


@pytest.fixture
def node_folder(cases_output: Path, tmp_path: Path) -> Path:
    """A copy of the CE's generated folder (so a test can see that nothing is written into it)."""
    folder = tmp_path / "node"
    shutil.copytree(cases_output / "small/nodes/ce", folder)
    return folder


def reconfigure(node_folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(node_folder / "reconfigure.sh"), *arguments], capture_output=True, text=True,
                          timeout=60)


def image_root(tmp_path: Path) -> tuple[Path, Path]:
    """An image root with an etc/ folder, and a folder outside it holding a file a link points at."""
    root, outside = tmp_path / "image", tmp_path / "outside"
    (root / "etc").mkdir(parents=True)
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (root / "etc/hosts").symlink_to(outside / "passwd")
    (root / "etc/resolv.conf").symlink_to("../run/resolv.conf")
    return root, outside


def test_reconfigure_copies_the_overlay_installs_the_profile_and_marks_first_boot(node_folder: Path,
                                                                                  tmp_path: Path) -> None:
    root, outside = image_root(tmp_path)
    before_outside, before_node = tree(outside), tree(node_folder)
    done = reconfigure(node_folder, str(root))
    assert done.returncode == 0, done.stderr
    overlay = node_folder / "overlay"
    copied = sorted(str(p.relative_to(overlay)) for p in overlay.rglob("*") if p.is_file())
    assert "etc/gwlang/hostile note" in copied and "etc/hosts" in copied
    for relative in copied:
        placed = root / relative
        assert not placed.is_symlink() and placed.read_bytes() == (overlay / relative).read_bytes(), relative
        assert placed.stat().st_mode & 0o777 == (overlay / relative).stat().st_mode & 0o777
    assert (root / "var/lcfg/conf/profile/xml/ce.small.example.org.xml").read_bytes() == \
        (node_folder / "profile.xml").read_bytes()
    assert (root / "etc/gwlang/firstboot").read_text() == (
        "node=ce\nsite=small\nprofile=/var/lcfg/conf/profile/xml/ce.small.example.org.xml\n")
    # The links in the way were replaced, not followed; nothing outside changed.
    assert tree(outside) == before_outside and tree(node_folder) == before_node
    assert not (root / "run").exists()
    assert "wrote /etc/hosts, mode 644 (replacing the link to " in done.stdout
    assert not Path("/tmp/gw-pwned").exists()
    assert not list(root.rglob(".gwlang-reconfigure.*"))


def test_a_folder_link_leading_out_of_the_image_stops_everything(node_folder: Path, tmp_path: Path) -> None:
    root, outside = image_root(tmp_path)
    (outside / "gwlang").mkdir()
    (root / "etc/gwlang").symlink_to(outside / "gwlang")
    before_image, before_outside = tree(root), tree(outside)
    done = reconfigure(node_folder, str(root))
    assert done.returncode == 1
    assert "/etc/gwlang/hostile note: its folder leads out of the image" in done.stderr
    assert "nothing was changed" in done.stderr
    assert tree(root) == before_image and tree(outside) == before_outside


def test_a_climbing_relative_link_is_caught_too(node_folder: Path, tmp_path: Path) -> None:
    root, outside = image_root(tmp_path)
    (root / "etc/sysconfig").symlink_to("../../outside")
    before_image = tree(root)
    done = reconfigure(node_folder, str(root))
    assert done.returncode == 1 and "leads out of the image" in done.stderr
    assert tree(root) == before_image and not (outside / "network").exists()


def test_a_link_that_stays_inside_the_image_is_followed(node_folder: Path, tmp_path: Path) -> None:
    root, _ = image_root(tmp_path)
    (root / "srv/sysconfig").mkdir(parents=True)
    (root / "etc/sysconfig").symlink_to("../srv/sysconfig")
    assert reconfigure(node_folder, str(root)).returncode == 0
    assert (root / "srv/sysconfig/network").is_file() and (root / "etc/sysconfig").is_symlink()


def test_the_dry_run_changes_nothing(node_folder: Path, tmp_path: Path) -> None:
    root, _ = image_root(tmp_path)
    before = tree(root)
    done = reconfigure(node_folder, "-n", str(root))
    assert done.returncode == 0, done.stderr
    assert tree(root) == before
    assert "would write /etc/gwlang/firstboot, mode 644" in done.stdout
    assert "would write /var/lcfg/conf/profile/xml/ce.small.example.org.xml, mode 644" in done.stdout


@pytest.mark.parametrize("target", ["/", "/.", "link-to-root", "no-etc", "missing"])
def test_a_root_that_is_not_a_copied_image_is_refused(node_folder: Path, tmp_path: Path, target: str) -> None:
    (tmp_path / "link-to-root").symlink_to("/")
    (tmp_path / "no-etc").mkdir()
    path = target if target.startswith("/") else str(tmp_path / target)
    done = reconfigure(node_folder, path)
    assert done.returncode == 1
    assert any(reason in done.stderr for reason in ("refusing to reconfigure /", "has no etc/", "is not a folder"))


@pytest.mark.parametrize("arguments", [(), ("a", "b"), ("--image",), ("--partition", "x", "root"), ("--bogus", "r")])
def test_reconfigure_usage(node_folder: Path, arguments: tuple[str, ...]) -> None:
    done = reconfigure(node_folder, *arguments)
    assert done.returncode == 2 and "usage: reconfigure.sh" in done.stderr


def _loop_devices_work() -> bool:
    if os.geteuid() != 0 or not shutil.which("losetup") or not shutil.which("mkfs.ext4"):
        return False
    found = subprocess.run(["losetup", "--find"], capture_output=True)
    return found.returncode == 0


@pytest.fixture
def raw_image(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A raw disk image with an MBR and one ext4 partition holding etc/, and the filesystem's own file."""
    content = tmp_path / "content"
    (content / "etc").mkdir(parents=True)
    (content / "etc/hostname").write_text("template\n")
    filesystem = tmp_path / "filesystem.img"
    with filesystem.open("wb") as f:
        f.truncate(24 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", str(content), str(filesystem)], check=True)
    image = tmp_path / "disk.img"
    start = 2048
    with image.open("wb") as f:
        f.truncate(start * 512 + filesystem.stat().st_size)
        f.seek(446)
        f.write(struct.pack("<B3sB3sII", 0, b"\0\0\0", 0x83, b"\0\0\0", start, filesystem.stat().st_size // 512))
        f.seek(510)
        f.write(b"\x55\xaa")
        f.seek(start * 512)
        f.write(filesystem.read_bytes())
    yield image, filesystem


@pytest.mark.skipif(not _loop_devices_work(), reason="needs root and a free loop device")
def test_reconfigure_a_raw_image_through_a_loop_device(node_folder: Path, raw_image: tuple[Path, Path],
                                                       tmp_path: Path) -> None:
    image, _ = raw_image
    attached_before = subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    dry = reconfigure(node_folder, "-n", "--image", str(image))
    assert dry.returncode == 0, dry.stderr
    done = reconfigure(node_folder, "--image", str(image))
    assert done.returncode == 0, done.stderr
    assert subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout == attached_before
    # Read the partition back without mounting it.
    partition = tmp_path / "partition.img"
    partition.write_bytes(image.read_bytes()[2048 * 512:])
    shown = subprocess.run(["debugfs", "-R", "cat /etc/gwlang/firstboot", str(partition)],
                           capture_output=True, text=True)
    assert shown.stdout == "node=ce\nsite=small\nprofile=/var/lcfg/conf/profile/xml/ce.small.example.org.xml\n"
    hostname = subprocess.run(["debugfs", "-R", "cat /etc/hostname", str(partition)], capture_output=True,
                              text=True)
    assert hostname.stdout == (node_folder / "overlay/etc/hostname").read_text()
    assert "no partition 2" in reconfigure(node_folder, "--image", str(image), "--partition", "2").stderr


def test_reconfigure_writes_netplan_files_readable_by_root_only(sites_output: Path, tmp_path: Path) -> None:
    """Even from a copy (or a git checkout) of the overlay that lost the file's 0600."""
    node = tmp_path / "node"
    shutil.copytree(sites_output / "nuig/nodes/wn01", node)
    overlay_file = node / "overlay/etc/netplan/50-gwlang.yaml"
    assert overlay_file.stat().st_mode & 0o777 == 0o600
    overlay_file.chmod(0o644)
    root = tmp_path / "image"
    (root / "etc").mkdir(parents=True)
    done = reconfigure(node, str(root))
    assert done.returncode == 0, done.stderr
    assert "wrote /etc/netplan/50-gwlang.yaml, mode 600" in done.stdout
    assert (root / "etc/netplan/50-gwlang.yaml").stat().st_mode & 0o777 == 0o600
    assert (root / "etc/netplan/50-gwlang.yaml").read_bytes() == overlay_file.read_bytes()
    assert (root / "etc/hosts").stat().st_mode & 0o777 == 0o644
