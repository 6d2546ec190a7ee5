"""Between gw's places and the protocol's: spans to ranges, diagnostics to LSP diagnostics, URIs to paths.

Spans count characters (code points); the protocol counts UTF-16 code units
by default, so a column is converted on the line it is on.  A diagnostic
keeps the CLI's code, its primary label's place and message; its secondary
labels, notes and help line become related information, so an editor shows
every part `gwc check` prints.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp

from gwlang.diagnostics import Diagnostic, Severity, Source, Span


def path_of(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path)).resolve()


def uri_of(path: Path | str) -> str:
    return Path(path).resolve().as_uri()


def position(source: Source, offset: int) -> lsp.Position:
    line, column = source.line_column(min(offset, len(source.text)))
    before = source.text[source.line_starts[line - 1] : source.line_starts[line - 1] + column - 1]
    return lsp.Position(line - 1, len(before.encode("utf-16-le")) // 2)


def offset(text: str, where: lsp.Position) -> int:
    """The character offset of a protocol position in `text` (past the end: the end)."""
    lines = text.split("\n")
    if where.line >= len(lines):
        return len(text)
    start = sum(len(line) + 1 for line in lines[: where.line])
    line = lines[where.line]
    units = 0
    for index, character in enumerate(line):
        if units >= where.character:
            return start + index
        units += 2 if ord(character) > 0xFFFF else 1
    return start + len(line)


def span_range(span: Span) -> lsp.Range:
    return lsp.Range(position(span.source, span.start), position(span.source, span.end))


def location(span: Span) -> lsp.Location:
    return lsp.Location(uri_of(span.source.path or span.source.name), span_range(span))


def to_lsp(diagnostic: Diagnostic, fallback: lsp.Location) -> lsp.Diagnostic:
    """One CLI diagnostic; one without a place is shown at `fallback` (the start of the file analysed)."""
    primary = location(diagnostic.primary.span) if diagnostic.primary else fallback
    message = diagnostic.message
    if diagnostic.primary and diagnostic.primary.message:
        message += f"\n{diagnostic.primary.message}"
    related = [lsp.DiagnosticRelatedInformation(location(label.span), label.message or "also here")
               for label in diagnostic.secondary]
    related += [lsp.DiagnosticRelatedInformation(primary, f"note: {note}") for note in diagnostic.notes]
    if diagnostic.help:
        related.append(lsp.DiagnosticRelatedInformation(primary, f"help: {diagnostic.help}"))
    severity = lsp.DiagnosticSeverity.Error if diagnostic.severity is Severity.ERROR else lsp.DiagnosticSeverity.Warning
    return lsp.Diagnostic(range=primary.range, message=message, severity=severity, code=diagnostic.code,
                          source="gwc", related_information=related or None)


def diagnostic_uri(diagnostic: Diagnostic, fallback: str) -> str:
    if diagnostic.primary is None:
        return fallback
    source = diagnostic.primary.span.source
    return uri_of(source.path) if source.path else fallback
