"""How fast the front end parses and evaluates large programs.

Builds a few large gw programs in memory, each stressing one thing (a deep
chain of `//` updates, string interpolation, long lists, a wide attribute
set, deep recursion), then parses each and evaluates it as `gwc eval` does:
force the whole value and print it.  Prints one row per program.

    .venv/bin/python bench/bench_language.py [--scale 0.1] [--repeat 3]

See bench/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gwlang.diagnostics import GwError, Source, render_text
from gwlang.eval.evaluator import run_deep
from gwlang.eval.modules import LoadedModule
from gwlang.session import Session
from gwlang.syntax import ast
from gwlang.syntax.parser import parse

# ---------------------------------------------------------------- the programs


def update_chain(depth: int) -> str:
    """`s1 = s0 // { a1 = s0.a0 + 1; }`: each set extends the last and reads from it."""
    lines = ["let", "  s0 = { a0 = 0; };"]
    lines += [f"  s{i} = s{i - 1} // {{ a{i} = s{i - 1}.a{i - 1} + 1; }};" for i in range(1, depth + 1)]
    lines += [f"in s{depth}"]
    return "\n".join(lines) + "\n"


def interpolations(count: int) -> str:
    """A set of strings, each with three interpolations, one of them a call."""
    lines = ["let", '  domain = "grid.example.org";', '  site-name = "tcd";', "in {"]
    lines += [f'  host{i} = "wn{i}.${{site-name}}.${{domain}} port ${{toString ({i} + 1024)}}";' for i in range(count)]
    lines += ["}"]
    return "\n".join(lines) + "\n"


def literal_list(count: int, per_line: int = 10) -> str:
    """A list literal of `count` integers, `per_line` to a line."""
    lines = ["["]
    for start in range(0, count, per_line):
        lines.append("  " + " ".join(str(n) for n in range(start, min(start + per_line, count))))
    lines.append("]")
    return "\n".join(lines) + "\n"


def built_lists(count: int) -> str:
    """Lists built by builtins: range, map, filter, a fold over them."""
    return (f"let\n  xs = range 1 {count};\n  doubled = map (x: x * 2) xs;\n"
            f"  evens = filter (x: mod x 4 == 0) doubled;\n"
            f"in {{ total = foldl (sum: x: sum + x) 0 doubled; evens = length evens; last = elemAt doubled {count - 1};"
            f" all = doubled; }}\n")


def wide_set(count: int) -> str:
    """An attribute set literal of `count` keys, one to a line."""
    return "{\n" + "".join(f"  key{i} = {i};\n" for i in range(count)) + "}\n"


def deep_recursion(depth: int) -> str:
    """A recursive function `depth` calls deep (not a tail call: `1 + count (n - 1)`)."""
    return ("let\n  count = n:\n    if n == 0\n    then 0\n    else 1 + count (n - 1);\n"
            f"in count {depth}\n")


@dataclass(frozen=True)
class Program:
    name: str
    build: Callable[[int], str]
    size: int


PROGRAMS = (
    Program("update chain, 5000 deep", update_chain, 5_000),
    Program("interpolations, 10000 strings", interpolations, 10_000),
    Program("literal list, 100000 ints", literal_list, 100_000),
    Program("range/map/filter, 100000", built_lists, 100_000),
    Program("wide set, 100000 keys", wide_set, 100_000),
    Program("recursion, 10000 calls deep", deep_recursion, 10_000),
)

# ---------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Result:
    name: str
    lines: int
    parse_seconds: float
    eval_seconds: float


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def evaluate_and_print(source: Source, module: ast.Module) -> str:
    """What `gwc eval` does after parsing: evaluate the module, force and print its value."""
    session = Session()
    loaded = LoadedModule(Path.cwd() / source.name, source, module)
    printed = session.print_value(session.loader.value(loaded), as_json=False)
    if printed.text is None:
        raise GwError(printed.collector.diagnostics)
    return printed.text


def measure_once(source: Source) -> tuple[float, float]:
    """Parse and evaluation times of one run."""
    parse_seconds, module = timed(lambda: run_deep(lambda: parse(source)))
    eval_seconds, _ = timed(lambda: run_deep(lambda: evaluate_and_print(source, module)))
    return parse_seconds, eval_seconds


def measure(program: Program, scale: float, repeat: int) -> Result:
    size = max(1, round(program.size * scale))
    text = program.build(size)
    source = Source(f"bench-{program.build.__name__}.gw", text)
    runs = [measure_once(source) for _ in range(repeat)]
    name = program.name if scale == 1 else f"{program.name} (x{scale:g})"
    return Result(name, text.count("\n"), min(r[0] for r in runs), min(r[1] for r in runs))


def grammar_build_seconds() -> float:
    """The one-time cost of compiling the grammar, paid by the first parse of a run."""
    seconds, _ = timed(lambda: parse(Source("warm-up.gw", "1")))
    return seconds


# ---------------------------------------------------------------- reporting


def table(results: list[Result]) -> str:
    headers = ("program", "lines", "parse s", "eval s", "parse ms/kline", "eval ms/kline")
    rows = [(r.name, f"{r.lines:,}", f"{r.parse_seconds:.3f}", f"{r.eval_seconds:.3f}",
             f"{1000 * r.parse_seconds / (r.lines / 1000):.1f}", f"{1000 * r.eval_seconds / (r.lines / 1000):.1f}")
            for r in results]
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]

    def line(cells: tuple[str, ...]) -> str:
        # The name is left-aligned, the figures right-aligned.
        figures = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        padded = [cells[0].ljust(widths[0]), *figures]
        return "  ".join(padded)

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(row) for row in rows)])


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--scale", type=float, default=1.0, help="multiply every program's size (default 1)")
    arguments.add_argument("--repeat", type=int, default=1, help="runs per program; the best is shown (default 1)")
    options = arguments.parse_args()
    print(f"grammar build (first parse): {grammar_build_seconds():.3f} s")
    results = []
    for program in PROGRAMS:
        try:
            results.append(measure(program, options.scale, options.repeat))
        except GwError as failure:
            print(f"{program.name}: failed")
            print("\n".join(render_text(d) for d in failure.diagnostics[:3]))
            return 1
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
