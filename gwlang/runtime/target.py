"""What a site should look like on its hosts, read from the `CompiledSite` and nothing else.

For each host: its libvirt URI and storage folder; for each guest: its
domain XML (as compiled, with its `<gw:hash>`), the volumes of its disks,
the config disk's files and their hash, its autostart flag, its `after`
list and start order.  Plain frozen data: the planner needs nothing else.
Every fact here was decided when compiling (the guests, the start orders,
the domain and its hash, what a config disk carries); this module only
puts them into the shapes the planner reads.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from gwlang.compiled import CompiledSite
from gwlang.emit.configdisk import DiskFile
from gwlang.hypervisors import hypervisor

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
    image: tuple[OverlayFile, ...]          # what the image holds at its root: `files` on ext4, cloud-init's pair

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


def site_target(compiled: CompiledSite, connect: str | None = None, hosts: Sequence[str] = ()) -> SiteTarget:
    """The site as it should be; `connect` replaces every host's URI, `hosts` keeps only those hosts."""
    model = compiled.model
    targets = []
    outside = []
    for name, host in sorted(model.hosts.items()):
        kind: str = host.get("hypervisor")
        # A host without `uri` is the local one, reached through the driver of its hypervisor.
        uri = connect or host.get("uri") or hypervisor(kind).default_uri
        order = compiled.boot.hosts[name]
        if hosts and name not in hosts:
            outside += [OutsideNode(node, name, uri) for node in sorted(order)]
            continue
        nodes = tuple(_node(compiled, node) for node in order)
        targets.append(HostTarget(name, uri, kind, host.get("storage"), nodes))
    return SiteTarget(model.name, tuple(targets), tuple(outside))


def _node(compiled: CompiledSite, name: str) -> NodeTarget:
    g = compiled.guests[name]
    domain = compiled.artifact("libvirt-domain", name)
    volumes = tuple(Volume(posixpath.dirname(disk.path), posixpath.basename(disk.path), disk.size.bytes,
                           disk.format, disk.image) for disk in g.disks)
    return NodeTarget(name=g.name, host=g.host, uuid=g.uuid, xml=domain.text, hash=domain.hash,
                      autostart=g.autostart, after=g.after,
                      xen_cap=g.cpu_cap if hypervisor(g.hypervisor).cap_at_start else 0,
                      volumes=volumes, config_disk=_config_disk(compiled, name), hostname=g.hostname, fqdn=g.fqdn)


def _config_disk(compiled: CompiledSite, name: str) -> ConfigDisk | None:
    contents = compiled.config_disks.get(name)
    if contents is None:
        return None
    g = compiled.guests[name]
    files = _files(contents.files)
    return ConfigDisk(contents.format, posixpath.dirname(contents.path), posixpath.basename(contents.path), files,
                      overlay_hash(contents.format, g.uuid, g.hostname, files), _files(contents.image))


def _files(files: Sequence[DiskFile]) -> tuple[OverlayFile, ...]:
    return tuple(OverlayFile(file.path, file.mode, file.data) for file in files)


def overlay_hash(format: str, uuid: str, hostname: str, files: Sequence[OverlayFile]) -> str:
    """The sha256 of everything a config disk image is built from: equal hashes, identical images.

    On NoCloud, `files` are the overlay that the cloud-init pair is written
    from (with `uuid` and `hostname`), so the pair need not be hashed again.
    """
    digest = hashlib.sha256(f"{CONFIG_DISK_BUILDER}\0{format}\0{uuid}\0{hostname}\0".encode())
    for file in files:
        digest.update(f"{file.path}\0{file.mode:o}\0{len(file.data)}\0".encode())
        digest.update(file.data)
    return digest.hexdigest()
