"""One run of the compiler front end: load files, evaluate, collect diagnostics.

A `Session` owns the evaluator and the module loader for one run, so that
every module is evaluated once however many times it is imported.  The
command line and the tests both go through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gwlang.diagnostics import GwError, error
from gwlang.eval.builtins import builtin_values
from gwlang.eval.evaluator import Evaluator, too_deep
from gwlang.eval.modules import LoadedModule, ModuleLoader, SearchPath
from gwlang.eval.printer import Collector, to_gw, to_plain


@dataclass(frozen=True)
class Printed:
    """The outcome of `gwc eval`: the text, or the diagnostics that stopped it."""
    text: str | None
    collector: Collector


class Session:
    def __init__(self, include: list[str] | tuple[str, ...] = (), gwpath: str | None = None,
                 project: Path | None = None) -> None:
        self.evaluator = Evaluator(builtin_values())
        self.loader = ModuleLoader(SearchPath.build(include, gwpath, project), self.evaluator)

    def load(self, path: Path) -> LoadedModule:
        return self.loader.load_file(path)

    def value_of(self, module: LoadedModule, expression: str | None = None) -> Any:
        """The module's value, or `expression` evaluated in the module's scope."""
        if expression is None:
            return self.loader.value(module)
        scope = self.loader.scope(module)
        extra = self.loader.load_text("<expression>", expression, module.path.parent)
        if extra.module.body is None:
            raise error("E0101", "`-E` takes an expression, not declarations", extra.module.span,
                        "not an expression")
        return self.evaluator.eval(extra.module.body, scope)

    def print_value(self, value: Any, as_json: bool) -> Printed:
        """Force and print, collecting every independent error on the way."""
        collector = Collector()
        if as_json:
            import json
            plain = to_plain(self.evaluator, value, None, collector)
            text = json.dumps(plain, indent=2, sort_keys=True, ensure_ascii=False)
        else:
            text = to_gw(self.evaluator, value, collector)
        return Printed(None if collector.diagnostics else text, collector)

    def guarded(self, failure: RecursionError) -> GwError:
        return too_deep(self.evaluator, None)


def evaluate_to_text(path: Path, expression: str | None = None, as_json: bool = False,
                     include: list[str] | tuple[str, ...] = ()) -> Printed:
    """Load, evaluate and print in one call (what `gwc eval` does)."""
    session = Session(include)
    collector = Collector()
    try:
        module = session.load(path)
        value = session.value_of(module, expression)
        return session.print_value(value, as_json)
    except GwError as failure:
        collector.add(failure)
    except RecursionError as failure:
        collector.add(session.guarded(failure))
    return Printed(None, collector)
