"""The LCFG-style `profile.xml` of each node, parsed back with xml.etree and compared with the model.

Every resource must hold exactly the model's value at its path (scalars as
their canonical text, lists item by item, records key by key, nulls empty),
carry the model's derivation of that path, and every attribute of the node
and of its site must appear.  The mapping from components to attribute
paths is docs/artefacts.md's table, written here a second time on
purpose.
"""

from __future__ import annotations

import base64
import functools
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.cli import main
from gwlang.emit.artifact import Artifact
from gwlang.emit.filters import text
from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size
from gwlang.eval.evaluator import run_deep
from gwlang.model.model import EntityModel, SiteModel
from gwlang.pipeline import compile_sources

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "sites", ROOT / "tests/cases/boot"]
# component -> the attribute path its resources sit under, where that is not the component's own name
COMPONENT_PATHS: dict[str, tuple[str, ...]] = {"node": (), "updaterpms": (), "services": (), "site": ()}
RENAMED = {("updaterpms", "packages"): "packages", ("services", "services"): "services"}


@functools.cache
def compiled(source: Path) -> list[tuple[SiteModel, list[Artifact]]]:
    return run_deep(lambda: compile_sources([source]))


def profiles() -> list[tuple[SiteModel, str, str]]:
    found = []
    for source in SOURCES:
        for model, artifacts in compiled(source):
            found += [(model, a.node, a.text) for a in artifacts if a.kind == "lcfg-profile" and a.node]
    return found


def expected_type(value: Any) -> str:
    kinds = [(bool, "bool"), (int, "int"), (Size, "size"), (IPAddress, "ip"), (IPNetwork, "net"),
             (MacAddress, "mac"), (str, "string")]
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "record"
    if isinstance(value, tuple):
        return "list"
    return next(name for kind, name in kinds if isinstance(value, kind))


def check_resource(element: ET.Element, value: Any, entity: EntityModel, path: tuple[str, ...] | None) -> None:
    """`element` holds `value`; a resource (path not None) also holds the derivation of `path`."""
    where = f"{entity.kind} `{entity.name}` {'.'.join(path or ())}"
    assert element.get("type") == expected_type(value), where
    if path is not None:
        derivations = [d.text for d in element.findall("derivation")]
        assert derivations == list(entity.derivations.get(path, ())), where
    if isinstance(value, Mapping):
        children = element.findall("resource")
        assert [c.get("name") for c in children] == sorted(value), where
        for child in children:
            name = child.get("name")
            assert name is not None
            check_resource(child, value[name], entity, None if path is None else (*path, name))
    elif isinstance(value, tuple):
        items = element.findall("item")
        assert len(items) == len(value), where
        for item, one in zip(items, value, strict=True):
            check_resource(item, one, entity, None)
    elif value is None:
        assert element.find("value") is None and not (element.text or "").strip(), where
    else:
        holder = element if path is None else element.find("value")
        assert holder is not None, where
        shown = holder.text or ""
        if holder.get("encoding") == "base64":
            shown = base64.b64decode(shown).decode("utf-8")
        else:
            assert holder.get("encoding") is None, where
        assert shown == text(value), where


def check_profile(model: SiteModel, node_name: str, xml_text: str) -> None:
    node = model.nodes[node_name]
    profile = ET.fromstring(xml_text)
    assert profile.tag == "profile"
    assert (profile.get("site"), profile.get("node"), profile.get("host")) == (model.name, node_name, node.get("host"))
    seen_node: set[str] = set()
    for component in profile.findall("component"):
        name = component.get("name")
        assert name is not None
        entity = model.site if name == "site" else node
        for resource in component.findall("resource"):
            resource_name = resource.get("name")
            assert resource_name is not None
            if name in COMPONENT_PATHS:
                key = RENAMED.get((name, resource_name), resource_name)
                path: tuple[str, ...] = (key,)
            else:
                path = (name, resource_name)
            if entity is node:
                seen_node.add(path[0])
            check_resource(resource, entity.get(*path), entity, path)
        if name == "site":
            assert [r.get("name") for r in component.findall("resource")] == sorted(model.site.attributes)
        elif name not in COMPONENT_PATHS:
            assert sorted(r.get("name") or "" for r in component.findall("resource")) == sorted(node.get(name)), name
            seen_node.add(name)
    assert seen_node == set(node.attributes), f"node `{node_name}`: attributes missing from its profile"


def test_every_profile_reads_back_as_the_model() -> None:
    checked = 0
    for model, node, xml_text in profiles():
        check_profile(model, node, xml_text)
        checked += 1
    assert checked > 80


def test_every_resource_with_a_definition_names_it() -> None:
    model, node, xml_text = next(p for p in profiles() if p[0].name == "small" and p[1] == "ce")
    profile = ET.fromstring(xml_text)
    memory = profile.find("component[@name='vm']/resource[@name='memory']")
    assert memory is not None
    (derivation,) = [d.text for d in memory.findall("derivation")]
    assert derivation == model.nodes[node].derivations["vm", "memory"][0]
    assert derivation.startswith("<stdlib>/grid/roles.gw:") and derivation.endswith(" (profile `ce`)")
    packages = profile.find("component[@name='updaterpms']/resource[@name='packages']")
    assert packages is not None
    assert len(packages.findall("derivation")) == 2      # base's list and the CE's `+=`


def test_hostile_text_reads_back_exactly() -> None:
    model, _, xml_text = next(p for p in profiles() if p[0].name == "small" and p[1] == "ce")
    profile = ET.fromstring(xml_text)
    hostile = profile.find("component[@name='files']/resource[@name='etc/gwlang/hostile note']")
    assert hostile is not None
    assert hostile.findtext("value") == model.nodes["ce"].get("files", "etc/gwlang/hostile note")
    assert "\r\n" in (hostile.findtext("value") or "")


def test_the_profile_of_each_example_node_is_written(tmp_path: Path) -> None:
    assert main(["compile", str(ROOT / "sites/tcd.gw"), "-o", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / "tcd/manifest.json").read_text())
    written = sorted(f["path"] for f in manifest["files"] if f["kind"] == "lcfg-profile")
    assert written == [f"nodes/{n}/profile.xml" for n in ["ce", "install", "se", "ui", "wn01", "wn02"]]


def test_text_xml_cannot_hold_is_written_in_base64(tmp_path: Path) -> None:
    site = tmp_path / "control.gw"
    site.write_text('''
import <grid/roles.gw>;
site control {
  domain = "control.example.org";
  network.subnet = 192.0.2.0/24;
  network.gateway = 192.0.2.1;
  host gw { memory = 4GiB; cpus = 2; bridges.xenbr0.interface = "eth0"; }
  node ce : ce { host = gw; ip = 192.0.2.11; files."etc/motd" = "\x1b[1mbold\x1b[0m\\r\\n"; services += [ "odd\x07" ]; }
}
''')
    ((model, artifacts),) = compiled(site)
    (profile,) = [a for a in artifacts if a.path == "control/nodes/ce/profile.xml"]
    check_profile(model, "ce", profile.text)
    assert '<value encoding="base64">G1sxbWJvbGQbWzBtDQo=</value>' in profile.text
    assert '<item type="string" encoding="base64">b2RkBw==</item>' in profile.text


def test_profile_snapshot(snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    ((_, artifacts),) = run_deep(lambda: compile_sources([Path("tests/cases/boot/gateway.gw")]))
    (profile,) = [a for a in artifacts if a.path == "small/nodes/ce/profile.xml"]
    assert profile.text == snapshot
