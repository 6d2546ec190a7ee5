"""Merging: an entity's profile bodies, in C3 order, to its final attributes.

This is section 4 of the language: for each attribute path, the last `=`
starts the value (else the last `?=`, else the schema default, else the
type's empty value when only mutations exist); the `+=` and `-=` after the
start apply in order; two `=` that neither overrides are a conflict; nothing
may follow a `final`.  How a path merges is decided by its schema type:
records and `{K: T}` merge key by key (a set given with `=` spreads into its
keys), lists and scalars are replaced.

The result is lazy: an `AttrSet` whose attributes are thunks, so a profile
may read `node.x` that a descendant sets (late binding), and reading one
attribute merges only that one.  Every merged path keeps its provenance, the
definitions that made it, for `gwc explain`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import lru_cache
from typing import Any

from gwlang.diagnostics import Diagnostic, GwError, Label, Span, did_you_mean, error
from gwlang.eval.evaluator import Evaluator
from gwlang.eval.operators import equal
from gwlang.eval.printer import Collector, to_gw
from gwlang.eval.values import AttrSet, Scope, Thunk, type_name
from gwlang.model.fixes import Mismatch, fix_for
from gwlang.model.model import user_declaration
from gwlang.model.types import (
    AttrsType,
    FieldSpec,
    ListType,
    NullableType,
    RecordType,
    RefType,
    Type,
    describe,
    empty_value,
    problem,
    reference_of,
)
from gwlang.syntax import ast

RESERVED = ("name", "index")


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
    value: Any
    body: Body
    order: int
    span: Span
    value_span: Span
    # the statement's expression, kept for diagnostics: a forced thunk forgets its own
    expression: ast.Expr | None = None

    def overrides(self, other: Definition) -> bool:
        """Whether this definition is the last word over `other` (rule 5)."""
        if self.order <= other.order:
            return False
        return self.body is other.body or other.body.index in self.body.ancestors


@dataclass
class PathRecord:
    """The provenance of one merged path: every definition and what became of it."""
    path: tuple[str, ...]
    type: Type
    steps: list[tuple[str, Definition | None, str]] = field(default_factory=list)
    elements: list[tuple[Any, Definition | None, Definition | None]] | None = None


@dataclass
class _Trie:
    definitions: list[Definition] = field(default_factory=list)
    children: dict[str, _Trie] = field(default_factory=dict)


@lru_cache(maxsize=65536)
def field_spec(schema: RecordType, path: tuple[str, ...]) -> FieldSpec | None:
    """The schema field at `path` (None inside `{K: T}` keys or off the schema); cached, since
    every node of a site asks for the same few hundred paths."""
    current: Type = schema
    spec: FieldSpec | None = None
    for name in path:
        if isinstance(current, NullableType):
            current = current.inner
        if isinstance(current, RecordType):
            spec = current.fields.get(name)
            if spec is None:
                return None
            current = spec.type
        elif isinstance(current, AttrsType):
            spec = None
            current = current.value
        else:
            return None
    return spec


def _first_under(trie: _Trie) -> Definition | None:
    if trie.definitions:
        return trie.definitions[0]
    for child in trie.children.values():
        found = _first_under(child)
        if found is not None:
            return found
    return None


def _since(trie: _Trie, order: int) -> _Trie:
    """The definitions at or under `trie`'s path that come after `order`."""
    if not order:
        return trie
    return _Trie([d for d in trie.definitions if d.order > order],
                 {name: _since(child, order) for name, child in trie.children.items()})


def _latest(trie: _Trie) -> int:
    """The order of the last definition at or under `trie`'s path (0 when none)."""
    return max([*(d.order for d in trie.definitions), *(_latest(child) for child in trie.children.values())],
               default=0)


