"""The REPL's state and commands: expressions in a module's or site's scope, `:show`, `:explain`, `:type`.

`Repl.run(text)` takes one complete input and answers with an `Answer`
(text for stdout, diagnostics for stderr), so the terminal loop in
`gwlang/commands/repl.py` only reads lines, and tests can read answers.
An input is an expression, `NAME = EXPR` (nix-repl style), module items
(`let x = 1;`, `import <grid/roles.gw>;`, a profile), or a `:command`.
Bindings made at the prompt join a scope above the loaded module's, so the
module's own names stay as they were.
"""

from __future__ import annotations

import ctypes
import gc
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gwlang.diagnostics import Diagnostic, GwError, Source, did_you_mean, error
from gwlang.eval.evaluator import run_deep
from gwlang.eval.limits import OutOfMemory
from gwlang.eval.modules import LoadedModule
from gwlang.eval.scopes import undefined_in_module
from gwlang.eval.values import AttrSet, Declaration, Scope, type_name
from gwlang.model.program import gw_files, load_program
from gwlang.syntax import ast
from gwlang.syntax.parser import parse

SOURCE_NAME = "<repl>"
# Codes of a parse that ran out of input: the line goes on below (`{`, an open string, `1 +`).
UNFINISHED = frozenset({"E0105", "E0106", "E0108"})
_BINDING = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_'-]*)\s*=(?!=)")

HELP = """\
  EXPR              evaluate EXPR in the loaded module's scope and print it
  NAME = EXPR       bind NAME for the inputs after this one (also `let NAME = EXPR;`)
  :load FILE        load a .gw file or a folder of them; its names come into scope
  :show [NODE]      the evaluated site, or one node or host (`tcd.ce` among several sites)
  :explain PATH     every definition behind a value (`ce.vm.memory`), as `gwc explain`
  :type EXPR        the type of EXPR's value
  :help             this list
  :quit             leave (as does Ctrl-D)"""

COMMANDS = (":load", ":show", ":explain", ":type", ":help", ":quit")


@dataclass
class Answer:
    """What one input produced: text to print, diagnostics to render, or a request to stop."""
    text: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    problem: str = ""
    quit: bool = False

    @property
    def failed(self) -> bool:
        return bool(self.diagnostics or self.problem)


