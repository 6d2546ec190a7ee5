"""A small LSP client over a subprocess's pipes: `gwc lsp` started as an editor starts it.

Requests and results are lsprotocol's types, (un)structured by its
converter; messages are framed with `Content-Length` as on the wire.  A
reader thread sorts what the server sends into responses (by id) and
notifications (published diagnostics by URI), so a test waits for exactly
what it expects, with a timeout that turns a hang into a failure.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from lsprotocol.converters import get_converter

CONVERTER = get_converter()
TIMEOUT = 60.0


class LspClient:
    def __init__(self, root: Path, cwd: Path) -> None:
        environment = {**os.environ, "PYTHONPATH": str(cwd)}
        self.process = subprocess.Popen([sys.executable, "-m", "gwlang", "lsp"], cwd=cwd, env=environment,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.responses: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.diagnostics: queue.Queue[lsp.PublishDiagnosticsParams] = queue.Queue()
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.next_id = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        result = self.request("initialize", lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(), root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(root.as_uri(), root.name)]))
        self.capabilities = CONVERTER.structure(result, lsp.InitializeResult).capabilities
        self.notify("initialized", lsp.InitializedParams())

    # -- the wire ------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            message = json.loads(stream.read(length))
            self._sort(message)

    def _sort(self, message: dict[str, Any]) -> None:
        if "id" in message and "method" in message:            # a request from the server: accept it
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
        elif "id" in message:
            self._queue(message["id"]).put(message)
        elif message.get("method") == "textDocument/publishDiagnostics":
            self.diagnostics.put(CONVERTER.structure(message["params"], lsp.PublishDiagnosticsParams))
        else:
            self.messages.append(message)

    def _queue(self, number: int) -> queue.Queue[dict[str, Any]]:
        with self.lock:
            return self.responses.setdefault(number, queue.Queue())

    def request(self, method: str, params: Any) -> Any:
        """The result of a request (unstructured JSON); an error response raises `LspError`."""
        self.next_id += 1
        number = self.next_id
        self._send({"jsonrpc": "2.0", "id": number, "method": method, "params": CONVERTER.unstructure(params)})
        response = self._queue(number).get(timeout=TIMEOUT)
        if "error" in response:
            raise LspError(response["error"]["message"])
        return response.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": CONVERTER.unstructure(params)})

    # -- what tests use ---------------------------------------------------------------------

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        self.notify("textDocument/didOpen", lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
            uri, "gw", 1, path.read_text() if text is None else text)))
        return uri

    def change(self, uri: str, text: str, version: int) -> None:
        self.notify("textDocument/didChange", lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version, uri),
            [lsp.TextDocumentContentChangeWholeDocument(text)]))

    def diagnostics_for(self, uri: str, wanted: Any = None) -> list[lsp.Diagnostic]:
        """The next diagnostics published for `uri` (for which `wanted(diagnostics)` holds, if given)."""
        while True:
            published = self.diagnostics.get(timeout=TIMEOUT)
            if published.uri == uri and (wanted is None or wanted(published.diagnostics)):
                return list(published.diagnostics)

    def call(self, method: str, params: Any, result_type: Any) -> Any:
        return CONVERTER.structure(self.request(method, params), result_type)

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()


class LspError(Exception):
    """The server answered a request with an error."""


def position_of(text: str, needle: str, skip: int = 0, occurrence: int = 0) -> lsp.Position:
    """The position `skip` characters into the `occurrence`-th (0-based) place `needle` is in `text`."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    at = start + skip
    line = text.count("\n", 0, at)
    return lsp.Position(line, at - (text.rfind("\n", 0, at) + 1))
