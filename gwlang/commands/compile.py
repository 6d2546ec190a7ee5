"""`gwc compile`: every site of the sources to its files under the output folder.

Sites are compiled one at a time (memory follows one site), and their files
go into a staging tree that replaces the output folder only when every site
compiled: a failing compile leaves the folder exactly as it was.
`--check` compares instead of writing, for CI.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gwlang.commands.sites import add_sources, pick_site, with_program
from gwlang.diagnostics import Diagnostic, GwError
from gwlang.emit.artifact import Artifact
from gwlang.emit.site import emit_site
from gwlang.emit.writer import Difference, TreeWriter, compare
from gwlang.model.checks import check_across_sites
from gwlang.model.model import SiteModel
from gwlang.model.program import Program

DEFAULT_OUTPUT = "generated"
DIFF_LINES = 40

EPILOG = """\
examples:
  gwc compile                          sites/ to generated/
  gwc compile sites/tcd.gw -o out      one file, another folder
  gwc compile --check                  exit 1 and list what differs if generated/ is stale
"""


class CheckFailed(Exception):
    """`--check` found differences; they are already printed."""


def register(commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser("compile", parents=[common], help="write every artifact of the sites",
                                 description="Compile the sites of the sources into the output folder: Xen and "
                                             "libvirt configs, guest files, profiles and boot scripts.",
                                 epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sources(parser)
    parser.add_argument("-o", "--output", metavar="DIR", default=DEFAULT_OUTPUT,
                        help=f"the output folder (default: {DEFAULT_OUTPUT}/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 and list the differences if the folder is not up to date")
    parser.set_defaults(handler=command_compile)


def command_compile(arguments: argparse.Namespace) -> str:
    output = Path(arguments.output)
    started = time.monotonic()
    progress = _Progress(sys.stderr)

    def run(program: Program) -> str:
        sites = program.sites() if arguments.site is None else [pick_site(program, arguments.site)]
        compiled = _Compiled()
        artifacts = _artifacts(program, sites, compiled, progress)
        if arguments.check:
            differences = compare(output, artifacts)
            compiled.raise_problems()
            if differences:
                _print_differences(differences)
                raise CheckFailed()
            return f"{output}/ is up to date: {compiled.summary_counts()}"
        writer = TreeWriter(output)
        try:
            for artifact in artifacts:
                writer.add(artifact)
            compiled.raise_problems()
        except BaseException:
            writer.abandon()
            raise
        summary = writer.commit()
        elapsed = time.monotonic() - started
        return (f"{compiled.summary_counts()}: {len(summary.written)} files written, "
                f"{len(summary.unchanged)} unchanged, {len(summary.removed)} removed in {elapsed:.2f}s")

    try:
        return with_program(arguments, run)
    finally:
        progress.done()


class _Compiled:
    """What the sites compiled so far add up to, and the problems met."""

    def __init__(self) -> None:
        self.models: list[SiteModel] = []
        self.problems: list[Diagnostic] = []

    def summary_counts(self) -> str:
        nodes = sum(len(m.nodes) for m in self.models)
        return f"{len(self.models)} sites, {nodes} nodes"

    def raise_problems(self) -> None:
        self.problems.extend(check_across_sites(self.models))
        if self.problems:
            raise GwError(self.problems)


def _artifacts(program: Program, sites: list[Any], compiled: _Compiled, progress: _Progress) -> Iterator[Artifact]:
    """Each site's artifacts in turn; a site that fails is recorded and skipped, so all are checked."""
    for number, site in enumerate(sites, 1):
        progress.show(f"compiling site {number}/{len(sites)}: {site.name}")
        try:
            model = program.site_model(site, checked=True)
            site_artifacts = emit_site(model)
        except GwError as failure:
            compiled.problems.extend(failure.diagnostics)
            continue
        compiled.models.append(model)
        if not compiled.problems:
            yield from site_artifacts


def _print_differences(differences: list[Difference]) -> None:
    print(f"{len(differences)} generated files differ from what the sources produce:", file=sys.stderr)
    for difference in differences:
        print(f"  {difference.status:<8} {difference.path}", file=sys.stderr)
    for difference in differences:
        if difference.status != "changed":
            continue
        lines = list(difflib.unified_diff((difference.actual or "").splitlines(), (difference.expected or "")
                                          .splitlines(), f"{difference.path} (on disk)",
                                          f"{difference.path} (from the sources)", lineterm=""))
        print("\n".join(lines[:DIFF_LINES]), file=sys.stderr)
        if len(lines) > DIFF_LINES:
            print(f"  ... {len(lines) - DIFF_LINES} more lines", file=sys.stderr)
    print("run `gwc compile` to update them", file=sys.stderr)


class _Progress:
    """One self-overwriting status line, only on a terminal."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.active = bool(getattr(stream, "isatty", lambda: False)())
        self.width = 0

    def show(self, message: str) -> None:
        if self.active:
            self.stream.write("\r" + message.ljust(self.width))
            self.stream.flush()
            self.width = len(message)

    def done(self) -> None:
        if self.active and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
