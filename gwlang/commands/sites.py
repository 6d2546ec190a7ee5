"""What the site-level commands share: loading sources, picking a site, reporting failures.

Each command runs its whole body inside `run_deep` and turns a `GwError`
into `CommandFailed` (diagnostics on stderr, exit status 1; see `errors.py`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

# CommandAborted and CommandFailed were defined here: commands may still import them from here.
from gwlang.commands.errors import CommandAborted as CommandAborted
from gwlang.commands.errors import CommandFailed, UsageError
from gwlang.diagnostics import GwError, did_you_mean, error
from gwlang.paths import checked

if TYPE_CHECKING:       # the compiler is imported on use: `gwc compile` with nothing changed never loads it
    from gwlang.eval.values import Declaration
    from gwlang.model.program import Program

DEFAULT_SOURCES = "sites"


def add_sources(parser: argparse.ArgumentParser, many: bool = True) -> None:
    if many:
        parser.add_argument("sources", nargs="*", metavar="FILE", default=[DEFAULT_SOURCES],
                            help=f".gw files or folders of them (default: {DEFAULT_SOURCES}/)")
    else:
        parser.add_argument("sources", nargs=1, metavar="FILE", help="the .gw file declaring the site")
    parser.add_argument("--site", metavar="S", help="the site, when the sources declare several")


def source_files(arguments: argparse.Namespace) -> list[Path]:
    paths = [checked(p, "the source") for p in arguments.sources]
    for path in paths:
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
    from gwlang.model.program import gw_files
    try:
        files = gw_files(paths)
    except GwError as refused:
        raise CommandFailed(refused) from None
    if not files:
        raise UsageError("no .gw files in " + ", ".join(str(p) for p in paths))
    return files


def pick_site(program: Program, wanted: str | None) -> Declaration:
    sites = program.sites()
    if wanted is not None:
        for site in sites:
            if site.name == wanted:
                return site
        raise GwError(error("E0314", f"no concrete site named `{wanted}` in the sources", None,
                            help=did_you_mean(wanted, [s.name for s in sites]),
                            notes=["sites: " + ", ".join(f"`{s.name}`" for s in sites) if sites
                                   else "the sources declare no concrete site"]).diagnostics)
    if len(sites) == 1:
        return sites[0]
    if not sites:
        raise GwError(error("E0314", "the sources declare no concrete site", None,
                            help="declare `site NAME extends ... { }`; abstract sites are templates").diagnostics)
    raise GwError(error("E0314", "the sources declare several sites; choose one with `--site`", None,
                        notes=["sites: " + ", ".join(f"`{s.name}`" for s in sites)]).diagnostics)


def with_program(arguments: argparse.Namespace, action: Callable[[Program], str]) -> str:
    """Load the sources and run `action`; a `GwError` becomes `CommandFailed`."""
    from gwlang.model.program import load_program
    files = source_files(arguments)
    try:
        return action(load_program(files, arguments.include))
    except GwError as failure:
        raise CommandFailed(failure) from None


def plural(count: int, noun: str) -> str:
    """`1 site`, `2 sites`: the counts of the summaries."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
