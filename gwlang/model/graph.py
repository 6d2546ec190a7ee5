"""The dependency graph of a site: where each guest runs, what it waits for, whose values it reads.

Owns building that graph from a checked `SiteModel`, the boot-order rule
(the `after` lists must form a DAG, E0510), the start and stop orders the
runtime follows, and the graph as Graphviz text for `gwc graph`.  The graph
is a `networkx.DiGraph` whose vertices are `("host", name)` and
`("node", name)`; its edges go from a guest to its host (`placement`), to
each guest it waits for (`after`) and to each guest whose values it read
while being compiled (`reads`).  Only `after` edges order the start: a read
is settled when compiling, so it asks nothing of the running site.  The
`after` lists are read into one graph for every order (`boot_order`): the
boot files and the runtime take their orders from the same `BootOrder`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import networkx as nx

from gwlang.diagnostics import Diagnostic, GwError, Label
from gwlang.model.model import SiteModel

Vertex = tuple[str, str]                       # ("host", name) or ("node", name)
DepGraph: TypeAlias = "nx.DiGraph[Vertex]"
EDGE_KINDS = ("placement", "after", "reads")   # also the order in which an edge's kinds are listed
DEFAULT_BOOT_ORDER = 50                        # the schema's default for `boot.order`


def build_graph(model: SiteModel) -> DepGraph:
    """Hosts, nodes, and the placement, `after` and reads edges between them.

    A pair of vertices has one edge, so an edge keeps every kind it stands
    for in `kinds` (a guest may both wait for another and read its address);
    `kind` is the first of them in `EDGE_KINDS` order.  A reference to an
    undeclared host or node makes no edge: `check_references` reports it.
    """
    graph: DepGraph = nx.DiGraph(name=model.name)
    for name in sorted(model.hosts):
        graph.add_node(("host", name), kind="host", name=name)
    for name in sorted(model.nodes):
        graph.add_node(("node", name), kind="node", name=name)
    for name in sorted(model.nodes):
        node = model.nodes[name]
        _add_edge(graph, ("node", name), ("host", node.get("host")), "placement")
        for waited in node.get("after", default=()):
            _add_edge(graph, ("node", name), ("node", waited), "after")
    for reader, read in sorted(model.reads):
        _add_edge(graph, ("node", reader), ("node", read), "reads")
    return graph


def _add_edge(graph: DepGraph, source: Vertex, target: Vertex, kind: str) -> None:
    if source not in graph or target not in graph:
        return
    kinds = {kind, *graph.edges[source, target]["kinds"]} if graph.has_edge(source, target) else {kind}
    ordered = tuple(sorted(kinds, key=EDGE_KINDS.index))
    graph.add_edge(source, target, kind=ordered[0], kinds=ordered)


def edges_of_kind(graph: DepGraph, kind: str) -> list[tuple[Vertex, Vertex]]:
    """The edges standing for `kind` (among others), sorted."""
    return sorted((source, target) for source, target, kinds in _edge_kinds(graph) if kind in kinds)


def _edge_kinds(graph: DepGraph) -> list[tuple[Vertex, Vertex, tuple[str, ...]]]:
    return [(source, target, data["kinds"]) for source, target, data in graph.edges(data=True)]


# ---------------------------------------------------------------- boot order

def check_boot_cycles(model: SiteModel) -> list[Diagnostic]:
    """One diagnostic per group of nodes that wait for each other, with the path of a cycle through it."""
    waits = _waits(model)
    declared = {name: index for index, name in enumerate(model.nodes)}
    problems = []
    for component in nx.strongly_connected_components(waits):
        first = min(component, key=declared.__getitem__)
        if len(component) > 1 or waits.has_edge(first, first):
            problems.append(_cycle(model, _shortest_cycle(waits.subgraph(component), first, declared)))
    return sorted(problems, key=lambda problem: problem.sort_key())


def _waits(model: SiteModel) -> nx.DiGraph[str]:
    """Node names, with an edge from each node to every declared node in its `after`."""
    waits: nx.DiGraph[str] = nx.DiGraph()
    waits.add_nodes_from(model.nodes)
    for name, node in model.nodes.items():
        waits.add_edges_from((name, waited) for waited in node.get("after", default=()) if waited in model.nodes)
    return waits


def _shortest_cycle(component: nx.DiGraph[str], first: str, declared: dict[str, int]) -> list[str]:
    # The shortest cycle through the first-declared node of the group: the
    # shortest path to read, and the same one on every run.
    paths = [nx.shortest_path(component, waited, first)
             for waited in sorted(component.successors(first), key=declared.__getitem__)]
    return [first, *min(paths, key=len)]


def _cycle(model: SiteModel, cycle: list[str]) -> Diagnostic:
    steps = list(itertools.pairwise(cycle))
    labels = [Label(model.nodes[waiting].origin("after"), f"`{waiting}` waits for `{waited}`")
              for waiting, waited in steps]
    if len(steps) == 1:
        in_own = Label(labels[0].span, f"`{cycle[0]}` is in its own `after`")
        return Diagnostic("E0510", f"node `{cycle[0]}` waits for itself to start", in_own, (),
                          ("a node starts once every node in its `after` is running",),
                          f"remove `{cycle[0]}` from its own `after`")
    path = " -> ".join(f"`{name}`" for name in cycle)
    return Diagnostic(
        "E0510", f"the boot order has a cycle: {path}", labels[0], tuple(labels[1:]),
        ("a node starts once every node in its `after` is running, so no node of a cycle can start first",),
        "remove one of these waits from an `after` list")


@dataclass(frozen=True, slots=True)
class BootOrder:
    """The `after` lists of a site read once: the start order of each host and of the whole site,
    and for each guest the guests of its own host it waits for (what the boot files state)."""
    hosts: Mapping[str, tuple[str, ...]]
    site: tuple[str, ...]
    waits: Mapping[str, tuple[str, ...]]


def boot_order(model: SiteModel) -> BootOrder:
    """Every order the boot files and the runtime follow, from one graph of the `after` lists.

    Raises `GwError` on a cycle.
    """
    waits = _checked_waits(model)
    start = _start_key(model)
    hosts = {host: tuple(_order(waits, _guests_of(model, host), start)) for host in model.hosts}
    local = {name: needs for order in hosts.values() for name, needs in _local_waits(waits, list(order)).items()}
    return BootOrder(hosts, tuple(_order(waits, list(model.nodes), start)), local)


def start_order(model: SiteModel, host: str) -> list[str]:
    """The guests of `host` in the order to start them.

    Each guest comes after every guest of the same host that it waits for,
    directly or through guests of other hosts; among the guests free to
    start, the lowest `boot.order` goes first, then the name (so the install
    server, `boot.order = 0`, starts first).  Raises `GwError` on a cycle.
    """
    if host not in model.hosts:
        raise KeyError(f"site `{model.name}` has no host `{host}`")
    return list(boot_order(model).hosts[host])


def stop_order(model: SiteModel, host: str) -> list[str]:
    """The guests of `host` in the order to stop them: the start order reversed."""
    return start_order(model, host)[::-1]


def site_start_order(model: SiteModel) -> list[str]:
    """Every guest of the site, on any host, in the order to start them (same rules as `start_order`)."""
    return list(boot_order(model).site)


def site_stop_order(model: SiteModel) -> list[str]:
    return site_start_order(model)[::-1]


def _guests_of(model: SiteModel, host: str) -> list[str]:
    return [name for name, node in model.nodes.items() if node.get("host") == host]


def _checked_waits(model: SiteModel) -> nx.DiGraph[str]:
    problems = check_boot_cycles(model)
    if problems:
        raise GwError(problems)
    return _waits(model)


def _before(waits: nx.DiGraph[str], names: list[str]) -> nx.DiGraph[str]:
    """An edge from each of `names` to every other of them that must be running before it."""
    chosen = set(names)
    before: nx.DiGraph[str] = nx.DiGraph()
    before.add_nodes_from(names)
    for name in names:
        before.add_edges_from((waited, name) for waited in nx.descendants(waits, name) & chosen)
    return before


def _order(waits: nx.DiGraph[str], names: list[str], key: Callable[[str], tuple[int, str]]) -> list[str]:
    return list(nx.lexicographical_topological_sort(_before(waits, names), key=key))


def _local_waits(waits: nx.DiGraph[str], order: list[str]) -> dict[str, tuple[str, ...]]:
    """For each guest of `order` (one host's start order), the guests of that host it must wait for.

    A guest waits for every guest of the host it reaches through `after`
    lists (through guests of any host), less those reached through another
    such guest: the transitive reduction, so each wait is stated once.
    """
    reduced = nx.transitive_reduction(_before(waits, order))
    position = {name: index for index, name in enumerate(order)}
    return {name: tuple(sorted(reduced.predecessors(name), key=position.__getitem__)) for name in order}


def _start_key(model: SiteModel) -> Callable[[str], tuple[int, str]]:
    def key(name: str) -> tuple[int, str]:
        order = model.nodes[name].get("boot", "order")
        return (order if isinstance(order, int) else DEFAULT_BOOT_ORDER, name)
    return key


# ---------------------------------------------------------------- Graphviz

_EDGE_STYLES = {
    # Placement is already drawn by the host's cluster; its edge stays faint.
    "placement": 'style=dotted, color="gray60", arrowhead=none',
    "after": 'style=solid, color="black"',
    "reads": 'style=dashed, color="royalblue"',
}


def to_dot(graph: DepGraph, legend: bool = False) -> str:
    """The graph as Graphviz text: sorted, so the same site always gives the same text.

    Each host is a box inside a cluster holding the guests placed on it; an
    edge standing for several kinds is drawn once per kind.  With `legend`,
    a cluster first says what the shapes and lines mean (`gwc graph` and the
    report draw it; the compiled `graph.dot` stays the bare graph).
    """
    lines = [f"digraph {_quote(str(graph.graph.get('name', 'site')))} {{",
             "  graph [rankdir=BT, fontname=\"Helvetica\"];",
             "  node [fontname=\"Helvetica\"];",
             "  edge [fontname=\"Helvetica\"];"]
    if legend:
        lines += _legend()
    placed = {source: target for source, target in edges_of_kind(graph, "placement")}
    for host in sorted(vertex for vertex in graph if vertex[0] == "host"):
        lines += _cluster(host, sorted(guest for guest, where in placed.items() if where == host))
    lines += [f"  {_vertex(vertex)}" for vertex in sorted(graph) if vertex[0] == "node" and vertex not in placed]
    lines += [f"  {line}" for line in _edges(graph)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _cluster(host: Vertex, guests: Iterable[Vertex]) -> list[str]:
    return [f"  subgraph {_quote('cluster_host_' + host[1])} {{",
            f"    label={_quote('host ' + host[1])}; labelloc=t;",
            f"    {_vertex(host)}",
            *(f"    {_vertex(guest)}" for guest in guests),
            "  }"]


def _vertex(vertex: Vertex) -> str:
    shape = "box, style=bold" if vertex[0] == "host" else "ellipse"
    return f"{_id(vertex)} [label={_quote(vertex[1])}, shape={shape}];"


def _edges(graph: DepGraph) -> list[str]:
    drawn = sorted((EDGE_KINDS.index(kind), source, target, kind)
                   for source, target, kinds in _edge_kinds(graph) for kind in kinds)
    return [f"{_id(source)} -> {_id(target)} [class={_quote(kind)}, {_EDGE_STYLES[kind]}];"
            for _, source, target, kind in drawn]


# What each kind of edge means, read from its tail to its head (the legend's wording).
_EDGE_MEANINGS = {
    "placement": ("guest", "its host (placement)"),
    "after": ("guest", "a guest it waits for (after)"),
    "reads": ("guest", "a guest whose values it reads"),
}


def _legend() -> list[str]:
    """A cluster of example vertices and edges, ids under `legend:` (real ids are `host:`/`node:`)."""
    lines = ['  subgraph "cluster_legend" {',
             '    label="legend"; labelloc=t; style=dashed; color="gray60"; fontsize=10;',
             '    node [fontsize=10, class="legend"]; edge [fontsize=10, class="legend"];',
             '    "legend:host" [label="host", shape=box, style=bold];',
             '    "legend:node" [label="guest", shape=ellipse];']
    for kind in EDGE_KINDS:
        tail, head = _EDGE_MEANINGS[kind]
        lines += [f'    "legend:{kind}:tail" [label={_quote(tail)}, shape=plaintext];',
                  f'    "legend:{kind}:head" [label={_quote(head)}, shape=plaintext];',
                  f'    "legend:{kind}:tail" -> "legend:{kind}:head" [{_EDGE_STYLES[kind]}];']
    return [*lines, "  }"]


def _id(vertex: Vertex) -> str:
    return _quote(f"{vertex[0]}:{vertex[1]}")


def _quote(text: Any) -> str:
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
