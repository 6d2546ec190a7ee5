"""Guest files (overlay and package lists) read back by the programs that consume them.

netplan's own generator (`generate --root-dir`), ifupdown's `ifquery` and
dpkg come from Debian packages unpacked into .tools/ (never installed: they
could touch the machine's networking); bash sources the ifcfg files as the
RedHat network scripts do.  Each value read back must be exactly the value
of the model.  Hostile values are either refused with a diagnostic at the
line that set them, or come out so that the consumer reads them back
exactly.  Snapshots of the files of tests/cases/guest/*.gw are for review.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.cli import main
from gwlang.diagnostics import GwError
from gwlang.emit.artifact import Artifact
from gwlang.emit.environment import render
from gwlang.emit.filters import Unrepresentable
from gwlang.emit.guest import guest
from gwlang.emit.network import Link, NetworkFacts, network_facts
from gwlang.emit.overlay import overlay_files
from gwlang.eval.evaluator import run_deep
from gwlang.model.model import EntityModel, SiteModel
from gwlang.pipeline import compile_sources
from tests.support.debs import library_path, unpacked

ROOT = Path(__file__).resolve().parent.parent
SITES = sorted((ROOT / "sites").glob("*.gw"))
CASES = sorted((ROOT / "tests/cases/guest").glob("*.gw"))
GUEST_KINDS = {"guest-network", "guest-hosts", "guest-resolver", "guest-hostname", "guest-file", "package-list",
               "cloud-init-meta-data", "cloud-init-user-data"}
NETPLAN_PACKAGES = ("netplan.io", "libnetplan0", "libyaml-0-2", "libglib2.0-0")
BASH_OWN = {"PWD", "SHLVL", "_", "OLDPWD"}


# ---------------------------------------------------------------- compiling and the consumers

def compile_guest_files(source: Path, output: Path) -> list[tuple[SiteModel, Path]]:
    """Compile in memory and write only the guest files; each site with its folder."""
    compiled = run_deep(lambda: compile_sources([source]))
    sites = []
    for model, artifacts in compiled:
        for artifact in _guest_artifacts(artifacts):
            target = output / artifact.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(artifact.data)
        sites.append((model, output / model.name))
    return sites


def _guest_artifacts(artifacts: list[Artifact]) -> Iterator[Artifact]:
    return (a for a in artifacts if a.kind in GUEST_KINDS)


@pytest.fixture(scope="module")
def netplan_generate() -> Callable[[Path], subprocess.CompletedProcess[str]]:
    tree = unpacked(*NETPLAN_PACKAGES)
    environment = dict(os.environ, LD_LIBRARY_PATH=library_path(tree))

    def generate(root: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(tree / "usr/libexec/netplan/generate"), "--root-dir", str(root)],
                              env=environment, capture_output=True, text=True, timeout=60)
    return generate


@pytest.fixture(scope="module")
def ifquery(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., str]:
    program = unpacked("ifupdown") / "sbin/ifquery"
    state = tmp_path_factory.mktemp("ifstate")

    def query(interfaces: Path, *arguments: str) -> str:
        done = subprocess.run([str(program), "--state-dir", str(state), "-i", str(interfaces), *arguments],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"ifquery refused {interfaces}:\n{done.stderr}"
        return done.stdout
    return query


def sourced(path: Path) -> dict[str, str]:
    """The variables a file defines, as bash's `.` reads them (the RedHat scripts source ifcfg files)."""
    syntax = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    done = subprocess.run(["env", "-i", "bash", "--noprofile", "--norc", "-c", 'set -a; . "$1"; env -0',
                           "bash", str(path)], capture_output=True, timeout=60, cwd=path.parent)
    assert done.returncode == 0 and not done.stderr, done.stderr
    pairs = (entry.decode().split("=", 1) for entry in done.stdout.split(b"\0") if entry)
    return {key: value for key, value in pairs if key not in BASH_OWN}


Sections = list[tuple[str, list[tuple[str, str]]]]


def ini(path: Path) -> Sections:
    """A systemd-style file: its sections in order, each with its settings in order (both may repeat)."""
    sections: Sections = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            assert line.endswith("]"), line
            sections.append((line[1:-1], []))
            continue
        key, equals, value = line.partition("=")
        assert equals and sections, f"{path}: not a setting: {line}"
        sections[-1][1].append((key, value))
    return sections


