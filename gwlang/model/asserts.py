"""Assertions: every `assert` of an entity's bodies, checked against its final attributes.

A failed assertion is often a library's (a stdlib profile's), whose line
alone tells the user nothing; E0309 therefore shows each value the
condition read and where it was defined, and the user's own declaration of
the entity, which is where the fix goes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import TYPE_CHECKING, Any

from gwlang.diagnostics import GwError, Label, error
from gwlang.eval.values import AttrSet
from gwlang.model.merge_errors import show
from gwlang.model.model import user_declaration
from gwlang.syntax import ast

if TYPE_CHECKING:
    from gwlang.model.definitions import Body, Definition
    from gwlang.model.merge import Entity

# Finds the site, host or node an attribute set belongs to, by (kind, name).
EntityOf = Callable[[tuple[str, str]], "Entity | None"]


def check_asserts(entity: Entity, entity_of: EntityOf | None = None) -> list[GwError]:
    """Evaluate every `assert` of every body; one failure per false or broken assertion."""
    failures: list[GwError] = []
    for statement, body in entity.asserts:
        try:
            condition = entity.evaluator.eval(statement.condition, body.scope)
            if type(condition) is not bool:
                raise error("E0203", "an assertion's condition must be a boolean",
                            statement.condition.span, f"in {body.label}")
            if not condition:
                raise _assertion_failed(entity, statement, body, entity_of or (lambda _: None))
        except GwError as failure:
            failures.append(failure)
    return failures


def _assertion_failed(entity: Entity, statement: ast.Assert, body: Body, entity_of: EntityOf) -> GwError:
    """E0309 with the values the condition read, each where it was defined, and the entity's declaration."""
    message = entity.evaluator.eval(statement.message, body.scope)
    text = message if type(message) is str else show(entity.evaluator, message)
    labels: list[Label] = []
    notes: list[str] = []
    for read in _reads(statement.condition):
        shown = _read_value(entity, read, body, entity_of)
        if shown is not None:
            what, where = shown
            if where is None:
                notes.append(what)
            elif all((label.span.start, label.span.source) != (where.value_span.start, where.value_span.source)
                     for label in labels):
                labels.append(Label(where.value_span, f"{what}, set here ({where.body.label})"))
    declared = user_declaration(entity.declarations)
    if not any(label.span.source is declared.source and label.span.start == declared.start for label in labels):
        labels.append(Label(declared, f"{entity.title} is declared here"))
    return error("E0309", f"assertion failed for {entity.title}: {text}", statement.condition.span,
                 f"this is false ({body.label})", secondary=labels, notes=notes,
                 help="change one of the values it reads so that the assertion holds")


def _read_value(entity: Entity, read: ast.Select, body: Body,
                entity_of: EntityOf) -> tuple[str, Definition | None] | None:
    """"`node.ip` is 10.1.1.1" and the definition that gave it (None for a default), or None if unknown."""
    try:
        value = entity.evaluator.eval(read, body.scope)
        owner_value = entity.evaluator.eval(read.target, body.scope)
    except GwError:
        return None
    owner = entity_of(owner_value.entity) if type(owner_value) is AttrSet and owner_value.entity else None
    if owner is None:
        return None
    assert isinstance(read.target, ast.Var)
    path = tuple(key.name for key in read.path if isinstance(key, ast.StaticKey))
    what = f"`{'.'.join((read.target.name, *path))}` is {show(entity.evaluator, value)}"
    if path[0] in owner.reserved:
        return f"{what}, set by the declaration of {owner.title}", None
    definition = owner.defined_by(path)
    if definition is None:
        return f"{what}: {owner.title} does not set it, so it is the default", None
    return what, definition


def _reads(condition: ast.Expr) -> list[ast.Select]:
    """The attributes of `node`, `host` and `site` a condition reads, in the order written (`node.ip`)."""
    found: list[ast.Select] = []

    def visit(item: Any) -> None:
        if isinstance(item, ast.Select) and isinstance(item.target, ast.Var) and item.default is None \
                and item.target.name in ("node", "host", "site") \
                and all(isinstance(key, ast.StaticKey) for key in item.path):
            found.append(item)
            return
        if isinstance(item, tuple):
            for element in item:
                visit(element)
        elif is_dataclass(item) and not isinstance(item, type):
            for member in fields(item):
                if member.name != "span":
                    visit(getattr(item, member.name))

    visit(condition)
    return found
