"""`gwc lsp`: the language server, on pygls, over stdin and stdout.

Edits are debounced: a file is analysed once typing pauses for
`DEBOUNCE_SECONDS`, and at once when a request needs its answer.  Each open
file is analysed as the program's input (`analysis.py`), and the files open
in the editor that imported a changed one are analysed again, so an edit to
a profile shows its effect on the sites using it.  A diagnostic is
published to the file it points into; the diagnostics of a file are those
every open file's analysis found there.  Navigation reads an index of the
open files and the `.gw` files under the workspace folder, built again
after an edit when next needed.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from gwlang import __version__
from gwlang.diagnostics import GwError, Source, Span
from gwlang.lsp import completion, features
from gwlang.lsp.analysis import Analysis, analyse
from gwlang.lsp.convert import diagnostic_uri, offset, path_of, span_range, to_lsp, uri_of
from gwlang.lsp.documents import Documents
from gwlang.lsp.index import WorkspaceIndex
from gwlang.model.schema import SchemaRegistry
from gwlang.session import Session

DEBOUNCE_SECONDS = 0.15
SCAN_LIMIT = 2000           # `.gw` files indexed under the workspace folder, at most
SKIPPED_FOLDERS = {".git", ".venv", "node_modules", "generated", "__pycache__"}


class GwServer(LanguageServer):
    def __init__(self, include: tuple[str, ...] = ()) -> None:
        super().__init__("gwc", __version__)
        self.include = include
        self.documents = Documents()
        self.analyses: dict[Path, Analysis] = {}
        self.found: dict[Path, dict[str, list[lsp.Diagnostic]]] = {}   # analysed file -> uri -> diagnostics
        self.pending: dict[Path, asyncio.TimerHandle] = {}
        self.schemas: SchemaRegistry | None = None
        self._index: WorkspaceIndex | None = None
        self._scanned: list[Path] | None = None

    # -- buffers and analyses --------------------------------------------------------

    def changed(self, path: Path, text: str | None, delay: float) -> None:
        """A buffer opened or edited (`text`), or closed (None): analyse it, or what imports it, soon."""
        self._index = None
        if text is not None:
            self.documents.open[path] = text
            self.schedule(path, delay)
            return
        self.documents.open.pop(path, None)
        self.documents.good.pop(path, None)
        self.cancel(path)
        dependents = self.dependents(path)
        self.forget(path)
        for other in dependents:       # they read the file from the disk again
            self.schedule(other, delay)

    def schedule(self, path: Path, delay: float) -> None:
        self.cancel(path)
        self.pending[path] = asyncio.get_running_loop().call_later(delay, self.refresh, path)

    def cancel(self, path: Path) -> None:
        handle = self.pending.pop(path, None)
        if handle is not None:
            handle.cancel()

    def dependents(self, path: Path) -> list[Path]:
        """The open files whose last analysis read `path`."""
        return [other for other, analysis in self.analyses.items()
                if other != path and other in self.documents.open and path in analysis.read]

    def refresh(self, path: Path) -> None:
        """Analyse a file and the open files importing it; publish what changed."""
        self.cancel(path)
        for target in [path, *self.dependents(path)]:
            self.cancel(target)
            try:
                analysis = analyse(target, self.documents, self.include)
            except Exception as fault:
                # A bug of gwc, not of the sources: said once in the editor's log, and the server goes on.
                self.window_log_message(lsp.LogMessageParams(
                    lsp.MessageType.Error, f"gwc: internal error analysing {target}: {type(fault).__name__}: {fault}"))
                continue
            self.analyses[target] = analysis
            if analysis.program is not None:
                self.schemas = analysis.program.schemas
            self.publish(target, analysis)

    def current(self, path: Path) -> Analysis | None:
        """The analysis of a file as it is now: a pending one is run at once."""
        if path in self.pending:
            self.refresh(path)
        return self.analyses.get(path)

    def publish(self, root: Path, analysis: Analysis) -> None:
        fallback_uri = uri_of(root)
        fallback = lsp.Location(fallback_uri, lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))
        grouped: dict[str, list[lsp.Diagnostic]] = {fallback_uri: []}
        for diagnostic in analysis.diagnostics:
            grouped.setdefault(diagnostic_uri(diagnostic, fallback_uri), []).append(to_lsp(diagnostic, fallback))
        previous = self.found.get(root, {})
        self.found[root] = grouped
        for uri in {*previous, *grouped}:
            self.send(uri)

    def forget(self, path: Path) -> None:
        self.analyses.pop(path, None)
        for uri in self.found.pop(path, {}):
            self.send(uri)

    def send(self, uri: str) -> None:
        shown: list[lsp.Diagnostic] = []
        for by_uri in self.found.values():
            for diagnostic in by_uri.get(uri, []):
                if diagnostic not in shown:
                    shown.append(diagnostic)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=shown))

    # -- the index ---------------------------------------------------------------------

    def index(self) -> WorkspaceIndex:
        if self._index is None:
            session = Session(self.include)
            loader = self.documents.loader(session.loader.search, session.evaluator, last_good=True)
            for path in [*self.documents.open, *self.scanned()]:
                # A file that does not load has its diagnostics from its analysis; the others are still indexed.
                with contextlib.suppress(GwError, OSError):
                    loader.load_file(path)
            self._index = WorkspaceIndex(loader.modules.values())
        return self._index

    def scanned(self) -> list[Path]:
        if self._scanned is None:
            root = self.workspace.root_path
            self._scanned = _gw_files(Path(root)) if root else []
        return self._scanned

    def place(self, document: lsp.TextDocumentIdentifier, where: lsp.Position) -> tuple[Path, int] | None:
        path = path_of(document.uri)
        if path is None:
            return None
        return path, offset(self.text(path), where)

    def text(self, path: Path) -> str:
        try:
            return self.documents.text(path)
        except OSError:
            return ""


def _gw_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for path in sorted(root.rglob("*.gw")):
        if len(found) >= SCAN_LIMIT:
            break
        if not SKIPPED_FOLDERS.intersection(path.relative_to(root).parts) and path.is_file():
            found.append(path.resolve())
    return found


def build_server(include: tuple[str, ...] = ()) -> GwServer:
    server = GwServer(include)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: GwServer, params: lsp.DidOpenTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path is not None:
            ls.changed(path, params.text_document.text, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: GwServer, params: lsp.DidChangeTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path is not None:
            ls.changed(path, ls.workspace.get_text_document(params.text_document.uri).source, DEBOUNCE_SECONDS)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: GwServer, params: lsp.DidCloseTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path is not None:
            ls.changed(path, None, 0)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: GwServer, params: lsp.HoverParams) -> lsp.Hover | None:
        place = ls.place(params.text_document, params.position)
        if place is None:
            return None
        analysis = ls.current(place[0])
        schemas = analysis.program.schemas if analysis and analysis.program else ls.schemas
        importers = [ls.analyses[other] for other in ls.dependents(place[0]) if other in ls.analyses]
        return features.hover(ls.index(), [analysis, *importers] if analysis else importers, schemas, *place)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: GwServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        place = ls.place(params.text_document, params.position)
        return features.definition(ls.index(), *place) if place else []

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: GwServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        place = ls.place(params.text_document, params.position)
        return features.references(ls.index(), *place, params.context.include_declaration) if place else []

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls: GwServer, params: lsp.PrepareRenameParams) -> lsp.Range | None:
        place = ls.place(params.text_document, params.position)
        return features.prepare_rename(ls.index(), *place) if place else None

    @server.feature(lsp.TEXT_DOCUMENT_RENAME)
    def rename(ls: GwServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        place = ls.place(params.text_document, params.position)
        return features.rename(ls.index(), *place, params.new_name) if place else None

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: GwServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        path = path_of(params.text_document.uri)
        module = ls.index().modules.get(path) if path else None
        return features.document_symbols(module.loaded.module) if module else []

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=[".", ":", "[", " "]))
    def complete(ls: GwServer, params: lsp.CompletionParams) -> list[lsp.CompletionItem]:
        place = ls.place(params.text_document, params.position)
        if place is None:
            return []
        analysis = ls.current(place[0])
        schemas = analysis.program.schemas if analysis and analysis.program else ls.schemas
        return completion.complete(ls.text(place[0]), place[1], place[0], ls.index(), schemas)

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: GwServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
        path = path_of(params.text_document.uri)
        if path is None:
            return []
        text = ls.text(path)
        from gwlang.fmt import format_text  # `gwc fmt`'s own function: no layout rules of the server's
        try:
            formatted = format_text(text, str(path))
        except GwError:         # a buffer that does not parse: its diagnostics are shown already
            return []
        if formatted == text:
            return []
        return [lsp.TextEdit(span_range(Span(Source(str(path), text), 0, len(text))), formatted)]

    return server


def serve(include: tuple[str, ...] = ()) -> None:
    build_server(include).start_io()
