"""A checked site to its bundle of artifacts: every emitter, declared in one table and run in one place.

`EMITTERS` says what each emitter is, which manifest kinds it produces and
what it runs over: each guest (those its `when` accepts), each host, the
whole site, or each guest again with that guest's files from the others (the
cloud-init pair is written from the overlay).  Paths are relative to the
site's folder; `emit_site` prefixes the site name, records the sources that
contributed, finishes with the site's `manifest.json` (every file with its
sha256) and hands on a `CompiledSite`, the bundle indexed for the runtime.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, assert_never

from gwlang.compiled import CompiledSite, index_artifacts
from gwlang.diagnostics import Diagnostic, GwError, error
from gwlang.emit.artifact import Artifact
from gwlang.emit.boot import boot_files
from gwlang.emit.configdisk import cloud_init_files, config_disk, wants_cloud_init
from gwlang.emit.filters import Unrepresentable
from gwlang.emit.guest import Guest, guest
from gwlang.emit.lcfg import profiles
from gwlang.emit.libvirt import libvirt_domains
from gwlang.emit.overlay import overlays
from gwlang.emit.packages import package_files
from gwlang.emit.reconfigure import reconfigure_files
from gwlang.emit.xen import xl_config
from gwlang.hypervisors import hypervisor
from gwlang.model.graph import BootOrder, boot_order, build_graph, to_dot
from gwlang.model.model import EntityModel, SiteModel
from gwlang.model.show import site_json


class Over(Enum):
    """What an emitter runs over, and so the arguments it takes."""
    GUEST = "each guest"                    # (guest)
    HOST = "each host"                      # (model, host, the host's guests, boot order)
    SITE = "the site"                       # (model, guests)
    GUEST_FILES = "each guest's files"      # (guest, the guest's artifacts from the emitters above)


@dataclass(frozen=True, slots=True)
class Emitter:
    """One emitter: its name, the manifest kinds it produces, what it runs over and for which guests."""
    name: str
    produces: tuple[str, ...]
    over: Over
    emit: Callable[..., Iterable[Artifact]]
    when: Callable[[Guest], bool] = lambda guest: True


def _native(config: str) -> Callable[[Guest], bool]:
    """The guests whose hypervisor takes `config` as its own config file (`xl.cfg` on Xen)."""
    return lambda guest: hypervisor(guest.hypervisor).native_config == config


def _xl_configs(guest: Guest) -> list[Artifact]:
    return [xl_config(guest)]


def _site_files(model: SiteModel, guests: list[Guest]) -> list[Artifact]:
    data = json.dumps(site_json(model), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return [Artifact("site.json", data, "site-json"),
            Artifact("graph.dot", to_dot(build_graph(model)), "graph")]


OVERLAY_KINDS = ("guest-network", "guest-hosts", "guest-resolver", "guest-hostname", "guest-file")

EMITTERS: tuple[Emitter, ...] = (
    # Run in this order; a guest's problems are reported in it too.
    Emitter("xl.cfg", ("xen-config",), Over.GUEST, _xl_configs, when=_native("xl.cfg")),
    Emitter("reconfigure", ("reconfigure-script",), Over.GUEST, reconfigure_files),
    Emitter("packages", ("package-list",), Over.GUEST, package_files),
    Emitter("libvirt", ("libvirt-domain",), Over.GUEST, libvirt_domains),
    Emitter("boot", ("boot-order", "boot-script", "systemd-unit"), Over.HOST, boot_files),
    Emitter("lcfg", ("lcfg-profile",), Over.SITE, profiles),
    Emitter("overlay", OVERLAY_KINDS, Over.SITE, overlays),
    Emitter("site", ("site-json", "graph"), Over.SITE, _site_files),
    Emitter("cloud-init", ("cloud-init-meta-data", "cloud-init-user-data"), Over.GUEST_FILES, cloud_init_files,
            when=wants_cloud_init),
)


def emit_site(model: SiteModel) -> CompiledSite:
    """Every artifact of one site, paths under `<site>/`, the manifest last, indexed for the runtime."""
    problems: list[Diagnostic] = []
    guests: list[Guest] = []
    for node in model.nodes.values():
        try:
            guests.append(guest(model, node))
        except GwError as failure:
            problems.extend(failure.diagnostics)
    try:
        boot = boot_order(model)
    except GwError as failure:      # a checked model has no cycle; a guard for models checked elsewhere
        raise GwError([*problems, *failure.diagnostics]) from None
    artifacts: list[Artifact] = []
    for emitter in EMITTERS:
        for arguments in _runs(emitter, model, guests, boot, artifacts):
            _collect(emitter.emit, arguments, artifacts, problems)
    if problems:
        raise GwError(problems)
    disks = {one.name: disk for one in guests
             if (disk := config_disk(one, [a for a in artifacts if a.node == one.name])) is not None}
    artifacts = [_with_sources(model, a) for a in artifacts]
    artifacts.sort(key=lambda a: a.path)
    artifacts.append(manifest(model, artifacts))
    named = tuple(replace(a, path=f"{model.name}/{a.path}") for a in artifacts)
    return CompiledSite(model, {one.name: one for one in guests}, boot, named, index_artifacts(model.name, named),
                        disks)


def _runs(emitter: Emitter, model: SiteModel, guests: list[Guest], boot: BootOrder,
          artifacts: Sequence[Artifact]) -> list[tuple[Any, ...]]:
    """The argument tuples `emitter` is called with, one call each."""
    match emitter.over:
        case Over.GUEST:
            return [(one,) for one in guests if emitter.when(one)]
        case Over.HOST:
            return [(model, host, [g for g in guests if g.host == host.name], boot) for host in model.hosts.values()]
        case Over.SITE:
            return [(model, guests)]
        case Over.GUEST_FILES:
            return [(one, [a for a in artifacts if a.node == one.name]) for one in guests if emitter.when(one)]
        case _:
            assert_never(emitter.over)


def _collect(produce: Callable[..., Iterable[Artifact]], arguments: tuple[Any, ...], artifacts: list[Artifact],
             problems: list[Diagnostic]) -> None:
    """Run one emitter; its problems join the others so one compile reports them all."""
    try:
        artifacts.extend(produce(*arguments))
    except GwError as failure:
        problems.extend(failure.diagnostics)
    except Unrepresentable as problem:
        # An emitter that did not check a value itself: still a diagnostic, at the entity.
        entity = next((a.entity if isinstance(a, Guest) else a for a in arguments
                       if isinstance(a, Guest | EntityModel)), None)
        span = entity.declared_at if entity is not None else None
        where = f"while writing the files of {entity.kind} `{entity.name}`" if entity is not None else ""
        problems.extend(error("E0601", str(problem), span, "in this declaration",
                              notes=[where] if where else []).diagnostics)



def _with_sources(model: SiteModel, artifact: Artifact) -> Artifact:
    if artifact.node is not None:
        sources = model.nodes[artifact.node].sources
    elif artifact.host is not None:
        sources = model.hosts[artifact.host].sources
        for node in model.nodes.values():
            if node.get("host") == artifact.host:
                sources = sources + node.sources
    else:
        sources = model.sources
    return replace(artifact, sources=tuple(sorted(set(sources))))


def manifest(model: SiteModel, artifacts: list[Artifact]) -> Artifact:
    files = [{"path": a.path, "sha256": a.sha256, "kind": a.kind, "host": a.host, "node": a.node,
              "sources": list(a.sources)} for a in artifacts]
    data = {"generator": "gwc", "site": model.name, "sources": sorted(set(model.sources)), "files": files}
    return Artifact("manifest.json", json.dumps(data, indent=2, sort_keys=True) + "\n", "manifest")