class Repl:
    def __init__(self, include: list[str]) -> None:
        self.include = include
        self.loaded: list[Path] = []
        self.program = load_program([], include)
        self.own: dict[str, Any] = {}
        self.scope = Scope(self.own, self.program.session.evaluator.root_scope)

    # ------------------------------------------------------------ loading

    def load(self, path: Path) -> str:
        """Replace the program by `path`'s; on failure (a `GwError`) the old one stays."""
        program = load_program(gw_files([path]), self.include)
        names: dict[str, Any] = {}
        root = program.session.evaluator.root_scope
        for module in program.inputs:
            scope = program.session.loader.scope(module)
            names.update({name: scope.lookup(name) for name in scope.all_names() - set(root.names)})
        self.program, self.loaded = program, [path]
        self.own = {}
        self.scope = Scope(self.own, Scope(names, root))
        sites = [site.name for site in program.sites()]
        listed = ", ".join(f"`{name}`" for name in sorted(names)[:12]) + (", ..." if len(names) > 12 else "")
        return (f"loaded {path}: {len(names)} names ({listed or 'none'})"
                + (f"; sites {', '.join(sites)}" if sites else ""))

    # ------------------------------------------------------------ one input

    def unfinished(self, text: str) -> bool:
        """Does the input stop in the middle (an open bracket or string, a trailing operator)?"""
        if text.lstrip().startswith(":"):
            return False
        try:
            parse(Source(SOURCE_NAME, _as_module(text)))
        except GwError as failure:
            return any(d.code in UNFINISHED for d in failure.diagnostics)
        return False

    def run(self, text: str) -> Answer:
        """Answer one complete input; every error becomes diagnostics, never an exception."""
        try:
            return _interruptible(lambda: self._run(text.strip()))
        except KeyboardInterrupt:
            return Answer(problem="interrupted")
        except GwError as failure:
            return Answer(diagnostics=failure.diagnostics)
        except OutOfMemory as stopped:
            return Answer(diagnostics=[stopped.diagnostic()])
        except RecursionError as failure:
            return Answer(diagnostics=self.program.session.guarded(failure).diagnostics)

    def _run(self, text: str) -> Answer:
        if not text:
            return Answer()
        if text.startswith(":"):
            command, _, argument = text.partition(" ")
            return self._command(command, argument.strip())
        value = self._evaluate(text)
        if value is _BOUND:
            return Answer()
        return self._printed(value)

    def _evaluate(self, text: str) -> Any:
        module = self.program.session.loader.load_text(SOURCE_NAME, _as_module(text), Path.cwd())
        items = module.module.items
        if all(isinstance(item, ast.LetItem) for item in items):
            # Checked before evaluating, as a file is: every undefined name, with did-you-mean.
            # (Other items go through the loader, which checks them itself.)
            undefined = undefined_in_module(module.module, self.scope.all_names() | _let_names(items))
            if undefined:
                raise GwError(undefined)
        if module.module.body is not None:
            return self.program.session.evaluator.eval(module.module.body, self.scope)
        self._declare(module)
        return _BOUND

    def _declare(self, module: LoadedModule) -> None:
        """`let` bindings see the prompt's scope; imports and declarations come in as `import` would."""
        evaluator = self.program.session.evaluator
        items = module.module.items
        if all(isinstance(item, ast.LetItem) for item in items):
            for item in items:
                assert isinstance(item, ast.LetItem)
                inner = Scope({}, self.scope)
                built = evaluator.build_attrs(item.bindings, inner, inner)
                inner.names.update(built.attrs)
                self.own.update(built.attrs)
            return
        scope = self.program.session.loader.scope(module)
        root = set(evaluator.root_scope.names)
        self.own.update({name: scope.lookup(name) for name in scope.all_names() - root})

    def _printed(self, value: Any) -> Answer:
        printed = self.program.session.print_value(value, as_json=False)
        if printed.collector.diagnostics:
            return Answer(diagnostics=printed.collector.diagnostics)
        return Answer(text=printed.text or "")

    # ------------------------------------------------------------ commands

    def _command(self, command: str, argument: str) -> Answer:
        match command:
            case ":quit" | ":q":
                return Answer(quit=True)
            case ":help" | ":h" | ":?":
                return Answer(text=HELP)
            case ":load" | ":l":
                return self._load(argument)
            case ":type" | ":t":
                value = self.program.session.evaluator.force(self._evaluate(argument or "null"))
                return Answer(text=_type_text(value))
            case ":show" | ":s":
                return Answer(text=self._show(argument))
            case ":explain" | ":e":
                return Answer(text=self._explain(argument))
        return Answer(problem=f"unknown command `{command}`"
                      + (f"; {hint}" if (hint := did_you_mean(command, COMMANDS)) else "; `:help` lists them"))

    def _load(self, argument: str) -> Answer:
        from gwlang.paths import BadPath, checked
        if not argument:
            return Answer(problem="`:load` takes a file or folder: `:load sites/tcd.gw`")
        try:
            path = checked(argument, "the file")
        except BadPath as bad:
            return Answer(problem=str(bad))
        if not path.exists():
            return Answer(problem=f"no such file or folder: {argument}")
        return Answer(text=self.load(path))

    def _show(self, argument: str) -> str:
        from gwlang.commands.inspect import explained_site
        from gwlang.model.explain import split_path
        from gwlang.model.show import model_to_gw, site_data
        if argument:
            site, rest = explained_site(self.program, split_path(argument), None)
        else:
            site, rest = self._only_site(), []
        model = self.program.site_model(site)
        if not rest:
            return model_to_gw(site_data(model))
        entity = model.nodes.get(rest[0]) or model.hosts.get(rest[0])
        if entity is None or len(rest) > 1:
            raise error("E0313", f"site `{model.name}` has no node or host `{'.'.join(rest)}`", None,
                        help=did_you_mean(rest[0], [*model.nodes, *model.hosts])
                        or "`:show NODE` shows one node; `:explain NODE.PATH` one value")
        return model_to_gw(dict(entity.attributes))

    def _only_site(self) -> Declaration:
        sites = self.program.sites()
        if len(sites) == 1:
            return sites[0]
        raise error("E0314", "several sites are loaded; name one: `:show SITE` or `:show SITE.NODE`" if sites
                    else "no concrete site is loaded", None,
                    help="`:load FILE` loads a site" if not sites else None,
                    notes=["sites: " + ", ".join(f"`{site.name}`" for site in sites)] if sites else [])

    def _explain(self, argument: str) -> str:
        from gwlang.commands.inspect import explained_site
        from gwlang.model.explain import explain, find_target, split_path
        if not argument:
            raise error("E0313", "`:explain` takes a path such as `ce.vm.memory`", None)
        site, path = explained_site(self.program, split_path(argument), None)
        return explain(find_target(self.program.entities(site), path))

    # ------------------------------------------------------------ completion

    def names(self) -> list[str]:
        """Every name an expression may use here: the prompt's, the module's and the builtins."""
        return sorted(self.scope.all_names())

    def completions(self, text: str, line: str = "") -> list[str]:
        """What `text` (the word before the cursor, in `line`) may become.

        A `:command`; after `:show` or `:explain` a node, host or (dotted) path
        in it; after `:load` a file; otherwise a name in scope or `a.b` an
        attribute of a value.
        """
        if text.startswith(":") and " " not in line.lstrip():
            return [c + " " for c in COMMANDS if c.startswith(text)]
        command = line.lstrip().split(" ", 1)[0] if line.lstrip().startswith(":") else ""
        if command in (":load", ":l"):
            return [str(p) + ("/" if p.is_dir() else "") for p in sorted(Path().glob(text + "*"))
                    if p.is_dir() or p.suffix == ".gw"]
        if command in (":show", ":s", ":explain", ":e"):
            return [path for path in self._entity_paths(text) if path.startswith(text)]
        if "." in text:
            head, _, last = text.rpartition(".")
            return [f"{head}.{key}" for key in self._attributes(head) if key.startswith(last)]
        return [name for name in self.names() if name.startswith(text)]

    def _attributes(self, dotted: str) -> list[str]:
        evaluator = self.program.session.evaluator
        try:
            value = run_deep(lambda: evaluator.force(self._evaluate(dotted)))
        except (GwError, RecursionError, OutOfMemory):
            return []
        return sorted(value.attrs) if isinstance(value, AttrSet) else []

    def _entity_paths(self, text: str) -> list[str]:
        """Nodes and hosts of the loaded sites, then the attributes along a dotted path in one of them."""
        try:
            return run_deep(lambda: self._walk_entities(text.split(".")))
        except (GwError, RecursionError, OutOfMemory):
            return []

    def _walk_entities(self, parts: list[str]) -> list[str]:
        found: list[str] = []
        for site in self.program.sites():
            entities = self.program.entities(site)
            if len(parts) == 1:
                found += [*entities.nodes, *entities.hosts]
                continue
            entity = entities.nodes.get(parts[0]) or entities.hosts.get(parts[0])
            value: Any = entity.config if entity is not None else None
            for name in parts[1:-1]:
                value = self.program.session.evaluator.force(value)
                value = value.attrs.get(name) if isinstance(value, AttrSet) else None
            value = self.program.session.evaluator.force(value)
            if isinstance(value, AttrSet):
                found += [".".join([*parts[:-1], key]) for key in sorted(value.attrs)]
        return list(dict.fromkeys(found))


