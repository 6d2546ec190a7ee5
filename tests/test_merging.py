"""docs/merging.md cannot drift: every worked case in it compiles to what its `expect:` lines say.

A case is a ```gw-merge id=NAME block holding a whole program with one
concrete site, followed (before the next case) by lines of the forms

    expect: node.a.vm.memory == 2GiB          the value at a path, a gw expression
    expect: nodes == [ "wn01" "wn02" ]        the names of the site's nodes (or hosts)
    expect: node.a.packages made by = profile base, += profile ui
                                              the definitions that shaped a value
    expect: error E0301                       the codes of every diagnostic, in order

A path starts with `site`, `host NAME` or `node NAME` written with dots.
Values compare as `gwc show` prints them (a reference is the name it refers
to).  The rendered diagnostics of every failing case are snapshots, to be
read by a person: a conflict must show both sides and say how to resolve it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.diagnostics import Diagnostic, GwError, render_all
from gwlang.eval.evaluator import run_deep
from gwlang.model.explain import explain, find_target
from gwlang.model.merge import Entity
from gwlang.model.model import SiteModel
from gwlang.model.program import load_program
from gwlang.model.show import model_to_gw, site_data
from gwlang.model.sites import SiteEntities
from gwlang.model.validate import to_plain, validate
from gwlang.session import Session

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "merging.md"
PROGRAMS = sorted((ROOT / "tests" / "cases" / "merging").glob("*.gw"))

OPENING = re.compile(r"^```gw-merge id=([a-z0-9]+(?:-[a-z0-9]+)*)$")
EXPECT = "expect: "
PATH_PART = re.compile(r'"([^"]*)"|([^."]+)')


def split_path(dotted: str) -> list[str]:
    """`node.a.files."etc/hosts"` to its names; a quoted name may hold dots."""
    return [quoted or plain for quoted, plain in PATH_PART.findall(dotted)]


@dataclass(frozen=True)
class Case:
    """One worked case of docs/merging.md."""
    id: str
    line: int
    section: str
    program: str
    expectations: tuple[str, ...]

    def errors(self) -> list[str] | None:
        """The codes an `expect: error ...` line names, or None when the case compiles."""
        for expectation in self.expectations:
            if expectation.startswith("error "):
                return expectation.split()[1:]
        return None


def cases_in(text: str) -> list[Case]:
    lines = text.splitlines()
    openings = [(index, match.group(1)) for index, line in enumerate(lines)
                if (match := OPENING.match(line))]
    cases = []
    for number, (start, name) in enumerate(openings):
        end = lines.index("```", start + 1)
        following = openings[number + 1][0] if number + 1 < len(openings) else len(lines)
        expectations = tuple(line.removeprefix(EXPECT).strip() for line in lines[end + 1:following]
                             if line.startswith(EXPECT))
        section = next(line.removeprefix("## ") for line in reversed(lines[:start]) if line.startswith("## "))
        cases.append(Case(name, start + 1, section, "\n".join(lines[start + 1:end]) + "\n", expectations))
    return cases


def summary_table(cases: list[Case]) -> str:
    """The table at the end of docs/merging.md: every case, its section and what it expects."""
    rows = ["| case | section | expected |", "|---|---|---|"]
    rows += [f"| `{case.id}` | {case.section} | " + "<br>".join(f"`{e}`" for e in case.expectations) + " |"
             for case in cases]
    return "\n".join(rows)


CASES = cases_in(DOC.read_text())
ERROR_CASES = [case for case in CASES if case.errors() is not None]


@dataclass
class Outcome:
    """A compiled case: the model and its entities, or the diagnostics that stopped it."""
    model: SiteModel | None
    entities: SiteEntities | None
    diagnostics: list[Diagnostic]
    session: Session | None


def compile_program(path: Path) -> Outcome:
    """Load one program (from inside its folder) and build the model of its only concrete site."""
    def build() -> Outcome:
        entities = None
        session = None
        try:
            program = load_program([path])
            session = program.session
            sites = program.sites()
            assert len(sites) == 1, f"{path} must declare exactly one concrete site"
            entities = program.entities(sites[0])
            return Outcome(validate(entities, session.evaluator), entities, [], session)
        except GwError as failure:
            return Outcome(None, entities, failure.diagnostics, session)
    return run_deep(build)


def compile_case(case: Case, folder: Path) -> Outcome:
    path = folder / f"{case.id}.gw"
    path.write_text(case.program)
    return compile_program(Path(path.name))


# -- expectations ---------------------------------------------------------------------------


def value_at(model: SiteModel, dotted: str) -> Any:
    """The model's value at `site.a.b`, `node.NAME.a.b`, `host.NAME.a`, or the names in `nodes` / `hosts`."""
    names = split_path(dotted)
    if names == ["nodes"]:
        return tuple(model.nodes)
    if names == ["hosts"]:
        return tuple(model.hosts)
    kind, rest = names[0], names[1:]
    if kind == "site":
        entity, path = model.site, rest
    else:
        table = {"node": model.nodes, "host": model.hosts}[kind]
        assert rest and rest[0] in table, f"the site has no {kind} `{rest[0] if rest else ''}`"
        entity, path = table[rest[0]], rest[1:]
    value: Any = entity.attributes
    for depth, name in enumerate(path):
        assert isinstance(value, Mapping) and name in value, f"no attribute `{'.'.join(path[:depth + 1])}`"
        value = value[name]
    return value


