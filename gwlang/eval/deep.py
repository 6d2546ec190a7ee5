"""Deep programs: evaluation on a large stack, and the diagnostic when even that overflows.

Deep but finite programs recurse deeply in Python (a non-tail recursion
10,000 calls deep, a long chain of thunks); `run_deep` gives them a large
stack and recursion limit, and `too_deep` turns the rare real overflow into
a diagnostic (E0205) rather than a traceback.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from gwlang.diagnostics import GwError, Span, error
from gwlang.eval import limits

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator

T = TypeVar("T")

STACK_BYTES = 1 << 30
RECURSION_LIMIT = 400_000


def run_deep(function: Callable[[], T]) -> T:
    """Run `function` on a thread with a 1 GiB stack and a high recursion limit.

    The stack is reserved, not committed: a shallow evaluation touches a few
    pages.  The limit stops a runaway program long before memory does.  While
    it runs, `limits.MemoryGuard` watches the process's memory and ends the
    run with `OutOfMemory` (E0232) past `GWC_MEMORY_LIMIT`.
    """
    result: list[Any] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(function())
        except BaseException as problem:
            failure.append(problem)

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    # Evaluation allocates millions of small objects and few cycles; the
    # default collector thresholds would spend a third of the time scanning.
    old_thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 50, 100)
    sys.setrecursionlimit(RECURSION_LIMIT)
    threading.stack_size(STACK_BYTES)
    try:
        worker = threading.Thread(target=target, name="gw-eval")
        worker.start()
    finally:
        threading.stack_size(old_stack)
    with limits.MemoryGuard(worker.ident or 0, limits.memory_limit()):
        worker.join()
    sys.setrecursionlimit(old_limit)
    gc.set_threshold(*old_thresholds)
    if failure:
        raise failure[0]
    return result[0]  # type: ignore[no-any-return]


def too_deep(evaluator: Evaluator, fallback: Span | None) -> GwError:
    """The diagnostic for a Python stack overflow: where evaluation was, at the top."""
    chain = evaluator.overflow_chain or []
    call = evaluator.overflow_call
    evaluator.overflow_chain = evaluator.overflow_call = None
    span = call or (chain[-1].span if chain else fallback)
    notes = ["each step calls the next without end, or the program is deeper than "
             f"{RECURSION_LIMIT:,} evaluation steps"]
    if chain:
        notes.append("the innermost steps: " + ", ".join(f"{t.span.location}" for t in chain[-4:] if t.span))
    return error("E0205", "evaluation is too deep", span, "evaluation was here", notes=notes,
                 help="check that every recursive function reaches its base case")
