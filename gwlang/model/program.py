"""A program: the loaded modules, their schemas, and the concrete sites to compile.

`compile_sites` is the front half of the compiler in a few visible lines:
load, gather schemas, instantiate each site, validate it.  Each site is
built and validated on its own, so memory follows one site at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gwlang.diagnostics import GwError, Label, error, group_by_node
from gwlang.eval.modules import LoadedModule, stdlib_root
from gwlang.eval.values import Declaration, Scope
from gwlang.model.checks import check_sites
from gwlang.model.model import SiteModel
from gwlang.model.schema import SchemaRegistry, build_registry
from gwlang.model.sites import SiteEntities, instantiate
from gwlang.model.validate import validate
from gwlang.session import Session
from gwlang.syntax import ast

PRELUDE = "gw/schema.gw"   # the stdlib's schemas, loaded for every program


def _require_stdlib() -> None:
    """Without the stdlib folder every site fails with six "declares no attributes" errors about
    schemas the user never wrote; one error naming the missing folder says what is really wrong.
    (A folder without the prelude is allowed: tests and stdlib authors use small ones.)"""
    stdlib = stdlib_root()
    if not stdlib.is_dir():
        raise GwError(error("E0711", "the standard library is missing", None,
                            notes=[f"gwc looks for it in `{stdlib}`, which does not exist"],
                            help="reinstall gwlang from a wheel or sdist built from the repository (they carry "
                                 "stdlib/), or set `GWLANG_STDLIB` to a stdlib folder").diagnostics)


@dataclass
class Program:
    session: Session
    inputs: list[LoadedModule]
    schemas: SchemaRegistry

    def sites(self) -> list[Declaration]:
        """The concrete sites declared in the input files, in file and declaration order."""
        found: list[Declaration] = []
        first: dict[str, ast.SiteDecl] = {}
        for module in self.inputs:
            scope = self.session.loader.scope(module)
            for item in module.module.items:
                if isinstance(item, ast.SiteDecl) and not item.abstract:
                    if item.name.name in first:
                        raise GwError(error(
                            "E0315", f"two sites are named `{item.name.name}`", item.name.span, "declared again here",
                            secondary=[Label(first[item.name.name].name.span, "first declared here")],
                            notes=["sites compiled together share the output folder and the MAC space"],
                            help="rename one of them").diagnostics)
                    first[item.name.name] = item
                    declaration = scope.names[item.name.name]
                    assert isinstance(declaration, Declaration)
                    found.append(declaration)
        return found

    def entities(self, site: Declaration) -> SiteEntities:
        return instantiate(site, self.schemas, self.session.evaluator)

    def site_model(self, site: Declaration, checked: bool = False) -> SiteModel:
        """The validated model of one site; with `checked`, the site-wide checks must pass too.

        Every diagnostic about a site leaves through here, so this is where a
        family's identical mistakes become one (`group_by_node`), whichever
        stage or check found them.
        """
        try:
            return self._site_model(site, checked)
        except GwError as failure:
            raise GwError(group_by_node(failure.diagnostics)) from None

    def _site_model(self, site: Declaration, checked: bool) -> SiteModel:
        self.session.evaluator.reads.clear()
        entities = self.entities(site)
        model = validate(entities, self.session.evaluator)
        if checked:
            problems = check_sites([model])
            if problems:
                raise GwError(problems)
        return model


def load_program(files: list[Path], include: list[str] | tuple[str, ...] = ()) -> Program:
    _require_stdlib()
    session = Session(include)
    failures: list[GwError] = []
    inputs: list[LoadedModule] = []
    prelude = stdlib_root() / PRELUDE
    if prelude.is_file():
        session.loader.load_file(prelude)
    for path in files:
        try:
            inputs.append(session.load(path))
        except GwError as failure:
            failures.append(failure)
    if failures:
        # A broken module imported by several inputs fails each of them with the same diagnostics.
        raise GwError(list(dict.fromkeys(d for f in failures for d in f.diagnostics)))
    schema_decls: list[tuple[ast.SchemaDecl, Scope]] = []
    for loaded in session.loader.modules.values():
        scope = session.loader.scope(loaded)
        schema_decls.extend((item, scope) for item in loaded.module.items if isinstance(item, ast.SchemaDecl))
    return Program(session, inputs, build_registry(schema_decls))


def gw_files(paths: list[Path]) -> Iterator[Path]:
    """Files named, and the `.gw` files under folders named, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(path.rglob("*.gw"))
        else:
            yield path
