"""`gwc doc`: the attribute reference on the terminal (like nixos-option) and as Markdown.

Without a file the reference covers the standard library (its schemas and
profiles); with one, that file's modules too, so a site's own `schema`
additions and profiles appear.  A path names one attribute (its page) or a
prefix (the attributes under it); a misspelt one is a usage error that
suggests the closest names.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # the model loads only when the command runs: `gwc --version` stays fast
    from gwlang.model.program import Program
    from gwlang.model.reference import Attribute

DOC_EPILOG = """\
examples:
  gwc doc node.vm.memory                 one attribute: type, default, description, profiles setting it
  gwc doc node.vm                        the attributes under a prefix
  gwc doc docs/examples/custom-schema.gw node.tags
                                         with a file: its own schema additions and profiles too
  gwc doc --markdown -o docs/reference.md
                                         the whole reference as Markdown
"""

MARKDOWN_TITLE = "# Attribute reference"


def register(commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    doc = commands.add_parser("doc", parents=[common], help="the attribute reference of the schemas and profiles",
                              description="Print the attributes a site, host or node may set: type, default, "
                                          "description, where declared and which profiles set them.",
                              epilog=DOC_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    doc.add_argument("file", nargs="?", metavar="FILE",
                     help="a .gw file or folder whose schemas and profiles to include (default: the stdlib's)")
    doc.add_argument("path", nargs="?", metavar="PATH",
                     help="an attribute (`node.vm.memory`) or a prefix (`node.vm`); all attributes without it")
    doc.add_argument("--markdown", action="store_true", help="print the whole reference as Markdown")
    doc.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of standard output")
    doc.set_defaults(handler=command_doc)


def command_doc(arguments: argparse.Namespace) -> str:
    from gwlang.commands.errors import UsageError
    from gwlang.commands.sites import with_program
    from gwlang.eval.modules import stdlib_root
    from gwlang.model.reference import attributes
    from gwlang.paths import checked
    file, path = arguments.file, arguments.path
    if file is not None and path is None and not _looks_like_file(file):
        file, path = None, file
    if path is not None and arguments.markdown:
        raise UsageError("`--markdown` prints the whole reference: leave out the path")
    if file is not None:
        if not checked(file, "the file").exists():
            raise UsageError(f"no such file or folder: {file}")
        arguments.sources = [file]
    else:
        arguments.sources = [str(p) for p in sorted(stdlib_root().rglob("*.gw"))]

    def run(program: Program) -> str:
        rows = attributes(program.schemas, list(program.session.loader.modules.values()))
        if arguments.markdown:
            return markdown(rows)
        return terminal(rows, path)
    text = with_program(arguments, run)
    if arguments.output:
        from gwlang.commands.sites import CommandAborted
        try:
            Path(arguments.output).write_text(text + "\n")
        except OSError as failure:
            raise CommandAborted(f"cannot write `{arguments.output}`: {failure.strerror}") from None
        return ""
    return text


def _looks_like_file(argument: str) -> bool:
    return argument.endswith(".gw") or "/" in argument or Path(argument).exists()


# ---------------------------------------------------------------- terminal


def terminal(rows: list[Attribute], path: str | None) -> str:
    """One attribute's page, or the list of the attributes under a prefix."""
    if path is None:
        return listing(rows)
    wanted = path.split(".")
    exact = [row for row in rows if _matches(row.path, wanted)]
    under = [row for row in rows if len(row.path) > len(wanted) and _matches(row.path[: len(wanted)], wanted)]
    if exact:
        return page(exact[0]) + ("\n\n  attributes under it:\n" + _indent(listing(under)) if under else "")
    if under:
        return listing(under)
    raise _unknown(rows, path)


def _matches(pattern: tuple[str, ...], wanted: list[str]) -> bool:
    """`node.disks.xvda.size` is `node.disks.<name>.size`."""
    from gwlang.model.reference import ANY_KEY
    return len(pattern) == len(wanted) and all(p in (w, ANY_KEY) for p, w in zip(pattern, wanted, strict=True))


