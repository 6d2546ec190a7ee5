"""Navigation and explanation: definition, references, rename, document symbols and hover.

Each answer is a pure function of the workspace index (the syntax of the
open and scanned files), and for hover of the analyses of the file and of
the open files importing it (their schemas and their sites' values).  An
attribute's hover is the schema's type, default and description, then what
`gwc explain` says of it for the entity the body configures, in the
concrete sites of those files: a node of a template site shows its value in
the sites extending it that are open.
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types as lsp

from gwlang.diagnostics import GwError, Span
from gwlang.eval.builtins import BuiltinSpec
from gwlang.lsp.analysis import Analysis, guarded
from gwlang.lsp.convert import location, span_range, uri_of
from gwlang.lsp.index import AttributeUse, Symbol, WorkspaceIndex
from gwlang.model.schema import SchemaRegistry
from gwlang.model.types import AttrsType, FieldSpec, NullableType, RecordType, Type, describe
from gwlang.syntax import ast
from gwlang.syntax.unparse import expression

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_'\-]*")
RENAMEABLE = ("profile", "node")


# ---------------------------------------------------------------- definition and references


def definition(index: WorkspaceIndex, path: Path, offset: int) -> list[lsp.Location]:
    imported = index.import_at(path, offset)
    if imported is not None:
        return [lsp.Location(uri_of(imported), lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))]
    symbol = index.at(path, offset)
    if symbol is None or symbol.span is None:
        return []
    return [location(symbol.span)]


def references(index: WorkspaceIndex, path: Path, offset: int, declaration: bool) -> list[lsp.Location]:
    symbol = index.at(path, offset)
    if symbol is None or symbol.span is None:
        return []
    spans = ([symbol.span] if declaration else []) + index.uses_of(symbol)
    return [location(span) for span in spans]


def prepare_rename(index: WorkspaceIndex, path: Path, offset: int) -> lsp.Range | None:
    symbol = index.at(path, offset)
    if symbol is None or symbol.kind not in RENAMEABLE or symbol.family:
        return None
    here = next((span for span in [symbol.span, *index.uses_of(symbol)]
                 if span and span.source.path == str(path) and span.start <= offset <= span.end), None)
    return span_range(here) if here else None


def rename(index: WorkspaceIndex, path: Path, offset: int, new_name: str) -> lsp.WorkspaceEdit | None:
    """Every declaration and use of a profile or node, in every indexed file; None if it is not one."""
    symbol = index.at(path, offset)
    if symbol is None or symbol.span is None or symbol.kind not in RENAMEABLE or symbol.family:
        return None
    if not IDENTIFIER.fullmatch(new_name):
        raise ValueError(f"`{new_name}` is not a name: a name starts with a letter or `_`")
    changes: dict[str, list[lsp.TextEdit]] = {}
    for span in [symbol.span, *index.uses_of(symbol)]:
        changes.setdefault(uri_of(span.source.path or span.source.name), []).append(
            lsp.TextEdit(span_range(span), new_name))
    return lsp.WorkspaceEdit(changes=changes)


# ---------------------------------------------------------------- document symbols


_SYMBOL_KINDS = {"site": lsp.SymbolKind.Namespace, "host": lsp.SymbolKind.Struct, "node": lsp.SymbolKind.Object,
                 "profile": lsp.SymbolKind.Class, "schema": lsp.SymbolKind.Interface, "let": lsp.SymbolKind.Variable}


def document_symbols(module: ast.Module) -> list[lsp.DocumentSymbol]:
    """Sites (with their hosts and nodes), profiles, schemas and top-level `let`s, in file order."""
    found = []
    for item in module.items:
        match item:
            case ast.SiteDecl(name=name, items=items):
                children = [_symbol("host" if isinstance(e, ast.HostDecl) else "node", e.name, e.span, _detail(e))
                            for e in items if isinstance(e, ast.HostDecl | ast.NodeDecl)]
                found.append(_symbol("site", name, item.span, _detail(item), children))
            case ast.ProfileDecl(name=name) | ast.SchemaDecl(name=name):
                kind = "profile" if isinstance(item, ast.ProfileDecl) else "schema"
                found.append(_symbol(kind, name, item.span, _detail(item)))
            case ast.LetItem(bindings=bindings):
                for binding in bindings:
                    if isinstance(binding, ast.Bind) and isinstance(binding.path[0], ast.StaticKey):
                        key = binding.path[0]
                        found.append(_symbol("let", ast.Name(key.name, key.span), binding.span, "let"))
    return found


def _symbol(kind: str, name: ast.Name, span: Span, detail: str,
            children: list[lsp.DocumentSymbol] | None = None) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(name=name.name, kind=_SYMBOL_KINDS[kind], range=span_range(span),
                              selection_range=span_range(name.span), detail=detail, children=children)


def _detail(item: ast.SiteDecl | ast.ProfileDecl | ast.SchemaDecl | ast.HostDecl | ast.NodeDecl) -> str:
    match item:
        case ast.SiteDecl(abstract=abstract, parents=parents) | ast.ProfileDecl(abstract=abstract, parents=parents):
            kind = "site" if isinstance(item, ast.SiteDecl) else "profile"
            extends = f" extends {', '.join(p.name for p in parents)}" if parents else ""
            return ("abstract " if abstract else "") + kind + extends
        case ast.NodeDecl(profiles=profiles):
            return "node" + (f" : {', '.join(p.name for p in profiles)}" if profiles else "")
        case ast.HostDecl():
            return "host"
        case _:
            return "schema"


# ---------------------------------------------------------------- hover


def hover(index: WorkspaceIndex, analyses: list[Analysis], schemas: SchemaRegistry | None,
          path: Path, offset: int) -> lsp.Hover | None:
    """`analyses`: the file's own first, then those of open files importing it (their sites' values)."""
    use = index.attribute_at(path, offset)
    span: Span | None
    if use is not None:
        text = attribute_hover(use, analyses, schemas)
        span = use.span
    else:
        symbol = index.at(path, offset)
        if symbol is None:
            return None
        text = symbol_hover(symbol)
        span = next((r.span for r in index.modules[path].references
                     if r.target is symbol and r.span.start <= offset <= r.span.end), symbol.span)
    if not text:
        return None
    shown = span_range(span) if span is not None and span.source.path == str(path) else None
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text), shown)


def symbol_hover(symbol: Symbol) -> str:
    """A builtin's signature and documentation; a declaration's own line and where it is."""
    if isinstance(symbol.declaration, BuiltinSpec):
        spec = symbol.declaration
        return (f"```gw\n{spec.signature}\n```\n\n{spec.doc}\n\n"
                f"`{spec.example}` gives `{spec.result}`\n\n(builtin)")
    if symbol.span is None:
        return ""
    source = symbol.span.source
    declared = getattr(symbol.declaration, "span", None)
    start = declared.start if isinstance(declared, Span) else symbol.span.start
    line, _ = source.line_column(start)
    shown = source.line_text(line).strip()
    return f"```gw\n{shown}\n```\n\n{symbol.kind} `{symbol.name}`, declared at `{symbol.span.location}`"


def field_at(schemas: SchemaRegistry, kind: str, path: tuple[str, ...]) -> FieldSpec | None:
    """The schema field a body's path names (None for a key of a `{K: T}` set, or no field)."""
    found = _walk(schemas, kind, path)
    return found[1] if found else None


