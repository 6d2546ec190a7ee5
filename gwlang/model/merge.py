"""Merging: an entity's profile bodies, in C3 order, to its final attributes.

This is section 4 of the language: for each attribute path, the last `=`
starts the value (else the last `?=`, else the schema default, else the
type's empty value when only mutations exist); the `+=` and `-=` after the
start apply in order; two `=` that neither overrides are a conflict; nothing
may follow a `final`.  How a path merges is the business of its schema
type, as in nixpkgs' `lib/types.nix`: the type's `merge_kind` picks the
rule (`MERGE_RULES`): records and `{K: T}` merge key by key (a set given
with `=` spreads into its keys), lists start and then mutate, scalars are
replaced.

The result is lazy: an `AttrSet` whose attributes are thunks, so a profile
may read `node.x` that a descendant sets (late binding), and reading one
attribute merges only that one.  Every merged path keeps its provenance, the
definitions that made it, for `gwc explain`.

The steps live beside this module: `definitions` collects the statements,
`paths` walks the schema, `mutations` applies `+=`/`-=`, `normalize` checks
values all the way down, `provenance` records, `asserts` checks assertions
and `merge_errors` words the diagnostics.  This module is the lazy merge of
one path, and the `Entity` that owns the state of one site, host or node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gwlang.diagnostics import GwError, Span
from gwlang.eval.evaluator import Evaluator
from gwlang.eval.operators import equal
from gwlang.eval.reads import CrossReads
from gwlang.eval.values import AttrSet, Scope, Thunk
from gwlang.model import merge_errors
from gwlang.model.asserts import EntityOf, check_asserts
from gwlang.model.definitions import Body, Definition, DefinitionTree, Owner, check_final, collect
from gwlang.model.mutations import apply_list, names_removed, surviving_keys
from gwlang.model.normalize import normalize, schema_default
from gwlang.model.paths import field_spec
from gwlang.model.provenance import PathRecord, defined_by
from gwlang.model.sharing import SharedValue, Sharing
from gwlang.model.types import (
    AttrsType,
    FieldSpec,
    MergeKind,
    NullableType,
    RecordType,
    Type,
    empty_value,
    problem,
)
from gwlang.syntax import ast

# Body, Definition and PathRecord are the merge's vocabulary: callers take them from here.
__all__ = ["RESERVED", "Body", "Definition", "Entity", "PathRecord"]

RESERVED = ("name", "index")

Definitions = list[Definition]
_NO_DEFINITIONS = DefinitionTree()     # read only: the tree of a key no statement names
Removals = list[tuple[int, set[str]]]     # (order of the `-=`, names it removes)


class Entity:
    """A site, host or node: its bodies merged against its schema, lazily.

    `config` is the entity's value, filled by `build` once every entity of
    the site exists (see `sites.instantiate`); `late_names` are the names
    its bodies and schema defaults see (`node`, `host`, `site`...);
    `provenance` grows as paths merge; `missing` lists required fields no
    definition gave.  Reads of other entities while a path merges go to
    the site's `cross_reads` record.
    """

    def __init__(self, kind: str, name: str, schema: RecordType, bodies: list[Body],
                 evaluator: Evaluator, declared_at: Span, extra: dict[str, Any] | None = None,
                 cross_reads: CrossReads | None = None, sharing: Sharing | None = None) -> None:
        self.kind = kind
        self.name = name
        self.schema = schema
        self.bodies = bodies
        self.evaluator = evaluator
        self.declared_at = declared_at
        # Every declaration of the entity, first to last: a node of a template site and
        # the same node extended in the user's site (see `user_declaration`).
        self.declarations: tuple[Span, ...] = (declared_at,)
        self.provenance: dict[tuple[str, ...], PathRecord] = {}
        self.missing: list[tuple[tuple[str, ...], FieldSpec]] = []
        self.reserved: dict[str, Any] = {"name": name, **(extra or {})}
        collected = collect(bodies, Owner(kind, self.title, schema, frozenset(self.reserved)))
        self.asserts: list[tuple[ast.Assert, Body]] = collected.asserts
        self._finals = collected.finals
        self._tree = collected.tree
        self.late_names: dict[str, AttrSet | Thunk | None] = {}
        self.config = AttrSet({}, entity=(kind, name))
        self.cross_reads = cross_reads if cross_reads is not None else CrossReads()
        self._key = (kind, name)
        # What this entity may adopt from another with the same profiles (see `sharing.py`).
        self.sharing = sharing
        self.adopted: dict[str, SharedValue] = {}

    @property
    def title(self) -> str:
        return f"{self.kind} `{self.name}`"

    def build(self) -> None:
        """Fill `config` with the lazy attributes of the whole entity."""
        root = self.merge_set((), self.schema, self._tree, [])
        self.config.attrs.update(root.attrs)
        self.config.spans.update(root.spans)
        self.config.attrs.update(self.reserved)

    def check_asserts(self, entity_of: EntityOf | None = None) -> list[GwError]:
        """Every `assert` of every body against the final attributes (see `asserts.py`)."""
        return check_asserts(self, entity_of)

    def defined_by(self, path: tuple[str, ...]) -> Definition | None:
        """The definition that gave the value at `path` (see `provenance.defined_by`)."""
        return defined_by(self.provenance, path)

    # -- one path, lazily ---------------------------------------------------------------------

    def _later(self, path: tuple[str, ...], kind: Type, tree: DefinitionTree,
               extra: Definitions) -> Callable[[], Any]:
        return lambda: self._value(path, kind, tree, extra)

    def _value(self, path: tuple[str, ...], kind: Type, tree: DefinitionTree, extra: Definitions) -> Any:
        """The merged value at `path`, by the rule its type's `merge_kind` names."""
        previous = self.cross_reads.enter(self._key, self.evaluator)
        try:
            return MERGE_RULES[kind.merge_kind](self, path, kind, tree, extra)
        finally:
            self.cross_reads.leave(self.evaluator, previous)

    def _adopter(self, key: str, merge: Callable[[], Any]) -> Callable[[], Any]:
        """A top-level attribute that another node with the same profiles may have made already
        (asked when it is forced, so that a site's second `wn` shares with its first)."""
        def adopt_or_merge() -> Any:
            assert self.sharing is not None
            shared = self.sharing.get(key)
            return merge() if shared is None else self._adopt(key, shared)
        return adopt_or_merge

    def _adopt(self, key: str, shared: SharedValue) -> Any:
        """The prototype's value: its provenance joins ours, its model data is ours (`validate`)."""
        for record in shared.records:
            self.provenance[record.path] = record
        self.adopted[key] = shared
        return shared.value

    # -- records and `{K: T}` sets: key by key ------------------------------------------------

    def merge_set(self, path: tuple[str, ...], kind: Type, tree: DefinitionTree, extra: Definitions) -> AttrSet:
        """A record or `{K: T}` at `path`: an attribute set whose members merge lazily, each by its own type."""
        assert isinstance(kind, RecordType | AttrsType)
        here = sorted(self._default_definitions(path) + tree.definitions + extra, key=lambda d: d.order)
        spread, removals = self._spread(path, kind, here)
        record = self.provenance.setdefault(path, PathRecord(path, kind))
        for definition in here:
            if definition.body.index < 0 and not self.evaluator.force(definition.value).attrs:
                continue    # an empty schema default adds nothing worth explaining
            record.steps.append((definition.op, definition,
                                 "removes names" if definition.op == "-=" else "spread into its keys"))
        keys = self._keys(path, kind, tree, spread, removals)
        if isinstance(kind, AttrsType):
            self._check_keys(path, kind, keys, tree, spread)
        attrs: dict[str, Any] = {}
        spans: dict[str, Span] = {}
        for key in keys:
            child_type = kind.fields[key].type if isinstance(kind, RecordType) else kind.value
            # a name brought back after `-=` starts afresh: what was removed stays removed
            removed_at = max((order for order, names in removals if key in names), default=0) if removals else 0
            child_tree = tree.children.get(key) or _NO_DEFINITIONS
            child_spread = spread.get(key, [])
            if removed_at:
                child_tree = child_tree.since(removed_at)
                child_spread = [d for d in child_spread if d.order > removed_at]
            code = self._later(path + (key,), child_type, child_tree, child_spread)
            if not path and self.sharing is not None and key in self.sharing.keys:
                code = self._adopter(key, code)
            attrs[key] = Thunk(code, None, ".".join(path + (key,)), self.declared_at)
            defined = child_tree.definitions or child_spread
            if defined:
                spans[key] = defined[0].span
        return AttrSet(attrs, spans)

    def _check_keys(self, path: tuple[str, ...], kind: AttrsType, keys: list[str], tree: DefinitionTree,
                    spread: dict[str, Definitions]) -> None:
        """The names of a `{K: T}` set are values of type K too (`files` keys are paths)."""
        for key in keys:
            issue = problem(kind.key, key)
            if issue is None:
                continue
            child = tree.children.get(key)
            defined = (child.definitions if child else []) or spread.get(key, [])
            definition = defined[0] if defined else None
            if definition is None and child is not None:
                definition = child.first()
            raise merge_errors.bad_key(self, path, kind, key, issue, definition)

    def _default_definitions(self, path: tuple[str, ...]) -> Definitions:
        """A record or `{K: T}` field's schema default: a `?=` before every statement, spread like one."""
        spec = field_spec(self.schema, path) if path else None
        if spec is None or spec.default is None:
            return []
        found: FieldSpec = spec
        body = Body("the schema default", (), Scope({}, None), -1, frozenset())
        value = Thunk(lambda: schema_default(self, found, path), None, ".".join(path), found.span)
        return [Definition(path, "?=", False, value, body, 0, found.span, found.span)]

    def _spread(self, path: tuple[str, ...], kind: RecordType | AttrsType,
                here: Definitions) -> tuple[dict[str, Definitions], Removals]:
        """`network = { dns = [...]; }` becomes a definition of `network.dns`, and so on."""
        spread: dict[str, Definitions] = {}
        removals: Removals = []
        for definition in here:
            value = self.evaluator.force(definition.value)
            if definition.op == "-=":
                removals.append((definition.order, names_removed(self, definition, kind, value)))
                continue
            if type(value) is not AttrSet or value.entity is not None:
                raise merge_errors.type_error(self, path, kind, definition, problem(kind, value) or "", value)
            for key, member in value.attrs.items():
                child_type = self._member_type(path, kind, key, definition, value)
                op = definition.op
                if op == "+=" and child_type.merge_kind == "scalar":
                    op = "="
                # The member's own thunk knows where its value was written; a
                # literal stored bare is located by its key.
                member_span = (member.span if type(member) is Thunk and member.span is not None
                               else value.spans.get(key, definition.value_span))
                child = Definition(path + (key,), op, definition.final, member, definition.body,
                                   definition.order, definition.span, member_span)
                check_final(child, self._finals)
                spread.setdefault(key, []).append(child)
        return spread, removals

    def _member_type(self, path: tuple[str, ...], kind: RecordType | AttrsType, key: str,
                     definition: Definition, value: AttrSet) -> Type:
        if isinstance(kind, AttrsType):
            return kind.value
        spec = kind.fields.get(key)
        if spec is None:
            raise merge_errors.undeclared_member(self.kind, path, key, kind, definition, value)
        return spec.type

    def _keys(self, path: tuple[str, ...], kind: RecordType | AttrsType, tree: DefinitionTree,
              spread: dict[str, Definitions], removals: Removals) -> list[str]:
        if isinstance(kind, AttrsType):
            return surviving_keys(tree, spread, removals)
        keys = []
        for name, spec in kind.fields.items():
            present = (name in tree.children or name in spread or spec.default is not None
                       or isinstance(spec.type, RecordType | NullableType))
            if present:
                keys.append(name)
            else:
                self.missing.append((path + (name,), spec))
        return keys

    # -- lists and scalars: a start, then mutations -------------------------------------------

    def merge_leaf(self, path: tuple[str, ...], kind: Type, tree: DefinitionTree, extra: Definitions) -> Any:
        """A list or scalar at `path`: one value, started by the last `=` (or `?=`, default, empty).

        An undefined name in a definition (`after = [ instal ];`) never reaches here: the
        static scope check (`eval/scopes.py`) reports it first, in a site's bodies offering
        only hosts or only nodes where the schema's path is a reference (`sites._references`).
        """
        definitions = sorted(tree.definitions + extra, key=lambda d: d.order)
        record = self.provenance.setdefault(path, PathRecord(path, kind))
        record.steps.clear()
        all_mutations = [d for d in definitions if d.op in ("+=", "-=")]
        is_list = kind.merge_kind == "list"
        if all_mutations and not is_list:
            # an error even before an `=` that would ignore it: it can never mean anything
            raise merge_errors.mutation_of_scalar(path, kind, all_mutations[0])
        start, start_order = self._start(path, kind, definitions, record)
        mutations = [d for d in all_mutations if d.order > start_order]
        ignored = [d for d in all_mutations if d.order <= start_order]
        record.steps.extend((d.op, d, "ignored: before the `=` that starts the value") for d in ignored)
        if all(definition is not None for _, definition, _ in record.steps):
            record.steps.sort(key=lambda step: step[1].order if step[1] is not None else 0)  # as written
        origin = next((d for _, d, role in record.steps if role.startswith("starts the value")), None)
        value = apply_list(self, path, start, mutations, record, origin) if is_list else start
        return normalize(self, path, kind, value, _last_definition(definitions, start_order))

    def _start(self, path: tuple[str, ...], kind: Type, definitions: Definitions,
               record: PathRecord) -> tuple[Any, int]:
        """The value the mutations start from, and the order of the definition that gave it (0 for none)."""
        assignments = [d for d in definitions if d.op == "="]
        if assignments:
            self._check_conflicts(path, assignments)
            start = assignments[-1]
            for other in definitions:
                if other.op in ("=", "?=") and other is not start:
                    record.steps.append((other.op, other, "overridden"))
            record.steps.append(("=", start, "starts the value"))
            return self.evaluator.force(start.value), start.order
        weak = [d for d in definitions if d.op == "?="]
        if weak:
            for earlier in weak[:-1]:
                record.steps.append(("?=", earlier, "overridden"))
            record.steps.append(("?=", weak[-1], "starts the value (weak default)"))
            return self.evaluator.force(weak[-1].value), 0
        spec = field_spec(self.schema, path)
        if spec is not None and spec.default is not None:
            record.steps.append(("default", None, f"schema default at {spec.span.location}"))
            return schema_default(self, spec, path), 0
        empty = empty_value(kind.inner if isinstance(kind, NullableType) else kind)
        record.steps.append(("empty", None, "starts empty"))
        return empty, 0

    def _check_conflicts(self, path: tuple[str, ...], assignments: Definitions) -> None:
        """Rule 5: two `=` that no later definition overrides must agree."""
        standing = [d for d in assignments if not any(other.overrides(d) for other in assignments)]
        if len(standing) < 2:
            return
        values = [self.evaluator.force(d.value) for d in standing]
        if all(equal(self.evaluator, values[0], v) for v in values[1:]):
            return
        raise merge_errors.conflict(self, path, standing, values)


def _last_definition(definitions: Definitions, start_order: int) -> Definition | None:
    """The definition a type error inside the merged value is blamed on."""
    used = [d for d in definitions if d.order >= start_order and d.op != "-="]
    return used[-1] if used else (definitions[-1] if definitions else None)


# How a path merges, asked of its type (`Type.merge_kind`) as nixpkgs asks `type.merge`:
# records and sets key by key, lists and scalars as one leaf (lists then mutate).
MERGE_RULES: dict[MergeKind, Callable[[Entity, tuple[str, ...], Type, DefinitionTree, Definitions], Any]] = {
    "record": Entity.merge_set,
    "attrs": Entity.merge_set,
    "list": Entity.merge_leaf,
    "scalar": Entity.merge_leaf,
}
