"""The static scope check: every name a module uses is defined where it is used.

Nix reports an undefined variable when it parses a file, in code that never
runs too; gw does the same, but only once a module's scope is known, since
`import <x.gw>;` (without `as`) brings in names that exist only once the
imported module is loaded.  gw has no `with`, so every name is resolvable
statically, with two exceptions checked elsewhere or not at all: the bodies
of a site, whose scope holds the hosts and nodes of the concrete site being
compiled (checked by `gwlang.model.sites` with those names), and a `let` or
`rec` set with a computed name (`${...} = ...;`), whose names are only known
once it is evaluated: inside one, every name is taken as defined.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import assert_never

from gwlang.diagnostics import Diagnostic, Label, Span, did_you_mean
from gwlang.eval.builtins import REGISTRY
from gwlang.eval.hints import number_with_unit_word, size_meant
from gwlang.syntax import ast

# One frame of names per binding construct, innermost last; `None` is a frame
# whose names are computed (a `let` with `${...}` names): anything may be there.
Visible = tuple[frozenset[str] | None, ...]

# The late-bound names of profile bodies and schema defaults (docs/language.md, section 5).
ENTITY_NAMES = frozenset({"node", "host", "site", "nodes", "hosts"})
SCHEMA_DEFAULT_NAMES = ENTITY_NAMES | {"key"}

_NOTE = "every name is checked before anything is evaluated, also in code that never runs (as in Nix)"


def undefined_in_module(module: ast.Module, names: Iterable[str]) -> list[Diagnostic]:
    """Undefined names in a module's `let`s, schemas and profiles; `names` is its scope (imports, builtins)."""
    outer: Visible = (frozenset(names),)
    checker = _Checker()
    if module.body is not None:
        checker.expr(module.body, outer)
    for item in module.items:
        match item:
            case ast.LetItem(bindings=bindings):
                checker.bindings(bindings, outer, outer)
            case ast.SchemaDecl(fields=fields):
                for field in fields:
                    if field.default is not None:
                        checker.expr(field.default, (*outer, SCHEMA_DEFAULT_NAMES))
            case ast.ProfileDecl(body=body):
                checker.statements(body, (*outer, ENTITY_NAMES))
            case ast.ImportItem() | ast.SiteDecl():
                pass  # a site's bodies are checked with its hosts and nodes, when it is compiled
            case _:
                assert_never(item)
    return checker.problems


# The entities a path of a body refers to (`after` -> the site's nodes), or None for other paths.
Referred = Callable[[tuple[str, ...]], tuple[str, tuple[str, ...]] | None]


def undefined_in_statements(statements: Iterable[ast.Statement], names: Iterable[str],
                            members: frozenset[str] = frozenset(),
                            referred: Referred | None = None) -> list[Diagnostic]:
    """Undefined names in the statements of a site, host or node body that sees `names`.

    `members` are the site's hosts and nodes: a misspelt name in a site is
    most often one of them, so they are suggested first.  Where the path is a
    reference (`host = gw;`, `after = [ install ];`), `referred` says of what
    kind, and only those entities are offered (`instal` is not offered `tail`).
    """
    checker = _Checker(members, referred)
    checker.statements(statements, (frozenset(names),))
    return checker.problems


def _defines(visible: Visible, name: str) -> bool:
    return any(frame is None or name in frame for frame in visible)


def _bound_names(bindings: tuple[ast.Binding, ...]) -> frozenset[str] | None:
    """The names a `let` or `rec` set binds, or None when one is computed."""
    names: set[str] = set()
    for binding in bindings:
        if isinstance(binding, ast.Inherit):
            names.update(key.name for key in binding.names)
        elif isinstance(binding.path[0], ast.StaticKey):
            names.add(binding.path[0].name)
        else:
            return None
    return frozenset(names)