def type_at(schemas: SchemaRegistry, kind: str, path: tuple[str, ...]) -> Type | None:
    """The type of what a body's path names: a field's, or the value type of a `{K: T}` set at a key."""
    found = _walk(schemas, kind, path)
    return found[0] if found else None


def _walk(schemas: SchemaRegistry, kind: str, path: tuple[str, ...]) -> tuple[Type, FieldSpec | None] | None:
    if kind not in schemas.records:
        return None
    current: Type = schemas.entity(kind)
    found: FieldSpec | None = None
    for name in path:
        while isinstance(current, NullableType):
            current = current.inner
        if isinstance(current, AttrsType):     # `name` is a key of the set: the path goes on in its value
            current, found = current.value, None
            continue
        if not isinstance(current, RecordType) or name not in current.fields:
            return None
        found = current.fields[name]
        current = found.type
    return current, found


def attribute_hover(use: AttributeUse, analyses: list[Analysis], schemas: SchemaRegistry | None) -> str:
    dotted = ".".join(use.path)
    parts = []
    spec = field_at(schemas, use.kind, use.path) if schemas else None
    kind = type_at(schemas, use.kind, use.path) if schemas else None
    if spec is not None:
        parts.append(f"`{use.kind}.{dotted}`: {describe(spec.type)}")
        if spec.default is not None:
            parts.append(f"default: `{expression(spec.default)}`")
        if spec.doc:
            parts.append(spec.doc)
    elif kind is not None:
        owner = ".".join(use.path[:-1])
        parts.append(f"`{use.kind}.{dotted}`: {describe(kind)} (`{use.path[-1]}` is a key of `{owner}`)")
    elif schemas is not None:
        parts.append(f"`{dotted}` is not declared in schema `{use.kind}`")
    if use.site is not None:
        parts.extend(_explained(analyses, use))
    return "\n\n".join(parts)


# Values shown in one hover, at most: a template site's node is in every site extending it.
SHOWN_SITES = 3


def _explained(analyses: list[Analysis], use: AttributeUse) -> list[str]:
    """What `gwc explain` says of the path for the entity, in the concrete sites of the analyses."""
    shown: dict[str, str] = {}
    for analysis in analyses:
        for site in analysis.site_names():
            if site in shown or len(shown) >= SHOWN_SITES:
                continue
            text = guarded(lambda site=site, analysis=analysis: _explain_in(analysis, use, site),
                           lambda problems: None)
            if text:
                shown[site] = f"in site `{site}`:\n```\n{text}\n```"
    return list(shown.values())


def _explain_in(analysis: Analysis, use: AttributeUse, site: str) -> str | None:
    from gwlang.model.explain import Target, explain
    try:
        entities = analysis.entities(site)
        if entities is None:
            return None
        if use.kind == "site":
            return explain(Target(site, entities.site, use.path))
        table = entities.nodes if use.kind == "node" else entities.hosts
        entity = str(use.entity)
        names = [name for name in table if name == entity
                 or (name.startswith(entity) and name[len(entity):].isdigit())]   # the first of a family
        return explain(Target(site, table[names[0]], use.path)) if names else None
    except GwError as failure:
        return f"cannot evaluate it in site `{site}`: {failure.diagnostics[0].message}"
