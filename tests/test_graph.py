"""The dependency graph: edges, start and stop orders, boot cycles, and Graphviz text.

Inputs are the sites in `tests/cases/graph`: the gateway template as a site,
and a two-host site (`two-hosts.gw`, and the same site declared in another
order) whose guests wait for each other across hosts and read each other's
addresses.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.diagnostics import GwError
from gwlang.eval.evaluator import run_deep
from gwlang.model.graph import (
    build_graph,
    check_boot_cycles,
    edges_of_kind,
    site_start_order,
    site_stop_order,
    start_order,
    stop_order,
    to_dot,
)
from gwlang.model.model import SiteModel
from gwlang.model.program import load_program

CASES = Path(__file__).resolve().parent / "cases"


@functools.cache
def model_of(case: str) -> SiteModel:
    """The model of the one site of `tests/cases/<case>.gw`."""
    def load() -> SiteModel:
        program = load_program([CASES / f"{case}.gw"])
        (site,) = program.sites()
        return program.site_model(site)
    return run_deep(load)


def test_the_gateway_starts_its_install_server_first_and_the_ce_before_the_worker_nodes() -> None:
    assert start_order(model_of("graph/gateway"), "gw") == ["install", "ce", "se", "ui", "wn01", "wn02"]


def test_the_stop_order_is_the_start_order_reversed() -> None:
    model = model_of("graph/gateway")
    assert stop_order(model, "gw") == start_order(model, "gw")[::-1]
    assert site_stop_order(model) == site_start_order(model)[::-1]


def test_a_guest_waits_for_guests_of_its_host_through_guests_of_other_hosts() -> None:
    # wn01..03 wait for `ce` on alpha, which waits for `se`: so on beta `se`
    # starts first, although its boot.order (90) is above theirs (50).
    model = model_of("graph/two-hosts")
    assert start_order(model, "beta") == ["se", "wn01", "wn02", "wn03"]
    assert start_order(model, "alpha") == ["install", "monitor", "ce"]


def test_ties_are_broken_by_boot_order_then_name() -> None:
    # `monitor` waits for nothing and has boot.order 10: it starts right after the install server.
    assert site_start_order(model_of("graph/two-hosts")) == [
        "install", "monitor", "se", "ce", "wn01", "wn02", "wn03"]


def test_start_order_of_an_unknown_host_is_an_error() -> None:
    with pytest.raises(KeyError, match="no host `nowhere`"):
        start_order(model_of("graph/gateway"), "nowhere")


def test_graph_vertices_are_hosts_and_nodes() -> None:
    graph = build_graph(model_of("graph/gateway"))
    assert graph.nodes["host", "gw"] == {"kind": "host", "name": "gw"}
    assert graph.nodes["node", "wn01"] == {"kind": "node", "name": "wn01"}
    assert len(graph) == 1 + 6


def test_placement_and_after_edges() -> None:
    graph = build_graph(model_of("graph/gateway"))
    assert edges_of_kind(graph, "placement") == [(("node", name), ("host", "gw"))
                                                 for name in ["ce", "install", "se", "ui", "wn01", "wn02"]]
    assert edges_of_kind(graph, "after") == [
        (("node", "ce"), ("node", "install")), (("node", "se"), ("node", "install")),
        (("node", "ui"), ("node", "install")), (("node", "wn01"), ("node", "ce")),
        (("node", "wn02"), ("node", "ce"))]
    assert graph.edges[("node", "ce"), ("node", "install")]["kind"] == "after"


def test_reading_another_nodes_value_makes_a_reads_edge() -> None:
    graph = build_graph(model_of("graph/two-hosts"))
    assert edges_of_kind(graph, "reads") == [
        (("node", "monitor"), ("node", "se")), (("node", "wn01"), ("node", "ce")),
        (("node", "wn02"), ("node", "ce")), (("node", "wn03"), ("node", "ce"))]
    # wn01 both waits for the CE and reads its address: one edge standing for both.
    assert graph.edges[("node", "wn01"), ("node", "ce")]["kinds"] == ("after", "reads")
    assert graph.edges[("node", "monitor"), ("node", "se")]["kinds"] == ("reads",)


def test_a_read_does_not_order_the_start() -> None:
    # `monitor` reads the SE's address, yet starts before it: reads are settled when compiling.
    order = site_start_order(model_of("graph/two-hosts"))
    assert order.index("monitor") < order.index("se")


def test_start_order_refuses_a_boot_cycle() -> None:
    model = model_of("checks/boot-cycle")
    with pytest.raises(GwError) as failure:
        start_order(model, "gw")
    assert failure.value.diagnostics == check_boot_cycles(model)
    assert [d.code for d in failure.value.diagnostics] == ["E0510"]


def test_dot_text_is_the_same_twice() -> None:
    model = model_of("graph/two-hosts")
    assert to_dot(build_graph(model)) == to_dot(build_graph(model))


def test_dot_text_does_not_depend_on_declaration_order() -> None:
    assert list(model_of("graph/two-hosts").nodes) != list(model_of("graph/two-hosts-reordered").nodes)
    assert to_dot(build_graph(model_of("graph/two-hosts"))) == \
        to_dot(build_graph(model_of("graph/two-hosts-reordered")))


def test_dot_text(snapshot: SnapshotAssertion) -> None:
    assert to_dot(build_graph(model_of("graph/two-hosts"))) == snapshot


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's `dot`")
def test_graphviz_accepts_the_dot_text() -> None:
    text = to_dot(build_graph(model_of("graph/two-hosts")))
    drawn = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, check=False)
    assert drawn.returncode == 0 and drawn.stderr == ""
    assert 'class="edge reads"' in drawn.stdout


def test_dot_text_with_its_legend(snapshot: SnapshotAssertion) -> None:
    text = to_dot(build_graph(model_of("graph/two-hosts")), legend=True)
    assert text == snapshot
    # The legend is a cluster of its own, and the graph itself is unchanged around it.
    assert 'subgraph "cluster_legend"' in text
    bare = to_dot(build_graph(model_of("graph/two-hosts")))
    lines = text.splitlines()
    start = lines.index('  subgraph "cluster_legend" {')
    end = lines.index("  }", start)
    assert lines[:start] + lines[end + 1:] == bare.splitlines()


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's `dot`")
def test_graphviz_draws_the_legend_apart_from_the_site() -> None:
    text = to_dot(build_graph(model_of("graph/two-hosts")), legend=True)
    drawn = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, check=False)
    assert drawn.returncode == 0 and drawn.stderr == ""
    assert drawn.stdout.count('class="node legend"') == 2 + 2 * 3        # two shapes, two ends per edge kind
    assert drawn.stdout.count('class="edge legend"') == 3
    assert "a guest it waits for (after)" in drawn.stdout


def test_gwc_graph_prints_the_legend() -> None:
    done = subprocess.run([sys.executable, "-m", "gwlang", "graph", str(CASES / "graph" / "two-hosts.gw")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == to_dot(build_graph(model_of("graph/two-hosts")), legend=True) + "\n"
