"""A checked site to its bundle of artifacts: every emitter, composed in one visible place.

Emitters are a registry: per guest, per host, per site.  Each returns
artifacts with paths relative to the site's folder; `emit_site` prefixes the
site name, records the sources that contributed and finishes with the
site's `manifest.json`, which lists every file with its sha256.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from gwlang.diagnostics import Diagnostic, GwError, error
from gwlang.emit.artifact import Artifact
from gwlang.emit.boot import boot_files
from gwlang.emit.filters import Unrepresentable
from gwlang.emit.guest import Guest, guest
from gwlang.emit.lcfg import profiles
from gwlang.emit.libvirt import libvirt_domains
from gwlang.emit.overlay import overlays
from gwlang.emit.packages import package_files
from gwlang.emit.reconfigure import reconfigure_files
from gwlang.emit.xen import xl_config
from gwlang.model.graph import build_graph, to_dot
from gwlang.model.model import EntityModel, SiteModel
from gwlang.model.show import site_json

GuestEmitter = Callable[[Guest], Iterable[Artifact]]
HostEmitter = Callable[[SiteModel, EntityModel, list[Guest]], Iterable[Artifact]]
SiteEmitter = Callable[[SiteModel, list[Guest]], Iterable[Artifact]]


def _xen(guest: Guest) -> Iterable[Artifact]:
    if guest.hypervisor == "xen":
        yield xl_config(guest)


GUEST_EMITTERS: list[GuestEmitter] = [_xen]
HOST_EMITTERS: list[HostEmitter] = []
SITE_EMITTERS: list[SiteEmitter] = []
HOST_EMITTERS.append(boot_files)
SITE_EMITTERS.append(profiles)
GUEST_EMITTERS.append(reconfigure_files)
GUEST_EMITTERS.append(package_files)
SITE_EMITTERS.append(overlays)


def register_guest(emitter: GuestEmitter) -> GuestEmitter:
    GUEST_EMITTERS.append(emitter)
    return emitter


def register_host(emitter: HostEmitter) -> HostEmitter:
    HOST_EMITTERS.append(emitter)
    return emitter


def register_site(emitter: SiteEmitter) -> SiteEmitter:
    SITE_EMITTERS.append(emitter)
    return emitter


register_guest(libvirt_domains)


def emit_site(model: SiteModel) -> list[Artifact]:
    """Every artifact of one site, paths under `<site>/`, the manifest last."""
    problems: list[Diagnostic] = []
    guests: list[Guest] = []
    for node in model.nodes.values():
        try:
            guests.append(guest(model, node))
        except GwError as failure:
            problems.extend(failure.diagnostics)
    artifacts: list[Artifact] = []
    for emit_guest in GUEST_EMITTERS:
        for one in guests:
            _collect(emit_guest, (one,), artifacts, problems)
    for emit_host in HOST_EMITTERS:
        for host in model.hosts.values():
            _collect(emit_host, (model, host, [g for g in guests if g.host == host.name]), artifacts, problems)
    for emit_whole in [*SITE_EMITTERS, _site_files]:
        _collect(emit_whole, (model, guests), artifacts, problems)
    if problems:
        raise GwError(problems)
    artifacts = [_with_sources(model, a) for a in artifacts]
    artifacts.sort(key=lambda a: a.path)
    artifacts.append(manifest(model, artifacts))
    return [replace(a, path=f"{model.name}/{a.path}") for a in artifacts]


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


def _site_files(model: SiteModel, guests: list[Guest]) -> list[Artifact]:
    data = json.dumps(site_json(model), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return [Artifact("site.json", data, "site-json"),
            Artifact("graph.dot", to_dot(build_graph(model)), "graph")]


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
