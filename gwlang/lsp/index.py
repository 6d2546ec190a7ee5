"""What each name in the loaded modules declares or refers to, found from the syntax alone.

gw has no `with`, so every name resolves statically (as `eval/scopes.py`
relies on too): a module's own declarations and `let`s, then the names its
open imports bring, then the builtins; inside a site, its hosts and nodes
(its parents' included) come first.  A node or host declared again in a
site that extends another is the same entity, so its name there is a
reference to the first declaration: renaming one renames all.  The index
also records, for every attribute path written in a body, which entity kind
it configures, so hover can look the path up in the schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gwlang.diagnostics import Span
from gwlang.eval.builtins import REGISTRY
from gwlang.eval.modules import LoadedModule
from gwlang.syntax import ast

Scope = dict[str, "Symbol"]


@dataclass(eq=False)
class Symbol:
    """A declared name: a profile, site, host, node, schema, `let`, parameter, import alias or builtin."""
    kind: str
    name: str
    span: Span | None                 # the name where declared; None for a builtin
    declaration: object = None        # the syntax node declaring it
    path: Path | None = None          # the file declaring it
    family: tuple[str, ...] = ()      # the names of a node family (`wn01`, `wn02`)

    @property
    def key(self) -> tuple[str, int, str]:
        return (str(self.path), self.span.start if self.span else -1, self.name)


@dataclass(frozen=True)
class Reference:
    span: Span
    target: Symbol


@dataclass(frozen=True)
class AttributeUse:
    """An attribute path written in a body: `vm.memory` in node `ce` of site `gateway`."""
    span: Span                       # the last key of the path as far as this use goes
    path: tuple[str, ...]
    kind: str                        # the schema it is checked against: "node", "host" or "site"
    entity: str | None               # the node or host, None in a profile
    site: str | None                 # the site declaring the body, None in a profile


@dataclass
class ModuleIndex:
    loaded: LoadedModule
    own: Scope = field(default_factory=dict)          # declared at top level (aliases included)
    exports: Scope = field(default_factory=dict)      # what an open import of this module brings
    scope: Scope = field(default_factory=dict)        # every name visible at top level
    symbols: list[Symbol] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    attributes: list[AttributeUse] = field(default_factory=list)
    imports: list[tuple[Span, Path]] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.loaded.path


BUILTINS: Scope = {name: Symbol("builtin", name, None, spec) for name, spec in REGISTRY.items()}
# The late-bound names of bodies and schema defaults: the entity being compiled, not a declaration.
LATE: Scope = {name: Symbol("late", name, None) for name in ("node", "host", "site", "nodes", "hosts", "key")}


class WorkspaceIndex:
    """The indexes of every loaded module, resolved together (imports cross files)."""

    def __init__(self, modules: Iterable[LoadedModule]) -> None:
        self.modules: dict[Path, ModuleIndex] = {m.path: ModuleIndex(m) for m in modules}
        self._site_members: dict[int, Scope] = {}
        for index in self.modules.values():
            _declare(index)
        for index in self.modules.values():
            _open_imports(index, self.modules)
        for index in self.modules.values():
            _Resolver(self, index).module()

    def site_members(self, site: Symbol) -> Scope:
        """The hosts and nodes of a site, its parents' first; a name declared again refers to the first."""
        declaration = site.declaration
        assert isinstance(declaration, ast.SiteDecl)
        cached = self._site_members.get(id(declaration))
        if cached is not None:
            return cached
        members: Scope = {}
        self._site_members[id(declaration)] = members   # a cycle of sites sees what is known so far
        index = self.modules.get(site.path) if site.path else None
        if index is None:
            return members
        for parent in declaration.parents:
            found = index.scope.get(parent.name)
            if found is not None and found.kind == "site":
                members.update(self.site_members(found))
        for item in declaration.items:
            if isinstance(item, ast.HostDecl | ast.NodeDecl):
                kind = "host" if isinstance(item, ast.HostDecl) else "node"
                if item.name.name in members and members[item.name.name].kind == kind:
                    continue
                symbol = Symbol(kind, item.name.name, item.name.span, item, index.path, _family(item))
                members[item.name.name] = symbol
                for name in symbol.family:
                    members[name] = symbol
        return members

    def references(self) -> Iterator[Reference]:
        for index in self.modules.values():
            yield from index.references

    def at(self, path: Path, offset: int) -> Symbol | None:
        """The symbol declared or referred to at a place of a file."""
        index = self.modules.get(path)
        if index is None:
            return None
        for reference in index.references:
            if reference.span.start <= offset <= reference.span.end:
                return reference.target
        for symbol in index.symbols:
            if symbol.span and symbol.span.start <= offset <= symbol.span.end:
                return symbol
        return None

    def uses_of(self, symbol: Symbol) -> list[Span]:
        return [r.span for r in self.references() if r.target.key == symbol.key]

    def import_at(self, path: Path, offset: int) -> Path | None:
        index = self.modules.get(path)
        for span, target in index.imports if index else ():
            if span.start <= offset <= span.end:
                return target
        return None

    def attribute_at(self, path: Path, offset: int) -> AttributeUse | None:
        index = self.modules.get(path)
        for use in index.attributes if index else ():
            if use.span.start <= offset <= use.span.end:
                return use
        return None