def settings(parsed: Sections, section: str) -> dict[str, list[str]]:
    """Every value of every key in the sections called `section`."""
    collected: dict[str, list[str]] = {}
    for name, pairs in parsed:
        for key, value in pairs:
            if name == section:
                collected.setdefault(key, []).append(value)
    return collected


def netplan_gateways(parsed: Sections) -> list[str]:
    """Netplan writes a default route as a [Route] section whose destination is the whole address space."""
    routes = [dict(pairs) for name, pairs in parsed if name == "Route"]
    return [route["Gateway"] for route in routes if route.get("Destination") in ("0.0.0.0/0", "::/0")]


# ---------------------------------------------------------------- what the model says

def interfaces(node: EntityModel) -> list[tuple[str, Any]]:
    return sorted(node.get("network", "interfaces").items())


def primary(node: EntityModel) -> str | None:
    """The interface that carries the resolver settings: the node's own `ip`, else the first."""
    names = [name for name, i in interfaces(node) if i["ip"] == node.get("ip")]
    return names[0] if names else next((name for name, _ in interfaces(node)), None)


def cidr(interface: Any) -> str:
    return f"{interface['ip'].canonical}/{interface['prefix']}"


def search(node: EntityModel) -> list[str]:
    return list(node.get("network", "search"))


def dns(node: EntityModel) -> list[str]:
    return [server.canonical for server in node.get("network", "dns")]


def hostname(node: EntityModel) -> str:
    return node.get("network", "hostname") or node.name


def fqdn(model: SiteModel, node: EntityModel) -> str:
    return node.get("network", "fqdn") or f"{node.name}.{model.site.get('domain')}"


def expected_ifcfg(node: EntityModel, name: str, interface: Any) -> dict[str, str]:
    values = {"DEVICE": name, "TYPE": "Ethernet", "ONBOOT": "yes", "BOOTPROTO": "none",
              "HWADDR": interface["mac"].canonical}
    address = ipaddress.ip_interface(cidr(interface))
    gateway = interface["gateway"]
    if address.version == 4:
        values.update(IPADDR=str(address.ip), PREFIX=str(interface["prefix"]), NETMASK=str(address.netmask))
        if gateway is not None:
            values["GATEWAY"] = gateway.canonical
    else:
        values.update(IPV6INIT="yes", IPV6ADDR=cidr(interface))
        if gateway is not None:
            values["IPV6_DEFAULTGW"] = gateway.canonical
    if name == primary(node):
        values.update({f"DNS{index}": server for index, server in enumerate(dns(node), 1)})
        if search(node):
            values["DOMAIN"] = " ".join(search(node))
    return values


def default_gateway(node: EntityModel, version: int) -> str | None:
    gateways = [i["gateway"].canonical for _, i in interfaces(node)
                if i["gateway"] is not None and i["gateway"].version == version]
    return gateways[0] if gateways else None


# ---------------------------------------------------------------- every example and case, read back

@pytest.mark.parametrize("source", SITES + CASES, ids=[f"{p.parent.name}/{p.stem}" for p in SITES + CASES])
def test_guest_files_read_back_by_their_consumers(source: Path, tmp_path: Path, ifquery: Callable[..., str],
                                                   netplan_generate: Callable[[Path], Any]) -> None:
    for model, site in compile_guest_files(source, tmp_path):
        for node in model.nodes.values():
            overlay = site / "nodes" / node.name / "overlay"
            expected = set(check_native_files(model, node, overlay, ifquery))
            if node.get("os", "network-config") == "netplan":
                expected |= check_netplan(node, overlay, tmp_path / "netplan" / node.name, netplan_generate)
            if node.get("os", "network-config") == "networkd":
                expected |= check_networkd(node, overlay)
            expected |= check_name_service(model, node, overlay)
            expected |= check_own_files(node, overlay)
            written = {str(p.relative_to(overlay)) for p in overlay.rglob("*") if p.is_file()}
            assert written == expected, f"{node.name}: unexpected or missing overlay files"
            check_packages(node, site / "nodes" / node.name, tmp_path / "dpkg")


def check_native_files(model: SiteModel, node: EntityModel, overlay: Path,
                       ifquery: Callable[..., str]) -> list[str]:
    if node.get("os", "family") == "redhat":
        return check_redhat(model, node, overlay)
    return check_debian(node, overlay, ifquery)


