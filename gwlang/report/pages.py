"""Compiled sites as the plain data of the report's pages: bars, table rows, provenance, links.

Every link is a path from the report's root (`sites/tcd/nodes/ce.html`);
`write.py` makes it relative to the page it sits on, so the folder opens
from file:// anywhere.  Names become file names only through `slug`, so a
name can never climb out of the folder or clash with another.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from gwlang.diagnostics import Diagnostic, Label, Source, render_text
from gwlang.emit.artifact import Artifact
from gwlang.eval.domain import Size
from gwlang.model.model import EntityModel, SiteModel
from gwlang.model.show import model_to_gw


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None        # from the report's root; None when there is nothing to link to


@dataclass(frozen=True)
class Segment:
    """One part of a bar: the host's reserve, a guest, or what is free."""
    kind: str               # "reserved", "guest" or "free"
    label: str
    amount: int             # bytes or CPUs
    text: str               # the amount as people read it
    percent: float          # of the bar's width
    href: str | None = None


@dataclass(frozen=True)
class Bar:
    what: str               # "memory" or "cpus"
    capacity: int
    capacity_text: str
    used_text: str
    segments: tuple[Segment, ...]
    over: str | None        # what it means that the guests ask for more than the host has, if they do
    over_is_error: bool     # too much memory fails the site; more vCPUs than threads is ordinary sharing
    limit_percent: float    # where the host's capacity ends on a bar scaled to a larger demand


@dataclass(frozen=True)
class HostView:
    name: str
    href: str
    hypervisor: str
    memory: Bar
    cpus: Bar
    start_order: tuple[str, ...]


@dataclass(frozen=True)
class NodeRow:
    name: str
    href: str
    role: str
    profiles: str
    host: str
    ip: str
    macs: str
    memory: int
    memory_text: str
    vcpus: int


@dataclass(frozen=True)
class AttributeRow:
    path: str
    value: str
    provenance: tuple[Link, ...]


@dataclass(frozen=True)
class EntityPage:
    """A node's or host's page: every attribute with where it came from, and its artefacts."""
    kind: str
    name: str
    site: str
    path: str
    profiles: tuple[str, ...]
    attributes: tuple[AttributeRow, ...]
    artefacts: tuple[Link, ...]


@dataclass(frozen=True)
class DiagnosticView:
    code: str
    text: str
    places: tuple[Link, ...]


@dataclass(frozen=True)
class SitePage:
    name: str
    path: str
    hosts: tuple[HostView, ...] = ()
    nodes: tuple[NodeRow, ...] = ()
    entities: tuple[EntityPage, ...] = ()
    artefacts: tuple[Link, ...] = ()
    diagnostics: tuple[DiagnosticView, ...] = ()
    graph: Graph | None = None
    modelled: bool = False                  # a model exists (even when checks or emitters then failed)

    @property
    def diagnostics_path(self) -> str:
        return f"sites/{slug(self.name)}/diagnostics.html"


@dataclass(frozen=True)
class Graph:
    """The dependency graph: Graphviz's SVG when `dot` drew it, else None and the DOT text is shown."""
    dot: str
    svg: str | None


@dataclass(frozen=True)
class SiteInput:
    """What the compiler gave for one site: a model when there is one, artifacts when it compiled."""
    name: str
    model: SiteModel | None
    artifacts: Sequence[Artifact] = ()
    diagnostics: Sequence[Diagnostic] = ()
    start_orders: Mapping[str, Sequence[str]] = field(default_factory=dict)
    graph: Graph | None = None


# ---------------------------------------------------------------- names and links

_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}")


def slug(name: str) -> str:
    """A file name for `name`: itself when plain, else a hex spelling no plain name can take."""
    return name if _SAFE.fullmatch(name) else "x-" + name.encode("utf-8").hex()[:200]


