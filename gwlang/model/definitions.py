"""Collecting an entity's definitions: its bodies' statements, path by path, before any evaluation.

Every `path op value;` statement of every body becomes a `Definition`,
numbered in linearisation order and filed in a tree by path; `assert`
statements are set aside for the end.  What can be known without
evaluating is checked here, for every statement at once: a path written
out (E0305), not a reserved name (E0306), declared by the schema (E0404),
nothing changed after a `final` (E0304).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gwlang.diagnostics import GwError, Span, error
from gwlang.eval.values import Scope, Thunk
from gwlang.model import merge_errors
from gwlang.model.paths import off_schema
from gwlang.model.types import RecordType
from gwlang.syntax import ast


@dataclass(frozen=True, eq=False)
class Body:
    """One body in an entity's linearisation: a profile's, or the entity's own."""
    label: str                      # "profile `ui`", "node `ce`" (for messages)
    statements: tuple[ast.Statement, ...]
    scope: Scope                    # where its expressions evaluate
    index: int                      # position in the linearisation
    ancestors: frozenset[int]       # indices of the bodies it inherits from
    source: str = ""                # the file it was written in


@dataclass(eq=False)
class Definition:
    """One statement's contribution to one path (a spread set gives one per key)."""
    path: tuple[str, ...]
    op: str
    final: bool
    value: Any                      # a thunk of the statement's value, or a member of a spread set
    body: Body
    order: int
    span: Span
    value_span: Span

    def overrides(self, other: Definition) -> bool:
        """Whether this definition is the last word over `other` (rule 5)."""
        if self.order <= other.order:
            return False
        return self.body is other.body or other.body.index in self.body.ancestors


@dataclass
class DefinitionTree:
    """The definitions at one path, and the subtrees of the names below it."""
    definitions: list[Definition] = field(default_factory=list)
    children: dict[str, DefinitionTree] = field(default_factory=dict)

    def first(self) -> Definition | None:
        """The first definition at or under this path, depth first."""
        if self.definitions:
            return self.definitions[0]
        for child in self.children.values():
            found = child.first()
            if found is not None:
                return found
        return None

    def since(self, order: int) -> DefinitionTree:
        """The definitions at or under this path that come after `order`."""
        if not order:
            return self
        return DefinitionTree([d for d in self.definitions if d.order > order],
                              {name: child.since(order) for name, child in self.children.items()})

    def latest(self) -> int:
        """The order of the last definition at or under this path (0 when none)."""
        return max([*(d.order for d in self.definitions), *(child.latest() for child in self.children.values())],
                   default=0)


@dataclass
class Collected:
    """An entity's statements sorted out: definitions by path, `final` ones, asserts."""
    tree: DefinitionTree
    finals: list[Definition]
    asserts: list[tuple[ast.Assert, Body]]


@dataclass(frozen=True)
class Owner:
    """What collection needs to know of the entity: its kind, title, schema and reserved names."""
    kind: str
    title: str
    schema: RecordType
    reserved: frozenset[str]


def collect(bodies: list[Body], owner: Owner) -> Collected:
    """Every statement of `bodies` filed by path; raises every static problem at once."""
    collected = Collected(DefinitionTree(), [], [])
    problems: list[GwError] = []
    order = 0
    for body in bodies:
        for statement in body.statements:
            order += 1
            if isinstance(statement, ast.Assert):
                collected.asserts.append((statement, body))
                continue
            try:
                definition = _definition(statement, body, order, owner)
                _check_path(definition, owner)
                check_final(definition, collected.finals)
            except GwError as failure:
                problems.append(failure)
                continue
            if definition.final:
                collected.finals.append(definition)
            node = collected.tree
            for name in definition.path:
                node = node.children.setdefault(name, DefinitionTree())
            node.definitions.append(definition)
    if problems:
        raise GwError([d for p in problems for d in p.diagnostics])
    return collected


def _definition(statement: ast.Define, body: Body, order: int, owner: Owner) -> Definition:
    names: list[str] = []
    for key in statement.path:
        if not isinstance(key, ast.StaticKey):
            raise error("E0305", "a statement's path must be written out", key.span, "computed name",
                        help="quote unusual names instead: `files.\"etc/motd\" = ...;`")
        names.append(key.name)
    if names[0] in owner.reserved:
        raise error("E0306", f"`{names[0]}` is set by the declaration of {owner.title}", statement.path[0].span,
                    "cannot be defined", notes=[f"`{owner.kind}.{names[0]}` is always defined"])
    value = Thunk(statement.value, body.scope, ".".join(names), statement.value.span)
    return Definition(tuple(names), statement.op, statement.final, value, body, order,
                      statement.span, statement.value.span)


def _check_path(definition: Definition, owner: Owner) -> None:
    """Every step of the path must exist in the schema (rule: no undeclared attribute)."""
    found = off_schema(owner.schema, definition.path)
    if found is None:
        return
    depth, step = found
    if isinstance(step.holder, RecordType):
        raise merge_errors.undeclared_attribute(definition, depth, step.holder, owner.kind, owner.schema)
    raise merge_errors.no_attributes(definition, depth, step.holder, owner.schema)


def check_final(definition: Definition, finals: list[Definition]) -> None:
    """Nothing may change a path, or anything under it, after a `final` definition of it."""
    for final in finals:
        if definition.order > final.order and definition.path[: len(final.path)] == final.path:
            raise merge_errors.after_final(definition, final)
