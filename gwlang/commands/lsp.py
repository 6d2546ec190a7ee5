"""`gwc lsp`: the language server over stdin and stdout, for editors (docs/editors.md)."""

from __future__ import annotations

import argparse
from typing import Any

LSP_EPILOG = """\
examples:
  gwc lsp                        serve one editor over stdin/stdout (the editor starts it)
  gwc lsp -I vendor/gw           with a folder added to the search path of <...> imports

Setting it up in VS Code, Neovim and Emacs: docs/editors.md.
"""


def register(commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser("lsp", parents=[common], help="run the language server (for editors)",
                                 description="Serve the Language Server Protocol over stdin and stdout: "
                                             "diagnostics as you type, hover, definitions, references, "
                                             "completion, symbols, rename and formatting.",
                                 epilog=LSP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(handler=command_lsp)


def command_lsp(arguments: argparse.Namespace) -> str:
    from gwlang.commands.sites import CommandAborted
    try:
        from gwlang.lsp.server import serve
    except ImportError as missing:
        raise CommandAborted(f"`gwc lsp` needs pygls ({missing}): pip install 'gwlang[lsp]'") from None
    serve(tuple(arguments.include))
    return ""
