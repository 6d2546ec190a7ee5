"""The runtime (`gwc plan`, `apply`, `status`, `destroy`) against libvirt's test driver: no mocks.

Each test gets two fresh test-driver hosts (`tests/cases/runtime/*.xml`),
kept open with `backend.keep_open` so that consecutive commands in the test
see the same host, as a real libvirtd would.  The test driver keeps volumes
without data (no upload): the config disk images are checked on files in
`test_runtime_configdisk.py`, and their upload by the end-to-end test.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libvirt
import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang import __version__
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
    code, out, err = run(capsys, "apply", "-y", str(site))
    assert (code, err) == (0, ""), out
    assert "started in order: install, ce, wn01" in out
    assert {"/var/lib/gwlang/images/install-xvda.img", "/var/lib/gwlang/images/install-config.img",
            "/var/lib/gwlang/images/ce-config.img"} <= volumes(QEMU1)
    assert {"/srv/gw/wn01-xvda.img", "/srv/gw/wn01-config.img"} <= volumes(XEN1)
    domains = {d.name(): d for d in conn(QEMU1).listAllDomains()}
    assert domains["ce"].isActive() and domains["ce"].autostart()
    assert conn(XEN1).lookupByName("wn01").isActive()
    code, out, err = run(capsys, "apply", "-y", str(site))
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
    assert run(capsys, "apply", "-y", str(manual))[0] == 0
    wn01 = conn(XEN1).lookupByName("wn01")
    assert not wn01.isActive() and not wn01.autostart()
    code, out, _ = run(capsys, "plan", str(manual))
    assert "nothing to change" in out, out
    wn01.setAutostart(1)
    code, out, _ = run(capsys, "plan", str(manual))
    assert "~ set autostart of wn01 off" in out, out


def test_status_shows_drift_made_behind_gwcs_back(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "apply", "-y", str(site))[0] == 0
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
    code, out, _ = run(capsys, "apply", "-y", str(site))
    assert code == 0 and "restart needed" in out
    assert "in sync" in run(capsys, "status", str(site))[1].splitlines()[2]


def test_restart_only_with_the_flag(site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "apply", "-y", str(site))[0] == 0
    changed = write_site(tmp_path, (CASES / "two-hosts.gw").read_text().replace(
        "    ip = 192.0.2.11;\n", "    ip = 192.0.2.11;\n    vm.memory = 768MiB;\n"))
    code, out, _ = run(capsys, "plan", str(changed))
    assert "redefine ce (the sources changed; restart needed)" in out and "> restart" not in out
    code, out, _ = run(capsys, "plan", str(changed), "--restart")
    assert "> restart ce" in out
    code, out, _ = run(capsys, "apply", "-y", str(changed), "--restart")
    assert code == 0 and "restart ce" in out
    assert conn(QEMU1).lookupByName("ce").info()[2] == 768 * 1024


def test_prune_removes_only_with_the_flag(site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "apply", "-y", str(site))[0] == 0
    text = (CASES / "two-hosts.gw").read_text()
    without = write_site(tmp_path, text[:text.index("  node wn01")] + "}\n")
    code, out, _ = run(capsys, "apply", "-y", str(without))
    assert code == 0 and "keep wn01: no longer in the sources" in out
    assert conn(XEN1).lookupByName("wn01").isActive()
    code, out, _ = run(capsys, "apply", "-y", str(without), "--prune")
    assert code == 0 and "stop and undefine wn01 (no longer in the sources; volumes kept)" in out
    assert "wn01" not in [d.name() for d in conn(XEN1).listAllDomains()]
    assert "/srv/gw/wn01-xvda.img" in volumes(XEN1)


def test_a_foreign_domain_is_refused_and_the_rest_goes_on(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foreign = ("<domain type='qemu'><name>ce</name><memory>65536</memory><os><type>hvm</type></os>"
               "<devices/></domain>")
    conn(QEMU1).defineXML(foreign)
    before = conn(QEMU1).lookupByName("ce").XMLDesc()
    code, _out, err = run(capsys, "apply", "-y", str(site))
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
        code, out, err = run(capsys, "apply", "-y", str(write_site(tmp_path, text)))
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
    code, _, err = run(capsys, "apply", "-y", str(site))
    assert code == 1
    assert ("host `qemu1` (test://@CASES@/qemu1.xml): another apply holds the lock: pid 4242 on "
            "builder.example.org, started 2023-11-14 22:13:20 UTC") in err
    assert "ce" not in [d.name() for d in conn(QEMU1).listAllDomains()]
    code, _out, err = run(capsys, "apply", "-y", str(site), "--break-lock")
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
    code, out, err = run(capsys, "apply", "-y", str(site))
    assert (code, err) == (0, ""), out
    assert "define ce" in out and "create volume /var/lib/gwlang/images/install-xvda.img" not in out
    assert all(conn(uri).lookupByName(name).isActive() for uri, name in
               ((QEMU1, "install"), (QEMU1, "ce"), (XEN1, "wn01")))
    assert "nothing changed" in run(capsys, "apply", "-y", str(site))[1]


def test_a_failing_step_fails_its_node_and_the_next_apply_converges(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images = conn(XEN1).storagePoolLookupByName("images")
    images.storageVolLookupByName("base.img").delete()
    code, _, err = run(capsys, "apply", "-y", str(site))
    assert code == 1
    assert ("host `xen1` (test://@CASES@/xen1.xml), node `wn01`: cannot create volume /srv/gw/wn01-xvda.img: "
            "its base image /srv/gw/base.img is not a volume of a storage pool on the host") in err
    assert conn(QEMU1).lookupByName("ce").isActive()
    images.createXML("<volume><name>base.img</name><capacity unit='bytes'>67108864</capacity></volume>")
    code, _out, err = run(capsys, "apply", "-y", str(site))
    assert (code, err) == (0, "")
    assert conn(XEN1).lookupByName("wn01").isActive()


# ---------------------------------------------------------------- destroy

def test_destroy_keeps_volumes_unless_asked(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "apply", "-y", str(site))[0] == 0
    outcome = destroy_site(target(site), delete_storage=False)
    assert not outcome.failed and outcome.order == ["wn01", "ce", "install"]
    assert not conn(QEMU1).listAllDomains() and not conn(XEN1).listAllDomains()
    assert "/var/lib/gwlang/images/ce-config.img" in volumes(QEMU1)
    code, out, _ = run(capsys, "destroy", "-y", str(site), "--delete-storage")
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
    code, out, err = run(capsys, "apply", "-y", str(shared), "--connect", QEMU1)
    assert (code, err) == (0, ""), err
    assert "started in order: install, ce, wn01" in out
    assert {d.name() for d in conn(QEMU1).listAllDomains() if d.isActive()} == {"install", "ce", "wn01"}
    assert not [v for v in volumes(QEMU1) if "gwc-apply.lock" in v]
    code, out, err = run(capsys, "apply", "-y", str(shared), "--connect", QEMU1)
    assert (code, err) == (0, "") and "nothing changed" in out


def test_a_lock_held_elsewhere_refuses_every_host_behind_the_uri(
        site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    host = connect(QEMU1)
    host.ensure_pool("/var/lib/gwlang/images", "gw-var-lib-gwlang-images")
    host.lock("/var/lib/gwlang/images", LockHolder("builder.example.org", 4242, 1_700_000_000))
    code, _, err = run(capsys, "apply", "-y", str(one_uri_site(tmp_path)), "--connect", QEMU1)
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
        assert run(capsys, "apply", "-y", str(partial), "--host", "qemu1")[0] == 0
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
    code, out, err = run(capsys, "apply", "-y", str(sources), "--host", "xen1")
    assert code == 1
    assert err.splitlines() == [
        "gwc: error: host `xen1` (test://@CASES@/xen1.xml), node `wn01`: not started: it waits for ce on host "
        "qemu1, which is not running (not defined): apply that host too (`--host qemu1`)",
        "gwc: error: host `xen1` (test://@CASES@/xen1.xml), node `wn02`: not started: it waits for `wn01`, "
        "which is held"]
    assert {d.name(): bool(d.isActive()) for d in conn(XEN1).listAllDomains()} == {"wn01": False, "wn02": False}
    assert run(capsys, "apply", "-y", str(sources), "--host", "qemu1")[0] == 0
    code, out, err = run(capsys, "apply", "-y", str(sources), "--host", "xen1")
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
    assert run(capsys, "apply", "-y", str(site))[0] == 0
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
    ([*(f"wn{i:04}" for i in range(1000, 0, -1)), "ce", "install"], "wn1000..wn0001, ce, install"),
    (["wn3", "wn2", "wn3", "wn4"], "wn3, wn2, wn3, wn4"),
    (["wn1", "wn2", "wn1"], "wn1, wn2, wn1"),
])
def test_summaries_fold_numbered_names(names: list[str], shown: str) -> None:
    from gwlang.runtime.render import name_list
    assert name_list(names) == shown


# ---------------------------------------------------------------- saved plans, JSON, confirmation

STDLIB = Path(__file__).resolve().parent.parent / "stdlib"
RUNTIME_DOC = Path(__file__).resolve().parent.parent / "docs" / "runtime.md"


def as_documented(text: str, tmp_path: Path) -> str:
    """An output as docs/runtime.md shows it: in /home/me/lab, the host reached at qemu:///system."""
    return text.replace(str(tmp_path), "/home/me/lab").replace("test://@CASES@/qemu1.xml", "qemu:///system")
