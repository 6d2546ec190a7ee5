"""libvirt domain XML, checked by the programs that read it.

Every domain the example sites and the cases under `tests/cases/libvirt/`
compile to must pass libvirt's own schema (`virt-xml-validate`, from
Debian's libvirt-clients with libxml2-utils' xmllint) and be defined by
libvirt itself on its test driver (`test:///default`, through
libvirt-python), which parses every element though it checks nothing
hypervisor-specific.  `./dev test` installs both; nothing here skips.

The cases are one small site per kind of host and guest, snapshot as the
XML they produce; `errors/` holds sites whose values libvirt would refuse,
snapshot as their diagnostics.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import libvirt
import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.cli import main
from gwlang.diagnostics import GwError, render_all
from gwlang.emit.guest import guest
from gwlang.emit.libvirt import NAMESPACE, libvirt_domain
from gwlang.eval.evaluator import run_deep
from gwlang.model.model import SiteModel
from gwlang.model.program import load_program
from gwlang.pipeline import compile_sources

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases" / "libvirt"
CASE_FILES = sorted(CASES.glob("*.gw"))
ERROR_FILES = sorted((CASES / "errors").glob("*.gw"))
GW = f"{{{NAMESPACE}}}"
HASH_LINE = re.compile(r"^ *<gw:hash>[0-9a-f]{64}</gw:hash>\n", re.MULTILINE)


# ---------------------------------------------------------------- the real consumers

@pytest.fixture(scope="module")
def validate() -> Iterator[object]:
    tool = shutil.which("virt-xml-validate")
    if tool is None or shutil.which("xmllint") is None:
        pytest.fail("virt-xml-validate or xmllint is missing: `./dev test` installs libvirt-clients and libxml2-utils")

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([tool, str(path), "domain"], capture_output=True, text=True, timeout=60)
    yield run


@pytest.fixture(scope="module")
def connection() -> Iterator[libvirt.virConnect]:
    opened = libvirt.open("test:///default")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every libvirt XML of every example site and every case."""
    output = tmp_path_factory.mktemp("libvirt")
    assert main(["compile", str(ROOT / "sites"), "-o", str(output / "sites")]) == 0
    for case in CASE_FILES:
        assert main(["compile", str(case), "-o", str(output / case.stem)]) == 0
    files = sorted(output.glob("*/*/hosts/*/libvirt/*.xml"))
    assert len(files) > 80
    return files


def test_every_domain_passes_libvirts_schema(compiled: list[Path], validate: object) -> None:
    failures = []
    for path in compiled:
        done = validate(path)  # type: ignore[operator]
        if done.returncode != 0:
            failures.append(f"{path}:\n{done.stderr}")
    assert not failures, "\n".join(failures)


def test_the_schema_check_refuses_a_broken_domain(tmp_path: Path, validate: object) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<domain type='xen'><name>x</name><os><type>linux</type></os><vcpu>many</vcpu></domain>\n")
    assert validate(broken).returncode != 0  # type: ignore[operator]


def test_every_domain_defines_on_libvirts_test_driver(compiled: list[Path], connection: libvirt.virConnect) -> None:
    for path in compiled:
        text = path.read_text()
        written = ElementTree.fromstring(text)
        domain = connection.defineXML(text)
        try:
            assert domain.name() == written.findtext("name")
            assert domain.UUIDString() == written.findtext("uuid")
            owned = ElementTree.fromstring(domain.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, NAMESPACE))
            assert owned.findtext("node") == path.stem
            assert owned.findtext("hash") == written.findtext(f"metadata/{GW}domain/{GW}hash")
        finally:
            domain.undefine()