class _Bound:
    """The result of an input that only binds names: nothing to print."""


_BOUND = _Bound()


_RESEND_SECONDS = 0.5


def _interruptible(function: Callable[[], Answer]) -> Answer:
    """`run_deep`, and on Ctrl-C the evaluation thread stopped too, not left running behind the prompt.

    The interrupt reaches the main thread, waiting for the evaluation; the
    same exception is raised into the evaluation (as the memory guard does),
    whose thunks go back to unevaluated on the way out, so the values stay
    usable.
    """
    limit, thresholds = sys.getrecursionlimit(), gc.get_threshold()
    try:
        return run_deep(function)
    except KeyboardInterrupt:
        for thread in threading.enumerate():
            # Sent again until the thread ends: one delivery can be lost (raised where the
            # evaluation was already unwinding, or before the thread ran its first bytecode).
            while thread.name == "gw-eval" and thread.ident is not None and thread.is_alive():
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident),
                                                           ctypes.py_object(KeyboardInterrupt))
                thread.join(_RESEND_SECONDS)
        sys.setrecursionlimit(limit)
        gc.set_threshold(*thresholds)
        raise


def _as_module(text: str) -> str:
    """`x = 1 + 2` (nix-repl style) is the module item `let x = 1 + 2;`."""
    if _BINDING.match(text) and not text.rstrip().endswith(";"):
        return f"let {text};"
    return text


def _let_names(items: tuple[ast.Item, ...]) -> set[str]:
    """The names `let a = 1; inherit (x) b;` binds: module-level `let`s see each other."""
    names: set[str] = set()
    for item in items:
        for binding in item.bindings if isinstance(item, ast.LetItem) else ():
            if isinstance(binding, ast.Bind) and isinstance(binding.path[0], ast.StaticKey):
                names.add(binding.path[0].name)
            elif isinstance(binding, ast.Inherit):
                names.update(key.name for key in binding.names)
    return names


def _type_text(value: Any) -> str:
    if isinstance(value, Declaration):
        return f"a {value.kind} declaration (`{value.name}`)"
    return type_name(value)


def render(answer: Answer, colour: bool) -> str:
    """The diagnostics of an answer, rendered as the command line renders them."""
    from gwlang.diagnostics import render_all
    return render_all(sorted(answer.diagnostics, key=lambda d: d.sort_key()), "text", colour)

