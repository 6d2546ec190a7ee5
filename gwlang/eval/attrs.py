"""Building attribute sets from bindings, as `{ ... }`, `rec { ... }` and `let` do.

Dotted paths nest (`a.b = 1; a.c = 2;` gives `a = { b = 1; c = 2; }`), and a
literal set merges with dotted paths into it, as in Nix.  Any other second
definition of a name is an error that shows both places.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gwlang.diagnostics import GwError, Label, Span, error
from gwlang.eval.hints import missing_attribute
from gwlang.eval.values import AttrSet, Scope, Thunk, type_name
from gwlang.syntax import ast

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator


class _Nested:
    """An attribute set still being filled by dotted bindings."""

    __slots__ = ("entries", "spans")

    def __init__(self) -> None:
        self.entries: dict[str, Any] = {}
        self.spans: dict[str, Span] = {}


class AttrBuilder:
    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator
        self.top = _Nested()

    def bind(self, binding: ast.Bind, scope: Scope) -> None:
        names = [self.evaluator.attribute_name(key, scope) for key in binding.path]
        target = self.top
        for depth, name in enumerate(names[:-1]):
            target = self._descend(target, name, binding.path[depth].span, names[: depth + 1])
        leaf = names[-1]
        label = ".".join(names)
        value = binding.value
        existing = target.entries.get(leaf)
        if existing is not None:
            if type(existing) is _Nested and type(value) is ast.AttrSet and not value.recursive:
                self._merge_literal(existing, value, scope)
                return
            raise self._duplicate(label, binding.path[-1].span, target.spans[leaf])
        target.entries[leaf] = delay_binding(value, scope, label)
        target.spans[leaf] = binding.path[-1].span

    def _descend(self, target: _Nested, name: str, span: Span, path: list[str]) -> _Nested:
        existing = target.entries.get(name)
        if existing is None:
            nested = _Nested()
            target.entries[name] = nested
            target.spans[name] = span
            return nested
        if type(existing) is _Nested:
            return existing
        code = existing.code if type(existing) is Thunk else None
        if type(code) is ast.AttrSet and not code.recursive and existing.scope is not None:
            nested = _Nested()
            self._merge_literal(nested, code, existing.scope)
            target.entries[name] = nested
            return nested
        raise self._duplicate(".".join(path), span, target.spans[name])

    def _merge_literal(self, nested: _Nested, literal: ast.AttrSet, scope: Scope) -> None:
        saved = self.top
        self.top = nested
        try:
            for binding in literal.bindings:
                if type(binding) is ast.Bind:
                    self.bind(binding, scope)
                else:
                    self.inherit(binding, scope, scope)  # type: ignore[arg-type]
        finally:
            self.top = saved

    def inherit(self, binding: ast.Inherit, value_scope: Scope, inherit_scope: Scope) -> None:
        source_thunk: Thunk | None = None
        if binding.source is not None:
            source_thunk = Thunk(binding.source, value_scope, "inherit source", binding.source.span)
        for key in binding.names:
            if key.name in self.top.entries:
                raise self._duplicate(key.name, key.span, self.top.spans[key.name])
            if source_thunk is None:
                value: Any = Thunk(ast.Var(key.name, key.span), inherit_scope, key.name, key.span)
            else:
                value = Thunk(_inherit_from(self.evaluator, source_thunk, key), None, key.name, key.span)
            self.top.entries[key.name] = value
            self.top.spans[key.name] = key.span

    def _duplicate(self, label: str, span: Span, first: Span) -> GwError:
        return error("E0209", f"attribute `{label}` is defined twice", span, "defined again here",
                     secondary=[Label(first, "first defined here")],
                     help="remove one definition, or merge them with `//`")

    def result(self) -> AttrSet:
        return _finish(self.top)


def _finish(nested: _Nested) -> AttrSet:
    attrs = {name: _finish(value) if type(value) is _Nested else value
             for name, value in nested.entries.items()}
    return AttrSet(attrs, nested.spans)


def delay_binding(expr: ast.Expr, scope: Scope, label: str) -> Any:
    """A thunk for a binding's value; literals are stored as values.  Names are
    never looked up here: the scope may still be filling, so a name could
    resolve to an outer binding of the same name."""
    kind = type(expr)
    if kind is ast.IntLit or kind is ast.Const:
        return expr.value  # type: ignore[union-attr]
    return Thunk(expr, scope, label, expr.span)


def _inherit_from(evaluator: Evaluator, source: Thunk, key: ast.StaticKey) -> Any:
    def select() -> Any:
        container = evaluator.force_thunk(source)
        if type(container) is not AttrSet:
            raise error("E0203", f"`inherit (...)` needs an attribute set, not {type_name(container)}",
                        source.span, f"this is {type_name(container)}")
        if key.name not in container.attrs:
            raise missing_attribute(container, key.name, key.span)
        return evaluator.force(container.attrs[key.name])
    return select