def test_every_domain_matches_its_site(compiled: list[Path]) -> None:
    for path in compiled:
        site_folder = path.parents[3]
        node = json.loads((site_folder / "site.json").read_text())["nodes"][path.stem]
        xml = ElementTree.parse(path).getroot()
        assert xml.findtext("uuid") == node["uuid"]
        assert int(xml.findtext("currentMemory") or 0) * 1024 == _bytes(node["vm"]["memory"])
        assert int(xml.findtext("vcpu") or 0) == node["vm"]["vcpus"]
        assert int(xml.findtext("cputune/shares") or 0) == node["vm"]["cpu-weight"]
        config = [node["config-disk"]] if node["config-disk"]["format"] != "none" else []
        assert [d.get("dev") for d in xml.iterfind("devices/disk/target")] == \
            [node["disks"][name]["device"] for name in sorted(node["disks"])] + [c["device"] for c in config]
        assert [s.get("file") for s in xml.iterfind("devices/disk/source")] == \
            [node["disks"][name]["path"] for name in sorted(node["disks"])] + [c["path"] for c in config]
        assert [d.find("readonly") is not None for d in xml.iterfind("devices/disk")] == \
            [False] * len(node["disks"]) + [True] * len(config)
        interfaces = [node["network"]["interfaces"][name] for name in sorted(node["network"]["interfaces"])]
        assert [m.get("address") for m in xml.iterfind("devices/interface/mac")] == [i["mac"] for i in interfaces]
        assert [b.get("bridge") for b in xml.iterfind("devices/interface/source")] == [i["bridge"] for i in interfaces]
        assert xml.findtext(f"metadata/{GW}domain/{GW}site") == site_folder.name


def _bytes(size: str) -> int:
    units = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
    for unit, factor in units.items():
        if size.endswith(unit):
            return int(size[: -len(unit)]) * factor
    return int(size.rstrip("B"))


# ---------------------------------------------------------------- the definition hash

def test_the_hash_is_the_sha256_of_the_definition_without_it(compiled: list[Path]) -> None:
    for path in compiled:
        text = path.read_text()
        written = ElementTree.fromstring(text).findtext(f"metadata/{GW}domain/{GW}hash")
        assert written == hashlib.sha256(HASH_LINE.sub("", text).encode()).hexdigest()


def _hash_of(source: str, tmp_path: Path, name: str) -> str:
    site = tmp_path / f"{name}.gw"
    site.write_text(source)
    assert main(["compile", str(site), "-o", str(tmp_path / name)]) == 0
    text = (tmp_path / name / "pvh/hosts/xen0/libvirt/ui.xml").read_text()
    return ElementTree.fromstring(text).findtext(f"metadata/{GW}domain/{GW}hash") or ""


def test_the_hash_changes_exactly_when_the_definition_does(tmp_path: Path) -> None:
    source = (CASES / "xen-pvh.gw").read_text()
    anchor = 'vm.type = "pvh";'
    original = _hash_of(source, tmp_path, "original")
    assert _hash_of(source, tmp_path, "again") == original
    assert _hash_of(source.replace(anchor, anchor + ' packages += [ "vim" ];'), tmp_path, "packages") == original
    assert _hash_of(source.replace(anchor, anchor + " vm.memory = 2GiB;"), tmp_path, "memory") != original
    assert _hash_of(source.replace(anchor, anchor + " vm.cpu-cap = 50;"), tmp_path, "cap") != original


# ---------------------------------------------------------------- one case per kind, by eye