def check_redhat(model: SiteModel, node: EntityModel, overlay: Path) -> list[str]:
    network = {"NETWORKING": "yes", "HOSTNAME": fqdn(model, node)}
    if default_gateway(node, 4):
        network["GATEWAY"] = default_gateway(node, 4) or ""
    if default_gateway(node, 6):
        network.update(NETWORKING_IPV6="yes", IPV6_DEFAULTGW=default_gateway(node, 6) or "")
    assert sourced(overlay / "etc/sysconfig/network") == network
    paths = ["etc/sysconfig/network"]
    for name, interface in interfaces(node):
        path = f"etc/sysconfig/network-scripts/ifcfg-{name}"
        assert sourced(overlay / path) == expected_ifcfg(node, name, interface), path
        paths.append(path)
    return paths


def check_debian(node: EntityModel, overlay: Path, ifquery: Callable[..., str]) -> list[str]:
    file = overlay / "etc/network/interfaces"
    assert ifquery(file, "--list").split() == ["lo"] + [name for name, _ in interfaces(node)]
    for name, interface in interfaces(node):
        read = dict(line.split(": ", 1) for line in ifquery(file, name).splitlines() if ": " in line)
        address = ipaddress.ip_interface(cidr(interface))
        assert read["address"] == str(address.ip)
        assert read["netmask"] == (str(address.netmask) if address.version == 4 else str(interface["prefix"]))
        assert read.get("gateway") == (interface["gateway"].canonical if interface["gateway"] else None)
        resolver = name == primary(node)
        assert read.get("dns-nameservers") == (" ".join(dns(node)) if resolver and dns(node) else None)
        assert read.get("dns-search") == (" ".join(search(node)) if resolver and search(node) else None)
        assert "hwaddress" not in read        # the hypervisor sets the MAC; see docs
    return ["etc/network/interfaces"]


def check_netplan(node: EntityModel, overlay: Path, root: Path, generate: Callable[[Path], Any]) -> set[str]:
    shutil.copytree(overlay / "etc/netplan", root / "etc/netplan")
    done = generate(root)
    assert done.returncode == 0, done.stderr
    # netplan warns that a world-readable file is "too open"; reconfigure.sh sets its mode in the image.
    complaints = [line for line in done.stderr.splitlines() if line.strip() and "are too open" not in line]
    assert complaints == [], done.stderr
    for name, interface in interfaces(node):
        network = ini(root / f"run/systemd/network/10-netplan-{name}.network")
        assert settings(network, "Match") == {"PermanentMACAddress": [interface["mac"].canonical], "Name": [name]}
        assert settings(network, "Network")["Address"] == [cidr(interface)]
        assert netplan_gateways(network) == ([interface["gateway"].canonical] if interface["gateway"] else [])
        resolver = name == primary(node)
        assert settings(network, "Network").get("DNS", []) == (dns(node) if resolver else [])
        assert settings(network, "Network").get("Domains", []) == ([" ".join(search(node))]
                                                                   if resolver and search(node) else [])
        link = ini(root / f"run/systemd/network/10-netplan-{name}.link")
        assert settings(link, "Link")["Name"] == [name]
    return {"etc/netplan/50-gwlang.yaml"}


def check_networkd(node: EntityModel, overlay: Path) -> set[str]:
    paths = set()
    for name, interface in interfaces(node):
        network_path = f"etc/systemd/network/50-gwlang-{name}.network"
        link_path = f"etc/systemd/network/50-gwlang-{name}.link"
        network = ini(overlay / network_path)
        assert settings(network, "Match") == {"MACAddress": [interface["mac"].canonical], "Name": [name]}
        resolver = name == primary(node)
        expected = {"Address": [cidr(interface)]}
        if interface["gateway"]:
            expected["Gateway"] = [interface["gateway"].canonical]
        if resolver and dns(node):
            expected["DNS"] = dns(node)
        if resolver and search(node):
            expected["Domains"] = [" ".join(search(node))]
        assert settings(network, "Network") == expected
        assert [name for name, _ in network] == ["Match", "Network"]
        link = ini(overlay / link_path)
        assert settings(link, "Match") == {"MACAddress": [interface["mac"].canonical]}
        assert settings(link, "Link") == {"Name": [name]}
        paths |= {network_path, link_path}
    return paths


def _hosts(path: Path) -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            assert fields[0] not in entries, f"{path}: {fields[0]} listed twice"
            ipaddress.ip_address(fields[0])
            entries[fields[0]] = fields[1:]
    return entries


