"""`gwc completion bash|zsh|fish`: shell completion scripts generated from the argument parser by shtab.

The scripts complete commands, options, their choices and files from the
parser itself, so they never drift from it.  Names that live in the sources
come from a hidden helper, `gwc __complete KIND WORDS...`: `--site` offers
the sites, `--node` (and `gwc console NODE`) the nodes and hosts, `--host`
the hosts, `gwc doc`'s PATH the attribute paths and `gwc explain`'s target
`NODE.PATH` (from the schemas, so nothing is evaluated), read from the `.gw`
files named on the command line so far (`sites/` when none is).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gwlang.eval.values import Declaration
    from gwlang.model.program import Program

SHELLS = ("bash", "zsh", "fish")
KINDS = ("sites", "nodes", "hosts", "attributes", "targets")

COMPLETION_EPILOG = """\
examples:
  source <(gwc completion bash)                       in ~/.bashrc
  gwc completion zsh > ~/.zfunc/_gwc                  with `fpath+=~/.zfunc; autoload -U compinit; compinit`
  gwc completion fish > ~/.config/fish/completions/gwc.fish
"""

# One shell function per kind of name, asking `gwc __complete` with the words typed so far.
_BASH = """
_gwc_names_{kind}() {{
  compgen -W "$(gwc __complete {kind} "${{COMP_WORDS[@]:1:COMP_CWORD-1}}" 2>/dev/null)" -- "$1"
}}
"""
_ZSH = """
_gwc_names_{kind}() {{
  local -a names
  names=(${{(f)"$(gwc __complete {kind} ${{words[2,CURRENT-1]}} 2>/dev/null)"}})
  compadd -a names
}}
"""
_FISH = "(gwc __complete {kind} (commandline -opc)[2..-1] 2>/dev/null)"


def register(commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    completion = commands.add_parser("completion", parents=[common], help="print a shell completion script",
                                     description="Print the completion script of gwc for a shell. Site, node, "
                                                 "host and attribute names are completed from the sources.",
                                     epilog=COMPLETION_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    completion.set_defaults(handler=command_completion)
    helper = commands.add_parser("__complete", parents=[common])
    # Hidden: out of `gwc --help` and of the completion scripts (argparse has no switch for a subcommand).
    commands._choices_actions = [a for a in commands._choices_actions if a.dest != "__complete"]
    helper.add_argument("kind", choices=KINDS)
    helper.add_argument("words", nargs=argparse.REMAINDER)
    helper.set_defaults(handler=command_names)


def command_completion(arguments: argparse.Namespace) -> str:
    from gwlang.commands.sites import CommandAborted
    try:
        import shtab
    except ImportError:
        raise CommandAborted("`gwc completion` needs shtab: pip install 'gwlang[completion]'") from None
    from gwlang.cli import build_parser
    parser = build_parser(complete=True)
    _annotate(parser, shtab.FILE, shtab.DIRECTORY)
    preamble = {"bash": _BASH, "zsh": _ZSH}.get(arguments.shell)
    text: str = shtab.complete(parser, shell=arguments.shell,
                               preamble="".join(preamble.format(kind=kind) for kind in KINDS) if preamble else "")
    return text.rstrip("\n")


def _names(kind: str) -> dict[str, str]:
    return {"bash": f"_gwc_names_{kind}", "zsh": f"_gwc_names_{kind}", "fish": _FISH.format(kind=kind)}


def _annotate(parser: argparse.ArgumentParser, files: Any, folders: Any) -> None:
    """Tell shtab what each argument takes: files, folders, or names from the sources."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if not name.startswith("__"):
                    _annotate_command(name, sub, files, folders)