def source_path(name: str) -> str:
    """The page of a source file: the stdlib's under `sources/stdlib/`, the others under `sources/files/`."""
    stdlib = name.startswith("<stdlib>/")
    parts = name.removeprefix("<stdlib>/").split("/")
    folders = ["--" if part == ".." else slug(part) for part in parts[:-1] if part not in ("", ".")]
    return "/".join(["sources", "stdlib" if stdlib else "files", *folders, slug(parts[-1]) + ".html"])


def artefact_view(path: str) -> str:
    return "artefacts/" + _safe_relative(path) + ".html"


def artefact_copy(path: str) -> str:
    return "files/" + _safe_relative(path)


def _safe_relative(path: str) -> str:
    return "/".join("--" if part == ".." else slug(part) for part in path.split("/") if part not in ("", "."))


def href(path: str) -> str:
    """A root-relative path as it is written in a link (each part percent-encoded)."""
    page, _, anchor = path.partition("#")
    return quote(page) + (f"#{quote(anchor)}" if anchor else "")


_PLACE = re.compile(r"(?P<file>[^\s()]+\.gw):(?P<line>\d+):(?P<column>\d+)")


def place_link(text: str, sources: Mapping[str, Source]) -> Link:
    """A derivation step (`<stdlib>/grid/roles.gw:24:3 (profile `base`)`) linked to its source line."""
    found = _PLACE.search(text)
    if found is None or found.group("file") not in sources:
        return Link(text, None)
    return Link(text, f"{source_path(found.group('file'))}#L{found.group('line')}")


def span_link(label: Label, sources: Mapping[str, Source], text: str | None = None) -> Link:
    line, _ = label.span.source.line_column(label.span.start)
    name = label.span.source.name
    shown = text or label.span.location
    return Link(shown, f"{source_path(name)}#L{line}" if name in sources else None)


# ---------------------------------------------------------------- building the pages

def site_page(site: SiteInput, sources: Mapping[str, Source]) -> SitePage:
    path = f"sites/{slug(site.name)}/index.html"
    diagnostics = tuple(diagnostic_view(d, sources) for d in site.diagnostics)
    model = site.model
    if model is None:
        return SitePage(site.name, path, diagnostics=diagnostics)
    root = f"sites/{slug(site.name)}/"
    entities = [entity_page(entity, model.name, root, site.artifacts, sources)
                for entity in [model.site, *model.hosts.values(), *model.nodes.values()]]
    artefacts = tuple(Link(a.path, artefact_view(a.path)) for a in site.artifacts if a.node is None)
    return SitePage(site.name, path, tuple(host_view(model, host, root, site.start_orders.get(host.name, ()))
                                           for host in model.hosts.values()),
                    tuple(node_row(node, root) for node in model.nodes.values()), tuple(entities), artefacts,
                    diagnostics, site.graph, modelled=True)


def entity_path(root: str, entity: EntityModel) -> str:
    """`hosts/gw.html`, `nodes/ce.html` in the site's folder; the site's own attributes are `site.html`."""
    if entity.kind == "site":
        return f"{root}site.html"
    return f"{root}{entity.kind}s/{slug(entity.name)}.html"


def host_view(model: SiteModel, host: EntityModel, root: str, order: Sequence[str]) -> HostView:
    guests = [node for node in model.nodes.values() if node.get("host") == host.name]
    memory = _bar("memory", _bytes(host.get("memory")), _bytes(host.get("reserved-memory")),
                  [(guest.name, _bytes(guest.get("vm", "memory")), entity_path(root, guest)) for guest in guests],
                  _size_text, "more than the host has: the site does not compile", True)
    cpus = _bar("cpus", _count(host.get("cpus")), 0,
                [(guest.name, _count(guest.get("vm", "vcpus")), entity_path(root, guest)) for guest in guests],
                _cpus_text, "overcommitted: the guests' virtual CPUs share the host's threads", False)
    return HostView(host.name, entity_path(root, host), str(host.get("hypervisor", default="")), memory, cpus,
                    tuple(order))