def check_name_service(model: SiteModel, node: EntityModel, overlay: Path) -> set[str]:
    hosts = _hosts(overlay / "etc/hosts")
    assert "localhost" in hosts["127.0.0.1"] and "localhost" in hosts["::1"]
    for other in model.nodes.values():
        names = list(dict.fromkeys([fqdn(model, other), hostname(other)]))
        assert hosts[other.get("ip").canonical] == names
    resolv = [line.split() for line in (overlay / "etc/resolv.conf").read_text().splitlines()
              if line and not line.startswith("#")]
    assert [words[1:] for words in resolv if words[0] == "search"] == ([search(node)] if search(node) else [])
    assert [words[1] for words in resolv if words[0] == "nameserver"] == dns(node)
    assert all(len(words) == 2 for words in resolv if words[0] == "nameserver")
    assert {words[0] for words in resolv} <= {"search", "nameserver"}
    assert (overlay / "etc/hostname").read_bytes() == hostname(node).encode() + b"\n"
    return {"etc/hosts", "etc/resolv.conf", "etc/hostname"}


def check_own_files(node: EntityModel, overlay: Path) -> set[str]:
    for path, content in node.get("files").items():
        assert (overlay / path).read_bytes() == content.encode("utf-8"), path
    return set(node.get("files"))


def check_packages(node: EntityModel, folder: Path, dpkg_root: Path) -> None:
    wanted = sorted(set(node.get("packages")))
    if node.get("os", "family") == "redhat":
        assert not (folder / "packages.list").exists()
        specifications = (folder / "packages.rpmcfg").read_text().splitlines()
        assert [lcfg_package(line)["name"] for line in specifications] == wanted
        assert all(lcfg_package(line)["version"] == lcfg_package(line)["release"] == "*" for line in specifications)
        return
    assert not (folder / "packages.rpmcfg").exists()
    names = (folder / "packages.list").read_text().splitlines()
    assert names == wanted
    _dpkg_accepts(names, dpkg_root)


def lcfg_package(specification: str) -> dict[str, str]:
    """LCFG's reading of a package specification (lcfgpackage_from_spec): `name-version-release[/arch][:flags]`.

    Release and version are found walking backwards from the end, so a name
    may hold `-`; neither may be empty or hold a blank.
    """
    assert specification == specification.strip() and specification, f"blank around {specification!r}"
    rest, _, _flags = specification.partition(":")
    rest, _, _arch = rest.partition("/")
    rest, dash, release = rest.rpartition("-")
    name, dash2, version = rest.rpartition("-")
    assert dash and dash2 and name and version and release, f"not name-version-release: {specification!r}"
    assert name[0].isalnum() and all(c.isalnum() or c in "_-.+" for c in name), f"bad LCFG name {name!r}"
    return {"name": name, "version": version, "release": release}


def _dpkg_accepts(names: list[str], root: Path) -> None:
    """dpkg's own name check: `--set-selections` into an empty database of its own, not the machine's."""
    if not root.exists():
        (root / "updates").mkdir(parents=True)
        (root / "info").mkdir()
        (root / "status").touch()
        (root / "available").touch()
    selections = "".join(f"{name} install\n" for name in names)
    done = subprocess.run(["dpkg", f"--admindir={root}", "--set-selections"], input=selections,
                          capture_output=True, text=True, timeout=60)
    assert "illegal" not in done.stderr and done.returncode == 0, done.stderr


# ---------------------------------------------------------------- networkd against netplan's translation

@pytest.mark.parametrize("case", ["networkd", "two-interfaces"])
def test_networkd_files_say_what_netplan_says(case: str, tmp_path: Path,
                                              netplan_generate: Callable[[Path], Any]) -> None:
    """The same nodes compiled for netplan, translated by netplan's generator, give the same settings."""
    source = ROOT / f"tests/cases/guest/{case}.gw"
    as_netplan = tmp_path / f"{case}.gw"
    as_netplan.write_text(source.read_text().replace('"networkd"', '"netplan"'))
    ours = compile_guest_files(source, tmp_path / "networkd")
    theirs = compile_guest_files(as_netplan, tmp_path / "netplan")
    compared = 0
    for (model, site), (_, netplan_site) in zip(ours, theirs, strict=True):
        for node in model.nodes.values():
            if node.get("os", "network-config") != "networkd":
                continue
            root = tmp_path / "root" / node.name
            shutil.copytree(netplan_site / "nodes" / node.name / "overlay/etc/netplan", root / "etc/netplan")
            assert netplan_generate(root).returncode == 0
            for name, _ in interfaces(node):
                mine = ini(site / "nodes" / node.name / f"overlay/etc/systemd/network/50-gwlang-{name}.network")
                generated = ini(root / f"run/systemd/network/10-netplan-{name}.network")
                assert _meaning(mine) == _meaning(generated)
                compared += 1
    assert compared >= 2


