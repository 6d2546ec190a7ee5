"""Modules: finding, confining, loading and scoping `.gw` files.

`"./x.gw"` is relative to the importing file and must stay inside that
file's root; `<a/b.gw>` is looked up in the search roots (`-I`, `GWPATH`,
then the stdlib).  Paths are resolved through symlinks before the check, so
a link cannot lead out.  A file is parsed and evaluated once per run; its
static imports are loaded when it is, so an import cycle is found before
anything is evaluated, and reported with every step.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gwlang.diagnostics import GwError, Label, Source, Span, did_you_mean, error
from gwlang.eval.evaluator import Evaluator
from gwlang.eval.scopes import undefined_in_module
from gwlang.eval.values import AttrSet, Declaration, Scope, Thunk, type_name
from gwlang.paths import BadPath, path_problem, resolved, shown
from gwlang.syntax import ast, parse_cache

_PACKAGE = Path(__file__).resolve().parent.parent
# A wheel or sdist carries the stdlib inside the package (setup.py maps the repository's stdlib/
# there); a source checkout and an editable install have only the repository's stdlib/ beside the
# package.  The installed place is tried first so that an unrelated `stdlib` folder next to an
# installed package is never taken for ours; when neither exists, the installed place is named in
# diagnostics, as the place a complete installation has it.
_STDLIB_PLACES = (_PACKAGE / "stdlib", _PACKAGE.parent / "stdlib")
STDLIB = next((place for place in _STDLIB_PLACES if place.is_dir()), _STDLIB_PLACES[0])


def stdlib_root() -> Path:
    override = os.environ.get("GWLANG_STDLIB")
    return Path(override).resolve() if override else STDLIB


@dataclass(frozen=True)
class SearchPath:
    """Where imports may come from.

    `search_roots` answer `<a/b.gw>`, in order.  `source_roots` are the trees
    relative imports may move within: the project (the working directory),
    each search root, and the folder of any file named on the command line
    outside them.
    """
    search_roots: tuple[Path, ...]
    source_roots: tuple[Path, ...]

    @staticmethod
    def build(include: list[str] | tuple[str, ...] = (), gwpath: str | None = None,
              project: Path | None = None) -> SearchPath:
        if gwpath is None:
            gwpath = os.environ.get("GWPATH", "")
        # A bad root is the command line's or the environment's mistake: `BadPath` ends the run (exit 2).
        roots = [resolved(Path(p), "the `-I` folder") for p in include]
        roots += [resolved(Path(p), "the `GWPATH` folder") for p in gwpath.split(os.pathsep) if p]
        roots.append(stdlib_root())
        project_root = (project or Path.cwd()).resolve()
        return SearchPath(tuple(roots), (project_root, *roots))

    def with_source_root(self, folder: Path) -> SearchPath:
        folder = folder.resolve()
        if any(_inside(folder, root) for root in self.source_roots):
            return self
        return SearchPath(self.search_roots, (*self.source_roots, folder))

    def root_of(self, path: Path) -> Path | None:
        containing = [root for root in self.source_roots if _inside(path, root)]
        return max(containing, key=lambda r: len(r.parts)) if containing else None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


@dataclass(eq=False)
class LoadedModule:
    path: Path
    source: Source
    module: ast.Module
    dependencies: dict[tuple[str, bool, str], LoadedModule] = field(default_factory=dict)
    scope: Scope | None = None
    exports: AttrSet | None = None
    value_thunk: Thunk | None = None


def display_name(path: Path) -> str:
    """Paths as users wrote them: the stdlib's as `<stdlib>/...` wherever it is installed (so
    diagnostics and manifests read the same on every machine), others relative to the
    working directory where possible."""
    stdlib = stdlib_root()
    if path == stdlib:
        return "<stdlib>"
    if _inside(path, stdlib):
        return f"<stdlib>/{path.relative_to(stdlib)}"
    return real_name(path)


def real_name(path: Path) -> str:
    """Where a file or folder really is: relative to the working directory where possible."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class ModuleLoader:
    """Loads files once each and gives their values and scopes to the evaluator."""

    def __init__(self, search: SearchPath, evaluator: Evaluator) -> None:
        self.search = search
        self.evaluator = evaluator
        evaluator.loader = self
        self.modules: dict[Path, LoadedModule] = {}
        self._by_source: dict[int, LoadedModule] = {}
        self._loading: list[tuple[Path, Span | None]] = []

    # -- loading -------------------------------------------------------------------

    def load_file(self, path: Path) -> LoadedModule:
        """A file named on the command line."""
        full = resolved(path, "the file")
        self.search = self.search.with_source_root(full.parent)
        return self._load(full, None)

    def load_text(self, name: str, text: str, folder: Path) -> LoadedModule:
        """Text that is not a file (an `-E` expression), importing relative to `folder`."""
        source = Source(name, text)
        loaded = LoadedModule(folder.resolve() / "-", source, parse_cache.parse(source))
        self._by_source[id(source)] = loaded
        self._load_dependencies(loaded)
        return loaded

    def read_text(self, path: Path) -> str:
        """A file's text; the language server reads an editor's unsaved buffer here instead."""
        return path.read_text(encoding="utf-8")

    def parse_text(self, path: Path, text: str) -> tuple[Source, ast.Module]:
        """A file's source and syntax, from the parse cache when the text is unchanged; the language
        server answers from its own cache of parsed texts first."""
        source = Source(display_name(path), text, str(path))
        return source, parse_cache.parse(source)

    def _load(self, path: Path, via: Span | None) -> LoadedModule:
        cached = self.modules.get(path)
        if cached is not None:
            return cached
        for index, (loading, _) in enumerate(self._loading):
            if loading == path:
                raise self._cycle(index, path, via)
        try:
            text = self.read_text(path)
        except (OSError, UnicodeDecodeError) as problem:
            reason = problem.strerror if isinstance(problem, OSError) and problem.strerror else str(problem)
            raise error("E0220", f"cannot read `{display_name(path)}`: {reason}", via,
                        "imported here" if via else "") from None
        loaded = LoadedModule(path, *self.parse_text(path, text))
        source = loaded.source
        self._by_source[id(source)] = loaded
        self._loading.append((path, via))
        try:
            self._load_dependencies(loaded)
        finally:
            self._loading.pop()
        self.modules[path] = loaded
        return loaded

    def _load_dependencies(self, loaded: LoadedModule) -> None:
        failures: list[GwError] = []
        for node in loaded.module.imports:
            key = (node.target, node.search, "")
            if key in loaded.dependencies:
                continue
            try:
                target = self.resolve(node.target, node.search, loaded.path, node.span)
                loaded.dependencies[key] = self._load(target, node.span)
            except GwError as failure:
                failures.append(failure)
        if failures:
            raise GwError([d for f in failures for d in f.diagnostics])

    def _cycle(self, index: int, path: Path, via: Span | None) -> GwError:
        steps = self._loading[index:]
        names = [display_name(p) for p, _ in steps] + [display_name(path)]
        chain = " -> ".join(names)
        secondary = [Label(span, f"`{names[number]}` imports `{names[number + 1]}`")
                     for number, (_, span) in enumerate(steps[1:]) if span]
        return error("E0222", "import cycle", via, f"this imports `{display_name(path)}` again, closing the cycle",
                     secondary=secondary, notes=[f"the cycle: {chain}"],
                     help="move what both files need into a third file that both import")

    def resolve(self, target: str, search: bool, importer: Path, span: Span) -> Path:
        """The file an import names; E0233 for a path no file system accepts, or a symlink loop."""
        problem = path_problem(target)
        if problem is not None:
            raise error("E0233", f"this import path {problem}", span, "not a usable path",
                        notes=[f"the path: `{shown(target)}`"],
                        help="import a file by a path of ordinary names, as `\"./roles.gw\"`")
        try:
            return self._resolve(target, search, importer, span)
        except BadPath as failure:
            # Named as written: the resolved path would be an absolute one the user never wrote.
            raise error("E0233", f"`{shown(target)}` cannot be resolved: {failure.reason}", span,
                        "not a usable path") from None
        except OSError as failure:
            raise error("E0220", f"cannot read `{shown(target)}`: {failure.strerror or failure}", span,
                        "imported here") from None

    def _resolve(self, target: str, search: bool, importer: Path, span: Span) -> Path:
        if search:
            return self._resolve_search(target, span)
        if not target.startswith(("./", "../")):
            raise error("E0220", f"a relative import starts with `./` or `../`: `{target}`", span,
                        "ambiguous path", help=f"write `\"./{target}\"`, or `<{target}>` for the search path")
        root = self.search.root_of(importer) or importer.parent
        candidate = resolved(importer.parent / target, "the import")
        if not _inside(candidate, root):
            raise error("E0221", f"`{target}` leads outside `{display_name(root)}`", span,
                        "this import leaves its root",
                        notes=[f"`{span.source.name}` lies under `{display_name(root)}`; "
                               "relative imports stay inside it, symlinks included"],
                        help="put the file under the same root, or add its folder with `-I` and import it as `<...>`")
        if not candidate.is_file():
            raise self._not_found(target, candidate.parent, span)
        return candidate

    def _resolve_search(self, target: str, span: Span) -> Path:
        for root in self.search.search_roots:
            candidate = resolved(root / target, "the import")
            if not _inside(candidate, root):
                raise error("E0221", f"`<{target}>` leads outside the search root `{display_name(root)}`",
                            span, "this import leaves its root")
            if candidate.is_file():
                return candidate
        folder = Path(target).parent
        nearby = [f"<{(folder / p.name).as_posix()}>" for root in self.search.search_roots
                  if (root / folder).is_dir() for p in (root / folder).iterdir()]
        raise error("E0220", f"`<{target}>` is not in the search path", span, "not found",
                    notes=self._searched(),
                    help=did_you_mean(f"<{target}>", nearby) or "add a folder with `-I DIR` or `GWPATH`")

    def _searched(self) -> list[str]:
        """The real folders searched: `<stdlib>` alone would hide where this gwc looks for it, which
        is what someone with a broken installation needs to see."""
        stdlib = stdlib_root()
        roots = ", ".join(f"`{real_name(root)}`" + (" (the stdlib)" if root == stdlib else "")
                          for root in self.search.search_roots)
        notes = [f"searched {roots}"]
        if not stdlib.is_dir():
            notes.append(f"the stdlib folder `{real_name(stdlib)}` does not exist: this gwlang installation is "
                         "incomplete, or `GWLANG_STDLIB` names a missing folder")
        return notes

    def _not_found(self, target: str, folder: Path, span: Span) -> GwError:
        # Suggest whole import paths, as the user would write them.
        prefix = target.rpartition("/")[0]
        siblings = [f"{prefix}/{p.name}" for p in folder.iterdir()] if folder.is_dir() else []
        return error("E0220", f"cannot find `{shown(target)}`", span, "no such file",
                     help=did_you_mean(target, siblings))

    # -- values and scopes ------------------------------------------------------------

    def import_value(self, target: str, search: bool, span: Span) -> Any:
        """`import "x"` inside an expression: the module's value."""
        importer = self._module_of(span.source)
        loaded = importer.dependencies.get((target, search, "")) if importer else None
        if loaded is None:
            path = self.resolve(target, search, importer.path if importer else Path.cwd() / "-", span)
            loaded = self._load(path, span)
        return self.value(loaded)

    def _module_of(self, source: Source) -> LoadedModule | None:
        return self._by_source.get(id(source))

    def value(self, loaded: LoadedModule) -> Any:
        """What `import` gives: the expression's value, or the set of the module's own names."""
        module = loaded.module
        if module.body is not None:
            if loaded.value_thunk is None:
                self._check_names(loaded, self.evaluator.root_scope)
                loaded.value_thunk = Thunk(module.body, self.evaluator.root_scope, loaded.source.name,
                                           module.body.span)
            return self.evaluator.force_thunk(loaded.value_thunk)
        self.scope(loaded)
        assert loaded.exports is not None
        return loaded.exports

    def scope(self, loaded: LoadedModule) -> Scope:
        """The names visible inside a module: its own, then its open imports, then builtins."""
        if loaded.scope is not None:
            return loaded.scope
        module = loaded.module
        if module.body is not None:
            value = self.value(loaded)
            names = dict(value.attrs) if type(value) is AttrSet else {}
            loaded.scope = Scope(names, self.evaluator.root_scope)
            return loaded.scope
        imported = Scope({}, self.evaluator.root_scope)
        own: dict[str, Any] = {}
        own_spans: dict[str, Span] = {}
        scope = Scope(own, imported)
        loaded.scope = scope
        exported: dict[str, Any] = {}
        import_origin: dict[str, tuple[LoadedModule, Span]] = {}
        for item in module.items:
            if isinstance(item, ast.ImportItem):
                dependency = loaded.dependencies[(item.target, item.search, "")]
                if item.alias is not None:
                    self._define(own, own_spans, item.alias.name, item.alias.span,
                                 Thunk(self._value_later(dependency), None, item.alias.name, item.span))
                else:
                    self._open_import(imported.names, import_origin, dependency, item)
            elif isinstance(item, ast.LetItem):
                built = self.evaluator.build_attrs(item.bindings, scope, scope)
                for name, value in built.attrs.items():
                    self._define(own, own_spans, name, built.spans[name], value)
                    exported[name] = value
            else:
                kind = {ast.ProfileDecl: "profile", ast.SiteDecl: "site", ast.SchemaDecl: "schema"}[type(item)]
                declaration = Declaration(kind, item.name.name, item, scope, loaded.source.name)
                self._define(own, own_spans, item.name.name, item.name.span, declaration)
                exported[item.name.name] = declaration
        loaded.exports = AttrSet(exported, {k: own_spans[k] for k in exported})
        self._check_names(loaded, scope)
        return scope

    def _check_names(self, loaded: LoadedModule, scope: Scope) -> None:
        """Every undefined name of the module, before any of it runs (the scope is complete only now)."""
        problems = undefined_in_module(loaded.module, scope.all_names())
        if problems:
            raise GwError(problems)

    def _value_later(self, loaded: LoadedModule) -> Callable[[], Any]:
        return lambda: self.value(loaded)

    def _define(self, names: dict[str, Any], spans: dict[str, Span], name: str, span: Span, value: Any) -> None:
        if name in names:
            raise error("E0223", f"`{name}` is declared twice in this module", span, "declared again here",
                        secondary=[Label(spans[name], "first declared here")],
                        help="rename one of them")
        names[name] = value
        spans[name] = span

    def _open_import(self, names: dict[str, Any], origin: dict[str, tuple[LoadedModule, Span]],
                     dependency: LoadedModule, item: ast.ImportItem) -> None:
        value = self.value(dependency)
        if type(value) is not AttrSet:
            raise error("E0203", f"`import` without `as` needs a module of names, not {type_name(value)}",
                        item.span, "this module's value is not an attribute set",
                        help="write `import ... as name;` to bind it to a name")
        for name, member in value.attrs.items():
            if name in names and names[name] is not member:
                first_module, first_span = origin[name]
                raise error("E0224", f"`{name}` is imported from two modules", item.span,
                            f"`{dependency.source.name}` defines `{name}`",
                            secondary=[Label(first_span, f"`{first_module.source.name}` defines it too")],
                            help="import one of them with `as` and refer to it by qualified name")
            names[name] = member
            origin[name] = (dependency, item.span)
