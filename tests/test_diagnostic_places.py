"""Where diagnostics point: each `tests/cases/places/<name>.gw` compiled as `gwc compile` would, diagnostics snapshot.

A mistake made through the stdlib (a template's host, a profile's default,
a library assertion) must still point at the user's own file, say which
values were read, and be reported once for a whole family of nodes.
`EXPECTED` says which codes each case raises, in order.  Cases are loaded
from inside `tests/cases/places`, so the snapshots hold relative file names;
in JSON the stdlib's real folder is written `STDLIB`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.diagnostics import Diagnostic, GwError, compact_names, render_all
from gwlang.eval.evaluator import run_deep
from gwlang.eval.modules import stdlib_root
from gwlang.model.program import load_program

CASES = Path(__file__).resolve().parent / "cases" / "places"
PLACE_CASES = sorted(CASES.glob("*.gw"))

EXPECTED = {
    "assert-reads-declared-names": ["E0309"],
    "assert-reads-host-and-site": ["E0309"],
    "assert-shows-what-it-read": ["E0309"],
    "family-one-assertion": ["E0309"],
    "family-one-mistake": ["E0505", "E0505"],
    "missing-default-bridge": ["E0505"],
    "template-host-overcommitted": ["E0507"],
    "template-node-address-outside-subnet": ["E0502"],
}
JSON_CASES = ("family-one-mistake", "missing-default-bridge", "template-host-overcommitted")


@pytest.fixture
def in_cases(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(CASES)
    return CASES


def diagnostics_of(name: str) -> list[Diagnostic]:
    """Every diagnostic of the case's one site, as a compile reports them (call from inside the cases folder)."""
    def compile_site() -> list[Diagnostic]:
        program = load_program([Path(f"{name}.gw")])
        (site,) = program.sites()
        try:
            program.site_model(site, checked=True)
        except GwError as failure:
            return failure.diagnostics
        return []
    return run_deep(compile_site)


def test_every_case_says_what_it_breaks() -> None:
    assert sorted(EXPECTED) == sorted(path.stem for path in PLACE_CASES)


@pytest.mark.parametrize("path", PLACE_CASES, ids=lambda path: path.stem)
def test_place_case(path: Path, in_cases: Path, snapshot: SnapshotAssertion) -> None:
    diagnostics = diagnostics_of(path.stem)
    assert [d.code for d in diagnostics] == EXPECTED[path.stem]
    # the caret is in the user's file, whatever the stdlib contributed
    assert all(d.primary is not None and d.primary.span.source.name == path.name for d in diagnostics
               if d.code != "E0309")
    output = render_all(diagnostics)
    assert str(in_cases) not in output
    assert output == snapshot


@pytest.mark.parametrize("name", JSON_CASES)
def test_json_names_files_an_editor_can_open(name: str, in_cases: Path, snapshot: SnapshotAssertion) -> None:
    data = json.loads(render_all(diagnostics_of(name), "json"))
    files = [label["file"] for d in data for label in [d["primary"], *d["secondary"]]]
    assert all(Path(file).is_file() for file in files), files
    assert not any(file.startswith("<") for file in files)
    assert json.dumps(data, indent=2).replace(str(stdlib_root()), "STDLIB") == snapshot


def test_a_library_assertion_gives_way_to_the_site_check(in_cases: Path) -> None:
    (diagnostic,) = diagnostics_of("template-node-address-outside-subnet")
    assert diagnostic.code == "E0502"
    assert diagnostic.primary is not None
    assert diagnostic.primary.span.location == "template-node-address-outside-subnet.gw:8:18"


def test_a_failed_assertion_shows_each_value_where_it_was_set(in_cases: Path) -> None:
    (diagnostic,) = diagnostics_of("assert-reads-host-and-site")
    assert [(label.span.location, label.message) for label in diagnostic.secondary] == [
        ("assert-reads-host-and-site.gw:14:61", "`node.vm.memory` is 8GiB, set here (node `wn01` in site `galway`)"),
        ("assert-reads-host-and-site.gw:13:42", "`host.memory` is 16GiB, set here (host `gw` in site `galway`)"),
        ("assert-reads-host-and-site.gw:11:20",
         "`site.network.subnet.prefix` is 25, set here (site `galway`)"),
        ("assert-reads-host-and-site.gw:14:8", "node `wn01` is declared here"),
    ]


def test_a_family_mistake_is_one_diagnostic_listing_every_node(in_cases: Path) -> None:
    grouped, alone = diagnostics_of("family-one-mistake")
    assert grouped.nodes == ("wn01", "wn02", "wn03", "wn04", "wn05", "wn06", "wn07", "wn08", "wn10")
    assert "and 8 more nodes: `wn02`..`wn08`, `wn10`" in grouped.notes
    assert alone.nodes == () and "wn11" in alone.message


@pytest.mark.parametrize(("names", "shown"), [
    (["wn02", "wn03", "wn04"], "`wn02`..`wn04`"),
    (["wn02", "wn03"], "`wn02`, `wn03`"),
    (["wn10", "wn09", "wn11", "ce"], "`ce`, `wn09`..`wn11`"),
    (["wn9", "wn10", "wn11"], "`wn9`..`wn11`"),
    (["wn9", "wn010", "wn011"], "`wn9`, `wn010`, `wn011`"),
    (["a", "b", "c"], "`a`, `b`, `c`"),
])
def test_compact_names(names: list[str], shown: str) -> None:
    assert compact_names(names) == shown
