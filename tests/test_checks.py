"""Site checks: each `tests/cases/checks/<name>.gw` is compiled, checked, and its diagnostics snapshot.

A case is named after the rule it breaks, and `EXPECTED` says which codes it
must raise (none for a case that passes).  Cases are loaded from inside
`tests/cases/checks`, so the snapshots hold relative file names.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.codes import CODES
from gwlang.diagnostics import Diagnostic, render_all
from gwlang.eval.evaluator import run_deep
from gwlang.model.checks import check_across_sites, check_site, check_sites
from gwlang.model.graph import check_boot_cycles
from gwlang.model.model import SiteModel
from gwlang.model.program import load_program

CASES = Path(__file__).resolve().parent / "cases" / "checks"
CHECK_CASES = sorted(CASES.glob("*.gw"))

EXPECTED = {
    "address-outside-own-network": ["E0502"],
    "address-outside-subnet": ["E0502"],
    "boot-cycle": ["E0510"],
    "boot-self-wait": ["E0510"],
    "derived-mac-chance-across-hosts": [],
    "derived-mac-chance-in-a-site": ["E0503"],
    "derived-mac-chance-on-one-host": ["E0503"],
    "duplicate-address": ["E0501"],
    "duplicate-disk-path": ["E0509"],
    "duplicate-hostname": ["E0504"],
    "duplicate-hostname-from-profile": ["E0504"],
    "duplicate-interface-address": ["E0501", "E0501"],
    "duplicate-mac": ["E0503"],
    "duplicate-mac-across-sites": ["E0503"],
    "host-memory-overcommit": ["E0507"],
    "interface-own-network": [],
    "missing-bridge": ["E0505"],
    "node-address-outside-subnet": ["E0502"],
    "too-many-vcpus": ["E0508"],
    "valid-gateway": [],
}


@pytest.fixture
def in_cases(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(CASES)
    return CASES


@functools.cache
def models_of(name: str) -> tuple[SiteModel, ...]:
    """The checked models of every site of a case (loaded once; call from inside `tests/cases/checks`)."""
    def load() -> tuple[SiteModel, ...]:
        program = load_program([Path(f"{name}.gw")])
        return tuple(program.site_model(site) for site in program.sites())
    return run_deep(load)


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [diagnostic.code for diagnostic in diagnostics]


def test_every_case_says_what_it_breaks() -> None:
    assert sorted(EXPECTED) == sorted(path.stem for path in CHECK_CASES)


@pytest.mark.parametrize("path", CHECK_CASES, ids=lambda path: path.stem)
def test_check_case(path: Path, in_cases: Path, snapshot: SnapshotAssertion) -> None:
    diagnostics = check_sites(models_of(path.stem))
    assert codes(diagnostics) == EXPECTED[path.stem]
    output = render_all(diagnostics) or "no diagnostics"
    assert str(in_cases) not in output
    assert output == snapshot


def test_every_site_check_code_is_exercised() -> None:
    exercised = {code for expected in EXPECTED.values() for code in expected} | {"E0506"}   # E0506: see below
    assert exercised == {code for code, entry in CODES.items() if entry.stage == "site checks"}


# What users rely on, asserted directly as well as through the snapshots.


def test_a_gateway_site_passes_every_check(in_cases: Path) -> None:
    (model,) = models_of("valid-gateway")
    assert check_site(model) == []
    assert check_boot_cycles(model) == []
    assert check_across_sites([model]) == []


def test_duplicates_point_at_the_later_definition_and_show_the_earlier(in_cases: Path) -> None:
    (diagnostic,) = check_site(*models_of("duplicate-address"))
    assert diagnostic.message == "address `134.226.81.11` is used by node `ce` and node `wn05`"
    assert diagnostic.primary is not None
    assert diagnostic.primary.span.location == "duplicate-address.gw:9:36"
    assert [label.span.location for label in diagnostic.secondary] == ["<stdlib>/grid/gateway.gw:15:34"]
    assert diagnostic.help is not None and "`134.226.81.23` is free" in diagnostic.help


def test_macs_are_checked_across_sites_and_not_twice_within_one(in_cases: Path) -> None:
    tcd, ucc = models_of("duplicate-mac-across-sites")
    assert check_site(tcd) == [] and check_site(ucc) == []
    assert codes(check_across_sites([tcd, ucc])) == ["E0503"]
    assert codes(check_sites(models_of("duplicate-mac"))) == ["E0503"]


def test_host_names_ignore_case(in_cases: Path) -> None:
    (diagnostic,) = check_site(*models_of("duplicate-hostname"))
    assert diagnostic.message == "host name `CE` is used by node `ce` and node `ui`"


def test_memory_overcommit_is_at_the_host_memory_and_lists_every_guest(in_cases: Path) -> None:
    (diagnostic,) = check_site(*models_of("host-memory-overcommit"))
    assert diagnostic.primary is not None
    assert diagnostic.primary.span.location == "host-memory-overcommit.gw:8:22"
    guests = [note for note in diagnostic.notes if note.startswith("guest ")]
    assert guests == ["guest `install` has 512MiB", "guest `ce` has 1GiB", "guest `se` has 1GiB",
                      "guest `ui` has 1GiB", "guest `wn01` has 512MiB", "guest `wn02` has 512MiB"]


def test_a_boot_cycle_shows_its_path_with_a_location_per_step(in_cases: Path) -> None:
    (diagnostic,) = check_boot_cycles(*models_of("boot-cycle"))
    assert diagnostic.message == "the boot order has a cycle: `install` -> `wn01` -> `ce` -> `install`"
    labels = [diagnostic.primary, *diagnostic.secondary]
    assert [(label.span.location, label.message) for label in labels if label is not None] == [
        ("boot-cycle.gw:8:26", "`install` waits for `wn01`"),
        ("<stdlib>/grid/gateway.gw:18:91", "`wn01` waits for `ce`"),
        ("<stdlib>/grid/gateway.gw:15:73", "`ce` waits for `install`"),
    ]


# The type system rejects references to undeclared hosts and nodes before a
# model exists, so no .gw case can break E0506: it is checked on a model
# edited by hand, as another front end might build one.


def with_node_attributes(model: SiteModel, node: str, **attributes: object) -> SiteModel:
    entity = model.nodes[node]
    edited = replace(entity, attributes=MappingProxyType({**entity.attributes, **attributes}))
    return replace(model, nodes=MappingProxyType({**model.nodes, node: edited}))


def test_unresolved_references_are_reported_with_a_suggestion(in_cases: Path) -> None:
    (model,) = models_of("valid-gateway")
    broken = with_node_attributes(model, "wn01", host="gw2", after=("ce", "cee"))
    problems = check_site(broken)
    assert [(d.code, d.message, d.help) for d in problems] == [
        ("E0506", "node `wn01` runs on host `gw2`, which site `ucc` does not declare", "did you mean `gw`?"),
        ("E0506", "node `wn01` waits for node `cee`, which site `ucc` does not declare", "did you mean `ce`?"),
    ]
    assert check_boot_cycles(broken) == []
