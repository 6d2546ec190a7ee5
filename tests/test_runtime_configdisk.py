"""Config disk images read back by their consumers' tools (debugfs, pycdlib), and the pure planner.

The test driver keeps volumes without data, so the images are checked here
as files; their upload through a libvirt stream runs in the end-to-end test.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pycdlib
import pytest

from gwlang.compiled import CompiledSite
from gwlang.pipeline import compile_sites
from gwlang.runtime.configdisk import Builds, build_image
from gwlang.runtime.live import LiveDomain, LiveHost, LiveVolume, Owner, significant
from gwlang.runtime.plan import Define, PlanOptions, Redefine, Refuse, Restart, Start, plan_host
from gwlang.runtime.target import NodeTarget, SiteTarget, site_target

CASES = Path(__file__).resolve().parent / "cases" / "runtime"


@pytest.fixture(scope="module")
def lab_compiled(tmp_path_factory: pytest.TempPathFactory) -> CompiledSite:
    site = tmp_path_factory.mktemp("site") / "lab.gw"
    site.write_text((CASES / "two-hosts.gw").read_text().replace("@CASES@", str(CASES)))
    [compiled] = compile_sites([site])
    return compiled


@pytest.fixture(scope="module")
def lab(lab_compiled: CompiledSite) -> SiteTarget:
    return site_target(lab_compiled)


def debugfs(image: Path, request: str) -> str:
    tool = shutil.which("debugfs") or "/usr/sbin/debugfs"
    return subprocess.run([tool, "-R", request, str(image)], capture_output=True, text=True, check=True).stdout


def test_the_ext4_config_disk_holds_the_overlay_and_the_profile(lab: SiteTarget, tmp_path: Path) -> None:
    node = lab.nodes["wn01"]
    assert node.config_disk is not None and node.config_disk.format == "ext4"
    image = tmp_path / "config.img"
    image.write_bytes(build_image(node.config_disk, node.uuid))
    assert debugfs(image, "cat /etc/hostname") == "wn01\n"
    assert debugfs(image, "cat /etc/motd") == "hello from gwc\n"
    assert "<profile" in debugfs(image, f"cat /var/lcfg/conf/profile/xml/{node.fqdn}.xml")
    stat = debugfs(image, "stat /etc/hostname")
    assert "Mode:  0644" in stat and "User:     0   Group:     0" in stat
    label = subprocess.run([shutil.which("dumpe2fs") or "/usr/sbin/dumpe2fs", "-h", str(image)],
                           capture_output=True, text=True, check=True).stdout
    assert "Filesystem volume name:   gw-config" in label


def test_the_nocloud_config_disk_writes_every_overlay_file(lab: SiteTarget) -> None:
    node = lab.nodes["ce"]
    assert node.config_disk is not None and node.config_disk.format == "nocloud"
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(build_image(node.config_disk, node.uuid)))
    try:
        assert iso.pvd.volume_identifier.decode().strip() == "cidata"
        meta, user = io.BytesIO(), io.BytesIO()
        iso.get_file_from_iso_fp(meta, rr_path="/meta-data")
        iso.get_file_from_iso_fp(user, rr_path="/user-data")
    finally:
        iso.close()
    assert meta.getvalue().decode() == f'instance-id: "{node.uuid}"\nlocal-hostname: "ce"\n'
    text = user.getvalue().decode()
    assert text.startswith("#cloud-config\nwrite_files:\n")
    assert {f"/{f.path}" for f in node.config_disk.files} == {
        line.split('"')[1] for line in text.splitlines() if line.startswith("  - path: ")}
    assert '  - path: "/etc/hostname"\n    permissions: \'0o644\'' in text


def test_the_nocloud_config_disk_holds_the_compiled_cloud_init_files(lab_compiled: CompiledSite) -> None:
    """The runtime packs the files of the output folder: the same bytes, none made at apply time."""
    node = site_target(lab_compiled).nodes["ce"]
    assert node.config_disk is not None
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(build_image(node.config_disk, node.uuid)))
    try:
        for name in ("meta-data", "user-data"):
            held = io.BytesIO()
            iso.get_file_from_iso_fp(held, rr_path=f"/{name}")
            compiled = lab_compiled.artifact(f"cloud-init-{name}", "ce")
            assert compiled.path == f"lab/nodes/ce/cloud-init/{name}"
            assert held.getvalue() == compiled.data
    finally:
        iso.close()


NETPLAN = 'os.family = "debian"; os.network-config = "netplan";'


@pytest.fixture(scope="module")
def netplan_lab(tmp_path_factory: pytest.TempPathFactory) -> SiteTarget:
    """The lab with netplan on `wn01` (ext4 disk) and `ce` (NoCloud), and a file of `ce`'s own beside netplan's."""
    text = (CASES / "two-hosts.gw").read_text().replace("@CASES@", str(CASES))
    text = text.replace("vm.cpu-cap = 50;", f"vm.cpu-cap = 50; {NETPLAN}")
    text = text.replace('config-disk.format = "nocloud";', f'config-disk.format = "nocloud"; {NETPLAN} '
                                                           'files."etc/netplan/60-extra.yaml" = "network: {}\\n";')
    site = tmp_path_factory.mktemp("site") / "lab.gw"
    site.write_text(text)
    [compiled] = compile_sites([site])
    return site_target(compiled)


def test_netplan_files_on_an_ext4_config_disk_are_readable_by_root_only(netplan_lab: SiteTarget,
                                                                        tmp_path: Path) -> None:
    """netplan warns "Permissions for /etc/netplan/... are too open" of a file others can read."""
    node = netplan_lab.nodes["wn01"]
    assert node.config_disk is not None and node.config_disk.format == "ext4"
    image = tmp_path / "config.img"
    image.write_bytes(build_image(node.config_disk, node.uuid))
    assert "network:" in debugfs(image, "cat /etc/netplan/50-gwlang.yaml")
    assert "Mode:  0600" in debugfs(image, "stat /etc/netplan/50-gwlang.yaml")
    assert "Mode:  0644" in debugfs(image, "stat /etc/network/interfaces")


def test_netplan_files_on_a_nocloud_config_disk_are_readable_by_root_only(netplan_lab: SiteTarget) -> None:
    node = netplan_lab.nodes["ce"]
    assert node.config_disk is not None and node.config_disk.format == "nocloud"
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(build_image(node.config_disk, node.uuid)))
    try:
        user = io.BytesIO()
        iso.get_file_from_iso_fp(user, rr_path="/user-data")
    finally:
        iso.close()
    text = user.getvalue().decode()
    for path in ("/etc/netplan/50-gwlang.yaml", "/etc/netplan/60-extra.yaml"):
        assert f'  - path: "{path}"\n    permissions: \'0o600\'' in text, text
    assert '  - path: "/etc/network/interfaces"\n    permissions: \'0o644\'' in text


@pytest.mark.parametrize("name", ["wn01", "ce"])
def test_config_disk_images_are_reproducible(lab: SiteTarget, name: str) -> None:
    """The same bytes a second later too: mkfs.ext4 -d copied the staged files' change times (a flaky test)."""
    node = lab.nodes[name]
    assert node.config_disk is not None
    first = build_image(node.config_disk, node.uuid)
    time.sleep(1.1)
    assert build_image(node.config_disk, node.uuid) == first


