"""`gwc show`, `gwc explain` and `gwc graph`: look at an evaluated site."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from typing import Any

from gwlang.commands.errors import CommandAborted
from gwlang.commands.sites import add_sources, pick_site, plural, with_program
from gwlang.diagnostics import GwError, did_you_mean, error
from gwlang.eval.values import Declaration
from gwlang.model.program import Program
from gwlang.model.show import model_to_gw, site_data
from gwlang.model.validate import plain_json

SHOW_EPILOG = """\
examples:
  gwc show sites/tcd.gw                    the whole evaluated site
  gwc show sites/tcd.gw --node ce          one node
  gwc show sites/ --site tcd --json        as JSON
"""

EXPLAIN_EPILOG = """\
examples:
  gwc explain sites/tcd.gw tcd.ce.vm.memory     where the CE's memory came from
  gwc explain sites/tcd.gw tcd.wn01.packages    where each package came from, and what removed others
  gwc explain sites/tcd.gw ce.vm.memory          the site may be left out when the sources declare one
  gwc explain sites/ --site tcd ce.vm.memory     or chosen with --site
"""

GRAPH_EPILOG = """\
examples:
  gwc graph sites/tcd.gw                   Graphviz text
  gwc graph sites/tcd.gw --format svg > tcd.svg
"""


def register(commands: argparse._SubParsersAction[Any],
             common: argparse.ArgumentParser) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    show = commands.add_parser("show", parents=[common], help="print the fully evaluated site or one node",
                               description="Print the fully evaluated site, or one host or node of it.",
                               epilog=SHOW_EPILOG, formatter_class=formatter)
    add_sources(show)
    show.add_argument("--node", metavar="N", help="only this node (or host)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=command_show)

    explain = commands.add_parser("explain", parents=[common], help="show every definition behind a value",
                                  description="Print a value and every definition that shaped it, in order.",
                                  epilog=EXPLAIN_EPILOG, formatter_class=formatter)
    explain.add_argument("sources", nargs=1, metavar="FILE", help="the .gw file (or folder) declaring the site")
    explain.add_argument("target", metavar="[SITE.]NODE.PATH",
                         help="what to explain, such as `tcd.ce.vm.memory`; the site may be left out when the "
                              "sources declare one, or given with --site")
    explain.add_argument("--site", metavar="S", help="the site, when the sources declare several")
    explain.set_defaults(handler=command_explain)

    graph = commands.add_parser("graph", parents=[common], help="draw the site's dependency graph",
                                description="Print the dependency graph: hosts, nodes, placement, `after` "
                                            "and cross-references.",
                                epilog=GRAPH_EPILOG, formatter_class=formatter)
    add_sources(graph)
    graph.add_argument("--format", choices=("dot", "svg", "png"), default="dot",
                       help="dot text, or an image drawn by Graphviz (default: dot)")
    graph.set_defaults(handler=command_graph)


def command_show(arguments: argparse.Namespace) -> str:
    def show(program: Program) -> str:
        model = program.site_model(pick_site(program, arguments.site), checked=True)
        data: object = site_data(model)
        if arguments.node:
            entity = model.nodes.get(arguments.node) or model.hosts.get(arguments.node)
            if entity is None:
                raise GwError(error("E0313", f"site `{model.name}` has no node or host `{arguments.node}`", None,
                                    help=did_you_mean(arguments.node, [*model.nodes, *model.hosts])).diagnostics)
            data = dict(entity.attributes)
        if arguments.json:
            return json.dumps(plain_json(data), indent=2, sort_keys=True, ensure_ascii=False)
        return model_to_gw(data)
    return with_program(arguments, show)


def command_explain(arguments: argparse.Namespace) -> str:
    from gwlang.model.explain import explain, find_target, split_path

    def run(program: Program) -> str:
        site, path = explained_site(program, split_path(arguments.target), arguments.site)
        return explain(find_target(program.entities(site), path))
    return with_program(arguments, run)


def explained_site(program: Program, parts: list[str], wanted: str | None) -> tuple[Declaration, list[str]]:
    """The site a target names and the path inside it: `tcd.ce.vm.memory`, or `ce.vm.memory` with one site.

    The site prefix may be left out when it is not needed (one site, or
    `--site`); a first name that is a site is always taken as one.
    """
    names = [site.name for site in program.sites()]
    if wanted is not None:
        site = pick_site(program, wanted)
        return site, parts[1:] if parts[0] == site.name else parts
    if parts[0] in names:
        return pick_site(program, parts[0]), parts[1:]
    if len(names) == 1:
        return pick_site(program, None), parts
    if not names:
        return pick_site(program, None), parts   # reports that there is no site
    raise GwError(error("E0314", f"no concrete site named `{parts[0]}` in the sources", None,
                        help=did_you_mean(parts[0], names)
                        or f"start the path with a site (`{names[0]}.{'.'.join(parts)}`), or choose one with `--site`",
                        notes=["the sources declare several sites, so the path starts with one: "
                               + ", ".join(f"`{name}`" for name in names)]).diagnostics)


def command_graph(arguments: argparse.Namespace) -> str:
    from gwlang.model.graph import build_graph, to_dot

    # Graphviz is a program, not a Python dependency: without it an image is one line saying what to
    # install (exit 1), checked before the site is compiled for nothing.
    dot = shutil.which("dot")
    if arguments.format != "dot" and dot is None:
        raise CommandAborted(f"`--format {arguments.format}` needs Graphviz's `dot` (apt-get install graphviz); "
                             "or use `--format dot` and draw the graph elsewhere")

    def run(program: Program) -> str:
        model = program.site_model(pick_site(program, arguments.site), checked=True)
        return to_dot(build_graph(model), legend=True)
    text = with_program(arguments, run)
    if arguments.format == "dot" or dot is None:   # (`dot` is missing only with --format dot here)
        return text
    drawn = subprocess.run([dot, f"-T{arguments.format}"], input=text.encode(), capture_output=True, check=False)
    if drawn.returncode != 0:
        reason = drawn.stderr.decode(errors="replace").strip().splitlines()
        raise CommandAborted(f"Graphviz's `{dot}` could not draw {arguments.format}: "
                             + (reason[0] if reason else f"exit status {drawn.returncode}"))
    import sys
    sys.stdout.buffer.write(drawn.stdout)
    return ""


CHECK_EPILOG = """\
examples:
  gwc check                      every site under sites/, and MACs across all of them
  gwc check sites/tcd.gw
  gwc check -j 1                 in one process (default: a worker process per core)
