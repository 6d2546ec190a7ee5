"""A program: the loaded modules, their schemas, and the concrete sites to compile.

`load_program` and `Program.site_model` are the front half of the compiler
in a few visible lines: load, gather schemas, instantiate each site, validate
it (`pipeline.compile_site` adds the checks and the emitters).  Each site is
built and validated on its own, so memory follows one site at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gwlang.diagnostics import Diagnostic, GwError, Label, error, group_by_node
from gwlang.eval.modules import LoadedModule, stdlib_root
from gwlang.eval.values import Declaration, Scope
from gwlang.model.checks import check_sites
from gwlang.model.model import SiteModel
from gwlang.model.schema import SchemaRegistry, build_registry
from gwlang.model.sharing import SharedValues
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
    # values of node attributes that read no late-bound name, made once per profile linearisation
    shared: SharedValues = field(default_factory=SharedValues)

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
        return instantiate(site, self.schemas, self.session.evaluator, self.shared)

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
        entities = self.entities(site)
        model = validate(entities, self.session.evaluator)
        if checked:
            problems = check_sites([model])
            if problems:
                raise GwError(problems)
        return model


def load_program(files: list[Path], include: list[str] | tuple[str, ...] = (),
                 session: Session | None = None) -> Program:
    """`session` is a fresh one by default; the language server passes one reading its editor's buffers."""
    _require_stdlib()
    session = session or Session(include)
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


def gw_files(paths: list[Path]) -> list[Path]:
    """Files named, and the `.gw` files under folders named, in a stable order.

    A file named is read whatever it is: the user chose it.  A folder is
    scanned, and a symlink in it whose target lies outside it is refused
    (E0234) rather than read: otherwise a folder of sources handed to gwc
    (a merge request's, say) could make its diagnostics show lines of any
    file the compiling user can read.  Links within the folder are fine.
    `rglob` does not descend into linked folders, so only the files
    themselves can lead out.
    """
    named = {path.absolute() for path in paths if not path.is_dir()}
    files: dict[Path, Path] = {}  # by absolute path: a file named and also in a folder named is read once
    refused: list[Diagnostic] = []
    for path in paths:
        if not path.is_dir():
            files.setdefault(path.absolute(), path)
            continue
        folder = path.resolve()
        for found in sorted(path.rglob("*.gw")):
            if found.is_symlink() and found.absolute() not in named and not _leads_inside(found, folder):
                refused.append(_outside_link(found, path))
            else:
                files.setdefault(found.absolute(), found)
    if refused:
        raise GwError(refused)
    return list(files.values())


def _leads_inside(link: Path, folder: Path) -> bool:
    try:
        target = link.resolve()
    except (OSError, RuntimeError):
        return True  # a symlink loop reads nothing; loading it reports it
    return target == folder or folder in target.parents


def _outside_link(link: Path, folder: Path) -> Diagnostic:
    return error("E0234", f"`{link}` is a symlink to a file outside `{folder}`; it is not read", None,
                 notes=["a folder's sources are the files under it: a link leading elsewhere could show "
                        "lines of any file you can read in gwc's diagnostics"],
                 help=f"name the link on the command line as well to read it anyway (`gwc check {folder} {link}`), "
                      "or copy the file into the folder").diagnostics[0]
