"""Sharing what does not depend on the node: a profile's values made once per linearisation.

Ten thousand nodes use a handful of profiles, and most of what a profile
sets (`vm.memory = 2GiB;`, a package list with its `+=` and `-=`) reads no
late-bound name: it is the same for every node with the same profiles in
the same order.  Such a top-level attribute is merged, normalised, checked
and turned into model data once, by the first node that validates it (the
prototype); every later node with the same linearisation adopts the result,
value, model data and provenance records alike, instead of merging again.

A top-level attribute `K` of a node is shared when all of this holds, which
`plan` decides before anything is evaluated:

- no body of the node itself (a site's `node ce { ... }`) defines `K` or
  anything under it: what the node writes is its own;
- every profile statement defining `K` or under it reads no late-bound
  name (`node`, `host`, `site`, `nodes`, `hosts`), directly or through a
  `let` or a function written inside it (`scopes.free_names`): a module's
  own names and imports are the same for every node;
- every schema default that merging `K` may evaluate, at any depth, reads
  none either, nor `key` (the name above it, the node's own name at the
  top).

The prototype offers its result only when validating `K` raised nothing and
left no required field missing under it; so a node never adopts an error,
and every diagnostic is made by each node as before (with its own name,
in its own order).  Adopted provenance records are the prototype's: their
definitions name the same profile lines, bodies and values, which is all
`gwc explain`, the model's origins and derivations, and assertions read.

`ENABLED` (false when `GWLANG_NO_SHARING` is set) turns sharing off; the
tests compile every example both ways and compare.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gwlang.eval.scopes import ENTITY_NAMES, free_names
from gwlang.eval.values import Declaration
from gwlang.model.provenance import PathRecord
from gwlang.model.types import AttrsType, ListType, NullableType, RecordType, Type
from gwlang.syntax import ast

if TYPE_CHECKING:
    from gwlang.model.merge import Entity

ENABLED = not os.environ.get("GWLANG_NO_SHARING")

# Names whose value differs from one entity to the next: in a profile body, and in a schema default.
LATE_NAMES = ENTITY_NAMES | {"index"}
DEFAULT_LATE_NAMES = LATE_NAMES | {"key"}


@dataclass(eq=False)
class SharedValue:
    """A top-level attribute as the prototype node made it: forced value, model data, provenance.

    `summary` is what validation reads of the records (origins, derivations), kept on first use.
    """
    value: Any
    plain: Any
    records: tuple[PathRecord, ...]
    summary: Any = None


@dataclass(eq=False)
class SharedValues:
    """One program's shared values: the plan of each profile linearisation and the values made so far.

    Keyed by the profile declarations themselves, so it serves every site of
    the program; it lives as long as the `Program` and its modules.
    """
    plans: dict[tuple[Declaration, ...], frozenset[str]] = field(default_factory=dict)
    values: dict[tuple[tuple[Declaration, ...], str], SharedValue] = field(default_factory=dict)
    _defaults_free: dict[int, bool] = field(default_factory=dict)

    def sharing(self, profiles: tuple[Declaration, ...], own: list[tuple[ast.Statement, ...]],
                schema: RecordType) -> Sharing | None:
        """What a node with these profiles and own bodies may share (None when nothing)."""
        if not ENABLED:
            return None
        plan = self.plans.get(profiles)
        if plan is None:
            plan = self.plans[profiles] = self._plan(profiles, schema)
        keys = plan - {name for statements in own for name in _top_names(statements)}
        return Sharing(self, profiles, keys) if keys else None

    def _plan(self, profiles: tuple[Declaration, ...], schema: RecordType) -> frozenset[str]:
        """The top-level fields whose every profile definition and schema default is late-free."""
        late: set[str] = set()
        for profile in profiles:
            assert isinstance(profile.node, ast.ProfileDecl)
            for statement in profile.node.body:
                if isinstance(statement, ast.Define):
                    head = statement.path[0]
                    if not isinstance(head, ast.StaticKey):
                        return frozenset()     # collection reports it; share nothing meanwhile
                    if free_names(statement.value) & LATE_NAMES:
                        late.add(head.name)
        return frozenset(name for name, spec in schema.fields.items()
                         if name not in late and self._free_default(spec.default)
                         and self._free_type(spec.type, set()))

    def _free_default(self, default: ast.Expr | None) -> bool:
        if default is None:
            return True
        known = self._defaults_free.get(id(default))
        if known is None:
            known = self._defaults_free[id(default)] = not free_names(default) & DEFAULT_LATE_NAMES
        return known

    def _free_type(self, kind: Type, seen: set[int]) -> bool:
        """Whether no schema default inside `kind` (records in lists and sets too) reads a late name."""
        if id(kind) in seen:
            return True
        seen.add(id(kind))
        match kind:
            case RecordType():
                return all(self._free_default(spec.default) and self._free_type(spec.type, seen)
                           for spec in kind.fields.values())
            case AttrsType():
                return self._free_type(kind.value, seen)
            case ListType():
                return self._free_type(kind.element, seen)
            case NullableType():
                return self._free_type(kind.inner, seen)
            case _:
                return True


@dataclass(eq=False)
class Sharing:
    """One node's part: the top-level keys it may share, under its profiles' key."""
    store: SharedValues
    profiles: tuple[Declaration, ...]
    keys: frozenset[str]

    def get(self, key: str) -> SharedValue | None:
        return self.store.values.get((self.profiles, key)) if key in self.keys else None

    def offer(self, key: str, entity: Entity, value: Any, plain: Any) -> None:
        """The prototype validated `key` without a problem: keep it for the next nodes."""
        if key not in self.keys or (self.profiles, key) in self.store.values \
                or any(path[0] == key for path, _ in entity.missing):
            return
        records = tuple(record for path, record in entity.provenance.items() if path and path[0] == key)
        self.store.values[(self.profiles, key)] = SharedValue(value, plain, records)


def _top_names(statements: tuple[ast.Statement, ...]) -> set[str]:
    return {statement.path[0].name for statement in statements
            if isinstance(statement, ast.Define) and isinstance(statement.path[0], ast.StaticKey)}
