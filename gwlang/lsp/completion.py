"""Completion: what may be written at the cursor, read from the text before it.

While typing, the buffer rarely parses, so the place is recognised from the
text itself: after `:` in a node's header or after `extends`, a profile (or
a site); inside `after = [ ... ]`, the site's nodes; at the start of a
statement inside a profile, node, host or site body, the schema's
attributes (the fields of `vm` after `vm.`); anywhere else, the builtins
with their signatures and the names of the module.
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types as lsp

from gwlang.eval.builtins import REGISTRY
from gwlang.lsp.features import type_at
from gwlang.lsp.index import Symbol, WorkspaceIndex
from gwlang.model.schema import SchemaRegistry
from gwlang.model.types import NullableType, RecordType, describe
from gwlang.syntax.unparse import expression

_WORD = re.compile(r"[A-Za-z0-9_'\-.]*\Z")
_PROFILES_AFTER_COLON = re.compile(r"\bnode\s+[\w'\-]+(\[[^\]]*\])?\s*:\s*([\w'\-]+\s*,\s*)*[\w'\-]*\Z")
_EXTENDS = re.compile(r"\b(profile|site)\s+[\w'\-]+\s+extends\s+([\w'\-]+\s*,\s*)*[\w'\-]*\Z")
_AFTER_LIST = re.compile(r"\bafter\s*(\+=|=|\?=)\s*\[[^\]]*\Z")
_BODY_HEADER = re.compile(r"\b(profile|node|host|site)\b[^{};]*\Z")
_SITE_HEADER = re.compile(r"\bsite\s+([\w'\-]+)[^{]*\{")


def complete(text: str, offset: int, path: Path, index: WorkspaceIndex,
             schemas: SchemaRegistry | None) -> list[lsp.CompletionItem]:
    before = text[:offset]
    line = before[before.rfind("\n") + 1 :]
    if _PROFILES_AFTER_COLON.search(line):
        return _declared(index, path, "profile")
    extends = _EXTENDS.search(line)
    if extends:
        return _declared(index, path, extends.group(1))
    if _AFTER_LIST.search(before[max(before.rfind(";"), before.rfind("{")) + 1 :]):
        return _nodes(index, path, before)
    body = _enclosing_body(before)
    statement = before[max(before.rfind(";"), before.rfind("{"), before.rfind("}")) + 1 :]
    if body is not None and schemas is not None and re.fullmatch(r"\s*(final\s+)?[\w'\-.]*", statement):
        prefix = _WORD.search(statement)
        return _attributes(schemas, body, prefix.group() if prefix else "")
    return _builtins() + _declared(index, path, None)


def _enclosing_body(before: str) -> str | None:
    """The schema checking the body whose `{` is open at the cursor: `node` for profiles and nodes."""
    depth = 0
    for position in range(len(before) - 1, -1, -1):
        character = before[position]
        if character == "}":
            depth += 1
        elif character == "{":
            if depth == 0:
                header = _BODY_HEADER.search(before[: position])
                if header is None:
                    return None
                return "node" if header.group(1) == "profile" else header.group(1)
            depth -= 1
    return None


def _attributes(schemas: SchemaRegistry, kind: str, written: str) -> list[lsp.CompletionItem]:
    """The fields of the record the written path leads to (`vm.` -> `memory`, `vcpus`, ...)."""
    record = type_at(schemas, kind, tuple(written.split(".")[:-1]))
    while isinstance(record, NullableType):
        record = record.inner
    if not isinstance(record, RecordType):
        return []
    items = []
    for name, spec in record.fields.items():
        documentation = [spec.doc or ""]
        if spec.default is not None:
            documentation.append(f"default: `{expression(spec.default)}`")
        items.append(lsp.CompletionItem(
            label=name, kind=lsp.CompletionItemKind.Field, detail=describe(spec.type),
            documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, "\n\n".join(documentation).strip())))
    return items


def _builtins() -> list[lsp.CompletionItem]:
    return [lsp.CompletionItem(label=name, kind=lsp.CompletionItemKind.Function, detail=spec.signature,
                               documentation=lsp.MarkupContent(
                                   lsp.MarkupKind.Markdown,
                                   f"{spec.doc}\n\n`{spec.example}` gives `{spec.result}`"))
            for name, spec in sorted(REGISTRY.items())]


_ITEM_KINDS = {"profile": lsp.CompletionItemKind.Class, "site": lsp.CompletionItemKind.Module,
               "node": lsp.CompletionItemKind.Variable, "host": lsp.CompletionItemKind.Variable,
               "let": lsp.CompletionItemKind.Variable, "import": lsp.CompletionItemKind.Module,
               "schema": lsp.CompletionItemKind.Interface}


def _declared(index: WorkspaceIndex, path: Path, kind: str | None) -> list[lsp.CompletionItem]:
    """The names visible at the top of the file (of one kind); for a profile or site, also those of
    the other indexed files, after them, saying which file to import."""
    module = index.modules.get(path)
    visible = module.scope if module is not None else {}
    items = [_item(symbol) for name, symbol in sorted(visible.items())
             if symbol.kind != "builtin" and (kind is None or symbol.kind == kind)]
    if kind not in ("profile", "site"):
        return items
    elsewhere = {name: symbol for other in index.modules.values() if other is not module
                 for name, symbol in other.exports.items() if symbol.kind == kind and name not in visible}
    for name, symbol in sorted(elsewhere.items()):
        item = _item(symbol)
        item.detail = f"{symbol.kind}, needs `import` of {symbol.span.source.name if symbol.span else 'its file'}"
        item.sort_text = f"~{name}"
        items.append(item)
    return items


def _item(symbol: Symbol) -> lsp.CompletionItem:
    where = symbol.span.location if symbol.span else ""
    shown = symbol.span.source.line_text(symbol.span.source.line_column(symbol.span.start)[0]).strip() \
        if symbol.span else ""
    return lsp.CompletionItem(label=symbol.name, kind=_ITEM_KINDS.get(symbol.kind, lsp.CompletionItemKind.Text),
                              detail=f"{symbol.kind} ({where})",
                              documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, f"```gw\n{shown}\n```"))


def _nodes(index: WorkspaceIndex, path: Path, before: str) -> list[lsp.CompletionItem]:
    """The nodes of the site whose body the cursor is in (its parents' included)."""
    sites = list(_SITE_HEADER.finditer(before))
    module = index.modules.get(path)
    if not sites or module is None:
        return []
    site = module.own.get(sites[-1].group(1))
    if site is None or site.kind != "site":
        return []
    members = index.site_members(site)
    names = sorted({name for name, symbol in members.items() if symbol.kind == "node"
                    and (not symbol.family or name != symbol.name)})
    return [lsp.CompletionItem(label=name, kind=lsp.CompletionItemKind.Variable, detail="node")
            for name in names]
