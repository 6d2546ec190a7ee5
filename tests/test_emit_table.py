"""The emitter table and the hypervisor table say what the code does: every file's kind is declared, every kind of
host in the schema has its record."""

from __future__ import annotations

import re
from pathlib import Path

from gwlang.emit.site import EMITTERS
from gwlang.hypervisors import HYPERVISORS
from gwlang.pipeline import compile_sites

ROOT = Path(__file__).resolve().parent.parent


def test_every_file_is_of_a_kind_its_emitter_declares() -> None:
    [compiled] = compile_sites([ROOT / "tests/cases/guest/netplan.gw"])
    declared = [kind for emitter in EMITTERS for kind in emitter.produces]
    assert len(declared) == len(set(declared)), "two emitters declare one kind"
    made = {artifact.kind for artifact in compiled.artifacts} - {"manifest"}
    assert made <= set(declared), made - set(declared)
    assert {"xen-config", "libvirt-domain", "boot-order", "cloud-init-user-data", "cloud-init-meta-data"} <= made


def test_the_index_finds_a_domain_and_its_hash_as_written() -> None:
    [compiled] = compile_sites([ROOT / "tests/cases/guest/netplan.gw"])
    domain = compiled.artifact("libvirt-domain", "se")
    assert domain.path == "netplan/hosts/gw/libvirt/se.xml"
    assert f"<gw:hash>{compiled.hash('libvirt-domain', 'se')}</gw:hash>" in domain.text
    assert compiled.hash("boot-order", "gw") == compiled.artifact("boot-order", "gw").sha256
    assert compiled.boot.hosts["gw"] == compiled.boot.site == ("se", "wn01")


def test_every_hypervisor_of_the_schema_has_a_record() -> None:
    schema = (ROOT / "stdlib/gw/schema.gw").read_text()
    match = re.search(r"hypervisor\s*:\s*enum\(([^)]*)\)", schema)
    assert match is not None
    assert set(re.findall(r'"([^"]+)"', match.group(1))) == set(HYPERVISORS)
    assert all(kind == record.kind for kind, record in HYPERVISORS.items())


def test_the_schema_names_the_config_disk_with_the_hypervisors_disk_prefix(tmp_path: Path) -> None:
    cases = ROOT / "tests/cases/runtime"
    site = tmp_path / "lab.gw"
    site.write_text((cases / "two-hosts.gw").read_text().replace("@CASES@", str(cases)))
    [compiled] = compile_sites([site])
    kinds = set()
    for one in compiled.guests.values():
        assert one.config_disk is not None
        assert one.config_disk.device == HYPERVISORS[one.hypervisor].disk_prefix + "z"
        kinds.add(one.hypervisor)
    assert kinds == {"qemu", "xen"}
