"""`gwc report`: the sites as a static HTML report, written even when some fail to compile."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gwlang.commands.errors import CommandFailed
from gwlang.commands.sites import add_sources, pick_site, plural, source_files
from gwlang.diagnostics import Diagnostic, GwError, Source
from gwlang.paths import checked

REPORT_EPILOG = """\
examples:
  gwc report -o report                     every site under sites/; open report/index.html
  gwc report sites/tcd.gw -o tcd-report    one file's sites
  gwc report sites/ --site tcd -o report   one site of a folder
"""


def register(commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    report = commands.add_parser(
        "report", parents=[common], help="write a static HTML report of the sites",
        description="Compile the sites and write an HTML report that opens from file:// with no server: per "
                    "site the hosts' memory and CPUs, the dependency graph, the nodes, every attribute with "
                    "the source line it came from, the artefacts, and the errors of a site that fails.",
        epilog=REPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sources(report)
    report.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="the report's folder (created; a report already there is replaced)")
    report.set_defaults(handler=command_report)


def command_report(arguments: argparse.Namespace) -> str:
    from gwlang.commands.errors import UsageError
    from gwlang.model.program import load_program
    from gwlang.report.build import compile_for_report
    from gwlang.report.pages import diagnostic_view, site_page
    from gwlang.report.write import Report, is_replaceable, write_report

    output = checked(arguments.output, "the `-o` folder")
    if not is_replaceable(output):
        raise UsageError(f"`{output}` is not empty and holds no gwc report; "
                         "choose a new or empty folder, so that nothing of yours is replaced")
    files = source_files(arguments)
    try:
        program = load_program(files, arguments.include)
        sites = program.sites() if arguments.site is None else [pick_site(program, arguments.site)]
    except GwError as failure:
        sources = _sources_of(failure.diagnostics)
        index = write_report(Report((), sources, (), [diagnostic_view(d, sources) for d in failure.diagnostics]),
                             output)
        print(f"gwc: the sources have errors; the report says which: {index}", file=sys.stderr)
        raise CommandFailed(failure) from None
    compiled = [compile_for_report(program, site) for site in sites]
    sources = {loaded.source.name: loaded.source for loaded in program.session.loader.modules.values()}
    pages = [site_page(site, sources) for site in compiled]
    index = write_report(Report(pages, sources, [a for site in compiled for a in site.artifacts]), output)
    problems = [d for site in compiled for d in site.diagnostics]
    failed = sum(1 for site in compiled if site.diagnostics)
    if problems:
        print(f"gwc: {plural(failed, 'site')} of {len(compiled)} did not compile; the report shows why: {index}",
              file=sys.stderr)
        raise CommandFailed(GwError(problems))
    return f"report of {plural(len(compiled), 'site')} written: {_shown(index)}"


def _sources_of(diagnostics: Iterable[Diagnostic]) -> dict[str, Source]:
    labels = [label for d in diagnostics for label in (d.primary, *d.secondary) if label is not None]
    return {label.span.source.name: label.span.source for label in labels}


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
