"""The compiler in one screen: sources to checked models to artifacts, site by site.

    text ─parse/load─► modules ─instantiate/merge─► entities ─validate─► SiteModel
         ─check─► diagnostics or a checked model ─emit─► artifacts

The command line, the pytest plugin for site authors and the tests all
compile through `compile_sources`; `gwc compile` adds only the writing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from gwlang.diagnostics import Diagnostic, GwError
from gwlang.emit.artifact import Artifact
from gwlang.emit.site import emit_site
from gwlang.eval.values import Declaration
from gwlang.model.checks import check_across_sites
from gwlang.model.model import SiteModel
from gwlang.model.program import Program, gw_files, load_program


def compile_site(program: Program, site: Declaration) -> tuple[SiteModel, list[Artifact]]:
    """One site: merged, validated, checked, emitted.  Raises `GwError` with every problem found."""
    model = program.site_model(site, checked=True)
    return model, emit_site(model)


def compile_program(program: Program, sites: Sequence[Declaration]) -> Iterator[tuple[SiteModel, list[Artifact]]]:
    """Each site in turn; problems are gathered across sites and raised at the end.

    Artifacts stop flowing after the first failing site (nothing will be
    written), but the remaining sites are still compiled so that one run
    reports every mistake.
    """
    problems: list[Diagnostic] = []
    models: list[SiteModel] = []
    for site in sites:
        try:
            model, artifacts = compile_site(program, site)
        except GwError as failure:
            problems.extend(failure.diagnostics)
            continue
        models.append(model)
        if not problems:
            yield model, artifacts
    problems.extend(check_across_sites(models))
    if problems:
        raise GwError(problems)


def compile_sources(paths: Sequence[Path | str], include: Sequence[str] = (),
                    site: str | None = None) -> list[tuple[SiteModel, list[Artifact]]]:
    """Compile files or folders in memory (for tests and tools); no output folder involved."""
    program = load_program(list(gw_files([Path(p) for p in paths])), tuple(include))
    sites = [s for s in program.sites() if site is None or s.name == site]
    return list(compile_program(program, sites))
