"""The language's size bounds, checked before anything is allocated.

A gw program is pure, so the only way it can hurt the machine compiling it is
by asking for too much: a list of a billion elements, a string doubled forty
times, an integer squared until it has millions of digits.  Each builtin and
operator that can grow a value asks here first, with the size the result
*would* have, and gets E0231 instead of a `MemoryError` (or a swap storm) a
few seconds later.  The bounds are far above what any site needs and low
enough that the largest allowed value is built in about a second;
docs/language.md lists them.  What the bounds cannot see (millions of small
values kept alive at once) is left to the memory guard of `run_deep`.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time

from gwlang.diagnostics import Diagnostic, GwError, Span, error

# A 1,000,000-element list is a supported workload (bench/bench_language.py at
# --scale 10); `genList` of two million thunks already takes ten seconds.
MAX_LIST_LENGTH = 1_000_000
# 16 MiB of text: a file body far larger than any configuration file.
MAX_STRING_LENGTH = 16 * 1024 * 1024
# Python refuses to convert longer digit strings (sys.get_int_max_str_digits),
# and a number literal has at most this many digits (gwlang/syntax/lower.py).
MAX_DIGITS = 4000
_INTEGER_BOUND = 10**MAX_DIGITS
# The 10,000-node family of bench/bench_compile.py --scale 10 is the largest measured.
MAX_FAMILY_SIZE = 10_000


def shown(number: int) -> str:
    """A number for a message, even one too long for Python to print."""
    return f"{number:,}" if number.bit_length() < 256 else "a number of thousands of digits"


def too_large(message: str, span: Span | None, note: str) -> GwError:
    return error("E0231", message, span, "too large", notes=(note,),
                 help="check the numbers this value is computed from; a bound is usually a typo")


def check_list(length: int, what: str, span: Span | None) -> None:
    """Refuse a list of more than `MAX_LIST_LENGTH` elements before it is built."""
    if length > MAX_LIST_LENGTH:
        raise too_large(f"{what} would make a list of {shown(length)} elements", span,
                        f"a list has at most {MAX_LIST_LENGTH:,} elements")


def check_string(length: int, what: str, span: Span | None, at_least: bool = False) -> None:
    """Refuse a string of more than `MAX_STRING_LENGTH` characters before it is built.

    `at_least`: `length` is where counting stopped, not the whole length.
    """
    if length > MAX_STRING_LENGTH:
        amount = f"more than {MAX_STRING_LENGTH:,}" if at_least else shown(length)
        raise too_large(f"{what} would make a string of {amount} characters", span,
                        f"a string has at most {MAX_STRING_LENGTH:,} characters")


def check_integer(value: int, what: str, span: Span | None) -> int:
    """`value`, if it has at most `MAX_DIGITS` digits (a size counts its bytes).

    Checked after the arithmetic: both operands are within the bound, so the
    result has at most twice as many digits, a few kilobytes.
    """
    if -_INTEGER_BOUND < value < _INTEGER_BOUND:
        return value
    raise too_large(f"{what} makes a number of more than {MAX_DIGITS:,} digits", span,
                    f"an integer, or a size in bytes, has at most {MAX_DIGITS:,} digits")


# ---------------------------------------------------------------- the memory guard

# What a run of gwc may hold in memory unless GWC_MEMORY_LIMIT says otherwise:
# ten times what compiling the 10,000-node family of bench_compile.py needs.
DEFAULT_MEMORY_LIMIT = 4 << 30
MEMORY_LIMIT_VARIABLE = "GWC_MEMORY_LIMIT"
_SAMPLE_SECONDS = 0.05
_REFIRE_SECONDS = 1.0
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def memory_limit() -> int:
    """The limit in bytes: `GWC_MEMORY_LIMIT` as a gw size (`2GiB`), else the default."""
    text = os.environ.get(MEMORY_LIMIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MEMORY_LIMIT     # without importing the syntax: a compile that keeps everything has none
    from gwlang.syntax.literals import SIZE_UNITS, parse_size
    digits = len(text) - len(text.lstrip("0123456789"))
    if 0 < digits <= 30 and text[digits:] in SIZE_UNITS:
        return parse_size(text)
    return DEFAULT_MEMORY_LIMIT


def resident_bytes() -> int | None:
    """The memory this process holds now (its resident set), or None where /proc cannot say."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return None


class OutOfMemory(BaseException):
    """The run needs more memory than it may hold: it ends, reporting E0232.

    A `BaseException`, unlike `MemoryError`: no `except Exception` on the way
    out (the collectors that go on with the next attribute after an error)
    may catch it and carry on allocating, so one runaway value ends the run
    instead of making one error per node while the memory keeps growing.
    `span` is set by the innermost value being computed when it arrived.
    """

    span: Span | None = None

    def diagnostic(self) -> Diagnostic:
        return out_of_memory(self.span).diagnostics[0]


class MemoryGuard:
    """Raises `OutOfMemory` in one thread when a run has taken more than the limit.

    Checking inside the evaluator's hot path would slow every program; a
    thread that samples the resident set every 50 ms costs nothing, and the
    exception it raises into the evaluation (between two bytecodes) ends the
    run with E0232 at the value that was being computed.  One builtin call
    can only allocate up to the bounds above before the next sample, so the
    limit is overshot by at most a few hundred megabytes.
    """

    def __init__(self, thread_id: int, limit: int) -> None:
        self.thread_id = thread_id
        # Counted from what the process holds when the run starts: a process that
        # runs gwc many times (a test session, a site's test suite) is not
        # blamed for what it held before, and for `gwc` itself that is a few
        # tens of megabytes.
        self.limit = (resident_bytes() or 0) + limit
        self.stopped = threading.Event()
        self.watcher = threading.Thread(target=self._watch, name="gw-memory-guard", daemon=True)

    def __enter__(self) -> MemoryGuard:
        if resident_bytes() is not None:
            self.watcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        if self.watcher.is_alive():
            self.watcher.join()

    def _watch(self) -> None:
        last_fired = -_REFIRE_SECONDS
        while not self.stopped.wait(_SAMPLE_SECONDS):
            # Fired again if the memory is still above the limit a while later: something caught it.
            if (resident_bytes() or 0) > self.limit and time.monotonic() - last_fired >= _REFIRE_SECONDS:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread_id),
                                                           ctypes.py_object(OutOfMemory))
                last_fired = time.monotonic()


def out_of_memory(span: Span | None) -> GwError:
    """E0232 at the value that was being computed when memory ran out."""
    limit = memory_limit()
    return error("E0232", "evaluation ran out of memory", span, "computing this needed too much memory",
                 notes=(f"an evaluation may take at most {limit >> 20:,} MiB "
                        f"(set {MEMORY_LIMIT_VARIABLE} to change it)",
                        "the program keeps too many large values at once"),
                 help="look for a list or string that grows without bound, or a family far larger than meant")
