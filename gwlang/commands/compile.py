"""`gwc compile`: every site of the sources to its files under the output folder.

Sites are compiled one at a time (memory follows one site), and their files
go into a staging tree that replaces the output folder only when every site
compiled: a failing compile leaves the folder exactly as it was.
`--check` compares instead of writing, for CI.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import sys
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from gwlang.commands.errors import CheckFailed, CommandAborted
from gwlang.commands.progress import Progress
from gwlang.commands.sites import add_sources, pick_site, plural, with_program
from gwlang.emit.artifact import Artifact
from gwlang.emit.writer import Difference, TreeWriter, compare
from gwlang.eval.values import Declaration
from gwlang.incremental import SiteRecord, load_records, save_records, signatures, site_fingerprint, still_valid
from gwlang.model.checks import MacEntry
from gwlang.model.program import Program
from gwlang.parallel import available_cores
from gwlang.paths import checked, resolved
from gwlang.pipeline import SiteOutcome, compile_program

DEFAULT_OUTPUT = "generated"
DIFF_LINES = 40

EPILOG = """\
examples:
  gwc compile                          sites/ to generated/
  gwc compile sites/tcd.gw -o out      one file, another folder
  gwc compile --check                  exit 1 and list what differs if generated/ is stale
  gwc compile -j 1                     one process (default: a worker process per core)
"""


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
    parser.add_argument("--no-cache", action="store_true",
                        help="compile every site, even those whose sources did not change since the last compile "
                             "into this folder")
    add_jobs(parser)
    parser.set_defaults(handler=command_compile)


def add_jobs(parser: argparse.ArgumentParser) -> None:
    """`-j N`, shared by `gwc compile` and `gwc check` (which compiles without writing)."""
    parser.add_argument("-j", "--jobs", metavar="N", type=_jobs, default=None,
                        help="compile up to N sites at once in worker processes (default: one per core)")


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of processes, 1 or more, not {text!r}")
    return int(text)


def command_compile(arguments: argparse.Namespace) -> str:
    output = checked(arguments.output, "the output folder")
    resolved(output, "the output folder")  # a symlink loop is the command line's mistake, found before any work
    started = time.monotonic()
    progress = Progress(sys.stderr)

    def run(program: Program) -> str:
        sites = program.sites() if arguments.site is None else [pick_site(program, arguments.site)]
        only = None if arguments.site is None else {site.name for site in sites}
        counts = _Counts()
        # `--check` compiles every site: it is how CI proves the folder, so it trusts no record.
        cache = _Cache(output, program, sites, enabled=not arguments.no_cache and not arguments.check)
        jobs = arguments.jobs or available_cores()
        compiled = compile_program(program, sites, reuse=cache.reuse if cache.enabled else None, jobs=jobs)
        with contextlib.closing(compiled):       # an early stop ends the worker processes at once
            try:
                return write_or_check(compiled, sites, only, counts, cache)
            except BrokenProcessPool as broken:
                raise CommandAborted(f"a worker process died ({broken}); {output}/ is as it was. Is memory short? "
                                     f"`-j 1` compiles in one process") from broken

    def write_or_check(compiled: Iterator[SiteOutcome], sites: list[Declaration], only: set[str] | None,
                       counts: _Counts, cache: _Cache) -> str:
        if arguments.check:
            differences = compare(output, _artifacts(compiled, len(sites), counts, progress, cache=None), only)
            if differences:
                _print_differences(differences)
                raise CheckFailed()
            return f"{output}/ is up to date: {counts}"
        writer = TreeWriter(output, only)
        try:
            for artifact in _artifacts(compiled, len(sites), counts, progress, cache=cache, writer=writer):
                writer.add(artifact)
        except BaseException:
            writer.abandon()
            raise
        summary = writer.commit()
        cache.save(every_site=arguments.site is None)
        elapsed = time.monotonic() - started
        kept = f", {plural(counts.kept, 'site')} unchanged" if counts.kept else ""
        return (f"{counts}: {len(summary.written)} files written, "
                f"{len(summary.unchanged)} unchanged, {len(summary.removed)} removed{kept} in {elapsed:.2f}s")

    try:
        return with_program(arguments, run)
    finally:
        progress.done()


class _Counts:
    def __init__(self) -> None:
        self.sites = 0
        self.nodes = 0
        self.kept = 0

    def __str__(self) -> str:
        return f"{plural(self.sites, 'site')}, {plural(self.nodes, 'node')}"


def _artifacts(compiled: Iterator[SiteOutcome], total: int, counts: _Counts, progress: Progress,
               cache: _Cache | None, writer: TreeWriter | None = None) -> Iterator[Artifact]:
    """The artifacts to write; a site kept from last time goes straight to the writer (`--check` never keeps)."""
    for site in compiled:
        counts.sites += 1
        counts.nodes += site.nodes
        if site.artifacts is None:
            assert cache is not None and writer is not None
            counts.kept += 1
            writer.keep(cache.files_of(site.name))
            cache.compiled(site, None)
            progress.show(f"kept site {counts.sites}/{total}: {site.name}")
            continue
        progress.show(f"compiled site {counts.sites}/{total}: {site.name}")
        if cache is not None:
            cache.compiled(site, [a.path for a in site.artifacts])
        yield from site.artifacts


class _Cache:
    """The records of `incremental.py` for one output folder: what to keep, and what to remember."""

    def __init__(self, output: Path, program: Program, sites: list[Declaration], enabled: bool) -> None:
        self.output = output
        self.program = program
        self.declarations = {site.name: site for site in sites}
        self.enabled = enabled
        self.records = load_records(output) if enabled else {}
        self.fingerprints: dict[str, str] = {}
        self.made: dict[str, tuple[SiteOutcome, list[str] | None]] = {}

    def reuse(self, site: Declaration) -> tuple[int, tuple[MacEntry, ...]] | None:
        fingerprint = self.fingerprints[site.name] = site_fingerprint(self.program, site)
        record = self.records.get(site.name)
        if not self.enabled or record is None or not still_valid(self.output, record, fingerprint):
            return None
        return record.nodes, tuple(MacEntry.decode(text) for text in record.macs)

    def files_of(self, site: str) -> list[str]:
        return sorted(self.records[site].files)

    def compiled(self, site: SiteOutcome, paths: list[str] | None) -> None:
        if site.name not in self.fingerprints:
            self.fingerprints[site.name] = site_fingerprint(self.program, self.declarations[site.name])
        self.made[site.name] = (site, paths)

    def save(self, every_site: bool) -> None:
        """After a successful write: each site's files as they now are (with `--site`, the others stay)."""
        records = {} if every_site else dict(self.records)
        for name, (site, paths) in self.made.items():
            # A kept site's files were just checked against its record, and the writer only links them.
            files = self.records[name].files if paths is None else signatures(self.output, paths)
            records[name] = SiteRecord(self.fingerprints[name], files, site.nodes,
                                       tuple(entry.encode() for entry in site.macs))
        save_records(self.output, records)


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
