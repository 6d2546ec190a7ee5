"""One file analysed as `gwc check` would: loaded with its imports, its sites compiled, every diagnostic kept.

The file is the program's only input, read from the editor's buffer, and
each concrete site it declares goes through the compiler's own
`compile_site` (merge, validate, the site checks, the emitters), so the
diagnostics are exactly the CLI's.  The loaded modules and the program stay
with the result: navigation reads their syntax, and hover evaluates one
value of one entity from the same program.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gwlang.diagnostics import Diagnostic, GwError, group_by_node, without_repeats
from gwlang.eval.evaluator import run_deep
from gwlang.eval.limits import OutOfMemory
from gwlang.eval.modules import LoadedModule
from gwlang.lsp.documents import Documents
from gwlang.model.program import Program, load_program
from gwlang.model.sites import SiteEntities
from gwlang.session import Session


@dataclass
class Analysis:
    """What one run found about `path`: the diagnostics, and what navigation and hover read."""
    path: Path
    diagnostics: list[Diagnostic]
    program: Program | None
    modules: dict[Path, LoadedModule] = field(default_factory=dict)
    read: set[Path] = field(default_factory=set)      # every file it read, loaded or not
    _entities: dict[str, SiteEntities] = field(default_factory=dict)

    def entities(self, site: str) -> SiteEntities | None:
        """The entities of a concrete site of the file, built once (hover explains values from them)."""
        if self.program is None:
            return None
        if site not in self._entities:
            declaration = next((s for s in self.program.sites() if s.name == site), None)
            if declaration is None:
                return None
            self._entities[site] = self.program.entities(declaration)
        return self._entities[site]

    def site_names(self) -> list[str]:
        if self.program is None:
            return []
        try:
            return [site.name for site in self.program.sites()]
        except GwError:
            return []


def analyse(path: Path, documents: Documents, include: tuple[str, ...] = ()) -> Analysis:
    """Load and compile `path` on a deep stack; never raises for a problem of the sources."""
    analysis: Analysis = guarded(lambda: _analyse(path, documents, include),
                                 lambda problems: Analysis(path, problems, None))
    return analysis


def guarded(work: Any, failed: Any) -> Any:
    """Run `work` on the evaluator's deep stack; a memory or stack overrun becomes diagnostics for `failed`."""
    try:
        return run_deep(work)
    except OutOfMemory as stopped:
        return failed([stopped.diagnostic()])
    except RecursionError:
        return failed([])


def _analyse(path: Path, documents: Documents, include: tuple[str, ...]) -> Analysis:
    session = Session(include)
    loader = session.loader = documents.loader(session.loader.search, session.evaluator)
    try:
        program = load_program([path], include, session)
    except GwError as failure:
        return Analysis(path, failure.diagnostics, None, dict(loader.modules), loader.read)
    problems: list[Diagnostic] = []
    try:
        sites = program.sites()
    except GwError as failure:
        sites = []
        problems.extend(failure.diagnostics)
    from gwlang.pipeline import compile_site  # the emitters pull in jinja2
    for site in sites:
        try:
            compile_site(program, site)
        except GwError as failure:
            problems.extend(group_by_node(failure.diagnostics))
    return Analysis(path, without_repeats(problems), program, dict(loader.modules), loader.read)
