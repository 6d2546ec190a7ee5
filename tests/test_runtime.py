"""The runtime (`gwc plan`, `apply`, `status`, `destroy`) against libvirt's test driver: no mocks.

Each test gets two fresh test-driver hosts (`tests/cases/runtime/*.xml`),
kept open with `backend.keep_open` so that consecutive commands in the test
see the same host, as a real libvirtd would.  The test driver keeps volumes
without data (no upload): the config disk images are checked on files in
`test_runtime_configdisk.py`, and their upload by the end-to-end test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import libvirt
import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.cli import main
from gwlang.pipeline import compile_sites
from gwlang.runtime import backend
from gwlang.runtime.apply import Hooks, apply_site, destroy_site
from gwlang.runtime.backend import LockHolder, connect
from gwlang.runtime.live import significant
from gwlang.runtime.plan import Action, Define, PlanOptions
from gwlang.runtime.target import SiteTarget, site_target

CASES = Path(__file__).resolve().parent / "cases" / "runtime"
QEMU1 = f"test://{CASES}/qemu1.xml"
XEN1 = f"test://{CASES}/xen1.xml"


def write_site(folder: Path, text: str | None = None) -> Path:
    site = folder / "lab.gw"
    site.write_text((text or (CASES / "two-hosts.gw").read_text()).replace("@CASES@", str(CASES)))
    return site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    """The two-host site, its hosts kept open, the base image `wn01` copies present on `xen1`."""
    with backend.keep_open(QEMU1), backend.keep_open(XEN1):
        images = conn(XEN1).storagePoolDefineXML(
            "<pool type='dir'><name>images</name><target><path>/srv/gw</path></target></pool>")
        images.create()
        images.createXML("<volume><name>base.img</name><capacity unit='bytes'>67108864</capacity></volume>")
        yield write_site(tmp_path)


def conn(uri: str) -> libvirt.virConnect:
    return connect(uri).connection


def target(path: Path) -> SiteTarget:
    [compiled] = compile_sites([path])
    return site_target(compiled)


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments))
    out, err = capsys.readouterr()
    return code, out.replace(str(CASES), "@CASES@"), err.replace(str(CASES), "@CASES@")


def volumes(uri: str) -> set[str]:
    found = set()
    for pool in conn(uri).listAllStoragePools():
        found.update(volume.path() for volume in pool.listAllVolumes())
    return found


# ---------------------------------------------------------------- plan and apply

def test_plan_lists_every_action(site: Path, capsys: pytest.CaptureFixture[str], snapshot: SnapshotAssertion) -> None:
    code, out, err = run(capsys, "plan", str(site))
    assert (code, err) == (0, "")
    assert out == snapshot


def test_apply_creates_everything_and_a_second_apply_changes_nothing(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "apply", str(site))
    assert (code, err) == (0, ""), out
    assert "started in order: install, ce, wn01" in out
    assert {"/var/lib/gwlang/images/install-xvda.img", "/var/lib/gwlang/images/install-config.img",
            "/var/lib/gwlang/images/ce-config.img"} <= volumes(QEMU1)
    assert {"/srv/gw/wn01-xvda.img", "/srv/gw/wn01-config.img"} <= volumes(XEN1)
    domains = {d.name(): d for d in conn(QEMU1).listAllDomains()}
    assert domains["ce"].isActive() and domains["ce"].autostart()
    assert conn(XEN1).lookupByName("wn01").isActive()
    code, out, err = run(capsys, "apply", str(site))
    assert (code, err) == (0, "")
    assert "nothing changed: every host already matches the sources" in out
    code, out, err = run(capsys, "plan", str(site))
    assert "nothing to change" in out and "up to date" in out


def test_a_node_not_autostarted_is_defined_not_started_and_its_autostart_left_off(
        site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    manual = write_site(tmp_path, (CASES / "two-hosts.gw").read_text().replace(
        "    ip = 192.0.2.21;\n", "    ip = 192.0.2.21;\n    boot.autostart = false;\n"))
    code, out, _ = run(capsys, "plan", str(manual))
    assert code == 0 and "+ define wn01" in out
    assert "autostart of wn01" not in out and "> start wn01" not in out, out
    assert run(capsys, "apply", str(manual))[0] == 0
    wn01 = conn(XEN1).lookupByName("wn01")
    assert not wn01.isActive() and not wn01.autostart()
    code, out, _ = run(capsys, "plan", str(manual))
    assert "nothing to change" in out, out
    wn01.setAutostart(1)
    code, out, _ = run(capsys, "plan", str(manual))
    assert "~ set autostart of wn01 off" in out, out


def test_status_shows_drift_made_behind_gwcs_back(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "apply", str(site))[0] == 0
    domain = conn(QEMU1).lookupByName("ce")
    xml = domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    conn(QEMU1).defineXML(re.sub(r"<memory unit='KiB'>\d+</memory>", "<memory unit='KiB'>2097152</memory>", xml))
    code, out, _ = run(capsys, "status", str(site))
    assert code == 0
    assert re.search(r"ce +qemu1 +running +drifted: memory: 2097152 KiB -> 1048576 KiB", out), out
    assert re.search(r"install +qemu1 +running +in sync", out), out
    code, out, _ = run(capsys, "plan", str(site))
    assert "~ redefine ce (its live definition drifted; restart needed)" in out
    assert "      memory: 2097152 KiB -> 1048576 KiB" in out
    code, out, _ = run(capsys, "apply", str(site))
    assert code == 0 and "restart needed" in out
    assert "in sync" in run(capsys, "status", str(site))[1].splitlines()[2]


def test_restart_only_with_the_flag(site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "apply", str(site))[0] == 0
    changed = write_site(tmp_path, (CASES / "two-hosts.gw").read_text().replace(
        "    ip = 192.0.2.11;\n", "    ip = 192.0.2.11;\n    vm.memory = 768MiB;\n"))
    code, out, _ = run(capsys, "plan", str(changed))
    assert "redefine ce (the sources changed; restart needed)" in out and "> restart" not in out
    code, out, _ = run(capsys, "plan", str(changed), "--restart")
    assert "> restart ce" in out
    code, out, _ = run(capsys, "apply", str(changed), "--restart")
    assert code == 0 and "restart ce" in out
    assert conn(QEMU1).lookupByName("ce").info()[2] == 768 * 1024


def test_prune_removes_only_with_the_flag(site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "apply", str(site))[0] == 0
    text = (CASES / "two-hosts.gw").read_text()
    without = write_site(tmp_path, text[:text.index("  node wn01")] + "}\n")
    code, out, _ = run(capsys, "apply", str(without))
    assert code == 0 and "keep wn01: no longer in the sources" in out
    assert conn(XEN1).lookupByName("wn01").isActive()
    code, out, _ = run(capsys, "apply", str(without), "--prune")
    assert code == 0 and "stop and undefine wn01 (no longer in the sources; volumes kept)" in out
    assert "wn01" not in [d.name() for d in conn(XEN1).listAllDomains()]
    assert "/srv/gw/wn01-xvda.img" in volumes(XEN1)


def test_a_foreign_domain_is_refused_and_the_rest_goes_on(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foreign = ("<domain type='qemu'><name>ce</name><memory>65536</memory><os><type>hvm</type></os>"
               "<devices/></domain>")
    conn(QEMU1).defineXML(foreign)
    before = conn(QEMU1).lookupByName("ce").XMLDesc()
    code, _out, err = run(capsys, "apply", str(site))
    assert code == 1
    assert ("gwc: error: host `qemu1` (test://@CASES@/qemu1.xml), node `ce`: refused: a domain named `ce` exists "
            "on this host but was not defined by gwc (no gw metadata)") in err
    assert "node `wn01`: not started: it waits for `ce`, which did not start" in err
    assert conn(QEMU1).lookupByName("ce").XMLDesc() == before
    assert conn(QEMU1).lookupByName("install").isActive()


def test_an_unreachable_host_fails_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (CASES / "two-hosts.gw").read_text().replace('uri = "test://@CASES@/xen1.xml";',
                                                        'uri = "test:///nonexistent/host.xml";')
    text = text.replace("after = [ ce ];", "")
    with backend.keep_open(QEMU1):
        code, out, err = run(capsys, "apply", str(write_site(tmp_path, text)))
        assert code == 1
        assert "gwc: error: host `xen1` (test:///nonexistent/host.xml): cannot connect: XML error" in err
        assert conn(QEMU1).lookupByName("ce").isActive()
        code, out, err = run(capsys, "plan", str(write_site(tmp_path, text)))
        assert code == 1 and "host xen1 (test:///nonexistent/host.xml): cannot be reached:" in out


def test_start_order_follows_after_across_hosts(site: Path) -> None:
    started: list[str] = []

    def record(host: str, action: Action) -> None:
        started.append(f"{host}:{type(action).__name__}:{getattr(action, 'node', '')}")
    outcome = apply_site(target(site), PlanOptions(), hooks=Hooks(record))
    assert not outcome.failed
    assert outcome.order == ["install", "ce", "wn01"]
    starts = [entry for entry in started if ":Start:" in entry]
    assert starts == ["qemu1:Start:install", "qemu1:Start:ce", "xen1:Start:wn01"]


# ---------------------------------------------------------------- lock and interruption

def test_a_second_apply_is_refused_while_the_lock_is_held(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "plan", str(site))   # nothing created by a plan
    host = connect(QEMU1)
    host.ensure_pool("/var/lib/gwlang/images", "gw-var-lib-gwlang-images")
    host.lock("/var/lib/gwlang/images", LockHolder("builder.example.org", 4242, 1_700_000_000))
    code, _, err = run(capsys, "apply", str(site))
    assert code == 1
    assert ("host `qemu1` (test://@CASES@/qemu1.xml): another apply holds the lock: pid 4242 on "
            "builder.example.org, started 2023-11-14 22:13:20 UTC") in err
    assert "ce" not in [d.name() for d in conn(QEMU1).listAllDomains()]
    code, _out, err = run(capsys, "apply", str(site), "--break-lock")
    assert code == 0, err
    assert not [v for v in volumes(QEMU1) if "gwc-apply.lock" in v]


def test_an_interrupted_apply_converges_on_the_next(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    class Interrupted(Exception):
        pass

    def interrupt(host: str, action: Action) -> None:
        if isinstance(action, Define) and action.node == "ce":
            raise Interrupted("killed between steps")
    with pytest.raises(Interrupted):
        apply_site(target(site), PlanOptions(), hooks=Hooks(interrupt))
    assert "ce" not in [d.name() for d in conn(QEMU1).listAllDomains()]
    code, out, err = run(capsys, "apply", str(site))
    assert (code, err) == (0, ""), out
    assert "define ce" in out and "create volume /var/lib/gwlang/images/install-xvda.img" not in out
    assert all(conn(uri).lookupByName(name).isActive() for uri, name in
               ((QEMU1, "install"), (QEMU1, "ce"), (XEN1, "wn01")))
    assert "nothing changed" in run(capsys, "apply", str(site))[1]


def test_a_failing_step_fails_its_node_and_the_next_apply_converges(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images = conn(XEN1).storagePoolLookupByName("images")
    images.storageVolLookupByName("base.img").delete()
    code, _, err = run(capsys, "apply", str(site))
    assert code == 1
    assert ("host `xen1` (test://@CASES@/xen1.xml), node `wn01`: cannot create volume /srv/gw/wn01-xvda.img: "
            "its base image /srv/gw/base.img is not a volume of a storage pool on the host") in err
    assert conn(QEMU1).lookupByName("ce").isActive()
    images.createXML("<volume><name>base.img</name><capacity unit='bytes'>67108864</capacity></volume>")
    code, _out, err = run(capsys, "apply", str(site))
    assert (code, err) == (0, "")
    assert conn(XEN1).lookupByName("wn01").isActive()


# ---------------------------------------------------------------- destroy

def test_destroy_keeps_volumes_unless_asked(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "apply", str(site))[0] == 0
    outcome = destroy_site(target(site), delete_storage=False)
    assert not outcome.failed and outcome.order == ["wn01", "ce", "install"]
    assert not conn(QEMU1).listAllDomains() and not conn(XEN1).listAllDomains()
    assert "/var/lib/gwlang/images/ce-config.img" in volumes(QEMU1)
    code, out, _ = run(capsys, "destroy", str(site), "--delete-storage")
    assert code == 0 and "deleted volume /srv/gw/wn01-xvda.img" in out
    assert volumes(QEMU1) | volumes(XEN1) == {"/srv/gw/base.img"}   # the base image is not the node's


def test_console_of_an_unknown_node_is_a_diagnostic(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "console", str(site), "cee")
    assert code == 1
    assert "error[E0702]: site `lab` has no node `cee`" in err and "did you mean `ce`?" in err


def test_an_unknown_host_is_a_diagnostic(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "plan", str(site), "--host", "qemu2")
    assert code == 1 and "error[E0701]: site `lab` has no host `qemu2`" in err


@pytest.mark.parametrize("stored", ["pc-i440fx-7.2", "pc-i440fx-8.1", "pc"])
def test_qemus_versioned_machine_is_the_machine_it_stands_for(stored: str) -> None:
    """QEMU keeps `pc` as `pc-i440fx-<version>`: that is no drift, or every second apply would redefine."""
    compiled = "<domain type='qemu'><name>n</name><os><type machine='{}'>hvm</type></os></domain>"
    assert significant(compiled.format(stored)) == significant(compiled.format("pc"))
    assert significant(compiled.format("q35")) != significant(compiled.format("pc"))


# ---------------------------------------------------------------- several hosts through one URI

def one_uri_site(tmp_path: Path) -> Path:
    """The two-host site with both hosts' storage in one folder and no base image: fit for one test host."""
    text = (CASES / "two-hosts.gw").read_text().replace('    storage = "/srv/gw";\n', "")
    return write_site(tmp_path, text.replace('disks.xvda = { size = 128MiB; image = "/srv/gw/base.img"; };',
                                             "disks.xvda.size = 128MiB;"))