def gw_value(text: str, folder: Path) -> Any:
    """A gw expression's value as model data (mappings, tuples, scalars)."""
    def evaluate() -> Any:
        session = Session()
        loaded = session.loader.load_text("<expect>", text, folder)
        return to_plain(session.evaluator, session.value_of(loaded))
    return run_deep(evaluate)


def entity_at(entities: SiteEntities, dotted: str) -> tuple[Entity, tuple[str, ...]]:
    kind, *rest = split_path(dotted)
    if kind == "site":
        return entities.site, tuple(rest)
    table = entities.nodes if kind == "node" else entities.hosts
    return table[rest[0]], tuple(rest[1:])


def made_by(entities: SiteEntities, dotted: str) -> list[str]:
    """The definitions that shaped a value, in order, as `OP BODY` (`= profile base`); `default`, `empty`."""
    entity, path = entity_at(entities, dotted)
    record = entity.provenance.get(path)
    assert record is not None, f"no provenance for `{dotted}`"
    steps = []
    for op, definition, role in record.steps:
        if role == "overridden" or role.startswith("ignored"):
            continue
        steps.append(op if definition is None else f"{op} {definition.body.label.replace('`', '')}")
    return steps


def check(case: Case, outcome: Outcome, expectation: str, folder: Path) -> None:
    rendered = render_all(outcome.diagnostics)
    if expectation.startswith("error "):
        assert [d.code for d in outcome.diagnostics] == expectation.split()[1:], rendered
        return
    assert outcome.model is not None and outcome.entities is not None, rendered
    if " made by " in expectation:
        dotted, _, steps = expectation.partition(" made by ")
        assert made_by(outcome.entities, dotted) == steps.split(", ")
        return
    dotted, separator, expected = expectation.partition(" == ")
    assert separator, f"merging.md:{case.line}: cannot read `expect: {expectation}`"
    actual = model_to_gw(value_at(outcome.model, dotted))
    assert actual == model_to_gw(gw_value(expected, folder)), f"`{dotted}` is {actual}"


def test_the_document_has_cases() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES), "case ids must be unique"
    for case in CASES:
        assert case.expectations, f"merging.md:{case.line}: case `{case.id}` has no `expect:` line"


def test_the_summary_table_lists_every_case() -> None:
    table = summary_table(CASES)
    assert table in DOC.read_text(), f"the table at the end of docs/merging.md should read:\n{table}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = compile_case(case, tmp_path)
    for expectation in case.expectations:
        check(case, outcome, expectation, tmp_path)


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda case: case.id)
def test_error_case_diagnostics(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                snapshot: SnapshotAssertion) -> None:
    monkeypatch.chdir(tmp_path)
    rendered = render_all(compile_case(case, tmp_path).diagnostics)
    assert str(tmp_path) not in rendered
    assert "Traceback" not in rendered and "«" not in rendered
    assert rendered == snapshot


# -- what users rely on, asserted directly ------------------------------------------------------


def diagnostics_of(case_id: str, folder: Path) -> list[Diagnostic]:
    case = next(case for case in CASES if case.id == case_id)
    return compile_case(case, folder).diagnostics


def test_a_conflict_shows_both_definitions_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    [conflict] = diagnostics_of("conflict-siblings", tmp_path)
    labels = [conflict.primary, *conflict.secondary]
    assert [label.message for label in labels if label is not None] == [
        "defined as 2GiB here (profile `big`)", "also defined as 1GiB here (profile `small`)"]
    assert conflict.help is not None and "?=" in conflict.help


def test_a_final_violation_shows_both_definitions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    [violation] = diagnostics_of("final-then-define", tmp_path)
    assert violation.primary is not None and "profile `relaxed`" in violation.primary.message
    assert [label.message for label in violation.secondary] == ["made final here (profile `locked`)"]
    assert violation.help is not None


def test_an_unknown_attribute_suggests_the_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    [unknown] = diagnostics_of("unknown-attribute", tmp_path)
    assert unknown.help == "did you mean `memory`?"


def test_independent_value_errors_are_reported_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "tests" / "cases" / "merging")
    outcome = compile_program(Path("independent-value-errors.gw"))
    assert [d.code for d in outcome.diagnostics] == ["E0301", "E0401", "E0308", "E0309", "E0401", "E0406"]


# -- larger programs: tests/cases/merging/NAME.gw, the whole model as a snapshot ----------------


def explained(outcome: Outcome, program: Path) -> list[str]:
    """`gwc explain` of every `# explain: PATH` line of a program (`node.ce.packages`)."""
    assert outcome.entities is not None
    texts = []
    for line in program.read_text().splitlines():
        if line.startswith("# explain: "):
            _, *dotted = split_path(line.removeprefix("# explain: "))
            target = find_target(outcome.entities, dotted)
            texts.append(run_deep(lambda target=target: explain(target)))
    return texts


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda program: program.stem)
def test_program(program: Path, monkeypatch: pytest.MonkeyPatch, snapshot: SnapshotAssertion) -> None:
    monkeypatch.chdir(program.parent)
    outcome = compile_program(Path(program.name))
    if outcome.model is None:
        output = render_all(outcome.diagnostics)
    else:
        output = "\n\n".join([model_to_gw(site_data(outcome.model)), *explained(outcome, program)])
    assert str(program.parent) not in output
    assert output == snapshot