def _annotate_command(command: str, parser: argparse.ArgumentParser, files: Any, folders: Any) -> None:
    for action in parser._actions:
        options = set(action.option_strings)
        if options & {"--site"}:
            action.complete = _names("sites")   # type: ignore[attr-defined]
        elif options & {"--node"}:
            action.complete = _names("nodes")   # type: ignore[attr-defined]
        elif options & {"--host"}:
            action.complete = _names("hosts")   # type: ignore[attr-defined]
        elif options & {"-I"}:
            action.complete = folders   # type: ignore[attr-defined]
        elif options & {"-o", "--output"}:
            action.complete = files   # type: ignore[attr-defined]
        elif not options and action.dest == "node":
            action.complete = _names("nodes")   # type: ignore[attr-defined]
        elif not options and command == "explain" and action.dest == "target":
            action.complete = _names("targets")   # type: ignore[attr-defined]
        elif not options and command == "doc":   # `gwc doc node.vm.<Tab>`, rather than files
            action.complete = _names("attributes")   # type: ignore[attr-defined]
        elif not options and action.dest in ("file", "sources", "directory"):
            action.complete = files   # type: ignore[attr-defined]


# ---------------------------------------------------------------- the helper


def command_names(arguments: argparse.Namespace) -> str:
    """The names of `kind` in the sources among `words`; nothing at all when they do not load."""
    from gwlang.diagnostics import GwError
    try:
        return "\n".join(names(arguments.kind, arguments.words))
    except (GwError, OSError, RecursionError):
        return ""


def names(kind: str, words: list[str]) -> list[str]:
    from gwlang.model.program import gw_files, load_program
    if kind == "attributes":
        from gwlang.eval.modules import stdlib_root
        from gwlang.model.reference import attributes
        sources = _sources(words, default=False) + sorted(stdlib_root().rglob("*.gw"))
        program = load_program(gw_files(sources))
        return [row.name for row in attributes(program.schemas, list(program.session.loader.modules.values()))]
    sources = _sources(words, default=True)
    if not sources:
        return []
    program = load_program(gw_files(sources), _includes(words))
    wanted = _option(words, "--site")
    sites = program.sites()
    found: list[str] = []
    for site in sites:
        if kind == "sites":
            found.append(site.name)
        elif kind == "targets":
            found += _targets(program, site, prefix=f"{site.name}." if len(sites) > 1 and wanted is None else "")
        elif wanted in (None, site.name):
            entities = program.entities(site)
            found += [*entities.nodes, *entities.hosts] if kind == "nodes" else list(entities.hosts)
    return list(dict.fromkeys(found))


def _targets(program: Program, site: Declaration, prefix: str) -> list[str]:
    """`NODE.PATH`, `HOST.PATH` and the site's own `PATH`s, from the schemas: nothing is evaluated."""
    from gwlang.model.reference import ANY_KEY, attributes
    rows = attributes(program.schemas, list(program.session.loader.modules.values()))
    paths = {kind: [".".join(row.path[1:]) for row in rows if row.path[0] == kind and ANY_KEY not in row.path]
             for kind in ("site", "host", "node")}
    entities = program.entities(site)
    found = [f"{prefix}{path}" for path in paths["site"]]
    for kind, names in (("node", entities.nodes), ("host", entities.hosts)):
        found += [f"{prefix}{name}.{path}" for name in names for path in paths[kind]]
    return found


def _sources(words: list[str], default: bool) -> list[Path]:
    """The `.gw` files and folders typed so far (not the values of options), or `sites/`."""
    found: list[Path] = []
    skip = False
    for word in words:
        if skip or word.startswith("-"):
            skip = word in ("-I", "--site", "--node", "--host", "-o", "--output", "--connect", "-j", "--jobs")
            continue
        path = Path(word)
        if (word.endswith(".gw") and path.is_file()) or (path.is_dir() and any(path.rglob("*.gw"))):
            found.append(path)
    if not found and default and Path("sites").is_dir():
        found.append(Path("sites"))
    return found


def _option(words: list[str], name: str) -> str | None:
    for index, word in enumerate(words[:-1]):
        if word == name:
            return words[index + 1]
        if word.startswith(name + "="):
            return word.partition("=")[2]
    return None


def _includes(words: list[str]) -> list[str]:
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "-I"]

