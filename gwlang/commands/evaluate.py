"""`gwc eval`: evaluate one module, or an expression in its scope, and print the value."""

from __future__ import annotations

import argparse
from typing import Any

from gwlang.commands.errors import CommandFailed, UsageError
from gwlang.paths import checked

# Every example of every epilog is run by tests/test_cli.py, from the repository's root.
EPILOG = """\
examples:
  gwc eval docs/examples/gateway.gw                     the module's value
  gwc eval docs/examples/gateway.gw -E 'map (n: n.ip) (attrValues nodes)' --json
                                                        an expression in its scope, as JSON
  gwc eval -I docs/examples sites/tcd.gw -E '(import <gateway.gw>).site.network'
                                                        <...> imports found in the folders of -I
"""


def register(commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "eval", parents=[common], help="evaluate a module and print its value",
        description="Evaluate a module (or an expression in its scope) and print the value.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE", help="the .gw module to evaluate")
    parser.add_argument("-E", "--expr", dest="expression", metavar="EXPR",
                        help="evaluate EXPR in the module's scope instead of the module itself")
    parser.add_argument("--json", action="store_true",
                        help="print JSON (sizes and addresses as their canonical strings)")
    parser.set_defaults(handler=command_eval)


def command_eval(arguments: argparse.Namespace) -> str:
    # The front end is imported here, not above: `gwc eval --help` needs none of it.
    from gwlang import session
    from gwlang.diagnostics import GwError
    path = checked(arguments.file, "the file")
    for folder in arguments.include:
        checked(folder, "the `-I` folder")
    if not path.is_file():
        raise UsageError(f"no such file: {arguments.file}")
    printed = session.evaluate_to_text(path, arguments.expression, arguments.json, arguments.include)
    if printed.collector.diagnostics:
        raise CommandFailed(GwError(printed.collector.diagnostics))
    return printed.text or ""