class _Checker:
    """Walks expressions with the names visible at each point; collects one diagnostic per undefined use."""

    def __init__(self, members: frozenset[str] = frozenset(), referred: Referred | None = None) -> None:
        self.problems: list[Diagnostic] = []
        self.members = members
        self.referred = referred

    def statements(self, statements: Iterable[ast.Statement], visible: Visible) -> None:
        for statement in statements:
            if isinstance(statement, ast.Define):
                self.keys(statement.path, visible)
                if not self.reference(statement, visible):
                    self.expr(statement.value, visible)
            else:
                self.expr(statement.condition, visible)
                self.expr(statement.message, visible)

    def bindings(self, bindings: tuple[ast.Binding, ...], values: Visible, inherits: Visible) -> None:
        """`values` is where values and computed names are evaluated, `inherits` where `inherit x;` looks."""
        for binding in bindings:
            if isinstance(binding, ast.Bind):
                self.keys(binding.path, values)
                self.expr(binding.value, values)
            elif binding.source is not None:
                self.expr(binding.source, values)
            else:
                for key in binding.names:
                    self.name(key.name, key.span, inherits)

    def keys(self, path: tuple[ast.AttrKey, ...], visible: Visible) -> None:
        for key in path:
            if isinstance(key, ast.DynamicKey):
                self.expr(key.expr, visible)

    def name(self, name: str, span: Span, visible: Visible) -> None:
        if _defines(visible, name):
            return
        self.problems.append(Diagnostic("E0201", f"undefined variable `{name}`", Label(span, "not defined here"),
                                        (), (_NOTE,), size_meant(ast.Var(name, span)) or self.suggest(name, visible)))

    def reference(self, statement: ast.Define, visible: Visible) -> bool:
        """A reference path's bare names checked against the entities it may name; False if not a reference."""
        path = tuple(key.name for key in statement.path if isinstance(key, ast.StaticKey))
        found = None if self.referred is None or len(path) != len(statement.path) else self.referred(path)
        if found is None:
            return False
        kind, entities = found
        value = statement.value
        for item in value.items if type(value) is ast.ListExpr else (value,):
            if type(item) is not ast.Var or _defines(visible, item.name):
                self.expr(item, visible)
                continue
            listed = ", ".join(f"`{n}`" for n in entities[:8]) + (", ..." if len(entities) > 8 else "")
            help = (did_you_mean(item.name, entities) or f"name one of the site's {kind}s: {listed}"
                    if entities else f"the site has no {kind}s")
            self.problems.append(Diagnostic("E0201", f"undefined variable `{item.name}`",
                                            Label(item.span, "not defined here"), (), (_NOTE,), help))
        return True

    def suggest(self, name: str, visible: Visible) -> str | None:
        """The site's hosts and nodes first, then the program's names, a builtin only when nothing nearer fits."""
        known = {known for frame in visible if frame is not None for known in frame}
        for tier in (known & self.members, known - self.members - REGISTRY.keys(), known & REGISTRY.keys()):
            found = did_you_mean(name, tier)
            if found is not None:
                return found
        return None

    def unit_after_number(self, expr: ast.Apply, visible: Visible) -> bool:
        """`4G`, `4 GiB`: an undefined unit-like name after a number is a size mistyped, said as such (E0215)."""
        argument = expr.argument
        if type(argument) is not ast.Var or _defines(visible, argument.name):
            return False
        problem = number_with_unit_word(expr, argument)
        if problem is None:
            return False
        self.problems.extend(problem.diagnostics)
        return True

    def expr(self, expr: ast.Expr, visible: Visible) -> None:
        match expr:
            case ast.Var(name=name, span=span):
                self.name(name, span, visible)
            case ast.IntLit() | ast.SizeLit() | ast.DomainLit() | ast.Const() | ast.Import():
                pass
            case ast.Str(parts=parts):
                for part in parts:
                    if not isinstance(part, str):
                        self.expr(part, visible)
            case ast.Select(target=target, path=path, default=default):
                self.expr(target, visible)
                self.keys(path, visible)
                if default is not None:
                    self.expr(default, visible)
            case ast.HasAttr(target=target, path=path):
                self.expr(target, visible)
                self.keys(path, visible)
            case ast.Apply(function=function, argument=argument):
                self.expr(function, visible)
                if type(function) is not ast.IntLit or not self.unit_after_number(expr, visible):
                    self.expr(argument, visible)
            case ast.Lambda(param=param, body=body):
                self.expr(body, self.parameters(param, visible))
            case ast.AttrSet(bindings=bindings, recursive=recursive):
                inner = (*visible, _bound_names(bindings)) if recursive else visible
                self.bindings(bindings, inner, visible)
            case ast.Let(bindings=bindings, body=body):
                inner = (*visible, _bound_names(bindings))
                self.bindings(bindings, inner, visible)
                self.expr(body, inner)
            case ast.ListExpr(items=items):
                for item in items:
                    self.expr(item, visible)
            case ast.If(condition=condition, then=then, otherwise=otherwise):
                for part in (condition, then, otherwise):
                    self.expr(part, visible)
            case ast.BinOp(left=left, right=right):
                self.expr(left, visible)
                self.expr(right, visible)
            case ast.Not(operand=operand) | ast.Negate(operand=operand):
                self.expr(operand, visible)
            case _:
                assert_never(expr)

    def parameters(self, param: str | ast.Pattern, visible: Visible) -> Visible:
        """The scope of a function's body; a pattern's defaults see every argument."""
        if isinstance(param, str):
            return (*visible, frozenset({param}))
        names = {formal.name for formal in param.formals}
        if param.bind_as is not None:
            names.add(param.bind_as)
        inner = (*visible, frozenset(names))
        for formal in param.formals:
            if formal.default is not None:
                self.expr(formal.default, inner)
        return inner


