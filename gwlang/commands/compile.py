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
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gwlang import incremental
from gwlang.commands.errors import CheckFailed, CommandAborted, CommandFailed
from gwlang.commands.progress import Progress
from gwlang.commands.sites import add_sources
from gwlang.incremental import (
    FolderCheck,
    FolderRecord,
    SiteRecord,
    check_folder,
    context_of,
    output_change,
    outputs_digest,
    program_facts,
    save_records,
    site_sources,
)
from gwlang.paths import checked, resolved

if TYPE_CHECKING:
    from gwlang.emit.artifact import Artifact
    from gwlang.emit.writer import Difference, StagedSite, TreeWriter
    from gwlang.eval.values import Declaration
    from gwlang.model.checks import MacEntry
    from gwlang.model.program import Program
    from gwlang.pipeline import SiteOutcome

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
    parser.add_argument("--explain-rebuild", action="store_true",
                        help="say why each site was compiled again, and that the others were kept")
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
    context = context_of(arguments.sources, arguments.include)
    # `--check` compiles every site: it is how CI proves the folder, so it trusts no record.
    enabled = not arguments.no_cache and not arguments.check
    if enabled:
        check = check_folder(output, context)
        if check.unchanged and check.record is not None and (arguments.site is None
                                                             or arguments.site in check.record.sites):
            return _nothing_changed(arguments, output, check, started)
    progress = Progress(sys.stderr)
    try:
        return _compile(arguments, output, context, enabled, started, progress)
    finally:
        progress.done()


def _nothing_changed(arguments: argparse.Namespace, output: Path, check: FolderCheck, started: float) -> str:
    """The record alone says every site stands: nothing parsed, nothing written (the record's stat
    signatures are refreshed where a source was touched without being changed)."""
    assert check.record is not None
    if check.refreshed:
        save_records(output, check.record)
    else:
        incremental.record_used(output)
    sites = [arguments.site] if arguments.site is not None else list(check.record.sites)
    records = [check.record.sites[name] for name in sites]
    counts = _Counts()
    counts.sites = counts.kept = len(records)
    counts.nodes = sum(record.nodes for record in records)
    files = sum(len(record.files) for record in records)
    lines = [f"kept every site: nothing it reads changed since the last compile into {output}/"] \
        if arguments.explain_rebuild else []
    elapsed = time.monotonic() - started
    lines.append(f"{counts}: 0 files written, {files} unchanged, 0 removed, "
                 f"{plural(counts.kept, 'site')} unchanged in {elapsed:.2f}s")
    return "\n".join(lines)


def _compile(arguments: argparse.Namespace, output: Path, context: dict[str, Any], enabled: bool,
             started: float, progress: Progress) -> str:
    """Load the program and compile what the records cannot keep."""
    from concurrent.futures.process import BrokenProcessPool

    from gwlang.commands.sites import pick_site, source_files
    from gwlang.diagnostics import GwError
    from gwlang.emit.writer import TreeWriter, compare
    from gwlang.model.program import load_program
    from gwlang.parallel import available_cores
    from gwlang.pipeline import compile_program

    files = source_files(arguments)

    def run(program: Program) -> str:
        sites = program.sites() if arguments.site is None else [pick_site(program, arguments.site)]
        only = None if arguments.site is None else {site.name for site in sites}
        counts = _Counts()
        why_all = "`--check` compiles every site" if arguments.check else "`--no-cache` compiles every site"
        cache = _Cache(output, program, sites, context, tuple(str(f) for f in files), enabled,
                       why_all, every_site=arguments.site is None)
        jobs = arguments.jobs or available_cores()
        # Writing stages each site's files where it was compiled (a worker writes its own site's folder).
        writer = None if arguments.check else TreeWriter(output, only)
        compiled = compile_program(program, sites, reuse=cache.reuse, jobs=jobs,
                                   stage=writer.stage if writer is not None else None)
        try:
            with contextlib.closing(compiled):       # an early stop ends the worker processes at once
                try:
                    return write_or_check(compiled, writer, sites, only, counts, cache)
                except BrokenProcessPool as broken:
                    raise CommandAborted(f"a worker process died ({broken}); {output}/ is as it was. Is memory "
                                         f"short? `-j 1` compiles in one process") from broken
        except BaseException:
            if writer is not None:
                writer.abandon()        # after the workers stopped: none writes into the staging tree any more
            raise

    def write_or_check(compiled: Iterator[SiteOutcome], writer: TreeWriter | None, sites: list[Declaration],
                       only: set[str] | None, counts: _Counts, cache: _Cache) -> str:
        if writer is None:
            differences = compare(output, _artifacts(compiled, len(sites), counts, progress), only)
            if differences:
                _print_differences(differences)
                raise CheckFailed()
            return f"{output}/ is up to date: {counts}"
        for staged in _staged(compiled, len(sites), counts, progress, cache, writer):
            writer.add(staged)
        summary = writer.commit()
        cache.save()
        elapsed = time.monotonic() - started
        kept = f", {plural(counts.kept, 'site')} unchanged" if counts.kept else ""
        explained = cache.explanation(len(sites)) if arguments.explain_rebuild else []
        return "\n".join([*explained, f"{counts}: {len(summary.written)} files written, "
                           f"{len(summary.unchanged)} unchanged, {len(summary.removed)} removed{kept} "
                           f"in {elapsed:.2f}s"])

    try:
        return run(load_program(files, arguments.include))
    except GwError as failure:
        raise CommandFailed(failure) from None


