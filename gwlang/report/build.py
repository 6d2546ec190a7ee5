"""What the report shows of each site, compiled here: model, artifacts, start orders, the drawn graph.

A site that fails still gets a page: its diagnostics, and its model when
evaluation got that far (a failing site-wide check or emitter leaves a
model to look at; a failing evaluation leaves none).  Graphviz draws the
graph when its `dot` program is installed; without it the page shows the
DOT text.
"""

from __future__ import annotations

import shutil
import subprocess

from gwlang.diagnostics import GwError
from gwlang.eval.values import Declaration
from gwlang.model.graph import boot_order, build_graph, to_dot
from gwlang.model.model import SiteModel
from gwlang.model.program import Program
from gwlang.report.pages import Graph, SiteInput, slug


def compile_for_report(program: Program, site: Declaration) -> SiteInput:
    from gwlang.pipeline import compile_site
    try:
        compiled = compile_site(program, site)
    except GwError as failure:
        unchecked = _unchecked_model(program, site)
        return SiteInput(site.name, unchecked, (), failure.diagnostics,
                         _start_orders(unchecked) if unchecked else {}, draw_graph(unchecked) if unchecked else None)
    orders = {host: list(compiled.boot.hosts.get(host, ())) for host in compiled.model.hosts}
    return SiteInput(site.name, compiled.model, compiled.artifacts, (), orders, draw_graph(compiled.model))


def _unchecked_model(program: Program, site: Declaration) -> SiteModel | None:
    try:
        return program.site_model(site)
    except GwError:
        return None


def _start_orders(model: SiteModel) -> dict[str, list[str]]:
    """The start orders of a site whose checks failed (a checked site has them in its `BootOrder`)."""
    try:
        hosts = boot_order(model).hosts       # one read of the `after` lists for every host
        return {host: list(order) for host, order in hosts.items()}
    except GwError:             # a boot cycle, already among the site's diagnostics
        return {}


def graph_dot(model: SiteModel) -> str:
    """`gwc graph`'s text with its legend, each host and guest a link to its page (relative to the site's)."""
    lines = to_dot(build_graph(model), legend=True).rstrip("\n").removesuffix("}").splitlines()
    for kind, names in (("host", model.hosts), ("node", model.nodes)):
        lines += [f'  "{kind}:{_dot_escape(name)}" [URL="{kind}s/{slug(name)}.html", '
                  f'tooltip="{kind} {_dot_escape(name)}"];' for name in sorted(names)]
    return "\n".join([*lines, "}"]) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def draw_graph(model: SiteModel) -> Graph:
    text = graph_dot(model)
    dot = shutil.which("dot")
    if dot is None:
        return Graph(text, None)
    drawn = subprocess.run([dot, "-Tsvg"], input=text.encode(), capture_output=True, check=False)
    if drawn.returncode != 0:
        return Graph(text, None)
    svg = drawn.stdout.decode("utf-8", errors="replace")
    return Graph(text, svg[svg.find("<svg"):])      # inline: without the XML prolog and doctype