SHA256 = re.compile(r"\b[0-9a-f]{64}\b")


def plan_json(capsys: pytest.CaptureFixture[str], site: Path, *options: str) -> tuple[int, str, dict[str, Any]]:
    code, out, err = run(capsys, "plan", str(site), "--json", *options)
    return code, err, json.loads(out)


def readable(text: str, tmp_path: Path) -> str:
    """A plan or status document with the machine's paths and the digests (of those paths' files) as words.

    The input files are listed sorted by path, so they are re-sorted once the paths are words: where the
    checkout and the temporary folder lie (and so their order) differs between machines."""
    words = SHA256.sub("<sha256>", text.replace(str(tmp_path), "@TMP@").replace(str(STDLIB), "@STDLIB@"))
    document = json.loads(words)
    sources = document.get("inputs", {}).get("sources", {})
    if "files" in sources:
        sources["files"] = dict(sorted(sources["files"].items()))
    return json.dumps(document, indent=2) + "\n" if words.endswith("\n") else json.dumps(document, indent=2)


def test_plan_json_is_versioned_and_shaped_as_documented(
        site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    code, out, err = run(capsys, "plan", str(site), "--json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert list(document) == ["format_version", "kind", "gwc_version", "site", "request", "inputs", "hosts",
                              "elsewhere", "summary"]
    assert (document["format_version"], document["kind"], document["summary"]["changes"]) == (1, "gwc-plan", 17)
    assert readable(out, tmp_path) == snapshot


def test_every_field_of_the_json_documents_is_documented(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/runtime.md's field tables name every key `plan --json` and `status --json` print."""
    documented = RUNTIME_DOC.read_text()
    assert run(capsys, "apply", "-y", str(site))[0] == 0
    conn(QEMU1).lookupByName("ce").destroy()
    plan = json.loads(run(capsys, "plan", str(site), "--json", "--prune")[1])
    held = json.loads(run(capsys, "plan", str(site), "--json", "--host", "xen1")[1])     # `elsewhere`, a hold
    status = json.loads(run(capsys, "status", str(site), "--json")[1])

    def keys(value: object, prefix: str) -> set[str]:
        if isinstance(value, list):
            return {k for item in value for k in keys(item, prefix + "[]")}
        if not isinstance(value, dict) or prefix.endswith(("files", "domains", "pools", "volumes")):
            return set()
        return {f"{prefix}.{key}".lstrip(".") for key in value} | {
            k for key, item in value.items() for k in keys(item, f"{prefix}.{key}")}
    found = keys(plan, "") | keys(held, "") | keys(status, "")
    assert "elsewhere[].readable" in found
    missing = sorted(key for key in found if f"`{key}`" not in documented)
    assert not missing, missing


def test_a_saved_plan_is_applied_exactly_and_only_once(
        site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    saved = tmp_path / "lab.plan"
    code, out, err = run(capsys, "plan", str(site), "-o", str(saved))
    assert (code, err) == (0, "")
    assert out.endswith(f"17 changes to make\nplan saved to {saved}: `gwc apply {saved}` applies exactly this plan\n")
    assert saved.read_text().replace(str(CASES), "@CASES@") == run(capsys, "plan", str(site), "--json")[1]
    code, out, err = run(capsys, "apply", str(saved))          # no `-y`: a saved plan was reviewed already
    assert (code, err) == (0, ""), err
    assert "started in order: install, ce, wn01" in out
    rows = json.loads(run(capsys, "status", str(site), "--json")[1])["nodes"]
    assert [(r["node"], r["state"], r["definition"]) for r in rows] == [
        ("install", "running", "in-sync"), ("ce", "running", "in-sync"), ("wn01", "running", "in-sync")]
    code, out, err = run(capsys, "apply", str(saved))          # the hosts are no longer what it saw
    assert (code, out) == (1, "")
    assert err.startswith(f"error[E0720]: the plan `{saved}` is stale: the hosts changed since it was made; "
                          "nothing was applied\n")
    assert "  = note: host `qemu1` (test://@CASES@/qemu1.xml): domain `ce` appeared\n" in err


def test_a_plan_made_stale_by_a_source_edit_is_refused_naming_the_file(
        site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The example of docs/runtime.md, "Saved plans"."""
    saved = tmp_path / "lab.plan"
    assert run(capsys, "plan", str(site), "-o", str(saved))[0] == 0
    edited = site.read_text().replace("    ip = 192.0.2.11;\n", "    ip = 192.0.2.11;\n    vm.memory = 768MiB;\n")
    site.write_text(edited)
    code, out, err = run(capsys, "apply", str(saved))
    assert (code, out) == (1, "")
    assert err == (f"error[E0720]: the plan `{saved}` is stale: its sources changed since it was made\n"
                   f"  = note: source `{site}` changed\n"
                   f"  = help: make a new plan, review it and apply that: `gwc plan {site} --site lab -o {saved}`, "
                   f"then `gwc apply {saved}`\n")
    assert as_documented(err, tmp_path) in RUNTIME_DOC.read_text()
    assert not conn(QEMU1).listAllDomains() and not conn(XEN1).listAllDomains()


def test_a_plan_made_stale_by_a_host_change_is_refused_naming_the_domain(
        site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Another client of the host (here: another use of the kept-open test host) defines a domain meanwhile."""
    saved = tmp_path / "lab.plan"
    assert run(capsys, "plan", str(site), "-o", str(saved), "--host", "qemu1")[0] == 0
    conn(QEMU1).defineXML("<domain type='test'><name>intruder</name><memory>65536</memory>"
                          "<os><type>hvm</type></os></domain>")
    code, out, err = run(capsys, "apply", str(saved))
    assert (code, out) == (1, "")
    assert (f"error[E0720]: the plan `{saved}` is stale: the hosts changed since it was made; "
            "nothing was applied\n"
            "  = note: host `qemu1` (test://@CASES@/qemu1.xml): domain `intruder` appeared\n") in err
    assert f"`gwc plan {site} --site lab --host qemu1 -o {saved}`" in err
    assert as_documented(err.split("  = help")[0], tmp_path) in RUNTIME_DOC.read_text()
    assert [d.name() for d in conn(QEMU1).listAllDomains()] == ["intruder"]
    assert not [v for v in volumes(QEMU1) if "gwc-apply.lock" in v]


def test_a_saved_plan_takes_no_options_and_a_file_that_is_none_is_refused(
        site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    saved = tmp_path / "lab.plan"
    assert run(capsys, "plan", str(site), "-o", str(saved))[0] == 0
    code, _, err = run(capsys, "apply", str(saved), "--prune")
    assert code == 2 and "`gwc apply " in err and "takes no `--prune`" in err
    saved.write_text(saved.read_text().replace('"format_version": 1', '"format_version": 2'))
    code, _, err = run(capsys, "apply", str(saved))
    assert code == 1 and err.startswith(f"error[E0721]: `{saved}` is not a plan this gwc can apply: "
                                        "its format_version is 2; this gwc reads 1")
    saved.write_text("not json")
    assert "it is not JSON" in run(capsys, "apply", str(saved))[2]


def test_a_plan_of_a_host_that_cannot_be_read_is_not_saved(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    saved = tmp_path / "lab.plan"
    code, _, err = run(capsys, "plan", str(write_site(tmp_path)), "-o", str(saved), "--connect",
                       "test:///nonexistent/host.xml")
    assert code == 1 and f"plan not saved to {saved}" in err and not saved.exists()


@pytest.mark.parametrize("command", ["apply", "destroy"])
def test_without_a_terminal_apply_and_destroy_want_yes(
        site: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, err = run(capsys, command, str(site))
    assert (code, out) == (2, "")
    assert err == (f"gwc: error: `gwc {command}` asks for confirmation and stdin is not a terminal: pass `-y` "
                   f"to {command} without asking\nRun `gwc --help` for usage.\n")
    assert not conn(QEMU1).listAllDomains()


@contextlib.contextmanager
def answering(monkeypatch: pytest.MonkeyPatch, answer: str) -> Iterator[None]:
    """stdin a real terminal (a pty) on which `answer` has been typed."""
    master, slave = pty.openpty()
    try:
        os.write(master, answer.encode())
        with open(slave, closefd=False) as terminal:
            monkeypatch.setattr(sys, "stdin", terminal)
            yield
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("answer", ["yes\n", "y\n", "YES\n", "\n", "\x04"])     # \x04: Ctrl-D, end of input
def test_apply_on_a_terminal_shows_the_plan_and_applies_only_after_yes(
        site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    with answering(monkeypatch, answer):
        code, out, err = run(capsys, "apply", str(site))
    shown, _, after = out.partition("\nApply these changes? Only 'yes' is accepted: ")
    assert shown.startswith("site lab:\nhost qemu1") and shown.endswith("17 changes to make\n"), out
    if answer == "yes\n":
        assert (code, err) == (0, "") and "started in order: install, ce, wn01" in after
        assert {d.name() for d in conn(QEMU1).listAllDomains()} == {"install", "ce"}
    else:
        assert (code, after) == (1, "")
        assert err == "gwc: error: apply cancelled: only `yes` applies; nothing was changed\n"
        assert not conn(QEMU1).listAllDomains() and not volumes(QEMU1)


def test_apply_on_a_terminal_with_nothing_to_do_does_not_ask(
        site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, "apply", "-y", str(site))[0] == 0
    with answering(monkeypatch, ""):
        code, out, _ = run(capsys, "apply", str(site))
    assert code == 0 and "Apply these changes" not in out and "nothing to change" in out


@pytest.mark.parametrize("answer", ["yes\n", "no\n"])
def test_destroy_on_a_terminal_shows_what_goes_and_asks(
        site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    assert run(capsys, "apply", "-y", str(site))[0] == 0
    with answering(monkeypatch, answer):
        code, out, err = run(capsys, "destroy", str(site))
    assert out.startswith("site lab:\nhost qemu1 (test://@CASES@/qemu1.xml):\n  - stop and undefine ce\n"
                          "  - stop and undefine install\nhost xen1 (test://@CASES@/xen1.xml):\n"
                          "  - stop and undefine wn01\n\nDestroy these domains? Only 'yes' is accepted: "), out
    left = {d.name() for d in conn(QEMU1).listAllDomains()}
    assert (code, left) == ((0, set()) if answer == "yes\n" else (1, {"install", "ce"})), err


def test_status_json(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "apply", "-y", str(site))[0] == 0
    domain = conn(QEMU1).lookupByName("ce")
    xml = domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    conn(QEMU1).defineXML(re.sub(r"<memory unit='KiB'>\d+</memory>", "<memory unit='KiB'>2097152</memory>", xml))
    code, out, err = run(capsys, "status", str(site), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "format_version": 1, "kind": "gwc-status", "gwc_version": __version__, "site": "lab",
        "nodes": [
            {"node": "install", "host": "qemu1", "state": "running", "definition": "in-sync", "changes": [],
             "text": "in sync"},
            {"node": "ce", "host": "qemu1", "state": "running", "definition": "drifted",
             "changes": ["memory: 2097152 KiB -> 1048576 KiB"],
             "text": "drifted: memory: 2097152 KiB -> 1048576 KiB"},
            {"node": "wn01", "host": "xen1", "state": "running", "definition": "in-sync", "changes": [],
             "text": "in sync"}],
        "unread": []}
    code, out, _ = run(capsys, "status", str(site), "--json", "--connect", "test:///nonexistent/host.xml")
    document = json.loads(out)
    assert code == 1 and {n["definition"] for n in document["nodes"]} == {"unknown"}
    assert [u["host"] for u in document["unread"]] == ["qemu1", "xen1"]


def test_apply_checks_the_hosts_under_its_lock_and_does_nothing_when_they_changed(site: Path) -> None:
    """What `gwc apply PLAN` and a confirmed `gwc apply` rely on: `verify` sees the state read under the lock."""
    from gwlang.runtime.apply import Stale
    seen: list[str] = []

    def verify(live: Any, elsewhere: Any) -> list[str]:
        seen.extend(f"{host}: {sorted(v for v in state.volumes if 'gwc-apply.lock' in v)}"
                    for host, state in sorted(live.items()))
        return ["host `qemu1`: domain `intruder` appeared"]
    with pytest.raises(Stale) as refused:
        apply_site(target(site), PlanOptions(), verify=verify)
    assert refused.value.changes == ["host `qemu1`: domain `intruder` appeared"]
    assert [line.split(":")[0] for line in seen] == ["qemu1", "xen1"]
    assert all("gwc-apply.lock'" in line for line in seen), seen            # read while the lock was held
    assert not conn(QEMU1).listAllDomains() and not conn(XEN1).listAllDomains()
    assert not [v for v in volumes(QEMU1) | volumes(XEN1) if "gwc-apply.lock" in v]      # the lock released


# ---------------------------------------------------------------- a big site: grouped, short output

BIG_SITE = CASES / "big-site.gw"          # 200 nodes on one host of `test:///default`
SHORT = 12                                # lines: what a person reads at once, whatever the site's size


def logged_mkfs(folder: Path) -> Path:
    """A `mkfs.ext4` first on PATH that records each run in `folder/mkfs.log`, then runs the real one."""
    real = shutil.which("mkfs.ext4") or "/usr/sbin/mkfs.ext4"
    wrapper = folder / "bin" / "mkfs.ext4"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho run >> "{folder}/mkfs.log"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return folder / "mkfs.log"


def test_a_big_site_is_planned_applied_and_destroyed_in_a_few_grouped_lines(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        snapshot: SnapshotAssertion) -> None:
    log = logged_mkfs(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    site = str(BIG_SITE)
    outputs = []
    with backend.keep_open("test:///default"):
        for command in (["plan"], ["apply", "-y"], ["status"], ["destroy", "-y"]):
            code, out, err = run(capsys, *command, site)
            assert (code, err) == (0, ""), out
            assert len(out.splitlines()) <= SHORT, out
            assert all(line.count("wn") <= 4 for line in out.splitlines()), out    # names folded, never listed
            outputs.append(f"$ gwc {' '.join(command)} big-site.gw\n{out}")
    assert "\n".join(outputs) == snapshot
    apply_text = outputs[1]
    [note] = [line for line in apply_text.splitlines() if "note:" in line]
    assert "config disk not uploaded for 200 nodes (install, ce, wn001..wn198)" in note
    # The test driver refused the first upload: the other images were not built (a few were, ahead).
    assert len(log.read_text().splitlines()) < 10


def test_a_big_sites_json_plan_still_lists_every_action(capsys: pytest.CaptureFixture[str]) -> None:
    with backend.keep_open("test:///default"):
        code, out, _ = run(capsys, "plan", "--json", str(BIG_SITE))
    assert code == 0
    actions = json.loads(out)["hosts"][0]["actions"]
    assert len([a for a in actions if a["action"] == "define"]) == 200
    assert len(actions) == 1 + 200 * 5 + 1     # the pool; volume, config disk, define, autostart, start; install's xvdb


def test_nodes_that_fail_alike_are_one_error_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # 198 workers of 1 GiB each do not fit the test driver's 100 GiB pool: about half fail the same way.
    text = BIG_SITE.read_text()
    cut = text.rindex("disks.xvda.size = 32MiB;")
    site = tmp_path / "full.gw"
    site.write_text(text[:cut] + "disks.xvda.size = 1GiB;" + text[cut + len("disks.xvda.size = 32MiB;"):])
    with backend.keep_open("test:///default"):
        code, out, err = run(capsys, "apply", "-y", str(site))
    assert code == 1
    assert err.splitlines() == [
        "gwc: error: host `gw` (test:///default), 99 nodes (wn100..wn198): cannot create volume "
        "/var/lib/gwlang/images/NODE-xvda.img: internal error: Not enough free space in pool for volume "
        "'NODE-xvda.img'"]
    assert out.splitlines()[-1] == "99 nodes failed or not started (wn100..wn198): see the errors"
    assert len(out.splitlines()) <= SHORT + 2      # two groups of volumes, and the line above


def test_destroying_a_big_site_on_a_terminal_asks_in_a_few_lines(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with backend.keep_open("test:///default"):
        assert run(capsys, "apply", "-y", str(BIG_SITE))[0] == 0
        with answering(monkeypatch, "no\n"):
            code, out, _ = run(capsys, "destroy", "--delete-storage", str(BIG_SITE))
    assert code == 1
    assert out.splitlines() == [
        "site big:", "host gw (test:///default):",
        "  - stop and undefine: 200 nodes (wn198..wn001, ce, install)",
        "  - delete volume: 401 volumes of 200 nodes (wn198..wn001, ce, install)",
        "", "Destroy these domains? Only 'yes' is accepted: "]
