"""The compiler in one screen: sources to checked models to artifacts, site by site.

    text ─parse/load─► modules ─instantiate/merge─► entities ─validate─► SiteModel
         ─check─► diagnostics or a checked model ─emit─► CompiledSite (artifacts, indexed)

The command line, the pytest plugin for site authors and the tests all
compile through `compile_sources`; `gwc compile` adds only the writing.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gwlang import parallel
from gwlang.compiled import CompiledSite
from gwlang.diagnostics import Diagnostic, GwError, without_repeats
from gwlang.emit.artifact import Artifact
from gwlang.emit.site import emit_site
from gwlang.eval.values import Declaration
from gwlang.model.checks import MacEntry, check_across_sites, mac_entries, macs_clash
from gwlang.model.model import SiteModel
from gwlang.model.program import Program, gw_files, load_program


def compile_site(program: Program, site: Declaration) -> CompiledSite:
    """One site: merged, validated, checked, emitted.  Raises `GwError` with every problem found."""
    return emit_site(program.site_model(site, checked=True))


@dataclass(frozen=True)
class SiteOutcome:
    """One site's outcome: its artifacts, or None when the last compile's files are kept as they are.

    `compiled` is the whole `CompiledSite` when asked for (`keep_models`);
    otherwise only the artifacts are kept, which is all that travels back
    from a worker process and all that writing needs.  With a `stage`
    function, the site's files are written where it was compiled and only
    what `stage` returned (the names) is kept, in `staged`.
    """
    name: str
    nodes: int
    macs: tuple[MacEntry, ...]
    compiled: CompiledSite | None
    artifacts: list[Artifact] | None
    staged: Any = None

    @property
    def kept(self) -> bool:
        """The last compile's files stand: nothing was compiled."""
        return self.artifacts is None and self.staged is None

    @property
    def model(self) -> SiteModel | None:
        return self.compiled.model if self.compiled is not None else None


# Given a site, a compile kept from last time (its node count and MACs), or None to compile it.
Reuse = Callable[[Declaration], tuple[int, tuple[MacEntry, ...]] | None]
# Given a site's artifacts, written where the site was compiled: what the writer needs to know of them.
Stage = Callable[[Sequence[Artifact]], Any]

# The `stage` of the running `compile_program`, set before worker processes fork so that they inherit it.
_stage: Stage | None = None


def compile_program(program: Program, sites: Sequence[Declaration], reuse: Reuse | None = None,
                    keep_models: bool = False, jobs: int = 1,
                    stage: Stage | None = None) -> Generator[SiteOutcome, None, None]:
    """Each site in turn; problems are gathered across sites and raised at the end.

    Artifacts stop flowing after the first failing site (nothing will be
    written), but the remaining sites are still compiled so that one run
    reports every mistake.  Memory follows one site: only each site's MACs
    are kept for the check across sites, and the sites that share one are
    evaluated again to report it with its locations.  With `jobs` above one,
    sites are compiled in that many worker processes (`parallel.py`) and
    come out in the same order.  With `stage`, each site's files are
    written as soon as it is compiled, in the process that compiled it
    (`gwc compile` stages them in a tree it discards if the compile fails).
    """
    global _stage
    _stage = stage
    problems: list[Diagnostic] = []
    users: dict[str, list[tuple[str, MacEntry]]] = {}     # MAC -> the sites using it so far
    clashing: dict[str, Declaration] = {}
    by_name = {site.name: site for site in sites}
    outcomes = _outcomes(program, sites, reuse, keep_models, jobs)
    try:
        for site, outcome in outcomes:
            if isinstance(outcome, list):
                problems.extend(outcome)
                continue
            for entry in outcome.macs:
                others = users.setdefault(entry.mac, [])
                for other_site, other in others:
                    if other_site != site.name and macs_clash(entry, other):
                        clashing[other_site] = by_name[other_site]
                        clashing[site.name] = site
                others.append((site.name, entry))
            if not problems and not clashing:
                yield outcome
    finally:
        outcomes.close()        # a caller that stops early stops the worker processes now, not at collection
        _stage = None
    if clashing:
        problems.extend(check_across_sites([program.site_model(site) for site in clashing.values()]))
    if problems:
        raise GwError(without_repeats(problems))


_Outcome = SiteOutcome | list[Diagnostic]


def _outcomes(program: Program, sites: Sequence[Declaration], reuse: Reuse | None, keep_models: bool,
              jobs: int) -> Generator[tuple[Declaration, _Outcome], None, None]:
    """Each site's compile, or what was kept of it, in order; the sites to compile shared among `jobs` workers."""
    kept = {site.name: reuse(site) for site in sites} if reuse is not None else {}
    todo = [site for site in sites if kept.get(site.name) is None]
    workers = min(jobs, len(todo))
    compiled: Generator[_Outcome, None, None]
    if workers > 1 and not keep_models and parallel.can_fork():
        compiled = parallel.map_sites(program, todo, _compile_one, workers)
    else:
        compiled = (_compile_one(program, site, keep_models) for site in todo)
    try:
        for site in sites:
            previous = kept.get(site.name)
            if previous is not None:
                yield site, SiteOutcome(site.name, previous[0], previous[1], None, None, None)
            else:
                yield site, next(compiled)
    finally:
        compiled.close()


def _compile_one(program: Program, site: Declaration, keep_model: bool = False) -> _Outcome:
    try:
        compiled = compile_site(program, site)
    except GwError as failure:
        return list(failure.diagnostics)
    nodes, macs = len(compiled.model.nodes), mac_entries(compiled.model)
    if _stage is not None and not keep_model:
        return SiteOutcome(site.name, nodes, macs, None, None, _stage(compiled.artifacts))
    return SiteOutcome(site.name, nodes, macs, compiled if keep_model else None, list(compiled.artifacts))


def compile_sites(paths: Sequence[Path | str], include: Sequence[str] = (),
                  site: str | None = None) -> list[CompiledSite]:
    """Compile files or folders in memory (for tests and tools); no output folder involved."""
    program = load_program(gw_files([Path(p) for p in paths]), tuple(include))
    sites = [s for s in program.sites() if site is None or s.name == site]
    return [outcome.compiled for outcome in compile_program(program, sites, keep_models=True)
            if outcome.compiled is not None]


def compile_sources(paths: Sequence[Path | str], include: Sequence[str] = (),
                    site: str | None = None) -> list[tuple[SiteModel, list[Artifact]]]:
    """Each site's model and artifacts, as `compile_sites` gives them."""
    return [(compiled.model, list(compiled.artifacts)) for compiled in compile_sites(paths, include, site)]
