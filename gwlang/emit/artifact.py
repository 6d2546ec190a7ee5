"""What an emitter produces: a file's path in the output folder, its text, and what it is for."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Artifact:
    """One generated file. `path` is relative to the output folder, `/`-separated."""
    path: str
    text: str
    kind: str
    host: str | None = None
    node: str | None = None
    sources: tuple[str, ...] = ()
    executable: bool = False
    private: bool = False           # readable by its owner only (netplan's files, see overlay.py)
    digest: str | None = None       # the hash the runtime compares, when not the file's sha256 (`<gw:hash>`)
    # The sha256 once asked for: the manifest, the index, the writer and the build records all ask.
    _sha256: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def mode(self) -> int:
        """The permissions of the written file: in the output folder, a node's image and its config disk."""
        if self.executable:
            return 0o755
        return 0o600 if self.private else 0o644

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")

    @property
    def sha256(self) -> str:
        found = self._sha256
        if found is None:
            found = hashlib.sha256(self.data).hexdigest()
            object.__setattr__(self, "_sha256", found)
        return found

    @property
    def hash(self) -> str:
        """What names this file's meaning for the runtime: its `digest` if it has one, else its sha256."""
        return self.digest if self.digest is not None else self.sha256