def _family(node: ast.NodeDecl | ast.HostDecl) -> tuple[str, ...]:
    family = node.family if isinstance(node, ast.NodeDecl) else None
    if family is None:
        return ()
    return tuple(f"{node.name.name}{number:0{family.width}d}" for number in range(family.low, family.high + 1))


def _declare(index: ModuleIndex) -> None:
    """The module's top-level names: declarations, `let`s and import aliases."""
    kinds = {ast.ProfileDecl: "profile", ast.SiteDecl: "site", ast.SchemaDecl: "schema"}
    for item in index.loaded.module.items:
        if isinstance(item, ast.ImportItem):
            dependency = index.loaded.dependencies.get((item.target, item.search, ""))
            if dependency is not None:
                index.imports.append((item.span, dependency.path))
                if item.alias is not None:
                    _add(index, Symbol("import", item.alias.name, item.alias.span, item, index.path), export=False)
        elif isinstance(item, ast.LetItem):
            for symbol in _bound(item.bindings, "let", index.path):
                _add(index, symbol, export=True)
        else:
            _add(index, Symbol(kinds[type(item)], item.name.name, item.name.span, item, index.path), export=True)


def _add(index: ModuleIndex, symbol: Symbol, export: bool) -> None:
    index.own.setdefault(symbol.name, symbol)
    index.symbols.append(symbol)
    if export:
        index.exports.setdefault(symbol.name, symbol)


def _open_imports(index: ModuleIndex, modules: dict[Path, ModuleIndex]) -> None:
    imported: Scope = {}
    for item in index.loaded.module.items:
        if isinstance(item, ast.ImportItem) and item.alias is None:
            dependency = index.loaded.dependencies.get((item.target, item.search, ""))
            if dependency is not None and dependency.path in modules:
                imported.update(modules[dependency.path].exports)
    index.scope = {**BUILTINS, **imported, **index.own}


def _bound(bindings: Iterable[ast.Binding], kind: str, path: Path) -> list[Symbol]:
    """The names a `let` or `rec` set binds (`a.b = ...` binds `a`)."""
    symbols = []
    for binding in bindings:
        if isinstance(binding, ast.Bind) and isinstance(binding.path[0], ast.StaticKey):
            key = binding.path[0]
            symbols.append(Symbol(kind, key.name, key.span, binding, path))
    return symbols