def _bar(what: str, capacity: int, reserved: int, guests: list[tuple[str, int, str]],
         text: Callable[[int], str], over: str, over_is_error: bool) -> Bar:
    """Reserve, each guest, then what is free; scaled to the capacity, or to the demand when it is larger."""
    demand = reserved + sum(amount for _, amount, _ in guests)
    scale = max(capacity, demand, 1)
    parts: list[tuple[str, str, int, str | None]] = [("reserved", "reserved for the host", reserved, None)] \
        if reserved else []
    parts += [("guest", name, amount, link) for name, amount, link in guests]
    if capacity > demand:
        parts.append(("free", "free", capacity - demand, None))
    segments = tuple(Segment(kind, label, amount, text(amount), round(100 * amount / scale, 3), link)
                     for kind, label, amount, link in parts)
    return Bar(what, capacity, text(capacity), text(demand), segments, over if demand > capacity else None,
               over_is_error, round(100 * capacity / scale, 3))


def _bytes(value: Any) -> int:
    return value.bytes if isinstance(value, Size) else 0


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _size_text(amount: int) -> str:
    return Size(amount).canonical


def _cpus_text(amount: int) -> str:
    return f"{amount} CPU" if amount == 1 else f"{amount} CPUs"


def node_row(node: EntityModel, root: str) -> NodeRow:
    interfaces = node.get("network", "interfaces", default={})
    macs = [str(_canonical(interface.get("mac"))) for interface in interfaces.values()
            if isinstance(interface, Mapping) and interface.get("mac") is not None]
    return NodeRow(node.name, entity_path(root, node), str(node.get("role") or ""),
                   ", ".join(_profile_names(node)), str(node.get("host") or ""), str(_canonical(node.get("ip"))),
                   " ".join(macs), _bytes(node.get("vm", "memory")), _size_text(_bytes(node.get("vm", "memory"))),
                   _count(node.get("vm", "vcpus")))


def _profile_names(entity: EntityModel) -> list[str]:
    """The profiles of the linearisation (`profile `base``), without the entity's own bodies."""
    return [found.group(1) for text in entity.profiles if (found := re.fullmatch(r"profile `(.*)`", text))]


def _canonical(value: Any) -> Any:
    return getattr(value, "canonical", "" if value is None else value)


def entity_page(entity: EntityModel, site: str, root: str, artifacts: Sequence[Artifact],
                sources: Mapping[str, Source]) -> EntityPage:
    mine = [a for a in artifacts if (a.node == entity.name if entity.kind == "node"
                                     else entity.kind == "host" and a.host == entity.name and a.node is None)]
    rows = tuple(AttributeRow(".".join(path), model_to_gw(value), _provenance(entity, path, sources))
                 for path, value in _leaves(entity.attributes, ()))
    return EntityPage(entity.kind, entity.name, site, entity_path(root, entity), entity.profiles, rows,
                      tuple(Link(a.path.removeprefix(f"{site}/"), artefact_view(a.path)) for a in mine))


def _leaves(value: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    for key in sorted(value):
        item = value[key]
        if isinstance(item, Mapping) and item:
            yield from _leaves(item, (*path, key))
        else:
            yield (*path, key), item


def _provenance(entity: EntityModel, path: tuple[str, ...], sources: Mapping[str, Source]) -> tuple[Link, ...]:
    """Every definition behind the value (its nearest parent's, for a value set as a whole)."""
    for end in range(len(path), 0, -1):
        steps = entity.derivations.get(path[:end])
        if steps:
            return tuple(place_link(step, sources) for step in steps)
    return (span_link(Label(entity.origin(*path)), sources),)


def diagnostic_view(diagnostic: Diagnostic, sources: Mapping[str, Source]) -> DiagnosticView:
    labels = [label for label in (diagnostic.primary, *diagnostic.secondary) if label is not None]
    return DiagnosticView(diagnostic.code, render_text(diagnostic),
                          tuple(span_link(label, sources) for label in labels))