"""


def register_check(commands: argparse._SubParsersAction[Any],
                   common: argparse.ArgumentParser) -> None:
    from gwlang.commands.compile import add_jobs
    check = commands.add_parser("check", parents=[common], help="find every error `gwc compile` would report",
                                description="Compile every concrete site in memory, as `gwc compile` does, and "
                                            "write nothing: every error of evaluation, the site-wide checks, "
                                            "MAC addresses across all the sites and the file formats.",
                                epilog=CHECK_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sources(check)
    add_jobs(check)
    check.set_defaults(handler=command_check)


def command_check(arguments: argparse.Namespace) -> str:
    """`gwc compile` without the writer and without the records of the last compile.

    Checking through the same `compile_program` is what makes `check` find
    exactly the errors `compile` finds: the emitters refuse values the file
    formats cannot carry (E06xx), which no model-level check sees.  Rendering
    the artifacts costs about a third more than evaluating alone (the
    example sites: 1.9 s instead of 1.4 s); they are dropped site by site,
    and the build records are neither read nor written, so every site is
    checked.
    """
    from concurrent.futures.process import BrokenProcessPool

    from gwlang.parallel import available_cores
    from gwlang.pipeline import compile_program

    def run(program: Program) -> str:
        sites = program.sites() if arguments.site is None else [pick_site(program, arguments.site)]
        nodes = 0
        try:
            for compiled in compile_program(program, sites, jobs=arguments.jobs or available_cores()):
                nodes += compiled.nodes
        except BrokenProcessPool as broken:
            raise CommandAborted(f"a worker process died ({broken}). Is memory short? "
                                 "`-j 1` checks in one process") from broken
        return f"{plural(len(sites), 'site')}, {plural(nodes, 'node')}: no problems"
    return with_program(arguments, run)