def _unknown(rows: list[Attribute], path: str) -> Exception:
    from gwlang.commands.errors import UsageError
    from gwlang.diagnostics import did_you_mean
    names = {row.name for row in rows}
    prefixes = {".".join(row.path[:depth]) for row in rows for depth in range(1, len(row.path))}
    hint = did_you_mean(path, names | prefixes)
    ending = sorted(name for name in names | prefixes if name.endswith("." + path))
    if hint is None and ending:
        hint = "did you mean " + " or ".join(f"`{name}`" for name in ending[:3]) + "?"
    kinds = sorted({row.path[0] for row in rows})
    return UsageError(f"no attribute `{path}` in the schemas\n"
                      + (f"help: {hint}\n" if hint else "")
                      + "note: paths start with " + ", ".join(f"`{kind}`" for kind in kinds)
                      + "; `gwc doc` lists them all")


def page(row: Attribute) -> str:
    lines = [row.name, ""]
    if row.doc:
        lines += [f"  {row.doc}", ""]
    lines += [f"  type:        {row.type}  ({row.described})",
              f"  default:     {row.default if row.default is not None else '(none: it must be set)'}",
              f"  declared in: {row.declared}"]
    if row.set_by:
        lines.append("  set by:")
        width = max(len(s.profile) for s in row.set_by)
        values = max(len(f"{s.op} {s.value}") for s in row.set_by)
        lines += [f"    profile {s.profile:<{width}}  {s.op + ' ' + s.value:<{values}}  {s.where}" for s in row.set_by]
    else:
        lines.append("  set by:      no profile")
    return "\n".join(lines)


def listing(rows: list[Attribute]) -> str:
    width = min(max(len(row.name) for row in rows), 40)
    return "\n".join(f"{row.name:<{width}}  {row.type}" + (f" = {row.default}" if row.default is not None else "")
                     for row in rows)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


# ---------------------------------------------------------------- markdown


def markdown(rows: list[Attribute]) -> str:
    """The reference page: an index table per entity kind, then a section per attribute."""
    out = [MARKDOWN_TITLE, "",
           "<!-- Generated by `gwc doc --markdown -o docs/reference.md`; tests/test_doc.py checks it is current. -->",
           "",
           "Every attribute a site, host or node may set, from the standard library's schemas",
           "(`stdlib/gw/schema.gw`), and which of the standard library's profiles set it.",
           "`gwc doc PATH` prints one of them on the terminal; `gwc doc FILE PATH` includes",
           "the schema additions and profiles of your own sources.", ""]
    kinds = list(dict.fromkeys(row.path[0] for row in rows))
    for kind in kinds:
        mine = [row for row in rows if row.path[0] == kind]
        out += [f"## `{kind}`", "", "| attribute | type | default |", "|---|---|---|"]
        out += [f"| [`{row.name}`](#{_anchor(row.name)}) | `{_cell(row.type)}` | "
                + (f"`{_cell(row.default)}`" if row.default is not None else "required") + " |" for row in mine]
        out.append("")
        for row in mine:
            out += _section(row)
    return "\n".join(out).rstrip("\n")


def _section(row: Attribute) -> list[str]:
    lines = [f"### `{row.name}`", ""]
    if row.doc:
        lines += [row.doc, ""]
    lines.append(f"- type: `{row.type}` ({row.described})")
    lines.append(f"- default: `{row.default}`" if row.default is not None else "- default: none, it must be set")
    lines.append(f"- declared in: `{row.declared}`")
    if row.set_by:
        lines.append("- set by: " + "; ".join(f"profile `{s.profile}` (`{s.op} {s.value}`, `{s.where}`)"
                                              for s in row.set_by))
    return [*lines, ""]


def _anchor(name: str) -> str:
    """GitHub's heading anchor: lower case, punctuation but `-` and `_` dropped."""
    return "".join(c for c in name.lower() if c.isalnum() or c in "-_")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