# ---------------------------------------------------------------- the planner, a pure function

def live_domain(node: NodeTarget, *, hash: str | None = None, running: bool = True, owner: bool = True,
                config: str | None = "same") -> LiveDomain:
    disk = node.config_disk
    return LiveDomain(node.name, node.uuid, Owner("lab", node.host, node.name, hash or node.hash) if owner else None,
                      running, "running" if running else "shut off", node.autostart, significant(node.xml),
                      disk.hash if disk and config == "same" else config)


def live_host(lab: SiteTarget, host: str, domains: list[LiveDomain]) -> LiveHost:
    target = next(h for h in lab.hosts if h.name == host)
    folders = {target.storage, *(v.folder for n in target.nodes for v in n.volumes)}
    paths = [v.path for n in target.nodes for v in n.volumes] + [
        n.config_disk.path for n in target.nodes if n.config_disk]
    return LiveHost(target.uri, {d.name: d for d in domains}, {f: "pool" for f in folders},
                    {p: LiveVolume(p, 1) for p in paths})


def test_plan_of_a_matching_host_is_empty(lab: SiteTarget) -> None:
    qemu1 = next(h for h in lab.hosts if h.name == "qemu1")
    live = live_host(lab, "qemu1", [live_domain(n) for n in qemu1.nodes])
    assert plan_host("lab", qemu1, live, PlanOptions()).actions == ()


def test_plan_redefines_a_changed_running_domain_and_restarts_it_only_when_asked(lab: SiteTarget) -> None:
    qemu1 = next(h for h in lab.hosts if h.name == "qemu1")
    install, ce = qemu1.nodes
    older = ce.xml.replace("<memory unit=\"KiB\">1048576</memory>", "<memory unit=\"KiB\">524288</memory>")
    changed = LiveDomain("ce", ce.uuid, Owner("lab", "qemu1", "ce", "0" * 64), True, "running", True,
                         significant(older), ce.config_disk.hash if ce.config_disk else None)
    live = live_host(lab, "qemu1", [live_domain(install), changed])
    plan = plan_host("lab", qemu1, live, PlanOptions())
    assert plan.actions == (Redefine("ce", "changed", ("memory: 524288 KiB -> 1048576 KiB",), True),)
    restarted = plan_host("lab", qemu1, live, PlanOptions(restart=True))
    assert restarted.actions[-1] == Restart("ce")


def test_plan_refuses_a_foreign_domain_and_defines_and_starts_the_rest(lab: SiteTarget) -> None:
    qemu1 = next(h for h in lab.hosts if h.name == "qemu1")
    install, _ce = qemu1.nodes
    live = live_host(lab, "qemu1", [live_domain(install, owner=False)])
    actions = plan_host("lab", qemu1, live, PlanOptions()).actions
    assert isinstance(actions[0], Refuse) and actions[0].node == "install"
    assert Define("ce") in actions and actions[-1] == Start("ce")


def test_images_built_ahead_in_threads_are_the_images_built_one_by_one(lab: SiteTarget) -> None:
    disks = [(node.name, node.config_disk, node.uuid) for node in lab.nodes.values() if node.config_disk]
    assert {disk.format for _, disk, _ in disks} == {"ext4", "nocloud"}
    with ThreadPoolExecutor(2) as pool:
        builds = Builds(pool, disks, ahead=2)
        ahead = {name: builds.take(name) for name, _, _ in disks}
    assert ahead == {name: build_image(disk, uuid) for name, disk, uuid in disks}