def plural(count: int, noun: str) -> str:
    """`1 site`, `2 sites` (as `commands/sites.py` says it, without importing the compiler)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class _Counts:
    def __init__(self) -> None:
        self.sites = 0
        self.nodes = 0
        self.kept = 0

    def __str__(self) -> str:
        return f"{plural(self.sites, 'site')}, {plural(self.nodes, 'node')}"


def _artifacts(compiled: Iterator[SiteOutcome], total: int, counts: _Counts,
               progress: Progress) -> Iterator[Artifact]:
    """The artifacts to compare, for `--check` (which keeps no site and stages nothing)."""
    for site in compiled:
        counts.sites += 1
        counts.nodes += site.nodes
        progress.show(f"compiled site {counts.sites}/{total}: {site.name}")
        yield from site.artifacts or ()


def _staged(compiled: Iterator[SiteOutcome], total: int, counts: _Counts, progress: Progress, cache: _Cache,
            writer: TreeWriter) -> Iterator[StagedSite]:
    """Each compiled site's staged files for the writer's account; a kept site's files go to it as they are."""
    for site in compiled:
        counts.sites += 1
        counts.nodes += site.nodes
        if site.kept:
            counts.kept += 1
            writer.keep(cache.files_of(site.name))
            cache.compiled(site, None)
            progress.show(f"kept site {counts.sites}/{total}: {site.name}")
            continue
        progress.show(f"compiled site {counts.sites}/{total}: {site.name}")
        staged = site.staged
        assert staged is not None
        cache.compiled(site, [*staged.written, *staged.unchanged])
        yield staged


