"""The editor's view of the files: unsaved buffers over the disk, and parsed texts cached by digest.

A keystroke changes one buffer; every other module a site imports is the
same text as before, so its parse is looked up by the digest of its text
instead of being parsed again.  The loader reads an open buffer where the
disk file would be read, for the file being edited and for every module it
imports that the editor has open.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from gwlang.diagnostics import GwError, Source
from gwlang.eval.evaluator import Evaluator
from gwlang.eval.modules import ModuleLoader, SearchPath, display_name
from gwlang.syntax import ast
from gwlang.syntax.parse_cache import parse

# A parse is kept per (file, text digest): the file name is part of the key because spans
# carry their `Source`, whose name diagnostics show.
_Key = tuple[str, str]


class ParseCache:
    """Parsed modules (or the syntax errors of a text) by file and content digest."""

    def __init__(self, limit: int = 512) -> None:
        self.limit = limit
        self.entries: dict[_Key, tuple[Source, ast.Module | GwError]] = {}
        self.hits = 0
        self.misses = 0

    def parsed(self, path: Path, text: str) -> tuple[Source, ast.Module]:
        key = (str(path), hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest())
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            source = Source(display_name(path), text, str(path))
            try:
                entry = (source, parse(source))
            except GwError as failure:
                entry = (source, failure)
            if len(self.entries) >= self.limit:
                self.entries.pop(next(iter(self.entries)))   # the oldest: edits make old texts useless
            self.entries[key] = entry
        else:
            self.hits += 1
        source, module = entry
        if isinstance(module, GwError):
            raise GwError(module.diagnostics)
        return source, module


class Documents:
    """The open buffers by resolved path, and the parse cache shared by every analysis."""

    def __init__(self) -> None:
        self.open: dict[Path, str] = {}
        self.good: dict[Path, str] = {}     # the last text of each open buffer that parsed
        self.cache = ParseCache()

    def text(self, path: Path) -> str:
        """The buffer if the editor has the file open, else the file on disk."""
        buffer = self.open.get(path)
        return buffer if buffer is not None else path.read_text(encoding="utf-8")

    def loader(self, search: SearchPath, evaluator: Evaluator, last_good: bool = False) -> BufferLoader:
        """A loader reading the buffers; with `last_good`, a buffer that does not parse is read as it
        last did, or as saved (navigation and completion go on while a line is half typed)."""
        return BufferLoader(search, evaluator, self, last_good)


class BufferLoader(ModuleLoader):
    """A module loader reading the editor's buffers and the parse cache."""

    def __init__(self, search: SearchPath, evaluator: Evaluator, documents: Documents, last_good: bool) -> None:
        super().__init__(search, evaluator)
        self.documents = documents
        self.last_good = last_good
        self.read: set[Path] = set()    # every file asked for, also those that then failed to parse

    def read_text(self, path: Path) -> str:
        self.read.add(path)
        return self.documents.text(path)

    def parse_text(self, path: Path, text: str) -> tuple[Source, ast.Module]:
        documents = self.documents
        try:
            parsed = documents.cache.parsed(path, text)
        except GwError:
            if not self.last_good:
                raise
            good = documents.good.get(path)
            return documents.cache.parsed(path, good if good is not None else path.read_text(encoding="utf-8"))
        if documents.open.get(path) == text:
            documents.good[path] = text
        return parsed
