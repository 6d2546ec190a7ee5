"""Shared profile values are indistinguishable from values each node makes itself.

`gwlang/model/sharing.py` lets a node adopt a top-level attribute that
another node with the same profiles already merged, when nothing of it
reads a late-bound name.  Every example site, every case under
tests/cases and every worked case of docs/merging.md is compiled twice, with
sharing and without (`sharing.ENABLED`), and everything a user can see must
be the same: each site's model (values, origins, derivations), its
artifacts, its diagnostics (grouped and ungrouped, text and order), and
`gwc explain` of every path of every entity.  The cases of
tests/cases/sharing make sure sharing happens at all, beside overrides,
values that read `node.name` through a `let` or a function, type errors,
assertions, `final` and `+=`/`-=` on shared lists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from gwlang.diagnostics import GwError, render_all
from gwlang.emit.site import emit_site
from gwlang.eval.evaluator import run_deep
from gwlang.model import sharing
from gwlang.model.explain import Target, explain
from gwlang.model.merge import Entity
from gwlang.model.model import EntityModel, SiteModel
from gwlang.model.program import Program, load_program
from gwlang.model.validate import plain_json, validate
from tests.test_merging import CASES, Case

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {"eval", "fmt", "hostile", "syntax", "syntax-valid"}    # no sites there (expressions, syntax)
PROGRAMS = sorted([*(ROOT / "sites").glob("*.gw"),
                   *(path for path in (ROOT / "tests" / "cases").rglob("*.gw")
                     if path.relative_to(ROOT / "tests" / "cases").parts[0] not in SKIPPED)])
SHARING_CASES = sorted((ROOT / "tests" / "cases" / "sharing").glob("*.gw"))


@dataclass
class Seen:
    """Everything of a program a user can see, as text, and how many values nodes adopted."""
    text: str
    adopted: int


def _entity_text(entity: EntityModel) -> list[str]:
    lines = [f"{entity.kind} {entity.name} profiles={entity.profiles} sources={entity.sources}",
             json.dumps(plain_json(entity.attributes), sort_keys=True)]
    lines += [f"  origin {path}: {span.location}" for path, span in sorted(entity.origins.items())]
    lines += [f"  derivation {path}: {steps}" for path, steps in sorted(entity.derivations.items())]
    return lines


def _model_text(model: SiteModel) -> list[str]:
    lines = [f"site model {model.name} reads={sorted(model.reads)} sources={model.sources}"]
    for entity in (model.site, *model.hosts.values(), *model.nodes.values()):
        lines += _entity_text(entity)
    try:
        lines += [f"artifact {a.path}\n{a.text}" for a in emit_site(model).artifacts]
    except GwError as failure:
        lines.append(render_all(failure.diagnostics))
    return lines


def _explained(program: Program) -> tuple[list[str], int]:
    """Ungrouped diagnostics of every site, then `gwc explain` of every path, with the shared values made."""
    lines: list[str] = []
    adopted = 0
    for site in program.sites():
        try:
            validate(program.entities(site), program.session.evaluator)
        except GwError as failure:
            lines.append(render_all(failure.diagnostics))
        try:
            entities = program.entities(site)
        except GwError:
            continue
        for entity in entities.entities():
            for key in sorted(entity.config.attrs):
                lines.append(_explain(site.name, entity, (key,)))
            for path in sorted(entity.provenance):
                lines.append(_explain(site.name, entity, path))
            adopted += len(entity.adopted)
    return lines, adopted


def _explain(site: str, entity: Entity, path: tuple[str, ...]) -> str:
    try:
        return explain(Target(site, entity, path))
    except GwError as failure:
        return render_all(failure.diagnostics)


def seen(path: Path, shared: bool, monkeypatch: pytest.MonkeyPatch) -> Seen:
    """`path` compiled and explained with sharing on or off."""
    monkeypatch.setattr(sharing, "ENABLED", shared)
    monkeypatch.chdir(path.parent)

    def run() -> Seen:
        try:
            program = load_program([Path(path.name)])
            sites = program.sites()
        except GwError as failure:
            return Seen(render_all(failure.diagnostics), 0)
        lines = []
        for site in sites:
            try:
                lines += _model_text(program.site_model(site, checked=True))
            except GwError as failure:
                lines.append(render_all(failure.diagnostics))
        explained, adopted = _explained(program)
        return Seen("\n".join([*lines, *explained]), adopted)
    return run_deep(run)


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: str(p.relative_to(ROOT)))
def test_sharing_changes_nothing_in_a_program(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert seen(path, True, monkeypatch).text == seen(path, False, monkeypatch).text


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_sharing_changes_nothing_in_a_worked_case(case: Case, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / f"{case.id}.gw"
    path.write_text(case.program)
    assert seen(path, True, monkeypatch).text == seen(path, False, monkeypatch).text


@pytest.mark.parametrize("path", SHARING_CASES, ids=lambda p: p.stem)
def test_the_sharing_cases_share(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without adoptions the comparisons above would prove nothing."""
    assert seen(path, True, monkeypatch).adopted > 0
    assert seen(path, False, monkeypatch).adopted == 0


def test_the_example_sites_share(monkeypatch: pytest.MonkeyPatch) -> None:
    assert seen(ROOT / "sites" / "tcd.gw", True, monkeypatch).adopted > 0


def test_values_reading_the_node_are_each_nodes_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """`node.name` read through a `let` and through a module function; a node's own override."""
    monkeypatch.chdir(SHARING_CASES[0].parent)

    def run() -> dict[str, EntityModel]:
        program = load_program([Path("overrides.gw")])
        return dict(program.site_model(program.sites()[0], checked=True).nodes)
    nodes = run_deep(run)
    assert nodes["wn02"].get("network", "hostname") == "wn02"
    assert nodes["wn03"].get("files", "etc/motd") == "welcome to wn03"
    assert nodes["wn02"].get("packages") == ("openssh", "lcfg-client", "worker", "cvmfs")
    assert nodes["wn06"].get("packages") == ("openssh", "lcfg-client", "worker", "cvmfs", "extra")
    assert str(nodes["wn05"].get("vm", "memory").canonical) == "1GiB"
    assert str(nodes["wn04"].get("vm", "memory").canonical) == "2GiB"
    assert nodes["ui"].get("services") == ("httpd",)
    assert nodes["ui2"].get("services") == ("sshd",)


def test_a_shared_type_error_is_reported_for_each_node(monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile's wrong value is never adopted: each node reports it at the profile's line."""
    monkeypatch.chdir(SHARING_CASES[0].parent)

    def run() -> list[str]:
        program = load_program([Path("type-error.gw")])
        try:
            validate(program.entities(program.sites()[0]), program.session.evaluator)
        except GwError as failure:
            return [f"{d.code} {d.message} {d.primary.span.location if d.primary else ''}"
                    for d in failure.diagnostics]
        raise AssertionError("type-error.gw must fail")
    assert run_deep(run) == [
        "E0401 `vm.vcpus` of node `a` must be an integer from 1 to 128; found a string type-error.gw:4:14",
        "E0401 `vm.vcpus` of node `b` must be an integer from 1 to 128; found a string type-error.gw:4:14",
        "E0401 `packages[1]` of node `a` must be a string; found an integer type-error.gw:6:14",
        "E0401 `packages[1]` of node `b` must be a string; found an integer type-error.gw:6:14",
        "E0401 `packages[1]` of node `c` must be a string; found an integer type-error.gw:6:14",
    ]
