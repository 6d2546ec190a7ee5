"""What a site should look like on its hosts, read from the compiled artifacts and the model.

For each host: its libvirt URI and storage folder; for each guest: its
domain XML (as compiled, with its `<gw:hash>`), the volumes of its disks,
the config disk's files and their hash, its autostart flag, its `after`
list and start order.  Plain frozen data: the planner needs nothing else.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from gwlang.emit.artifact import Artifact
from gwlang.emit.guest import Guest, guest
from gwlang.emit.lcfg import profile_path
from gwlang.model.graph import start_order
from gwlang.model.model import SiteModel

DEFAULT_URIS = {"xen": "xen:///system", "kvm": "qemu:///system", "qemu": "qemu:///system"}
"""A host without `uri` is the local one, reached through the driver of its hypervisor."""

CONFIG_DISK_BUILDER = "gwc-config-disk/1"
"""Part of every config disk's hash: bumped when the image builder changes what it writes."""


@dataclass(frozen=True, slots=True)
class Volume:
    """One disk's volume: `name` in the `dir` pool of `folder`, `capacity` bytes, copied from `image` if set."""
    folder: str
    name: str
    capacity: int
    format: str
    image: str | None

    @property
    def path(self) -> str:
        return posixpath.join(self.folder, self.name)


@dataclass(frozen=True, slots=True)
class OverlayFile:
    """A file the config disk carries: its path inside the guest (no leading `/`), mode and bytes."""
    path: str
    mode: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ConfigDisk:
    """The read-only disk carrying the node's overlay; `hash` names its content (files, format, builder)."""
    format: str
    folder: str
    name: str
    files: tuple[OverlayFile, ...]
    hash: str

    @property
    def path(self) -> str:
        return posixpath.join(self.folder, self.name)


@dataclass(frozen=True, slots=True)
class NodeTarget:
    """One guest as it should be on its host."""
    name: str
    host: str
    uuid: str
    xml: str
    hash: str
    autostart: bool
    after: tuple[str, ...]
    xen_cap: int
    volumes: tuple[Volume, ...]
    config_disk: ConfigDisk | None
    hostname: str
    fqdn: str


@dataclass(frozen=True, slots=True)
class HostTarget:
    """One host: where to reach it and its guests in start order."""
    name: str
    uri: str
    hypervisor: str
    storage: str
    nodes: tuple[NodeTarget, ...]


@dataclass(frozen=True, slots=True)
class OutsideNode:
    """A node on a host left out of this run (`--host`): where to read its state when a node waits for it."""
    name: str
    host: str
    uri: str


@dataclass(frozen=True, slots=True)
class SiteTarget:
    site: str
    hosts: tuple[HostTarget, ...]
    outside: tuple[OutsideNode, ...] = ()

    def node(self, name: str) -> NodeTarget | None:
        return next((node for host in self.hosts for node in host.nodes if node.name == name), None)

    @property
    def nodes(self) -> dict[str, NodeTarget]:
        return {node.name: node for host in self.hosts for node in host.nodes}


def site_target(model: SiteModel, artifacts: Sequence[Artifact], connect: str | None = None,
                hosts: Sequence[str] = ()) -> SiteTarget:
    """The site as it should be; `connect` replaces every host's URI, `hosts` keeps only those hosts."""
    # Artifacts are named as in the output folder, under the site's own folder.
    prefix = f"{model.name}/"
    artifacts = [replace(a, path=a.path[len(prefix):]) for a in artifacts if a.path.startswith(prefix)]
    by_path = {artifact.path: artifact for artifact in artifacts}
    targets = []
    outside = []
    for name, host in sorted(model.hosts.items()):
        hypervisor: str = host.get("hypervisor")
        uri = connect or host.get("uri") or DEFAULT_URIS[hypervisor]
        if hosts and name not in hosts:
            outside += [OutsideNode(node, name, uri) for node in sorted(model.nodes)
                        if model.nodes[node].get("host") == name]
            continue
        guests = [guest(model, model.nodes[node]) for node in start_order(model, name)]
        nodes = tuple(_node(g, by_path, artifacts) for g in guests)
        targets.append(HostTarget(name, uri, hypervisor, host.get("storage"), nodes))
    return SiteTarget(model.name, tuple(targets), tuple(outside))


def _node(g: Guest, by_path: Mapping[str, Artifact], artifacts: Sequence[Artifact]) -> NodeTarget:
    domain = by_path[f"hosts/{g.host}/libvirt/{g.name}.xml"]
    volumes = tuple(Volume(posixpath.dirname(disk.path), posixpath.basename(disk.path), disk.size.bytes,
                           disk.format, disk.image) for disk in g.disks)
    return NodeTarget(name=g.name, host=g.host, uuid=g.uuid, xml=domain.text, hash=_domain_hash(domain.text),
                      autostart=g.autostart, after=g.after, xen_cap=g.cpu_cap if g.hypervisor == "xen" else 0,
                      volumes=volumes, config_disk=_config_disk(g, by_path, artifacts),
                      hostname=g.hostname, fqdn=g.fqdn)


def _domain_hash(xml: str) -> str:
    start = xml.index("<gw:hash>") + len("<gw:hash>")
    return xml[start:xml.index("</gw:hash>", start)]


def _config_disk(g: Guest, by_path: Mapping[str, Artifact], artifacts: Sequence[Artifact]) -> ConfigDisk | None:
    if g.config_disk is None:
        return None
    prefix = f"nodes/{g.name}/overlay/"
    files = [OverlayFile(a.path[len(prefix):], a.mode, a.data)
             for a in artifacts if a.path.startswith(prefix)]
    if g.config_disk.format == "ext4":
        profile = by_path.get(f"nodes/{g.name}/profile.xml")
        if profile is not None:
            files.append(OverlayFile(profile_path(g), 0o644, profile.data))
    ordered = tuple(sorted(files, key=lambda f: f.path))
    path = g.config_disk.path
    return ConfigDisk(g.config_disk.format, posixpath.dirname(path), posixpath.basename(path), ordered,
                      overlay_hash(g.config_disk.format, g.uuid, g.hostname, ordered))


def overlay_hash(format: str, uuid: str, hostname: str, files: Sequence[OverlayFile]) -> str:
    """The sha256 of everything a config disk image is built from: equal hashes, identical images."""
    digest = hashlib.sha256(f"{CONFIG_DISK_BUILDER}\0{format}\0{uuid}\0{hostname}\0".encode())
    for file in files:
        digest.update(f"{file.path}\0{file.mode:o}\0{len(file.data)}\0".encode())
        digest.update(file.data)
    return digest.hexdigest()
