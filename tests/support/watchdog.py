"""Running an evaluation with a time bound, for the fuzz test and the fuzz benchmark.

gwc itself has no time limit (docs/language.md, "Bounds"); a fuzzer needs
one to tell a hang from a slow input, and a thread cannot be stopped from
outside except by raising into it.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from typing import TypeVar

from gwlang.eval.evaluator import run_deep

T = TypeVar("T")


class EvaluationHung(BaseException):
    """Raised into the evaluation thread by the watchdog.

    A `BaseException`, so no `except Exception` in the code under test can
    swallow it on its way out.
    """


def run_bounded(function: Callable[[], T], seconds: float) -> T:
    """`run_deep(function)`, interrupted by `EvaluationHung` if it runs longer than `seconds`."""
    lock = threading.Lock()
    finished = False

    def interrupt(thread_id: int) -> None:
        with lock:
            if not finished:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                                           ctypes.py_object(EvaluationHung))

    def watched() -> T:
        nonlocal finished
        timer = threading.Timer(seconds, interrupt, (threading.get_ident(),))
        timer.start()
        try:
            return function()
        finally:
            with lock:
                finished = True
            timer.cancel()

    return run_deep(watched)