def _meaning(network: Sections) -> dict[str, Any]:
    match = settings(network, "Match")
    values = settings(network, "Network")
    return {"mac": (match.get("MACAddress") or match.get("PermanentMACAddress")), "name": match["Name"],
            "addresses": values["Address"], "dns": values.get("DNS", []), "domains": values.get("Domains", []),
            "gateways": values.get("Gateway", []) or netplan_gateways(network)}


# ---------------------------------------------------------------- snapshots

@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_guest_files_snapshot(case: Path, snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    compiled = run_deep(lambda: compile_sources([case.relative_to(ROOT)]))
    parts = [f"===== {a.path} ({a.kind}) =====\n{a.text}" for _, artifacts in compiled
             for a in _guest_artifacts(artifacts)]
    assert "".join(part if part.endswith("\n") else part + "\n" for part in parts) == snapshot


def test_the_documented_examples_are_what_the_cases_compile_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every example file of the guest files' documentation is a file the cases compile to, exactly."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs/artefacts.md").read_text()
    section = text[text.index("## Guest files"):]
    section = section[:section.find("\n## ", 1)] if "\n## " in section[1:] else section
    examples = re.findall(r"```[a-z]*\n(.*?)```", section, re.S)
    compiled = run_deep(lambda: compile_sources([p.relative_to(ROOT) for p in CASES]))
    produced = {a.text for _, artifacts in compiled for a in artifacts}
    assert len(examples) >= 8
    assert [e.splitlines()[0] for e in examples if e not in produced] == []


# ---------------------------------------------------------------- hostile values

HOSTILE = ("q'uote \"double\" $(touch pwned) `touch pwned` ${HOME} <tag> & ]]> ../../etc/passwd \\ back; "
           "x\ny\r\n\tz é end")


def _gw_string(value: str) -> str:
    """A gw string literal for `value` (NUL and other characters without an escape go in raw)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


def _site(node_body: str, family: str = "redhat") -> str:
    return f"""
import <grid/roles.gw>;
site hostile {{
  domain = "hostile.example.org";
  network.subnet = 192.0.2.0/24;
  network.gateway = 192.0.2.1;
  network.dns = [ 192.0.2.53 ];
  host gw {{ memory = 4GiB; cpus = 2; bridges.xenbr0.interface = "eth0"; bridges.xenbr1.interface = null; }}
  node ce : ce {{ host = gw; ip = 192.0.2.11; os.family = "{family}"; {node_body} }}
}}
"""


def _compile(tmp_path: Path, text: str) -> Path:
    source = tmp_path / "hostile.gw"
    source.write_text(text)
    output = tmp_path / "out"
    assert main(["compile", str(source), "-o", str(output)]) == 0
    return output / "hostile/nodes/ce/overlay"


def test_hostile_file_contents_are_written_byte_for_byte(tmp_path: Path) -> None:
    overlay = _compile(tmp_path, _site(f'files."etc/hostile.conf" = {_gw_string(HOSTILE)};'))
    assert (overlay / "etc/hostile.conf").read_bytes() == HOSTILE.encode("utf-8")
    assert not (tmp_path / "pwned").exists()


def test_a_nul_in_a_file_is_written_byte_for_byte(tmp_path: Path) -> None:
    """NUL is no problem for the overlay; the whole compile refuses it elsewhere (profile.xml is XML 1.0)."""
    model, _ = run_deep(lambda: compile_sources([ROOT / "tests/cases/guest/redhat.gw"]))[0]
    ce = replace(guest(model, model.nodes["ce"]), files={"etc/nul": "a\0b" + HOSTILE})
    files = {f.path: f for f in overlay_files(ce, network_facts(ce), [])}
    artifact = Artifact(f"nodes/ce/overlay/{files['etc/nul'].path}", files["etc/nul"].text, "guest-file")
    assert artifact.data == ("a\0b" + HOSTILE).encode("utf-8")


def test_a_nul_in_a_file_path_is_refused() -> None:
    model, _ = run_deep(lambda: compile_sources([ROOT / "tests/cases/guest/redhat.gw"]))[0]
    ce = replace(guest(model, model.nodes["ce"]), files={"etc/x\0y": "x"})
    with pytest.raises(GwError, match="holds a control character") as failure:
        overlay_files(ce, network_facts(ce), [])
    assert [d.code for d in failure.value.diagnostics] == ["E0620"]


HOSTILE_PATH = "etc/it's \"odd\" $(touch pwned) `id` <&> ]]> é.conf"


def test_hostile_file_names_land_exactly_where_named(tmp_path: Path) -> None:
    overlay = _compile(tmp_path, _site(f'files.{_gw_string(HOSTILE_PATH)} = "x";'))
    assert (overlay / HOSTILE_PATH).read_bytes() == b"x"
    named = [p for p in (tmp_path / "out").rglob("*") if "odd" in p.name]
    assert named == [overlay / HOSTILE_PATH]


REFUSED = [
    # (id, node body, family, code, what the message says)
    ("hostname-command", 'network.hostname = "$(reboot)";', "redhat", "E0401", "not a host name"),
    ("hostname-newline", 'network.hostname = "ce\\n127.0.0.1 evil";', "debian", "E0401", "not a host name"),
    ("fqdn-command", 'network.fqdn = "ce.example.org; reboot";', "redhat", "E0601", "is not a host name"),
    ("fqdn-newline", 'network.fqdn = "ce.example.org\\n6.6.6.6 bank.example";', "debian", "E0601",
     "is not a host name"),
    ("search-newline", 'network.search = [ "example.org\\nnameserver 6.6.6.6" ];', "redhat", "E0601",
     "DNS search domain `example.org\\nnameserver 6.6.6.6`"),
    ("search-quote", "network.search = [ \"ex'ample.org\" ];", "debian", "E0601", "DNS search domain"),
    ("interface-slash", 'network.interfaces."../../etc/x" = { ip = 192.0.2.99; prefix = 24; };', "redhat",
     "E0601", "cannot name an interface"),
    ("interface-command", 'network.interfaces."eth$(reboot)" = { ip = 192.0.2.99; prefix = 24; };', "debian",
     "E0601", "cannot name an interface"),
    ("interface-too-long", 'network.interfaces.averyveryverylongname = { ip = 192.0.2.99; prefix = 24; };',
     "redhat", "E0601", "cannot name an interface"),
    ("package-newline", 'packages = [ "ntp\\nevil" ];', "redhat", "E0601", "package list cannot hold"),
    ("package-blank", 'packages = [ "ntp ssh" ];', "debian", "E0601", "package list cannot hold"),
    ("package-debian-case", 'packages = [ "Emacs" ];', "debian", "E0601", "package list cannot hold: `Emacs`"),
    ("file-absolute", 'files."/etc/shadow" = "x";', "redhat", "E0620", "is absolute"),
    ("file-parent", 'files."../../etc/passwd" = "x";', "redhat", "E0(401|620)", "`\\.\\.`"),
    ("file-dot", 'files."etc/./motd2" = "x";', "redhat", "E0620", "empty or `.` component"),
    ("file-empty-component", 'files."etc//motd2" = "x";', "redhat", "E0620", "empty or `.` component"),
    ("file-newline", 'files."etc/x\\ny" = "x";', "redhat", "E0620", "control character"),
    ("file-nul", 'files."etc/x\0y" = "x";', "redhat", "E0401", "a path containing a NUL character"),
    ("file-hosts", 'files."etc/hosts" = "6.6.6.6 bank";', "redhat", "E0621", "gwc writes `etc/hosts` itself"),
    ("file-interfaces", 'files."etc/network/interfaces" = "x";', "debian", "E0621", "gwc writes"),
    ("file-under-generated", 'files."etc/hostname/x" = "x";', "redhat", "E0621", "both a file and a folder"),
    ("file-over-generated", 'files."etc/sysconfig" = "x";', "redhat", "E0621", "both a file and a folder"),
    ("two-gateways", 'network.interfaces.eth1 = { ip = 10.9.0.11; prefix = 24; gateway = 10.9.0.1; '
                     'bridge = "xenbr1"; network = 10.9.0.0/24; };', "redhat", "E0622", "2 IPv4 default gateways"),
    ("gateway-off-network", "network.interfaces.eth0.gateway = 198.51.100.1;", "debian", "E0623",
     "is not on its network 192.0.2.0/24"),
    ("prefix-too-long", "network.interfaces.eth0.prefix = 64;", "debian", "E0607",
     "has prefix 64, longer than its IPv4 address"),
]


@pytest.mark.parametrize("body, family, code, message", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_hostile_values_are_refused_at_their_line(body: str, family: str, code: str, message: str,
                                                  tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "hostile.gw"
    source.write_text(_site(body, family))
    assert main(["compile", str(source), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert re.search(rf"error\[{code}\]", err), err
    assert re.search(message if code.startswith("E0(") else re.escape(message), err), err
    assert f"{source}:9:" in err, "the diagnostic points at the node's own line"
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- the templates' own quoting

def _facts(**changes: Any) -> NetworkFacts:
    link = Link(name="eth0", version=4, address="192.0.2.11", prefix=24, cidr="192.0.2.11/24",
                netmask="255.255.255.0", gateway="192.0.2.1", mac="00:16:3e:00:00:01", primary=True)
    values: dict[str, Any] = dict(site="s", node="n", os_family="redhat", network_config="native", hostname="n",
                                  fqdn="n.example.org", address="192.0.2.11", dns=("192.0.2.53",),
                                  search=("example.org",), links=(link,), gateway4="192.0.2.1", gateway6=None)
    values.update(changes)
    return NetworkFacts(**values)


SHELL_HOSTILE = ["$(touch pwned)", "`touch pwned`", "a'b\"c", "x; touch pwned", "<&> ]]>", "$HOME ${HOME}",
                 "back\\slash", "é ünïcode", "", "*"]


@pytest.mark.parametrize("value", SHELL_HOSTILE)
def test_ifcfg_values_read_back_exactly_and_never_run(value: str, tmp_path: Path) -> None:
    """Even a value no check would let through comes out quoted: bash reads it back and runs nothing."""
    facts = _facts(fqdn=value, search=(value, "b"))
    link = facts.links[0]
    for name, text in [("network", render("redhat/network.j2", facts=facts, links=facts.links)),
                       ("ifcfg", render("redhat/ifcfg.j2", facts=facts, link=link))]:
        path = tmp_path / name
        path.write_text(text)
        read = sourced(path)
        assert read.get("HOSTNAME", read.get("DOMAIN")) in (value, f"{value} b")
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("template", ["redhat/network.j2", "redhat/ifcfg.j2"])
def test_ifcfg_refuses_a_second_line(template: str) -> None:
    facts = _facts(fqdn="n\nGATEWAY=6.6.6.6", search=("a\nb",))
    with pytest.raises(Unrepresentable):
        render(template, facts=facts, links=facts.links, link=facts.links[0])


WORD_TEMPLATES = ["debian/interfaces.j2", "guest/resolv.conf.j2", "guest/hosts-entries.j2", "networkd/network.j2"]
WORD_HOSTILE = ["a b", "a\nnameserver 6.6.6.6", "a'b", 'a"b', "a\\b", "a\0b", "a\tb"]


@pytest.mark.parametrize("template, value", [(t, v) for t in WORD_TEMPLATES for v in WORD_HOSTILE]
                         + [(t, "a#b") for t in WORD_TEMPLATES[:3]])
def test_word_formats_refuse_what_they_cannot_carry(template: str, value: str) -> None:
    facts = _facts(search=(value,), hostname=value)
    context = {"facts": facts, "site": "s", "links": facts.links, "link": facts.links[0], "entries": [
        {"address": "192.0.2.11", "names": (value,)}]}
    with pytest.raises(Unrepresentable):
        render(template, **context)


def test_two_nodes_with_one_name_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "hostile.gw"
    source.write_text(_site("").replace("}\n}", '}\n  node ui : ui { host = gw; ip = 192.0.2.13; '
                                                'network.fqdn = "CE.hostile.example.org"; }\n}'))
    assert main(["compile", str(source), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "error[E0624]: nodes `ce` and `ui` are both called `CE.hostile.example.org`" in err, err
    assert f"{source}:10:" in err and "<stdlib>/grid/roles.gw" in err