class _Cache:
    """The record of `incremental.py` for one output folder: what to keep, why not, and what to remember."""

    def __init__(self, output: Path, program: Program, sites: list[Declaration], context: dict[str, Any],
                 inputs: tuple[str, ...], enabled: bool, why_all: str, every_site: bool) -> None:
        from gwlang.incremental import load_record_with_time
        self.output = output
        self.folder = str(output.absolute())
        self.program = program
        self.context = context
        self.inputs = inputs
        self.enabled = enabled
        self.why_all = why_all
        self.every_site = every_site
        loaded = load_record_with_time(output) if enabled else None
        self.record: FolderRecord | None = loaded[0] if loaded is not None else None
        self.written_at = loaded[1] if loaded is not None else 0
        self.compiler = incremental.compiler_fingerprint()     # looked up on use: the tests replace it
        self.fingerprints: dict[str, str] = {}
        self.modules: dict[str, tuple[str, ...]] = {}
        # What the record needs of each site done: its files, node count and MACs, never its artifacts.
        self.made: dict[str, tuple[tuple[str, ...], int, tuple[str, ...]]] = {}
        self.reasons: dict[str, str] = {}       # the sites compiled, and why
        # Outputs found as recorded before anything is written: their record may be renewed after it.
        self.validated: set[str] = set()
        if self.record is not None and not every_site:
            self.validated = {name for name, site in self.record.sites.items()
                              if outputs_digest(self.folder, site.files) == site.outputs}

    def reuse(self, site: Declaration) -> tuple[int, tuple[MacEntry, ...]] | None:
        from gwlang.model.checks import MacEntry
        sources = site_sources(self.program, site)
        self.modules[site.name] = tuple(source.path for source in sources)
        fingerprint = self.fingerprints[site.name] = self._fingerprint(site.name, sources)
        reason = self._why_compile(site.name, fingerprint, sources)
        if reason is not None:
            self.reasons[site.name] = reason
            return None
        assert self.record is not None
        record = self.record.sites[site.name]
        self.validated.add(site.name)
        return record.nodes, tuple(MacEntry.decode(text) for text in record.macs)

    def _fingerprint(self, name: str, sources: list[Any]) -> str:
        from gwlang.incremental import fingerprint
        return fingerprint(name, self.compiler, os.getcwd(), sources)

    def _why_compile(self, name: str, fingerprint: str, sources: list[Any]) -> str | None:
        """None to keep the site; otherwise the first reason, in the words of `--explain-rebuild`."""
        if not self.enabled:
            return self.why_all
        record = self.record.sites.get(name) if self.record is not None else None
        if self.record is None or record is None:
            return "there is no record of it in this folder"
        if record.fingerprint == fingerprint:
            if outputs_digest(self.folder, record.files) == record.outputs:
                return None
            return output_change(self.folder, record, self.written_at)
        if self.record.compiler != self.compiler:
            return "the compiler changed"
        if self.record.context.get("cwd") != self.context["cwd"]:
            return "the working directory changed"
        before = {path: self.record.sources[path] for path in record.modules if path in self.record.sources}
        changes = []
        for source in sorted(sources, key=lambda s: s.path):
            old = before.pop(source.path, None)
            if old is None:
                changes.append(f"it now reads `{source.name}`")
            elif old.digest != source.digest or old.name != source.name:
                changes.append(f"`{source.name}` changed")
        changes.extend(f"it no longer reads `{source.name}`" for source in before.values())
        return "; ".join(changes) if changes else "what it reads changed"

    def explanation(self, total: int) -> list[str]:
        lines = [f"compiled `{name}`: {reason}" for name, reason in self.reasons.items()]
        kept = total - len(self.reasons)
        if kept:
            lines.append(f"kept {plural(kept, 'site')}: nothing {'it reads' if kept == 1 else 'they read'} "
                         "changed since the last compile into this folder")
        return lines

    def files_of(self, site: str) -> list[str]:
        assert self.record is not None
        return list(self.record.sites[site].files)

    def compiled(self, site: SiteOutcome, paths: list[str] | None) -> None:
        files = self.record.sites[site.name].files if paths is None and self.record is not None \
            else tuple(sorted(paths or ()))
        self.made[site.name] = (files, site.nodes, tuple(entry.encode() for entry in site.macs))

    def save(self) -> None:
        """After a successful write: each site's files as they now are (with `--site`, the others stay).

        A site's outputs are signed again only if they were found as recorded
        before the write (or were just written): renewing the signature of a
        file edited by hand would hide the edit from the next compile.
        """
        sources, absent = program_facts(self.program)
        sites: dict[str, SiteRecord] = {}
        if not self.every_site and self.record is not None:
            sources = {**self.record.sources, **sources}
            for name, record in self.record.sites.items():
                renewed = outputs_digest(self.folder, record.files) if name in self.validated else None
                sites[name] = SiteRecord(record.fingerprint, record.modules, record.files,
                                         renewed or record.outputs, record.nodes, record.macs)
        for name, (files, nodes, macs) in self.made.items():
            sites[name] = SiteRecord(self.fingerprints[name], self.modules[name], files,
                                     outputs_digest(self.folder, files) or "", nodes, macs)
        # Only a compile of every site may vouch for the files found: `--site` keeps what the last full one found.
        inputs = self.inputs if self.every_site else \
            self.record.inputs if self.record is not None and self.record.context == self.context else ()
        save_records(self.output, FolderRecord(sites, self.compiler, self.context, inputs, sources, absent))


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