def test_hosts_reached_through_one_uri_share_the_apply_lock(
        site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`--connect` sends both hosts to one libvirt and one storage pool: one lock, taken once, no refusal."""
    shared = one_uri_site(tmp_path)
    code, out, err = run(capsys, "apply", str(shared), "--connect", QEMU1)
    assert (code, err) == (0, ""), err
    assert "started in order: install, ce, wn01" in out
    assert {d.name() for d in conn(QEMU1).listAllDomains() if d.isActive()} == {"install", "ce", "wn01"}
    assert not [v for v in volumes(QEMU1) if "gwc-apply.lock" in v]
    code, out, err = run(capsys, "apply", str(shared), "--connect", QEMU1)
    assert (code, err) == (0, "") and "nothing changed" in out


def test_a_lock_held_elsewhere_refuses_every_host_behind_the_uri(
        site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    host = connect(QEMU1)
    host.ensure_pool("/var/lib/gwlang/images", "gw-var-lib-gwlang-images")
    host.lock("/var/lib/gwlang/images", LockHolder("builder.example.org", 4242, 1_700_000_000))
    code, _, err = run(capsys, "apply", str(one_uri_site(tmp_path)), "--connect", QEMU1)
    assert code == 1
    for name in ("qemu1", "xen1"):
        assert f"host `{name}` (test://@CASES@/qemu1.xml): another apply holds the lock: pid 4242" in err
    assert not conn(QEMU1).listAllDomains()
    assert host.lock_holder("/var/lib/gwlang/images") == LockHolder("builder.example.org", 4242, 1_700_000_000)


# ---------------------------------------------------------------- hosts that cannot be read

def test_plan_and_status_never_claim_an_unread_host_matches(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (CASES / "two-hosts.gw").read_text().replace('uri = "test://@CASES@/xen1.xml";',
                                                        'uri = "test:///nonexistent/host.xml";')
    partial = write_site(tmp_path, text.replace("after = [ ce ];", ""))
    with backend.keep_open(QEMU1):
        assert run(capsys, "apply", str(partial), "--host", "qemu1")[0] == 0
        code, out, err = run(capsys, "plan", str(partial))
        assert code == 1
        assert "matches" not in out
        assert out.splitlines()[-2:] == ["nothing to change on the hosts that could be read",
                                         "1 host could not be read (xen1): its changes are unknown"]
        assert err.count("\n") == 1 and "host xen1 (test:///nonexistent/host.xml): cannot be reached" in err
        code, out, err = run(capsys, "status", str(partial))
        assert code == 1
        assert out.splitlines()[-1] == "1 host could not be read (xen1): the state of 1 node is unknown"


# ---------------------------------------------------------------- --host and `after` on a host left out

def with_wn02(tmp_path: Path) -> Path:
    """The two-host site and `wn02` on `xen1`, waiting for `wn01` (which waits for `ce` on `qemu1`)."""
    text = (CASES / "two-hosts.gw").read_text()
    return write_site(tmp_path, text[:text.rindex("}")]
                      + "  node wn02 : wn { host = xen1; ip = 192.0.2.22; after = [ wn01 ]; }\n}\n")


def test_a_node_waiting_for_a_stopped_node_on_a_host_left_out_is_held(
        site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """`--host xen1`: `wn01` waits for `ce` on `qemu1`, not running; defined, not started, exit 1."""
    sources = with_wn02(tmp_path)
    code, out, err = run(capsys, "plan", str(sources), "--host", "xen1")
    assert (code, err) == (0, "")
    assert out == snapshot
    code, out, err = run(capsys, "apply", str(sources), "--host", "xen1")
    assert code == 1
    assert err.splitlines() == [
        "gwc: error: host `xen1` (test://@CASES@/xen1.xml), node `wn01`: not started: it waits for ce on host "
        "qemu1, which is not running (not defined): apply that host too (`--host qemu1`)",
        "gwc: error: host `xen1` (test://@CASES@/xen1.xml), node `wn02`: not started: it waits for `wn01`, "
        "which is held"]
    assert {d.name(): bool(d.isActive()) for d in conn(XEN1).listAllDomains()} == {"wn01": False, "wn02": False}
    assert run(capsys, "apply", str(sources), "--host", "qemu1")[0] == 0
    code, out, err = run(capsys, "apply", str(sources), "--host", "xen1")
    assert (code, err) == (0, ""), err
    assert "started in order: wn01, wn02" in out
    conn(QEMU1).lookupByName("ce").destroy()
    code, out, _ = run(capsys, "plan", str(sources), "--host", "xen1")
    assert code == 0 and "nothing to change: every host matches the sources" in out   # running: nothing held


def test_a_node_waiting_on_a_host_that_cannot_be_read_is_held(
        site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (CASES / "two-hosts.gw").read_text().replace('uri = "test://@CASES@/qemu1.xml";',
                                                        'uri = "test:///nonexistent/host.xml";')
    code, out, err = run(capsys, "plan", str(write_site(tmp_path, text)), "--host", "xen1")
    assert code == 1
    assert ("= hold wn01 (defined, not started): it waits for ce on host qemu1, which could not be read "
            "(cannot connect: XML error") in out
    assert out.splitlines()[-2:] == ["4 changes to make; 1 node held (defined, not started)",
                                     "1 host left out could not be read (qemu1): the nodes waiting for theirs are held"]
    assert "host qemu1: cannot read node `ce` that a node waits for: cannot connect:" in err


# ---------------------------------------------------------------- console

@pytest.mark.parametrize("connect", [QEMU1, "test:///nonexistent/host.xml"])
def test_console_says_connected_only_once_the_console_is_open(
        site: Path, capsys: pytest.CaptureFixture[str], connect: str) -> None:
    """The test driver has no console, and the other URI no host: one error line each, no "connected"."""
    assert run(capsys, "apply", str(site))[0] == 0
    code, out, err = run(capsys, "console", str(site), "ce", "--connect", connect)
    assert (code, out) == (1, "")
    assert "connected" not in err and err.count("\n") == 1, err
    assert err.startswith(f"gwc: error: host `qemu1` ({connect.replace(str(CASES), '@CASES@')}), node `ce`: ")


# ---------------------------------------------------------------- summaries of big sites

@pytest.mark.parametrize(("names", "shown"), [
    (["install", "ce"], "install, ce"),
    (["wn01", "wn02"], "wn01, wn02"),
    ([f"wn{i:04}" for i in range(1, 1001)], "wn0001..wn1000"),
    (["install", "ce", *(f"wn{i:03}" for i in range(1, 13)), "test1", "test2"],
     "install, ce, wn001..wn012, test1, test2"),
    (["wn8", "wn9", "wn10"], "wn8..wn10"),
    (["wn08", "wn09", "wn010"], "wn08, wn09, wn010"),
    (["a1", "b1", "c1", "d1", "e1", "f1", "g1", "h1", "i1", "j1"], "a1, b1, c1, d1, e1, f1, g1, and 3 more"),
])
def test_summaries_fold_numbered_names(names: list[str], shown: str) -> None:
    from gwlang.runtime.render import name_list
    assert name_list(names) == shown
