"""`gwc fmt`: rewrite .gw files in the one canonical layout, or check that they are.

Every file is formatted before any is written: a syntax error anywhere
reports every file's diagnostics and writes nothing.  A file is rewritten
only when its text changes, through a temporary file renamed over it, so
an interrupted run never leaves half a file.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from gwlang.commands.errors import CommandAborted, CommandFailed
from gwlang.commands.sites import plural, source_files
from gwlang.diagnostics import Diagnostic, GwError, error

EPILOG = """\
examples:
  gwc fmt                                  format every .gw file under sites/
  gwc fmt sites/ docs/examples/ --check    exit 1 and list the files not formatted
  gwc fmt sites/tcd.gw --diff              show what would change, write nothing
  cat sites/tcd.gw | gwc fmt -             format standard input to standard output
"""

STDIN = "-"


def register(commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "fmt", parents=[common], help="format .gw files in the canonical layout",
        description="Rewrite .gw files in gw's one canonical layout, keeping every comment. "
                    "The layout has no options but the line width.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="*", metavar="FILE", default=["sites"],
                        help="files or folders of them, or `-` for standard input (default: sites/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; list the files that are not formatted and exit 1 if any")
    parser.add_argument("--diff", action="store_true", help="write nothing; print a unified diff of the changes")
    parser.add_argument("--width", type=_width, default=100, metavar="N",
                        help="the line width to fit in (default: 100)")
    parser.set_defaults(handler=command_fmt)


def _width(text: str) -> int:
    try:
        width = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a number") from None
    if not 20 <= width <= 1000:
        raise argparse.ArgumentTypeError(f"the width must lie between 20 and 1000, not {width}")
    return width


def command_fmt(arguments: argparse.Namespace) -> str:
    if arguments.sources == [STDIN]:
        return _format_stdin(arguments)
    if STDIN in arguments.sources:
        from gwlang.commands.errors import UsageError
        raise UsageError("`-` (standard input) cannot be mixed with files")
    files = source_files(arguments)
    changes = _format_all(files, arguments.width)
    if arguments.diff:
        for path, (before, after) in changes.items():
            sys.stdout.write(_diff(str(path), before, after))
    if arguments.check:
        for path in changes:
            print(path)
        if changes:
            raise CommandAborted(f"{plural(len(changes), 'file')} not formatted; `gwc fmt` formats them")
    elif not arguments.diff:
        for path, (_, after) in changes.items():
            _write(path, after)
    return ""


def _format_all(files: list[Path], width: int) -> dict[Path, tuple[str, str]]:
    """Each file that would change, with its text before and after; every error of every file raised at once."""
    from gwlang.fmt import format_text
    changes: dict[Path, tuple[str, str]] = {}
    diagnostics: list[Diagnostic] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            formatted = format_text(text, str(path), width)
        except GwError as failed:
            diagnostics += failed.diagnostics
            continue
        except (OSError, UnicodeDecodeError) as problem:
            reason = problem.strerror if isinstance(problem, OSError) and problem.strerror else str(problem)
            unreadable = error("E0120", f"cannot read `{path}`: {reason}", None,
                               help="`gwc fmt` reads UTF-8 text files; check the file's name and encoding")
            diagnostics += unreadable.diagnostics
            continue
        if formatted != text:
            changes[path] = (text, formatted)
    if diagnostics:
        raise CommandFailed(GwError(diagnostics))
    return changes


def _format_stdin(arguments: argparse.Namespace) -> str:
    from gwlang.fmt import format_text
    text = sys.stdin.read()
    try:
        formatted = format_text(text, "<stdin>", arguments.width)
    except GwError as failed:
        raise CommandFailed(failed) from None
    if arguments.diff:
        sys.stdout.write(_diff("<stdin>", text, formatted))
    if arguments.check:
        if formatted != text:
            print("<stdin>")
            raise CommandAborted("standard input is not formatted")
    elif not arguments.diff:
        sys.stdout.write(formatted)
    return ""


def _diff(name: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        f"{name}", f"{name} (formatted)"))


def _write(path: Path, text: str) -> None:
    """Replace the file whole: a temporary file beside it, renamed over it, its mode kept."""
    mode = path.stat().st_mode
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".fmt")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