@pytest.mark.parametrize("case", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case(case: Path, snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    compiled = run_deep(lambda: compile_sources([case.name]))
    domains = [a for _, artifacts in compiled for a in artifacts if a.kind == "libvirt-domain"]
    assert domains
    assert "".join(f"==== {a.path} ====\n{a.text}" for a in domains) == snapshot


@pytest.mark.parametrize("case", ERROR_FILES, ids=[p.stem for p in ERROR_FILES])
def test_refused(case: Path, snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case.parent)
    with pytest.raises(GwError) as failure:
        run_deep(lambda: compile_sources([case.name]))
    assert {d.code for d in failure.value.diagnostics} == {"E0601"}
    assert render_all(failure.value.diagnostics) == snapshot


# ---------------------------------------------------------------- hostile strings

HOSTILE = ("console=ttyS0 \"double\" 'single' <tag attr=\"x\"> & &amp; ]]> <![CDATA[ x ]]> $(reboot) `id` "
           "back\\slash\nsecond line\tand a tab <!-- not a comment -->")
HOSTILE_PATH = "/boot/vmlinuz <new> & 'quoted' \"double\" $(x) `y`"


def _gw_string(value: str) -> str:
    """A gw string literal holding `value` exactly (gw has no `\\u` escapes: other characters go in as they are)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"'


def _hostile_site(node: str, hypervisor: str = "qemu", type: str = "hvm") -> str:
    return f"""
import <grid/roles.gw>;
site hostile {{
  domain = "hostile.example.org";
  network.subnet = 192.0.2.0/24;
  network.gateway = 192.0.2.1;
  host h {{ hypervisor = "{hypervisor}"; memory = 4GiB; cpus = 2; bridges.xenbr0.interface = "eth0"; }}
  node n : wn {{ host = h; ip = 192.0.2.20; vm.type = "{type}"; {node} }}
}}
"""


@pytest.mark.parametrize("hypervisor, type", [("xen", "pv"), ("xen", "hvm"), ("kvm", "hvm"), ("qemu", "hvm")])
def test_hostile_strings_read_back_exactly(hypervisor: str, type: str, tmp_path: Path,
                                           connection: libvirt.virConnect) -> None:
    quoted, path = _gw_string(HOSTILE), _gw_string(HOSTILE_PATH)
    site = tmp_path / "hostile.gw"
    site.write_text(_hostile_site(f'boot.cmdline = {quoted}; role = {quoted}; files."etc/hostile" = {quoted}; '
                                  f"boot.kernel = {path}; boot.initrd = {path};", hypervisor, type))
    assert main(["compile", str(site), "-o", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out/hostile/hosts/h/libvirt/n.xml").read_text()
    for read in (ElementTree.fromstring(text), _defined(connection, text)):
        assert read.findtext("os/cmdline") == HOSTILE
        assert read.findtext("description") == HOSTILE
        assert read.findtext("os/kernel") == HOSTILE_PATH
        assert read.findtext("os/initrd") == HOSTILE_PATH


def _defined(connection: libvirt.virConnect, text: str) -> ElementTree.Element:
    """The domain as libvirt itself read it back."""
    domain = connection.defineXML(text)
    try:
        return ElementTree.fromstring(domain.XMLDesc())
    finally:
        domain.undefine()


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\r", "\ufffe"],
                         ids=["nul", "soh", "backspace", "vtab", "escape", "carriage-return", "non-character"])
@pytest.mark.parametrize("attribute", ["boot.cmdline", "role"])
def test_characters_xml_cannot_carry_are_refused(attribute: str, character: str, tmp_path: Path) -> None:
    site = tmp_path / "hostile.gw"
    value = "console=ttyS0 " + character + " quiet"
    site.write_text(_hostile_site(f'boot.kernel = "/boot/vmlinuz"; {attribute} = {_gw_string(value)};'))
    with pytest.raises(GwError) as failure:
        model = _model(site)
        libvirt_domain(guest(model, model.nodes["n"]))
    [diagnostic] = failure.value.diagnostics
    assert diagnostic.code == "E0601"
    assert f"`{attribute}` of node `n` cannot be written into libvirt XML" in render_all([diagnostic])


def test_a_refused_value_fails_the_whole_compile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "hostile.gw"
    site.write_text(_hostile_site('boot.kernel = "/boot/vmlinuz"; boot.cmdline = "console=ttyS0\\r";'))
    assert main(["compile", str(site), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "error[E0601]" in err and "a carriage return does not survive XML parsing" in err
    assert not (tmp_path / "out").exists()


def _model(path: Path) -> SiteModel:
    def load() -> SiteModel:
        program = load_program([path])
        [site] = program.sites()
        return program.site_model(site, checked=True)
    return run_deep(load)
