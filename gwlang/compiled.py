"""One compiled site as the compiler hands it on: the model, its guests, its boot order and its files, indexed.

`emit_site` makes it; `gwc compile` writes its artifacts, and the runtime
(`runtime/target.py`) reads everything it needs from it: each guest's
facts, each host's start order, a domain's definition and hash, what a
config disk carries.  Nothing after compile derives these again, so the
runtime cannot disagree with the files in the output folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gwlang.emit.artifact import Artifact
from gwlang.emit.configdisk import ConfigDiskContents
from gwlang.emit.guest import Guest
from gwlang.model.graph import BootOrder
from gwlang.model.model import SiteModel

Key = tuple[str, str]
"""An artifact's place in the index: its kind, and the node, host or site it belongs to."""


@dataclass(frozen=True, slots=True)
class CompiledSite:
    """A checked site and everything compiled from it; `artifacts` are named as in the output folder."""
    model: SiteModel
    guests: Mapping[str, Guest]                     # by node name, in the model's order
    boot: BootOrder                                 # start orders per host and across the site
    artifacts: tuple[Artifact, ...]                 # paths under `<site>/`, the manifest last
    index: Mapping[Key, tuple[Artifact, ...]]
    config_disks: Mapping[str, ConfigDiskContents]  # by node name, for the nodes that have one

    @property
    def name(self) -> str:
        return self.model.name

    def artifact(self, kind: str, owner: str) -> Artifact:
        """The one artifact of `kind` belonging to node or host `owner` (a node's domain, a host's boot order)."""
        [found] = self.index[kind, owner]
        return found

    def hash(self, kind: str, owner: str) -> str:
        """What the runtime compares for that artifact: a domain's `<gw:hash>`, otherwise the file's sha256."""
        return self.artifact(kind, owner).hash


def index_artifacts(site: str, artifacts: Iterable[Artifact]) -> dict[Key, tuple[Artifact, ...]]:
    """Artifacts by kind and owner: the node if they belong to one, else the host, else the site."""
    index: dict[Key, list[Artifact]] = {}
    for artifact in artifacts:
        index.setdefault((artifact.kind, artifact.node or artifact.host or site), []).append(artifact)
    return {key: tuple(found) for key, found in index.items()}
