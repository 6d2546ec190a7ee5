"""How a command stops: each error with its exit code and the way it is reported.

A command raises one of these (or lets a known foreign exception through:
`BadPath`, `OutOfMemory`, `MemoryError`, Ctrl-C); `handle` turns any of them
into what the user sees and the exit status, so that `cli.py` has one
`except`.  Everything else is an internal fault: exit 70 and a one-line
message, the traceback only with `--debug`.  This module imports nothing
heavy and nothing from `cli.py`, so every command can raise its errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from gwlang.diagnostics import Diagnostic, GwError

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130
BUG_REPORT = "https://github.com/gwlang/gwlang/issues"


class CommandError(Exception):
    """A command that stopped for a known reason; `report` prints it, `exit_code` is the status."""

    exit_code: ClassVar[int] = EXIT_ERRORS

    def report(self, arguments: argparse.Namespace | None) -> None:
        print(f"gwc: error: {self}", file=sys.stderr)


class UsageError(CommandError):
    """A mistake on the command line (exit 2)."""

    exit_code = EXIT_USAGE

    def report(self, arguments: argparse.Namespace | None) -> None:
        print(f"gwc: error: {self}\nRun `gwc --help` for usage.", file=sys.stderr)


class CommandFailed(CommandError):
    """Diagnostics describe the failure: they are printed (text or JSON); exit 1."""

    def __init__(self, failure: GwError) -> None:
        super().__init__(failure.diagnostics[0].message if failure.diagnostics else "failed")
        self.failure = failure

    def report(self, arguments: argparse.Namespace | None) -> None:
        report(self.failure.diagnostics, arguments)


class CommandAborted(CommandError):
    """The command stopped for a reason outside the sources (a worker process died); its message says which."""


class CheckFailed(CommandError):
    """`gwc compile --check` found differences; they are already printed."""

    def report(self, arguments: argparse.Namespace | None) -> None:
        pass


class RuntimeFailed(CommandError):
    """Some host's part failed: `text` (what was done) on stdout, one line per failure on stderr."""

    def __init__(self, text: str, failures: list[str]) -> None:
        super().__init__(failures[0] if failures else "failed")
        self.text = text
        self.failures = failures

    def report(self, arguments: argparse.Namespace | None) -> None:
        if self.text:
            print(self.text)
        for failure in self.failures:
            print(f"gwc: error: {failure}", file=sys.stderr)


class Interrupted(CommandError):
    """Ctrl-C: no message, the shell's usual status."""

    exit_code = EXIT_INTERRUPTED

    def report(self, arguments: argparse.Namespace | None) -> None:
        pass


class InternalFault(CommandError):
    """A bug in gwc: one line naming the exception and where to report it (exit 70)."""

    exit_code = EXIT_INTERNAL

    def __init__(self, fault: BaseException) -> None:
        super().__init__(f"{type(fault).__name__}: {fault}")
        self.fault = fault

    def report(self, arguments: argparse.Namespace | None) -> None:
        if arguments is not None and getattr(arguments, "debug", False):
            import traceback
            traceback.print_exception(self.fault)
        print(f"gwc: internal error: {self}\n"
              f"This is a bug in gwc, not in your sources. Please report it at {BUG_REPORT} "
              "with the command and its input (rerun with --debug for the traceback).", file=sys.stderr)


def handles(raised: BaseException) -> bool:
    """Whether `handle` reports `raised`: every `Exception`, Ctrl-C and `OutOfMemory`, but not what ends the
    process on purpose (`SystemExit`, `GeneratorExit`, a test's simulated kill)."""
    if isinstance(raised, Exception | KeyboardInterrupt):
        return True
    if isinstance(raised, SystemExit):
        return False
    from gwlang.eval.limits import OutOfMemory
    return isinstance(raised, OutOfMemory)


def as_command_error(raised: BaseException) -> CommandError:
    """The `CommandError` an exception stands for; the lower layers' own exceptions are translated here."""
    from gwlang.eval.limits import OutOfMemory
    from gwlang.paths import BadPath
    if isinstance(raised, CommandError):
        return raised
    if isinstance(raised, BadPath):
        return UsageError(str(raised))
    if isinstance(raised, KeyboardInterrupt):
        return Interrupted()
    if isinstance(raised, OutOfMemory):
        return _diagnosed(raised.diagnostic())
    if isinstance(raised, MemoryError):
        # Outside evaluation: the input asked for too much, not a bug.
        return _diagnosed(OutOfMemory().diagnostic())
    return InternalFault(raised)


def handle(raised: BaseException, arguments: argparse.Namespace | None) -> int:
    """Report `raised` as its kind of error says, and return the exit status."""
    stopped = as_command_error(raised)
    stopped.report(arguments)
    return stopped.exit_code


def _diagnosed(diagnostic: Diagnostic) -> CommandFailed:
    from gwlang.diagnostics import GwError
    return CommandFailed(GwError(diagnostic))


def report(diagnostics: Sequence[Diagnostic], arguments: argparse.Namespace | None) -> None:
    """Diagnostics in the chosen format: text on stderr (coloured on a terminal), or JSON on stdout."""
    from gwlang.diagnostics import render_all
    error_format = getattr(arguments, "error_format", "text")
    colour = use_colour(getattr(arguments, "color", "auto"), sys.stderr)
    text = render_all(sorted(diagnostics, key=lambda d: d.sort_key()), error_format, colour)
    print(text, file=sys.stderr if error_format == "text" else sys.stdout)


def use_colour(choice: str, stream: object) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())