class _Resolver:
    """Walks one module's syntax with the names visible at each point, recording references."""

    def __init__(self, workspace: WorkspaceIndex, index: ModuleIndex) -> None:
        self.workspace = workspace
        self.index = index

    def refer(self, name: str, span: Span, scopes: list[Scope], kinds: tuple[str, ...] = ()) -> None:
        for scope in reversed(scopes):
            found = scope.get(name)
            if found is not None and (not kinds or found.kind in kinds):
                if found.kind != "late":
                    self.index.references.append(Reference(span, found))
                return

    def module(self) -> None:
        top = [self.index.scope]
        module = self.index.loaded.module
        if module.body is not None:
            self.expr(module.body, top)
        for item in module.items:
            match item:
                case ast.LetItem(bindings=bindings):
                    self.bindings(bindings, top, top)
                case ast.SchemaDecl(fields=fields):
                    for schema_field in fields:
                        if schema_field.default is not None:
                            self.expr(schema_field.default, [*top, LATE])
                case ast.ProfileDecl(parents=parents, body=body):
                    for parent in parents:
                        self.refer(parent.name, parent.span, top, ("profile",))
                    self.statements(body, [*top, LATE], "node", None, None)
                case ast.SiteDecl():
                    self.site(item, top)
                case ast.ImportItem():
                    pass

    def site(self, item: ast.SiteDecl, top: list[Scope]) -> None:
        for parent in item.parents:
            self.refer(parent.name, parent.span, top, ("site",))
        symbol = self.index.own.get(item.name.name)
        members = self.workspace.site_members(symbol) if symbol and symbol.declaration is item else {}
        inner = [*top, members, LATE]
        site = item.name.name
        for entry in item.items:
            if isinstance(entry, ast.HostDecl | ast.NodeDecl):
                declared = members.get(entry.name.name)
                if declared is not None and declared.declaration is entry:
                    self.index.symbols.append(declared)
                elif declared is not None:
                    self.index.references.append(Reference(entry.name.span, declared))
                if isinstance(entry, ast.NodeDecl):
                    for profile in entry.profiles or ():
                        self.refer(profile.name, profile.span, top, ("profile",))
                    self.statements(entry.body, inner, "node", entry.name.name, site)
                else:
                    self.statements(entry.body, inner, "host", entry.name.name, site)
            else:
                self.statements((entry,), inner, "site", None, site)

    def statements(self, statements: Iterable[ast.Statement], scopes: list[Scope], kind: str,
                   entity: str | None, site: str | None) -> None:
        for statement in statements:
            if isinstance(statement, ast.Define):
                self.attribute_path(statement.path, (), statement.value, kind, entity, site, scopes)
                self.expr(statement.value, scopes)
            else:
                self.expr(statement.condition, scopes)
                self.expr(statement.message, scopes)

    def attribute_path(self, keys: tuple[ast.AttrKey, ...], prefix: tuple[str, ...], value: ast.Expr | None,
                       kind: str, entity: str | None, site: str | None, scopes: list[Scope]) -> None:
        """Record each key of a body's path; a set written as the value continues the path inside it."""
        path = prefix
        for key in keys:
            if not isinstance(key, ast.StaticKey):
                self.expr(key.expr, scopes)
                return
            path = (*path, key.name)
            self.index.attributes.append(AttributeUse(key.span, path, kind, entity, site))
        if isinstance(value, ast.AttrSet) and not value.recursive:
            for binding in value.bindings:
                if isinstance(binding, ast.Bind):
                    self.attribute_path(binding.path, path, binding.value, kind, entity, site, scopes)

    def bindings(self, bindings: Iterable[ast.Binding], values: list[Scope], inherits: list[Scope]) -> None:
        for binding in bindings:
            if isinstance(binding, ast.Bind):
                for key in binding.path:
                    if isinstance(key, ast.DynamicKey):
                        self.expr(key.expr, values)
                self.expr(binding.value, values)
            elif binding.source is not None:
                self.expr(binding.source, values)
            else:
                for name in binding.names:
                    self.refer(name.name, name.span, inherits)

    def local(self, bindings: tuple[ast.Binding, ...], kind: str) -> Scope:
        symbols = _bound(bindings, kind, self.index.path)
        self.index.symbols.extend(symbols)
        return {symbol.name: symbol for symbol in symbols}

    def expr(self, expr: ast.Expr, scopes: list[Scope]) -> None:
        match expr:
            case ast.Var(name=name, span=span):
                self.refer(name, span, scopes)
            case ast.IntLit() | ast.SizeLit() | ast.DomainLit() | ast.Const() | ast.Import():
                pass
            case ast.Str(parts=parts):
                for part in parts:
                    if not isinstance(part, str):
                        self.expr(part, scopes)
            case ast.Select(target=target, default=default):
                self.expr(target, scopes)
                if default is not None:
                    self.expr(default, scopes)
            case ast.HasAttr(target=target):
                self.expr(target, scopes)
            case ast.Apply(function=function, argument=argument):
                self.expr(function, scopes)
                self.expr(argument, scopes)
            case ast.Lambda(param=param, body=body):
                self.expr(body, [*scopes, self.parameters(expr, param, scopes)])
            case ast.AttrSet(bindings=bindings, recursive=recursive):
                inner = [*scopes, self.local(bindings, "let")] if recursive else scopes
                self.bindings(bindings, inner, scopes)
            case ast.Let(bindings=bindings, body=body):
                inner = [*scopes, self.local(bindings, "let")]
                self.bindings(bindings, inner, scopes)
                self.expr(body, inner)
            case ast.ListExpr(items=items):
                for item in items:
                    self.expr(item, scopes)
            case ast.If(condition=condition, then=then, otherwise=otherwise):
                for part in (condition, then, otherwise):
                    self.expr(part, scopes)
            case ast.BinOp(left=left, right=right):
                self.expr(left, scopes)
                self.expr(right, scopes)
            case ast.Not(operand=operand) | ast.Negate(operand=operand):
                self.expr(operand, scopes)

    def parameters(self, function: ast.Lambda, param: str | ast.Pattern, scopes: list[Scope]) -> Scope:
        """A function's parameters; a plain one is written first, so its span starts the function's."""
        if isinstance(param, str):
            start = function.span.start
            symbol = Symbol("parameter", param, Span(function.span.source, start, start + len(param)),
                            function, self.index.path)
            self.index.symbols.append(symbol)
            return {param: symbol}
        names: Scope = {}
        for formal in param.formals:
            names[formal.name] = Symbol("parameter", formal.name, formal.span, formal, self.index.path)
        self.index.symbols.extend(names.values())
        for formal in param.formals:
            if formal.default is not None:
                self.expr(formal.default, [*scopes, names])
        return names
