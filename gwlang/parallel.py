"""Compiling sites in worker processes: sites are independent, so each core takes one at a time.

The workers are forked once the program is loaded, so each starts with the
parsed modules and the schemas and compiles whole sites; only a site's
outcome travels back (its artifacts, or its diagnostics), in the order the
sites were given, so the output is the same byte for byte as one process
gives.  Where `fork` does not exist, or one worker would do, the caller
compiles in its own process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar, cast

from gwlang.eval.evaluator import run_deep
from gwlang.eval.values import Declaration
from gwlang.model.program import Program

Outcome = TypeVar("Outcome")

# What the forked workers inherit, set just before the fork: the program, its sites, the function to run.
_program: Program | None = None
_sites: Sequence[Declaration] = ()
_work: Callable[[Program, Declaration], object] | None = None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:       # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def map_sites(program: Program, sites: Sequence[Declaration], work: Callable[[Program, Declaration], Outcome],
              jobs: int) -> Generator[Outcome, None, None]:
    """`work(program, site)` for each site, in `jobs` forked processes, yielded in the order of `sites`.

    At most two sites per worker are in flight, so finished sites do not
    pile up in memory while the caller writes.  A worker that dies (killed,
    out of memory) fails the compile with `BrokenProcessPool` instead of
    leaving it waiting for a site that will never come.
    """
    global _program, _sites, _work
    _program, _sites, _work = program, sites, work
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))
    try:
        pending: deque[Future[object]] = deque()
        following = 0
        while following < len(sites) or pending:
            while following < len(sites) and len(pending) < 2 * jobs:
                pending.append(executor.submit(_run, following))
                following += 1
            yield cast(Outcome, pending.popleft().result())
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        _program, _sites, _work = None, (), None


def _run(index: int) -> object:
    """In a worker: one site, by its place in the inherited list (a site's declaration is not sent)."""
    assert _program is not None and _work is not None
    program, site, work = _program, _sites[index], _work
    return run_deep(lambda: work(program, site))
