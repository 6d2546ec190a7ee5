"""`gwc repl [FILE]`: the read-eval-print loop on a terminal, or over a pipe.

On a terminal: a prompt, readline's line editing, a history kept in
`$XDG_STATE_HOME/gwlang/repl_history` (`~/.local/state/...`), and Tab
completing names in scope, `a.b` attributes and `:commands`.  From a pipe:
no prompt and no history, answers on stdout, diagnostics on stderr, and
exit status 1 if any input failed, so a script can feed it.  The standard
library's readline is enough here: prompt_toolkit would add syntax colour
and multi-line editing, not worth a dependency for an exploring tool.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from gwlang.repl import Repl

REPL_EPILOG = """\
examples:
  gwc repl sites/tcd.gw                  then: tcd   :show ce   :explain ce.vm.memory   :type 1GiB
  echo 'hostIn 10.0.0.0/24 5' | gwc repl     answers on stdout, no prompt
"""

BANNER = "gwc repl: gw expressions{where}; `:help` for commands, Ctrl-D to leave"


def register(commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    repl = commands.add_parser("repl", parents=[common], help="evaluate expressions interactively",
                               description="Read gw expressions and commands, print their values. With FILE, "
                                           "in that module's (or site's) scope.",
                               epilog=REPL_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    repl.add_argument("file", nargs="?", metavar="FILE", help="a .gw file or folder to load first")
    repl.set_defaults(handler=command_repl, main_thread=True)


def command_repl(arguments: argparse.Namespace) -> int:
    """The loop, on the main thread so that Ctrl-C reaches it; each input is evaluated with a deep stack."""
    from gwlang.commands.errors import EXIT_ERRORS, EXIT_OK, UsageError, report, use_colour
    from gwlang.diagnostics import GwError
    from gwlang.paths import checked
    from gwlang.repl import Answer, Repl, render
    interactive = sys.stdin.isatty()
    try:
        repl = Repl(arguments.include)
    except GwError as failure:   # no standard library, say
        report(failure.diagnostics, arguments)
        return EXIT_ERRORS
    if arguments.file is not None:
        if not checked(arguments.file, "the file").exists():
            raise UsageError(f"no such file or folder: {arguments.file}")
        loaded = repl.run(f":load {arguments.file}")
        if loaded.failed:
            report(loaded.diagnostics, arguments)
            return EXIT_ERRORS
        if interactive:
            print(loaded.text)
    colour = use_colour(arguments.color, sys.stderr)
    failures = 0
    with _LineEditing(repl) if interactive else contextlib.nullcontext():
        if interactive:
            print(BANNER.format(where=f" in the scope of {arguments.file}" if arguments.file else ""))
        for text in _inputs(repl, interactive):
            try:
                answer = repl.run(text)
            except KeyboardInterrupt:   # between two evaluations
                answer = Answer(problem="interrupted")
            if answer.text:
                print(answer.text, flush=True)
            if answer.diagnostics:
                print(render(answer, colour), file=sys.stderr, flush=True)
            if answer.problem:
                print(f"gwc: error: {answer.problem}", file=sys.stderr, flush=True)
            failures += answer.failed
            if answer.quit:
                break
    # A piped session is a script: its exit status says whether every input worked.
    return EXIT_ERRORS if failures and not interactive else EXIT_OK


def _inputs(repl: Repl, interactive: bool) -> Iterator[str]:
    """Complete inputs: lines, joined while an input is unfinished (an open `{`, a trailing `+`).

    Ctrl-C drops the input being typed, as in a shell; during an evaluation
    `Repl.run` takes it.
    """
    pending: list[str] = []
    while True:
        try:
            line = input("... " if pending else "gw> ") if interactive else _read_line()
            pending.append(line)
            text = "\n".join(pending)
            if repl.unfinished(text):
                continue
        except EOFError:
            if pending:
                yield "\n".join(pending)
            if interactive:
                print()
            return
        except KeyboardInterrupt:
            print("\n(interrupted; Ctrl-D or `:quit` leaves)")
            pending = []
            continue
        pending = []
        yield text


def _read_line() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


def history_file() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "gwlang" / "repl_history"


class _LineEditing:
    """readline set up for the session: completion from the REPL's scope, history read and written."""

    def __init__(self, repl: Repl) -> None:
        self.repl = repl
        self.matches: list[str] = []

    def __enter__(self) -> None:
        try:
            import readline
        except ImportError:   # a Python built without it: plain input() still works
            return
        readline.set_completer_delims(" \t\n()[]{};=+*/<>!&|,\"'")
        readline.set_completer(self.complete)
        readline.parse_and_bind("tab: complete")
        with contextlib.suppress(OSError):   # no history yet
            readline.read_history_file(history_file())
        readline.set_history_length(1000)

    def __exit__(self, *_: object) -> None:
        try:
            import readline
        except ImportError:
            return
        try:
            history_file().parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history_file())
        except OSError as failure:
            print(f"gwc: warning: history not saved: {failure}", file=sys.stderr)

    def complete(self, text: str, state: int) -> str | None:
        if state == 0:
            import readline
            self.matches = self.repl.completions(text, readline.get_line_buffer())
        return self.matches[state] if state < len(self.matches) else None