class Entity:
    """A site, host or node: its bodies merged against its schema, lazily."""

    def __init__(self, kind: str, name: str, schema: RecordType, bodies: list[Body],
                 evaluator: Evaluator, declared_at: Span, extra: dict[str, Any] | None = None) -> None:
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
        self.asserts: list[tuple[ast.Assert, Body]] = []
        self._finals: list[Definition] = []
        self._reserved = {"name": name, **(extra or {})}
        self._trie, problems = self._collect()
        if problems:
            raise GwError([d for p in problems for d in p.diagnostics])
        self.late_names: dict[str, Any] = {}
        self.config = AttrSet({}, entity=(kind, name))

    @property
    def title(self) -> str:
        return f"{self.kind} `{self.name}`"

    def build(self) -> None:
        """Fill `config` with the lazy attributes of the whole entity."""
        root = self._record((), self.schema, self._trie, [])
        self.config.attrs.update(root.attrs)
        self.config.spans.update(root.spans)
        self.config.attrs.update(self._reserved)

    # -- collecting definitions (static: no evaluation) ------------------------------

    def _collect(self) -> tuple[_Trie, list[GwError]]:
        root = _Trie()
        problems: list[GwError] = []
        order = 0
        for body in self.bodies:
            for statement in body.statements:
                order += 1
                if isinstance(statement, ast.Assert):
                    self.asserts.append((statement, body))
                    continue
                try:
                    definition = self._definition(statement, body, order)
                    self._check_path(definition)
                    self._check_final(definition)
                except GwError as failure:
                    problems.append(failure)
                    continue
                if definition.final:
                    self._finals.append(definition)
                node = root
                for name in definition.path:
                    node = node.children.setdefault(name, _Trie())
                node.definitions.append(definition)
        return root, problems

    def _definition(self, statement: ast.Define, body: Body, order: int) -> Definition:
        names: list[str] = []
        for key in statement.path:
            if not isinstance(key, ast.StaticKey):
                raise error("E0305", "a statement's path must be written out", key.span, "computed name",
                            help="quote unusual names instead: `files.\"etc/motd\" = ...;`")
            names.append(key.name)
        if names[0] in self._reserved:
            raise error("E0306", f"`{names[0]}` is set by the declaration of {self.title}", statement.path[0].span,
                        "cannot be defined", notes=[f"`{self.kind}.{names[0]}` is always defined"])
        value = Thunk(statement.value, body.scope, ".".join(names), statement.value.span)
        return Definition(tuple(names), statement.op, statement.final, value, body, order,
                          statement.span, statement.value.span, statement.value)

    def _check_path(self, definition: Definition) -> None:
        """Every step of the path must exist in the schema (rule: no undeclared attribute)."""
        current: Type = self.schema
        for depth, name in enumerate(definition.path):
            if isinstance(current, NullableType):
                current = current.inner
            if isinstance(current, RecordType):
                field_spec = current.fields.get(name)
                if field_spec is None:
                    raise self._unknown_attribute(definition, depth, current)
                current = field_spec.type
            elif isinstance(current, AttrsType):
                current = current.value
            else:
                shown = ".".join(definition.path[:depth])
                raise error("E0404", f"`{shown}` is {describe(current)}, it has no attribute `{name}`",
                            definition.span, f"defined in {definition.body.label}",
                            notes=[f"`{shown}` is declared in schema `{self.schema.name}`"])

    def _unknown_attribute(self, definition: Definition, depth: int, record: RecordType) -> GwError:
        name = definition.path[depth]
        where = ".".join(definition.path[:depth])
        place = f"`{where}`" if where else f"schema `{self.schema.name}`"
        return error("E0404", f"{self.kind} attribute `{'.'.join(definition.path[:depth + 1])}` is not declared",
                     definition.span, f"defined in {definition.body.label}",
                     help=did_you_mean(name, record.fields),
                     notes=[f"{place} has " + ", ".join(f"`{f}`" for f in sorted(record.fields))
                            if record.fields else f"{place} declares no attributes",
                            "declare new attributes with `schema`"])

    def _check_final(self, definition: Definition) -> None:
        for final in self._finals:
            if definition.order > final.order and definition.path[: len(final.path)] == final.path:
                path = ".".join(final.path)
                raise error("E0304", f"`{'.'.join(definition.path)}` is changed after `final {path}`",
                            definition.span, f"changed here ({definition.body.label})",
                            secondary=[Label(final.span, f"made final here ({final.body.label})")],
                            notes=[f"a `final` definition is the last word on `{path}` and everything under it"],
                            help=f"remove this definition, or drop `final` from {final.body.label}")

    # -- merging (lazy) --------------------------------------------------------------------

    def _record(self, path: tuple[str, ...], kind: RecordType | AttrsType, trie: _Trie,
                extra: list[Definition]) -> AttrSet:
        here = sorted(self._default_definitions(path) + trie.definitions + extra, key=lambda d: d.order)
        spread, removals = self._spread(path, kind, here)
        record = self.provenance.setdefault(path, PathRecord(path, kind))
        for definition in here:
            if definition.body.index < 0 and not self.evaluator.force(definition.value).attrs:
                continue    # an empty schema default adds nothing worth explaining
            record.steps.append((definition.op, definition,
                                 "removes names" if definition.op == "-=" else "spread into its keys"))
        keys = self._keys(path, kind, trie, spread, removals)
        if isinstance(kind, AttrsType):
            self._check_keys(path, kind, keys, trie, spread)
        attrs: dict[str, Any] = {}
        spans: dict[str, Span] = {}
        for key in keys:
            child_type = kind.fields[key].type if isinstance(kind, RecordType) else kind.value
            # a name brought back after `-=` starts afresh: what was removed stays removed
            removed_at = max((order for order, names in removals if key in names), default=0)
            child_trie = _since(trie.children.get(key, _Trie()), removed_at)
            child_spread = [d for d in spread.get(key, []) if not removed_at or d.order > removed_at]
            attrs[key] = Thunk(self._later(path + (key,), child_type, child_trie, child_spread),
                               None, ".".join(path + (key,)), self.declared_at)
            defined = child_trie.definitions or child_spread
            if defined:
                spans[key] = defined[0].span
        return AttrSet(attrs, spans)

    def _check_keys(self, path: tuple[str, ...], kind: AttrsType, keys: list[str], trie: _Trie,
                    spread: dict[str, list[Definition]]) -> None:
        """The names of a `{K: T}` set are values of type K too (`files` keys are paths)."""
        for key in keys:
            issue = problem(kind.key, key)
            if issue is None:
                continue
            child = trie.children.get(key)
            defined = (child.definitions if child else []) or spread.get(key, [])
            definition = defined[0] if defined else None
            if definition is None and child is not None:
                definition = _first_under(child)
            shown = ".".join(path)
            raise error("E0401", f"the names of `{shown}` of {self.title} must be {describe(kind.key, plural=True)}; "
                        f"`{key}` is not: {issue}", definition.span if definition else self.declared_at,
                        f"defined here ({definition.body.label})" if definition else "")

    def _default_definitions(self, path: tuple[str, ...]) -> list[Definition]:
        """A record or `{K: T}` field's schema default: a `?=` before every statement, spread like one."""
        spec = self._field_spec(path) if path else None
        if spec is None or spec.default is None:
            return []
        found: FieldSpec = spec
        body = Body("the schema default", (), Scope({}, None), -1, frozenset())
        value = Thunk(lambda: self._default(found, path), None, ".".join(path), found.span)
        return [Definition(path, "?=", False, value, body, 0, found.span, found.span)]

    def _later(self, path: tuple[str, ...], kind: Type, trie: _Trie,
               extra: list[Definition]) -> Callable[[], Any]:
        return lambda: self._value(path, kind, trie, extra)

    def _value(self, path: tuple[str, ...], kind: Type, trie: _Trie, extra: list[Definition]) -> Any:
        readers = self.evaluator.readers
        readers.append((self.kind, self.name))
        try:
            if isinstance(kind, RecordType | AttrsType):
                return self._record(path, kind, trie, extra)
            return self._leaf(path, kind, sorted(trie.definitions + extra, key=lambda d: d.order))
        finally:
            readers.pop()

    def _spread(self, path: tuple[str, ...], kind: RecordType | AttrsType,
                here: list[Definition]) -> tuple[dict[str, list[Definition]], list[tuple[int, set[str]]]]:
        """`network = { dns = [...]; }` becomes a definition of `network.dns`, and so on."""
        spread: dict[str, list[Definition]] = {}
        removals: list[tuple[int, set[str]]] = []
        for definition in here:
            value = self.evaluator.force(definition.value)
            if definition.op == "-=":
                removals.append((definition.order, self._names_removed(definition, kind, value)))
                continue
            if type(value) is not AttrSet or value.entity is not None:
                raise self._type_error(path, kind, definition, problem(kind, value) or "", value)
            for key, member in value.attrs.items():
                child_type = self._child_type(path, kind, key, definition, value)
                op = definition.op
                if op == "+=" and child_type.merge_kind == "scalar":
                    op = "="
                # The member's own thunk knows where its value was written; a
                # literal stored bare is located by its key.
                member_span = (member.span if type(member) is Thunk and member.span is not None
                               else value.spans.get(key, definition.value_span))
                child = Definition(path + (key,), op, definition.final, member, definition.body,
                                   definition.order, definition.span, member_span)
                self._check_final(child)
                spread.setdefault(key, []).append(child)
        return spread, removals

    def _child_type(self, path: tuple[str, ...], kind: RecordType | AttrsType, key: str,
                    definition: Definition, value: AttrSet) -> Type:
        if isinstance(kind, AttrsType):
            return kind.value
        spec = kind.fields.get(key)
        if spec is None:
            shown = ".".join(path + (key,))
            raise error("E0404", f"{self.kind} attribute `{shown}` is not declared",
                        value.spans.get(key, definition.value_span), f"set in {definition.body.label}",
                        help=did_you_mean(key, kind.fields),
                        notes=[f"`{'.'.join(path)}` has " + ", ".join(f"`{f}`" for f in sorted(kind.fields))])
        return spec.type

    def _names_removed(self, definition: Definition, kind: Type, value: Any) -> set[str]:
        if isinstance(kind, RecordType):
            raise error("E0307", f"`-=` cannot remove fields of the record `{'.'.join(definition.path)}`",
                        definition.span, f"in {definition.body.label}",
                        help="set the field to another value, or to null if its type allows it")
        names = value if type(value) is tuple else None
        forced = [self.evaluator.force(n) for n in names] if names is not None else None
        if forced is None or any(type(n) is not str for n in forced):
            raise error("E0401", f"`{'.'.join(definition.path)} -= ...` takes a list of names",
                        definition.value_span, f"in {definition.body.label}")
        return set(forced)

    def _keys(self, path: tuple[str, ...], kind: RecordType | AttrsType, trie: _Trie,
              spread: dict[str, list[Definition]], removals: list[tuple[int, set[str]]]) -> list[str]:
        if isinstance(kind, AttrsType):
            keys = []
            for key in sorted(set(trie.children) | set(spread)):
                # a definition anywhere under the key (`disks.xvdb.size = ...`) brings a removed key back
                below = _latest(trie.children[key]) if key in trie.children else 0
                last = max([below, *(d.order for d in spread.get(key, []))])
                if not any(order > last and key in names for order, names in removals):
                    keys.append(key)
            return keys
        keys = []
        for name, spec in kind.fields.items():
            present = (name in trie.children or name in spread or spec.default is not None
                       or isinstance(spec.type, RecordType | NullableType))
            if present:
                keys.append(name)
            else:
                self.missing.append((path + (name,), spec))
        return keys

    def _leaf(self, path: tuple[str, ...], kind: Type, definitions: list[Definition]) -> Any:
        referred = reference_of(kind)
        if referred is None:
            return self._merged_leaf(path, kind, definitions)
        # Only reference-typed paths pay for the handler: their undefined
        # names get a did-you-mean from the hosts or nodes alone.
        try:
            return self._merged_leaf(path, kind, definitions)
        except GwError as failure:
            raise GwError([self._suggest_reference(d, referred, definitions)
                           for d in failure.diagnostics]) from None

    def _suggest_reference(self, diagnostic: Diagnostic, referred: RefType,
                           definitions: list[Definition]) -> Diagnostic:
        """An undefined name written where a host or node is expected: suggest only hosts or nodes.

        The evaluator's did-you-mean cannot know the name stands for a
        reference and may offer any name in scope; here the position says
        it must be one of the site's hosts (or nodes).
        """
        primary = diagnostic.primary
        if diagnostic.code != "E0201" or primary is None \
                or not any(_names_at(definition, primary.span) for definition in definitions):
            return diagnostic
        names = self.late_names.get(f"{referred.kind}s")
        known = list(names.attrs) if type(names) is AttrSet else []
        name = primary.span.source.text[primary.span.start:primary.span.end]
        if not known:
            return replace(diagnostic, help=f"the site has no {referred.kind}s")
        listed = ", ".join(f"`{n}`" for n in known[:8]) + (", ..." if len(known) > 8 else "")
        return replace(diagnostic, help=did_you_mean(name, known)
                       or f"name one of the site's {referred.kind}s: {listed}")

    def _merged_leaf(self, path: tuple[str, ...], kind: Type, definitions: list[Definition]) -> Any:
        record = self.provenance.setdefault(path, PathRecord(path, kind))
        record.steps.clear()
        all_mutations = [d for d in definitions if d.op in ("+=", "-=")]
        is_list = isinstance(kind, ListType) or (isinstance(kind, NullableType) and isinstance(kind.inner, ListType))
        if all_mutations and not is_list:
            # an error even before an `=` that would ignore it: it can never mean anything
            first = all_mutations[0]
            raise error("E0308", f"`{first.op}` needs a list or an attribute set; `{'.'.join(path)}` is "
                        f"{describe(kind)}", first.span, f"in {first.body.label}",
                        help="use `=` to replace the value")
        start, start_order = self._start(path, kind, definitions, record)
        mutations = [d for d in all_mutations if d.order > start_order]
        ignored = [d for d in all_mutations if d.order <= start_order]
        record.steps.extend((d.op, d, "ignored: before the `=` that starts the value") for d in ignored)
        if all(definition is not None for _, definition, _ in record.steps):
            record.steps.sort(key=lambda step: step[1].order if step[1] is not None else 0)  # as written
        origin = next((d for _, d, role in record.steps if role.startswith("starts the value")), None)
        value = self._apply_list(path, kind, start, mutations, record, origin) if is_list else start
        return self.normalize(path, kind, value, self._last_definition(definitions, start_order))

    def _start(self, path: tuple[str, ...], kind: Type, definitions: list[Definition],
               record: PathRecord) -> tuple[Any, int]:
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
        spec = self._field_spec(path)
        if spec is not None and spec.default is not None:
            record.steps.append(("default", None, f"schema default at {spec.span.location}"))
            return self._default(spec, path), 0
        empty = empty_value(kind.inner if isinstance(kind, NullableType) else kind)
        record.steps.append(("empty", None, "starts empty"))
        return empty, 0

    def _check_conflicts(self, path: tuple[str, ...], assignments: list[Definition]) -> None:
        """Rule 5: two `=` that no later definition overrides must agree."""
        standing = [d for d in assignments if not any(other.overrides(d) for other in assignments)]
        if len(standing) < 2:
            return
        values = [self.evaluator.force(d.value) for d in standing]
        if all(equal(self.evaluator, values[0], v) for v in values[1:]):
            return
        shown = ".".join(path)
        last, other = standing[-1], standing[-2]
        labels = [Label(d.value_span, f"also defined as {self._show(v)} here ({d.body.label})")
                  for d, v in zip(standing[:-1], values[:-1], strict=True)]
        names = " and ".join(d.body.label for d in (other, last))
        raise error("E0301", f"conflicting definitions of `{shown}` for {self.title}", last.value_span,
                    f"defined as {self._show(values[-1])} here ({last.body.label})",
                    secondary=labels,
                    notes=[f"{names} both apply to {self.title}; neither inherits from the other"],
                    help=f"set `{shown}` in {self.title} itself, or use `?=` in one of them")

    def _apply_list(self, path: tuple[str, ...], kind: Type, start: Any, mutations: list[Definition],
                    record: PathRecord, origin: Definition | None) -> Any:
        if start is None and not mutations:
            return None
        elements: list[tuple[Any, Definition | None, Definition | None]] = []
        if start is not None:
            items = self._list_value(path, start, origin)
            elements = [(item, origin, None) for item in items]
        for mutation in mutations:
            items = self._list_value(path, self.evaluator.force(mutation.value), mutation)
            if mutation.op == "+=":
                elements.extend((item, mutation, None) for item in items)
                record.steps.append(("+=", mutation, f"adds {len(items)}"))
            else:
                removed = 0
                for index, (item, added, gone) in enumerate(elements):
                    if gone is None and any(equal(self.evaluator, item, r) for r in items):
                        elements[index] = (item, added, mutation)
                        removed += 1
                record.steps.append(("-=", mutation, f"removes {removed}"))
        record.elements = elements
        return tuple(item for item, _, gone in elements if gone is None)

    def _list_value(self, path: tuple[str, ...], value: Any, definition: Definition | None) -> tuple[Any, ...]:
        if type(value) is tuple:
            return value
        if definition is None or value is None:
            return ()
        kind = self._path_type(path)
        raise self._type_error(path, kind, definition, problem(kind, value) or f"found {type_name(value)}", value)

    # -- checking and normalising values ------------------------------------------------

    def normalize(self, path: tuple[str, ...], kind: Type, value: Any, definition: Definition | None) -> Any:
        """Check `value` against `kind` all the way down; fill record defaults inside lists."""
        value = self.evaluator.force(value)
        if isinstance(kind, NullableType):
            if value is None:
                return None
            kind = kind.inner
        issue = problem(kind, value)
        if issue is not None:
            raise self._type_error(path, kind, definition, issue, value)
        if isinstance(kind, ListType):
            return tuple(self.normalize(path + (f"[{i}]",), kind.element, item, definition)
                         for i, item in enumerate(value))
        if isinstance(kind, AttrsType):
            return AttrSet({key: self.normalize(path + (key,), kind.value, member, definition)
                            for key, member in value.attrs.items()}, value.spans)
        if isinstance(kind, RecordType):
            return self._normalize_record(path, kind, value, definition)
        return value

    def _normalize_record(self, path: tuple[str, ...], kind: RecordType, value: AttrSet,
                          definition: Definition | None) -> AttrSet:
        unknown = [key for key in value.attrs if key not in kind.fields]
        if unknown:
            key = unknown[0]
            span = value.spans.get(key) or (definition.value_span if definition else self.declared_at)
            raise error("E0404", f"`{key}` is not a field of `{kind.name}`", span,
                        f"in `{'.'.join(path)}` of {self.title}", help=did_you_mean(key, kind.fields),
                        notes=[f"`{kind.name}` has " + ", ".join(f"`{f}`" for f in sorted(kind.fields))])
        attrs: dict[str, Any] = {}
        for name, spec in kind.fields.items():
            if name in value.attrs:
                attrs[name] = self.normalize(path + (name,), spec.type, value.attrs[name], definition)
            elif spec.default is not None:
                default = self._default(spec, path + (name,))
                attrs[name] = self.normalize(path + (name,), spec.type, default, definition)
            elif isinstance(spec.type, NullableType):
                attrs[name] = None
            elif isinstance(spec.type, RecordType):
                attrs[name] = self._normalize_record(path + (name,), spec.type, AttrSet({}), definition)
            else:
                span = definition.value_span if definition else self.declared_at
                raise error("E0406", f"`{'.'.join(path)}` of {self.title} lacks the field `{name}`", span,
                            f"this `{kind.name}` has no `{name}`",
                            secondary=[Label(spec.span, f"`{name}` is required here")],
                            help=f"add `{name} = ...;`")
        return AttrSet(attrs, value.spans)

    def _default(self, spec: FieldSpec, path: tuple[str, ...]) -> Any:
        """A schema default, evaluated with the late-bound names and `key`."""
        assert spec.default is not None
        key = path[-2] if len(path) >= 2 else self.name
        scope = Scope({**self.late_names, "key": key}, spec.scope)
        return self.evaluator.eval(spec.default, scope)

    def _type_error(self, path: tuple[str, ...], kind: Type, definition: Definition | None,
                    issue: str, value: Any) -> GwError:
        shown = _shown_path(path)
        if definition is None:
            return error("E0401", f"`{shown}` of {self.title} must be {describe(kind)}; {issue}",
                         self.declared_at, "the value comes from a default")
        chain = self._chain(definition.body)
        notes = [f"it reaches {self.title} through " + " -> ".join(body.label for body in chain)] \
            if len(chain) > 1 else []
        return error("E0401", f"`{shown}` of {self.title} must be {describe(kind)}; {issue}",
                     definition.value_span, f"defined here ({definition.body.label})", notes=notes,
                     help=fix_for(self._mismatch(path, kind, definition, value)))

    def _mismatch(self, path: tuple[str, ...], kind: Type, definition: Definition, value: Any) -> Mismatch:
        """What `fix_for` needs: the statement as written when `value` is all or an element of its value."""
        element = path[:-1] == definition.path and path[-1].startswith("[")
        statement = None
        if path == definition.path or element:
            span = definition.value_span
            statement = (_shown_path(definition.path), definition.op, span.source.text[span.start:span.end])
        referred = kind.element if isinstance(kind, ListType) else kind
        names = self.late_names.get(f"{referred.kind}s") if isinstance(referred, RefType) else None
        return Mismatch(kind, value, statement, element, names.attrs if type(names) is AttrSet else ())

    def _chain(self, body: Body) -> list[Body]:
        """How `body` reaches the entity: it, a body inheriting it, ..., the entity's last body."""
        chain = [self.bodies[-1]]
        if body is not chain[0] and body.index not in chain[0].ancestors:
            return [body]
        while chain[-1] is not body:
            # step to the most derived body that still inherits `body`: a direct parent
            closer = [b for b in self.bodies if b.index in chain[-1].ancestors
                      and (b is body or body.index in b.ancestors)]
            chain.append(max(closer, key=lambda b: len(b.ancestors)))
        return chain[::-1]

    def _path_type(self, path: tuple[str, ...]) -> Type:
        current: Type = self.schema
        for name in path:
            if isinstance(current, NullableType):
                current = current.inner
            if isinstance(current, RecordType) and name in current.fields:
                current = current.fields[name].type
            elif isinstance(current, AttrsType):
                current = current.value
        return current

    def _field_spec(self, path: tuple[str, ...]) -> FieldSpec | None:
        return field_spec(self.schema, path)

    def _last_definition(self, definitions: list[Definition], start_order: int) -> Definition | None:
        used = [d for d in definitions if d.order >= start_order and d.op != "-="]
        return used[-1] if used else (definitions[-1] if definitions else None)

    def _show(self, value: Any) -> str:
        text = to_gw(self.evaluator, value, Collector())
        return text if len(text) <= 40 else text[:37] + "..."

    # -- asserts ----------------------------------------------------------------------------

    def check_asserts(self, entity_of: Callable[[tuple[str, str]], Entity | None] | None = None) -> list[GwError]:
        """Evaluate every `assert` of every body against the final attributes.

        `entity_of` finds the site, host or node a value read belongs to, so
        that a failed assertion can say where each value it read was defined.
        """
        failures: list[GwError] = []
        for statement, body in self.asserts:
            try:
                condition = self.evaluator.eval(statement.condition, body.scope)
                if type(condition) is not bool:
                    raise error("E0203", "an assertion's condition must be a boolean",
                                statement.condition.span, f"in {body.label}")
                if not condition:
                    raise self._assertion_failed(statement, body, entity_of or (lambda _: None))
            except GwError as failure:
                failures.append(failure)
        return failures

    def _assertion_failed(self, statement: ast.Assert, body: Body,
                          entity_of: Callable[[tuple[str, str]], Entity | None]) -> GwError:
        """E0309 with the values the condition read, each where it was defined, and the entity's declaration.

        The assertion is often a library's (a stdlib profile's) and its line
        alone tells the user nothing: the values it read, and the user's own
        declaration of the node, are where the fix goes.
        """
        message = self.evaluator.eval(statement.message, body.scope)
        text = message if type(message) is str else self._show(message)
        labels: list[Label] = []
        notes: list[str] = []
        for read in _reads(statement.condition):
            shown = self._read_value(read, body, entity_of)
            if shown is not None:
                what, where = shown
                if where is None:
                    notes.append(what)
                elif all((label.span.start, label.span.source) != (where.value_span.start, where.value_span.source)
                         for label in labels):
                    labels.append(Label(where.value_span, f"{what}, set here ({where.body.label})"))
        declared = user_declaration(self.declarations)
        if not any(label.span.source is declared.source and label.span.start == declared.start for label in labels):
            labels.append(Label(declared, f"{self.title} is declared here"))
        return error("E0309", f"assertion failed for {self.title}: {text}", statement.condition.span,
                     f"this is false ({body.label})", secondary=labels, notes=notes,
                     help="change one of the values it reads so that the assertion holds")

    def _read_value(self, read: ast.Select, body: Body,
                    entity_of: Callable[[tuple[str, str]], Entity | None]) -> tuple[str, Definition | None] | None:
        """"`node.ip` is 10.1.1.1" and the definition that gave it (None for a default), or None if unknown."""
        try:
            value = self.evaluator.eval(read, body.scope)
            owner_value = self.evaluator.eval(read.target, body.scope)
        except GwError:
            return None
        owner = entity_of(owner_value.entity) if type(owner_value) is AttrSet and owner_value.entity else None
        if owner is None:
            return None
        assert isinstance(read.target, ast.Var)
        path = tuple(key.name for key in read.path if isinstance(key, ast.StaticKey))
        what = f"`{'.'.join((read.target.name, *path))}` is {self._show(value)}"
        if path[0] in owner._reserved:
            return f"{what}, set by the declaration of {owner.title}", None
        definition = owner.defined_by(path)
        if definition is None:
            return f"{what}: {owner.title} does not set it, so it is the default", None
        return what, definition

    def defined_by(self, path: tuple[str, ...]) -> Definition | None:
        """The definition that gave the value at `path`: the last that counts, as `gwc explain` lists them.

        A path inside a value that is no record (`network.subnet.prefix`, a
        field of an address) was given by the definition of that value.
        """
        for end in range(len(path), 0, -1):
            record = self.provenance.get(path[:end])
            if record is None:
                continue
            for _, definition, role in reversed(record.steps):
                if definition is not None and role != "overridden" and not role.startswith("ignored"):
                    return definition
            return None
        return None


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


def _shown_path(path: tuple[str, ...]) -> str:
    """`after[0]`, `vm.memory`: a path inside an entity as messages show it."""
    return "".join(name if name.startswith("[") else f".{name}" for name in path).lstrip(".")




def _names_at(definition: Definition, span: Span) -> bool:
    """Whether `definition` writes a bare name at `span`: its whole value (`host = gw`) or a list element."""
    code = definition.expression
    candidates = code.items if type(code) is ast.ListExpr else (code,)
    return any(type(item) is ast.Var and item.span.source is span.source
               and (item.span.start, item.span.end) == (span.start, span.end) for item in candidates)
