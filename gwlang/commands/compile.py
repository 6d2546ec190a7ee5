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
from gwlang.emit.artifact import Artifact
from gwlang.emit.writer import Difference, TreeWriter, compare
from gwlang.model.model import SiteModel
from gwlang.model.program import Program
from gwlang.pipeline import compile_program

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
        counts = _Counts()
        artifacts = _artifacts(compile_program(program, sites), len(sites), counts, progress)
        if arguments.check:
            differences = compare(output, artifacts)
            if differences:
                _print_differences(differences)
                raise CheckFailed()
            return f"{output}/ is up to date: {counts}"
        writer = TreeWriter(output)
        try:
            for artifact in artifacts:
                writer.add(artifact)
        except BaseException:
            writer.abandon()
            raise
        summary = writer.commit()
        elapsed = time.monotonic() - started
        return (f"{counts}: {len(summary.written)} files written, "
                f"{len(summary.unchanged)} unchanged, {len(summary.removed)} removed in {elapsed:.2f}s")

    try:
        return with_program(arguments, run)
    finally:
        progress.done()


class _Counts:
    def __init__(self) -> None:
        self.sites = 0
        self.nodes = 0

    def __str__(self) -> str:
        return f"{self.sites} sites, {self.nodes} nodes"


def _artifacts(compiled: Iterator[tuple[SiteModel, list[Artifact]]], total: int, counts: _Counts,
               progress: _Progress) -> Iterator[Artifact]:
    for model, artifacts in compiled:
        counts.sites += 1
        counts.nodes += len(model.nodes)
        progress.show(f"compiled site {counts.sites}/{total}: {model.name}")
        yield from artifacts


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
