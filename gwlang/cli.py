"""The `gwc` command line: the table of commands, argument parsing, one handler for every outcome.

Each command lives in its own module under `gwlang/commands/`, imported only
when that command runs (or asks for its `--help`): `gwc --version` and
`gwc --help` import no command at all, and no command pays for another's
libraries (networkx, jinja2, libvirt).  Adding a command is one line in
`COMMANDS`.  How a command stops and with which exit code is decided in
`commands/errors.py`: 0 success, 1 the sources have errors (diagnostics
printed), 2 the command line is wrong, 70 an internal fault (a one-line
message; the traceback only with `--debug`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from gwlang import __version__
from gwlang.commands.errors import EXIT_ERRORS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UsageError, handle, handles, report

__all__ = ["COMMANDS", "EXIT_ERRORS", "EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "UsageError", "build_parser",
           "main", "report"]


class Command(NamedTuple):
    """One `gwc` subcommand: its name, `module[:function]` registering its parser, and its one-line help."""

    name: str
    module: str
    help: str


# In the order `gwc --help` lists them.  The function (default `register`) is called with the
# subcommands action and the parser of the common options; it may register several commands.
COMMANDS = [
    Command("eval", "gwlang.commands.evaluate", "evaluate a module and print its value"),
    Command("show", "gwlang.commands.inspect", "print the fully evaluated site or one node"),
    Command("explain", "gwlang.commands.inspect", "show every definition behind a value"),
    Command("graph", "gwlang.commands.inspect", "draw the site's dependency graph"),
    Command("check", "gwlang.commands.inspect:register_check", "find every error `gwc compile` would report"),
    Command("compile", "gwlang.commands.compile", "write every artifact of the sites"),
    Command("plan", "gwlang.commands.runtime", "show what apply would change on the site's hosts"),
    Command("apply", "gwlang.commands.runtime", "make the site's hosts match the sources"),
    Command("status", "gwlang.commands.runtime", "each node's host, live state and drift"),
    Command("destroy", "gwlang.commands.runtime", "stop and undefine the site's domains"),
    Command("console", "gwlang.commands.runtime", "a node's serial console"),
    Command("report", "gwlang.commands.report", "write a static HTML report of the sites"),
    Command("doc", "gwlang.commands.doc", "the attribute reference of the schemas and profiles"),
    Command("repl", "gwlang.commands.repl", "evaluate expressions interactively"),
    Command("init", "gwlang.commands.init", "start a new project"),
    Command("completion", "gwlang.commands.completion", "print a shell completion script"),
    Command("fmt", "gwlang.commands.fmt", "format .gw files in the canonical layout"),
    Command("lsp", "gwlang.commands.lsp", "run the language server (for editors)"),
    Command("__complete", "gwlang.commands.completion", ""),   # hidden: names for the completion scripts
]

MAIN_EPILOG = """\
examples:
  gwc compile                                    compile sites/ into generated/
  gwc compile --check                            exit 1 if generated/ is stale
  gwc check                                      every error compile would report, nothing written
  gwc show sites/tcd.gw --node ce                one node, fully evaluated
  gwc explain sites/tcd.gw tcd.ce.vm.memory      every definition behind a value
  gwc graph sites/tcd.gw --format svg > tcd.svg  the dependency graph
  gwc eval docs/examples/gateway.gw              print a module's value
  gwc plan sites/tcd.gw                          what `gwc apply` would change on the hosts
  gwc apply sites/tcd.gw                         make the hosts match the sources (libvirt)
  gwc report -o report                           an HTML report of every site (open report/index.html)
  gwc fmt sites/ --check                         exit 1 if a .gw file is not formatted

Run `gwc COMMAND --help` for a command's options.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """The subcommands, each a stub until it is chosen: then its module is imported and registers the real one."""

    common: argparse.ArgumentParser
    stubs: dict[str, Command]

    def add_stub(self, command: Command) -> None:
        self.stubs[command.name] = command
        if command.help:
            super().add_parser(command.name, help=command.help, add_help=False)
        else:       # a hidden command: not listed by `gwc --help`
            super().add_parser(command.name, add_help=False)

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """A command's real parser, in the place of its stub (argparse refuses a name twice)."""
        if self.stubs.pop(name, None) is not None:
            del self._name_parser_map[name]
            self._choices_actions = [action for action in self._choices_actions if action.dest != name]
        parser: argparse.ArgumentParser = super().add_parser(name, **kwargs)
        return parser

    def load(self, name: str) -> None:
        command = self.stubs.get(name)
        if command is not None:
            module, _, function = command.module.partition(":")
            register: Callable[[_Commands, argparse.ArgumentParser], None] = getattr(
                importlib.import_module(module), function or "register")
            register(self, self.common)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        if isinstance(values, list) and values:
            self.load(values[0])
        super().__call__(parser, namespace, values, option_string)


def build_parser(complete: bool = False) -> argparse.ArgumentParser:
    """The `gwc` parser; `complete` registers every command's real parser at once (for tests and docs)."""
    parser = _Parser(prog="gwc", description="Compile gw sources describing virtual-machine grid sites.",
                     epilog=MAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"gwc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, action=_Commands)
    assert isinstance(commands, _Commands)
    commands.common = _common_options()
    commands.stubs = {}
    for command in COMMANDS:
        commands.add_stub(command)
    if complete:
        for command in COMMANDS:
            commands.load(command.name)
    return parser


def _common_options() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("-I", dest="include", action="append", default=[], metavar="DIR",
                        help="add DIR to the search path for <...> imports (before GWPATH and the stdlib)")
    common.add_argument("--error-format", choices=("text", "json"), default="text",
                        help="how diagnostics are printed (default: text)")
    common.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour diagnostics (default: only on a terminal)")
    common.add_argument("--debug", action="store_true", help="show Python tracebacks of internal faults")
    return common


def run_command(arguments: argparse.Namespace) -> int:
    """Run the chosen command with a deep stack; its text goes to stdout."""
    from gwlang.eval.deep import run_deep  # not the evaluator: `gwc compile` with nothing changed needs none
    handler: Callable[[argparse.Namespace], str] = arguments.handler
    text = run_deep(lambda: handler(arguments))
    if text:
        print(text)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    words = list(argv if argv is not None else sys.argv[1:])
    arguments = argparse.Namespace(debug="--debug" in words)   # until the real ones are parsed
    parser = build_parser()
    try:
        arguments = parser.parse_args(words)
        if arguments.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        if getattr(arguments, "main_thread", False):   # an interactive loop (`gwc repl`): Ctrl-C must reach it
            return int(arguments.handler(arguments))
        return run_command(arguments)
    except BaseException as raised:     # every outcome, Ctrl-C and OutOfMemory included
        if not handles(raised):
            raise                           # --help and --version end here, as argparse means them to
        return handle(raised, arguments)
