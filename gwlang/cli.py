"""The `gwc` command line: parse arguments, run one subcommand, map outcomes to exit codes.

Exit codes: 0 success, 1 the sources have errors (diagnostics printed),
2 the command line is wrong, 70 an internal fault (a one-line message; the
traceback only with `--debug`).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from gwlang import __version__
from gwlang.diagnostics import Diagnostic, render_all
from gwlang.eval.evaluator import run_deep
from gwlang.eval.limits import OutOfMemory
from gwlang.paths import BadPath, checked

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70
BUG_REPORT = "https://github.com/gwlang/gwlang/issues"

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
  gwc fmt sites/ --check                         exit 1 if a .gw file is not formatted

Run `gwc COMMAND --help` for a command's options.
"""

# Every example of every epilog is run by tests/test_cli.py, from the repository's root.
EVAL_EPILOG = """\
examples:
  gwc eval docs/examples/gateway.gw                     the module's value
  gwc eval docs/examples/gateway.gw -E 'map (n: n.ip) (attrValues nodes)' --json
                                                        an expression in its scope, as JSON
  gwc eval -I docs/examples sites/tcd.gw -E '(import <gateway.gw>).site.network'
                                                        <...> imports found in the folders of -I
"""


class UsageError(Exception):
    """A mistake on the command line (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gwc", description="Compile gw sources describing virtual-machine grid sites.",
                     epilog=MAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"gwc {__version__}")
    common = _Parser(add_help=False)
    common.add_argument("-I", dest="include", action="append", default=[], metavar="DIR",
                        help="add DIR to the search path for <...> imports (before GWPATH and the stdlib)")
    common.add_argument("--error-format", choices=("text", "json"), default="text",
                        help="how diagnostics are printed (default: text)")
    common.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour diagnostics (default: only on a terminal)")
    common.add_argument("--debug", action="store_true", help="show Python tracebacks of internal faults")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    eval_parser = commands.add_parser(
        "eval", parents=[common], help="evaluate a module and print its value",
        description="Evaluate a module (or an expression in its scope) and print the value.",
        epilog=EVAL_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    eval_parser.add_argument("file", metavar="FILE", help="the .gw module to evaluate")
    eval_parser.add_argument("-E", "--expr", dest="expression", metavar="EXPR",
                             help="evaluate EXPR in the module's scope instead of the module itself")
    eval_parser.add_argument("--json", action="store_true",
                             help="print JSON (sizes and addresses as their canonical strings)")
    eval_parser.set_defaults(handler=command_eval)
    from gwlang.commands import inspect
    inspect.register(commands, common)
    inspect.register_check(commands, common)
    from gwlang.commands import compile as compile_command
    compile_command.register(commands, common)
    from gwlang.commands import runtime
    runtime.register(commands, common)
    from gwlang.commands import fmt
    fmt.register(commands, common)
    return parser


def _use_colour(choice: str, stream: object) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def report(diagnostics: Sequence[Diagnostic], arguments: argparse.Namespace) -> None:
    colour = _use_colour(arguments.color, sys.stderr)
    text = render_all(sorted(diagnostics, key=lambda d: d.sort_key()), arguments.error_format, colour)
    print(text, file=sys.stderr if arguments.error_format == "text" else sys.stdout)


def command_eval(arguments: argparse.Namespace) -> int:
    from gwlang.session import evaluate_to_text
    path = checked(arguments.file, "the file")
    for folder in arguments.include:
        checked(folder, "the `-I` folder")
    if not path.is_file():
        raise UsageError(f"no such file: {arguments.file}")
    printed = run_deep(lambda: evaluate_to_text(path, arguments.expression, arguments.json,
                                                arguments.include))
    if printed.collector.diagnostics:
        report(printed.collector.diagnostics, arguments)
        return EXIT_ERRORS
    print(printed.text)
    return EXIT_OK


def run_site_command(arguments: argparse.Namespace) -> int:
    """Run a site-level command with a deep stack; its text goes to stdout."""
    from gwlang.commands.compile import CheckFailed
    from gwlang.commands.runtime import RuntimeFailed
    from gwlang.commands.sites import CommandAborted, CommandFailed
    handler: Callable[[argparse.Namespace], str] = arguments.handler
    try:
        text = run_deep(lambda: handler(arguments))
    except CommandFailed as failed:
        report(failed.failure.diagnostics, arguments)
        return EXIT_ERRORS
    except CommandAborted as aborted:
        print(f"gwc: error: {aborted}", file=sys.stderr)
        return EXIT_ERRORS
    except CheckFailed:
        return EXIT_ERRORS
    except RuntimeFailed as failed:
        if failed.text:
            print(failed.text)
        for failure in failed.failures:
            print(f"gwc: error: {failure}", file=sys.stderr)
        return EXIT_ERRORS
    if text:
        print(text)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        arguments = parser.parse_args(argv)
        if arguments.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        if arguments.command == "eval":
            return command_eval(arguments)
        return run_site_command(arguments)
    except (UsageError, BadPath) as problem:
        print(f"gwc: error: {problem}\nRun `gwc --help` for usage.", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except OutOfMemory as stopped:
        report([stopped.diagnostic()], arguments)
        return EXIT_ERRORS
    except MemoryError:
        # Outside evaluation: the input asked for too much, not a bug.
        report([OutOfMemory().diagnostic()], arguments)
        return EXIT_ERRORS
    except Exception as fault:
        if debug:
            traceback.print_exc()
        print(f"gwc: internal error: {type(fault).__name__}: {fault}\n"
              f"This is a bug in gwc, not in your sources. Please report it at {BUG_REPORT} "
              "with the command and its input (rerun with --debug for the traceback).", file=sys.stderr)
        return EXIT_INTERNAL
