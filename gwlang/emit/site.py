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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, assert_never

from gwlang.compiled import CompiledSite, index_artifacts
from gwlang.diagnostics import Diagnostic, GwError, error
from gwlang.emit.artifact import Artifact
from gwlang.emit.boot import boot_files
from gwlang.emit.configdisk import cloud_init_files, config_disk, wants_cloud_init
from gwlang.emit.filters import Unrepresentable
from gwlang.emit.guest import Guest, guest
from gwlang.emit.jsontext import dumps
from gwlang.emit.lcfg import profiles
from gwlang.emit.libvirt import libvirt_domains
from gwlang.emit.overlay import overlays
from gwlang.emit.packages import package_files
from gwlang.emit.reconfigure import reconfigure_files
from gwlang.emit.xen import xl_config
from gwlang.hypervisors import hypervisor
from gwlang.model.graph import BootOrder, boot_order, build_graph, to_dot
from gwlang.model.model import EntityModel, SiteModel
from gwlang.model.show import site_data


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
    data = dumps(site_data(model), ensure_ascii=False) + "\n"
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
    own = _by_node(artifacts)
    disks = {one.name: disk for one in guests if (disk := config_disk(one, own.get(one.name, []))) is not None}
    named = _finished(model, artifacts)
    named.append(_named(model.name, manifest(model, named)))
    return CompiledSite(model, {one.name: one for one in guests}, boot, tuple(named),
                        index_artifacts(model.name, named), disks)


def _runs(emitter: Emitter, model: SiteModel, guests: list[Guest], boot: BootOrder,
          artifacts: list[Artifact]) -> list[tuple[Any, ...]]:
    """The argument tuples `emitter` is called with, one call each."""
    match emitter.over:
        case Over.GUEST:
            return [(one,) for one in guests if emitter.when(one)]
        case Over.HOST:
            on_host: dict[str, list[Guest]] = {}
            for one in guests:
                on_host.setdefault(one.host, []).append(one)
            return [(model, host, on_host.get(host.name, []), boot) for host in model.hosts.values()]
        case Over.SITE:
            return [(model, guests)]
        case Over.GUEST_FILES:
            own = _by_node(artifacts)
            return [(one, own.get(one.name, [])) for one in guests if emitter.when(one)]
        case _:
            assert_never(emitter.over)


def _by_node(artifacts: Iterable[Artifact]) -> dict[str, list[Artifact]]:
    """Each node's artifacts, in one pass (a site of a thousand nodes has tens of thousands)."""
    own: dict[str, list[Artifact]] = {}
    for artifact in artifacts:
        if artifact.node is not None:
            own.setdefault(artifact.node, []).append(artifact)
    return own


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



def _finished(model: SiteModel, artifacts: list[Artifact]) -> list[Artifact]:
    """The artifacts named under `<site>/`, each with the sources of what it belongs to, in path order."""
    nodes, hosts, site = _sources(model)
    return sorted((_named(model.name, a, nodes[a.node] if a.node is not None
                          else hosts[a.host] if a.host is not None else site) for a in artifacts),
                  key=lambda a: a.path)


Sources = tuple[str, ...]


def _sources(model: SiteModel) -> tuple[dict[str, Sources], dict[str, Sources], Sources]:
    """The sorted sources of each node, of each host (with those of its nodes) and of the site."""
    on_host: dict[str, set[str]] = {name: set(host.sources) for name, host in model.hosts.items()}
    for node in model.nodes.values():
        on_host[node.get("host")].update(node.sources)
    return ({name: tuple(sorted(set(node.sources))) for name, node in model.nodes.items()},
            {name: tuple(sorted(found)) for name, found in on_host.items()}, tuple(sorted(set(model.sources))))


def _named(site: str, artifact: Artifact, sources: tuple[str, ...] | None = None) -> Artifact:
    """`artifact` at its path in the output folder (under `<site>/`), with `sources` when given."""
    return Artifact(f"{site}/{artifact.path}", artifact.text, artifact.kind, artifact.host, artifact.node,
                    artifact.sources if sources is None else sources, artifact.executable, artifact.private,
                    artifact.digest)


def manifest(model: SiteModel, artifacts: list[Artifact]) -> Artifact:
    """`manifest.json`: every file of `artifacts` (named under `<site>/`) with its sha256, kind, owner, sources."""
    start = len(model.name) + 1
    files = [{"path": a.path[start:], "sha256": a.sha256, "kind": a.kind, "host": a.host, "node": a.node,
              "sources": a.sources} for a in artifacts]
    data = {"generator": "gwc", "site": model.name, "sources": sorted(set(model.sources)), "files": files}
    return Artifact("manifest.json", dumps(data) + "\n", "manifest")