def free_names(expr: ast.Expr) -> frozenset[str]:
    """The names `expr` may read from the scope it is written in (those no `let`, `rec` set or
    parameter inside it binds).

    Over-approximate where the scope check is: inside a `let` or `rec` set with a computed
    name, every name counts as read from outside.  Merging asks it whether a profile's value
    reads a late-bound name (`model/sharing.py`); a name it misses would make two nodes share
    a value that differs, so it errs towards reading.
    """
    found: set[str] = set()
    _free(expr, frozenset(), found)
    return frozenset(found)


def _free(expr: ast.Expr, bound: frozenset[str], found: set[str]) -> None:
    match expr:
        case ast.Var(name=name):
            if name not in bound:
                found.add(name)
        case ast.IntLit() | ast.SizeLit() | ast.DomainLit() | ast.Const() | ast.Import():
            pass
        case ast.Str(parts=parts):
            for part in parts:
                if not isinstance(part, str):
                    _free(part, bound, found)
        case ast.Select(target=target, path=path, default=default):
            _free(target, bound, found)
            _free_keys(path, bound, found)
            if default is not None:
                _free(default, bound, found)
        case ast.HasAttr(target=target, path=path):
            _free(target, bound, found)
            _free_keys(path, bound, found)
        case ast.Apply(function=function, argument=argument):
            _free(function, bound, found)
            _free(argument, bound, found)
        case ast.Lambda(param=param, body=body):
            _free(body, _free_parameters(param, bound, found), found)
        case ast.AttrSet(bindings=bindings, recursive=recursive):
            _free_bindings(bindings, _inner(bindings, bound) if recursive else bound, bound, found)
        case ast.Let(bindings=bindings, body=body):
            inner = _inner(bindings, bound)
            _free_bindings(bindings, inner, bound, found)
            _free(body, inner, found)
        case ast.ListExpr(items=items):
            for item in items:
                _free(item, bound, found)
        case ast.If(condition=condition, then=then, otherwise=otherwise):
            for part in (condition, then, otherwise):
                _free(part, bound, found)
        case ast.BinOp(left=left, right=right):
            _free(left, bound, found)
            _free(right, bound, found)
        case ast.Not(operand=operand) | ast.Negate(operand=operand):
            _free(operand, bound, found)
        case _:
            assert_never(expr)


def _inner(bindings: tuple[ast.Binding, ...], bound: frozenset[str]) -> frozenset[str]:
    """The names bound inside a `let` or `rec` set; none added when one is computed (see `free_names`)."""
    names = _bound_names(bindings)
    return bound if names is None else bound | names


def _free_bindings(bindings: tuple[ast.Binding, ...], values: frozenset[str], inherits: frozenset[str],
                   found: set[str]) -> None:
    for binding in bindings:
        if isinstance(binding, ast.Bind):
            _free_keys(binding.path, values, found)
            _free(binding.value, values, found)
        elif binding.source is not None:
            _free(binding.source, values, found)
        else:
            found.update(key.name for key in binding.names if key.name not in inherits)


def _free_keys(path: tuple[ast.AttrKey, ...], bound: frozenset[str], found: set[str]) -> None:
    for key in path:
        if isinstance(key, ast.DynamicKey):
            _free(key.expr, bound, found)


def _free_parameters(param: str | ast.Pattern, bound: frozenset[str], found: set[str]) -> frozenset[str]:
    if isinstance(param, str):
        return bound | {param}
    names = {formal.name for formal in param.formals}
    if param.bind_as is not None:
        names.add(param.bind_as)
    inner = bound | names
    for formal in param.formals:
        if formal.default is not None:
            _free(formal.default, inner, found)
    return inner
