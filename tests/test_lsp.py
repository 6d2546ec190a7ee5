"""`gwc lsp` through a real client: the server started as `python -m gwlang lsp`, spoken to over its pipes.

Every test opens the example site `sites/tcd.gw` or a stdlib file, asks
what an editor asks, and closes what it opened (the server is shared by
the module's tests).  Edits live in the editor's buffers only: the files on
disk are never changed.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from tests.support.lsp_client import LspClient, LspError, position_of

ROOT = Path(__file__).resolve().parent.parent
TCD = ROOT / "sites" / "tcd.gw"
UCC = ROOT / "sites" / "ucc.gw"
GATEWAY = ROOT / "stdlib" / "grid" / "gateway.gw"
ROLES = ROOT / "stdlib" / "grid" / "roles.gw"
VERSIONS = itertools.count(2)


@pytest.fixture(scope="module")
def client() -> Iterator[LspClient]:
    started = LspClient(ROOT, ROOT)
    try:
        yield started
    finally:
        started.close()
    assert started.process.returncode == 0


@pytest.fixture
def opened(client: LspClient) -> Iterator[list[str]]:
    """The URIs a test opened, closed after it so the next test sees the disk again."""
    uris: list[str] = []
    yield uris
    for uri in uris:
        client.notify("textDocument/didClose", lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
    # The server handles messages in order: once a request is answered, the closes have published their
    # (empty) diagnostics, which are dropped so that the next test reads only its own.
    client.request("textDocument/documentSymbol", lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(TCD.as_uri())))
    while not client.diagnostics.empty():
        client.diagnostics.get_nowait()


def open_file(client: LspClient, opened: list[str], path: Path, text: str | None = None) -> str:
    uri = client.open(path, text)
    opened.append(uri)
    return uri


def at(uri: str, text: str, needle: str, skip: int = 0, occurrence: int = 0) -> lsp.TextDocumentPositionParams:
    return lsp.TextDocumentPositionParams(lsp.TextDocumentIdentifier(uri),
                                          position_of(text, needle, skip, occurrence))


def hover_text(client: LspClient, where: lsp.TextDocumentPositionParams) -> str:
    result = client.call("textDocument/hover", lsp.HoverParams(where.text_document, where.position),
                         lsp.Hover | None)
    assert result is not None
    assert isinstance(result.contents, lsp.MarkupContent)
    return result.contents.value


def definition(client: LspClient, where: lsp.TextDocumentPositionParams) -> list[tuple[str, int]]:
    """Where a definition request leads: (file name, 1-based line) of each location."""
    found = client.call("textDocument/definition", lsp.DefinitionParams(where.text_document, where.position),
                        list[lsp.Location])
    return [(Path(location.uri).name, location.range.start.line + 1) for location in found]


def line_of(path: Path, needle: str) -> int:
    return path.read_text().splitlines().index(next(l for l in path.read_text().splitlines() if needle in l)) + 1


# ---------------------------------------------------------------- diagnostics


def test_a_clean_site_has_no_diagnostics(client: LspClient, opened: list[str]) -> None:
    uri = open_file(client, opened, TCD)
    assert client.diagnostics_for(uri) == []


def test_a_broken_buffer_shows_the_cli_diagnostic(client: LspClient, opened: list[str], tmp_path: Path) -> None:
    broken = TCD.read_text().replace("network.gateway = 192.0.2.1;", "network.gateway = 192.0.2.1")
    uri = open_file(client, opened, TCD, broken)
    shown = client.diagnostics_for(uri, lambda found: found)
    copy = tmp_path / "tcd.gw"
    copy.write_text(broken)
    cli = subprocess.run([sys.executable, "-m", "gwlang", "check", str(copy), "--error-format", "json"],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert cli.returncode == 1
    expected = json.loads(cli.stdout)
    assert [d.code for d in shown] == [d["code"] for d in expected] == ["E0102"]
    diagnostic, wanted = shown[0], expected[0]
    assert diagnostic.message.splitlines()[0] == wanted["message"]
    assert (diagnostic.range.start.line + 1, diagnostic.range.start.character + 1) == \
        (wanted["primary"]["line"], wanted["primary"]["column"])
    related = [info.message for info in diagnostic.related_information or ()]
    assert [f"note: {note}" for note in wanted["notes"]] == [m for m in related if m.startswith("note: ")]
    assert wanted["secondary"][0]["message"] in related
    assert TCD.read_text() != broken          # the buffer, not the disk


def test_an_unsaved_imported_module_is_read_from_its_buffer(client: LspClient, opened: list[str]) -> None:
    site = open_file(client, opened, TCD)
    assert client.diagnostics_for(site) == []
    text = GATEWAY.read_text()
    gateway = open_file(client, opened, GATEWAY, text.replace("cpus = 4;", "cpus = 0;"))
    # The site's analysis, run again because a module it imports changed, finds the error in the gateway.
    shown = client.diagnostics_for(gateway, lambda found: found)
    assert [d.code for d in shown] == ["E0401"]
    assert shown[0].range.start.line + 1 == line_of(GATEWAY, "cpus = 4;")
    assert "cpus" in shown[0].message


# ---------------------------------------------------------------- hover


def test_hover_on_an_attribute_shows_schema_and_value(client: LspClient, opened: list[str]) -> None:
    text = UCC.read_text()
    uri = open_file(client, opened, UCC)
    shown = hover_text(client, at(uri, text, "vm.memory = 2GiB", skip=3))
    assert "`node.vm.memory`: a size of at least 16MiB" in shown  # the schema's type,
    assert "default: `512MiB`" in shown                         # its default
    assert "Guest memory." in shown                             # and its description
    assert "ucc.ce.vm.memory = 2GiB" in shown                   # the evaluated value for that node
    assert f"sites/ucc.gw:{line_of(UCC, 'node ce {')}" in shown  # where it was defined
    assert "(profile `ce`)" in shown                            # and what it overrode
    gateway_text = GATEWAY.read_text()
    gateway = open_file(client, opened, GATEWAY)
    template = hover_text(client, at(gateway, gateway_text, "cpus = 4", skip=1))
    assert "`host.cpus`: an integer from 1 to 4096" in template
    assert "in site `ucc`" in template and "ucc.gw.cpus = 4" in template   # through the open site extending it


def test_hover_on_names_shows_declarations_and_builtins(client: LspClient, opened: list[str]) -> None:
    text = GATEWAY.read_text()
    uri = open_file(client, opened, GATEWAY)
    profile = hover_text(client, at(uri, text, ": installserver", skip=3))
    assert "profile installserver extends base {" in profile
    assert f"roles.gw:{line_of(ROLES, 'profile installserver')}" in profile
    builtin = hover_text(client, at(uri, text, "hostIn", skip=1))
    assert "hostIn" in builtin and "(builtin)" in builtin
    node = hover_text(client, at(uri, text, "after = [ install ]", skip=11))
    assert "node install : installserver" in node
    key = hover_text(client, at(uri, text, "xenbr0", skip=2))          # a key of a `{string: bridge}` set
    assert "`host.bridges.xenbr0`: a `bridge` record" in key


# ---------------------------------------------------------------- definition and references


def test_go_to_definition(client: LspClient, opened: list[str]) -> None:
    text = TCD.read_text()
    uri = open_file(client, opened, TCD)
    assert definition(client, at(uri, text, "extends gateway", skip=9)) == \
        [("gateway.gw", line_of(GATEWAY, "abstract site gateway"))]
    assert definition(client, at(uri, text, "host gw", skip=5)) == [("gateway.gw", line_of(GATEWAY, "host gw"))]
    assert definition(client, at(uri, text, "<grid/gateway.gw>", skip=3)) == [("gateway.gw", 1)]
    gateway_text = GATEWAY.read_text()
    gateway = open_file(client, opened, GATEWAY)
    assert definition(client, at(gateway, gateway_text, "after = [ install ]", skip=11)) == \
        [("gateway.gw", line_of(GATEWAY, "node install"))]
    assert definition(client, at(gateway, gateway_text, "host = gw", skip=7)) == \
        [("gateway.gw", line_of(GATEWAY, "host gw {"))]
    assert definition(client, at(gateway, gateway_text, ": wn", skip=2)) == \
        [("roles.gw", line_of(ROLES, "profile wn "))]
    roles_text = ROLES.read_text()
    roles = open_file(client, opened, ROLES)
    assert definition(client, at(roles, roles_text, "device-for host", skip=2)) == \
        [("roles.gw", line_of(ROLES, "let device-for"))]


def test_find_references(client: LspClient, opened: list[str]) -> None:
    text = GATEWAY.read_text()
    uri = open_file(client, opened, GATEWAY)
    where = at(uri, text, "node install", skip=6)
    found = client.call("textDocument/references", lsp.ReferenceParams(
        text_document=where.text_document, position=where.position,
        context=lsp.ReferenceContext(include_declaration=True)), list[lsp.Location])
    places = {(Path(location.uri).name, location.range.start.line + 1) for location in found}
    lines = [number for number, line in enumerate(text.splitlines(), 1) if "install" in line and "node" in line]
    here = {place for place in places if place[0] == "gateway.gw"}
    assert here == {("gateway.gw", number) for number in lines}     # the declaration and three `after`s
    assert ("itb.gw", line_of(ROOT / "sites" / "itb.gw", "node install {")) in places  # a site extending it


# ---------------------------------------------------------------- completion


def completions(client: LspClient, uri: str, text: str, needle: str) -> dict[str, lsp.CompletionItem]:
    """What is offered at the end of `needle` in the buffer, once it holds `text`."""
    client.change(uri, text, next(VERSIONS))
    where = position_of(text, needle, len(needle))
    found = client.call("textDocument/completion",
                        lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), where),
                        list[lsp.CompletionItem])
    return {item.label: item for item in found}


def test_completion(client: LspClient, opened: list[str]) -> None:
    text = TCD.read_text().replace('host gw { uri = "xen+ssh://root@gw.tcd.example.ie/system"; }',
                                   'host gw { mem }\n  node extra : \n  node late { after = [ ')
    uri = open_file(client, opened, TCD, text)
    attributes = completions(client, uri, text, "host gw { mem")
    assert "memory" in attributes and "hypervisor" in attributes and "domain" not in attributes
    assert attributes["memory"].detail is not None and "size" in attributes["memory"].detail
    assert isinstance(attributes["memory"].documentation, lsp.MarkupContent)
    assert "physical memory" in attributes["memory"].documentation.value
    profiles = completions(client, uri, text, "node extra : ")
    assert {"ce", "installserver", "wn"} <= set(profiles)
    nodes = completions(client, uri, text, "after = [ ")
    assert {"install", "ce", "wn01", "wn02"} <= set(nodes) and "gw" not in nodes
    site = completions(client, uri, text, "site tcd extends gateway {\n  ")
    assert "network" in site and "ntp" in site
    nested = completions(client, uri, text.replace("ntp = [", "network.su ntp = ["), "network.su")
    assert "subnet" in nested
    keyed = text.replace("host gw { mem }", "host gw { bridges.br1. }")
    assert set(completions(client, uri, keyed, "bridges.br1.")) == {"interface"}   # inside a set's value
    builtins = completions(client, uri, text, "network.subnet = ")
    assert builtins["hostIn"].detail is not None and builtins["hostIn"].detail.startswith("hostIn")


# ---------------------------------------------------------------- symbols and rename


def test_document_symbols(client: LspClient, opened: list[str]) -> None:
    uri = open_file(client, opened, GATEWAY)
    found = client.call("textDocument/documentSymbol",
                        lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri)), list[lsp.DocumentSymbol])
    assert [(s.name, s.kind) for s in found] == [("gateway", lsp.SymbolKind.Namespace)]
    children = [(child.name, child.kind, child.detail) for child in found[0].children or ()]
    assert children[0] == ("gw", lsp.SymbolKind.Struct, "host")
    assert ("install", lsp.SymbolKind.Object, "node : installserver") in children
    assert [name for name, _, _ in children] == ["gw", "install", "ce", "se", "ui", "wn"]
    roles = open_file(client, opened, ROLES)
    found = client.call("textDocument/documentSymbol",
                        lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(roles)), list[lsp.DocumentSymbol])
    assert ("base", lsp.SymbolKind.Class) in [(s.name, s.kind) for s in found]
    assert ("device-for", lsp.SymbolKind.Variable) in [(s.name, s.kind) for s in found]


def test_rename_a_profile_across_files(client: LspClient, opened: list[str]) -> None:
    text = ROLES.read_text()
    uri = open_file(client, opened, ROLES)
    where = at(uri, text, "profile wn ", skip=9)
    edit = client.call("textDocument/rename", lsp.RenameParams(where.text_document, where.position, "worker"),
                       lsp.WorkspaceEdit)
    changes = {uri.removeprefix(ROOT.as_uri() + "/"): edits for uri, edits in (edit.changes or {}).items()}
    assert len(changes["stdlib/grid/roles.gw"]) == 1
    assert len(changes["stdlib/grid/gateway.gw"]) == 1      # `node wn[01..02] : wn`
    assert len(changes["sites/ucc.gw"]) == 1                # `node wn[03..04] : wn`
    assert {e.new_text for edits in changes.values() for e in edits} == {"worker"}
    gateway_line = changes["stdlib/grid/gateway.gw"][0].range
    assert GATEWAY.read_text().splitlines()[gateway_line.start.line][
        gateway_line.start.character:gateway_line.end.character] == "wn"
    with pytest.raises(LspError):
        client.request("textDocument/rename", lsp.RenameParams(where.text_document, where.position, "9lives"))


def test_rename_a_node(client: LspClient, opened: list[str]) -> None:
    text = GATEWAY.read_text()
    uri = open_file(client, opened, GATEWAY)
    where = at(uri, text, "after = [ install ]", skip=11)
    edit = client.call("textDocument/rename", lsp.RenameParams(where.text_document, where.position, "installer"),
                       lsp.WorkspaceEdit)
    edits = (edit.changes or {})[uri]
    assert len(edits) == 4
    lines = text.splitlines()
    assert {lines[e.range.start.line][e.range.start.character:e.range.end.character] for e in edits} == {"install"}


# ---------------------------------------------------------------- formatting


def test_formatting_goes_through_gwc_fmt(client: LspClient, opened: list[str]) -> None:
    from gwlang.fmt import format_text
    text = TCD.read_text().replace("ntp = [", "ntp   =   [")
    uri = open_file(client, opened, TCD, text)
    found = client.call("textDocument/formatting", lsp.DocumentFormattingParams(
        lsp.TextDocumentIdentifier(uri), lsp.FormattingOptions(2, True)), list[lsp.TextEdit])
    assert len(found) == 1
    assert found[0].new_text == format_text(text, str(TCD)) == TCD.read_text()   # the repo's files are formatted
