"""`gwc init [DIR]`: a new project that compiles at once.

The project is the smallest one worth having: one site extending the
standard library's gateway (so it compiles before anything is edited), a
snapshot test of everything it compiles to (the `gw_bundle` pytest plugin
of `gwlang/testing.py`), a README saying what to run, and a `.gitignore`.
Only an empty or missing folder is filled: nothing of the user's is
overwritten.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

INIT_EPILOG = """\
examples:
  gwc init my-grid                 a new project in my-grid/, its site named `my-grid`
  gwc init my-grid --site dcu      the site named `dcu`
  cd empty-folder && gwc init      in the current folder, if it is empty
"""

SITE = """\
# The site `{name}`: the standard library's grid gateway (an install server,
# a CE, an SE, a UI and two worker nodes, Xen guests of one host `gw`), with
# this site's own addresses.  `gwc doc node` lists what a node may set;
# `gwc explain sites/{name}.gw ce.vm.memory` shows where a value came from.
import <grid/gateway.gw>;

site {name} extends gateway {{
  domain = "{name}.example.org";
  network.subnet = 192.0.2.0/24;
  network.gateway = 192.0.2.1;
  network.dns = [ 192.0.2.2 ];
  host gw {{
    uri = "xen+ssh://root@gw.{name}.example.org/system";
    memory = 16GiB;
  }}
  node ce {{ vm.memory = 2GiB; }}
}}
"""

TEST = '''\
"""Everything the sites compile to, as reviewable snapshots (syrupy, with gwlang's `gw_bundle` fixture).

After a change to the sources: `pytest` shows which files of which site
change; `pytest --snapshot-update` accepts the change.
"""

from pathlib import Path

import pytest

SITES = sorted((Path(__file__).resolve().parent.parent / "sites").glob("*.gw"))


@pytest.mark.parametrize("site", SITES, ids=lambda path: path.stem)
def test_site(site, gw_bundle, snapshot):
    assert gw_bundle(site) == snapshot
'''

README = """\
# {name}

The grid site `{name}`, described in gw and compiled by gwc.

```sh
gwc check                     # every error, nothing written
gwc compile                   # sites/ -> generated/
gwc show sites/{name}.gw --node ce    # one node, fully evaluated
pytest                        # the compiled files against tests/__snapshots__ (pip install pytest syrupy)
pytest --snapshot-update      # after a change you meant: record the new files
```

`gwc doc node.vm.memory` documents an attribute; `gwc repl sites/{name}.gw`
evaluates expressions in the site's scope.
"""

GITIGNORE = """\
generated/
__pycache__/
.pytest_cache/
"""


def register(commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    init = commands.add_parser("init", parents=[common], help="start a new project",
                               description="Create a project in DIR: a site extending the gateway, a snapshot "
                                           "test, a README and a .gitignore. DIR must be empty or missing.",
                               epilog=INIT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    init.add_argument("directory", nargs="?", default=".", metavar="DIR", help="where (default: here)")
    init.add_argument("--site", metavar="NAME", help="the site's name (default: from DIR's name)")
    init.set_defaults(handler=command_init)


def command_init(arguments: argparse.Namespace) -> str:
    from gwlang.commands.errors import UsageError
    from gwlang.paths import checked
    folder = checked(arguments.directory, "the folder")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"`{folder}` is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise UsageError(f"`{folder}` is not empty; gwc init fills only an empty or new folder "
                         "(help: name a new one, such as `gwc init my-grid`)")
    name = arguments.site or site_name(folder.resolve().name)
    if not _usable(name):
        raise UsageError(f"`{name}` cannot name a site: use letters, digits and `-`, starting with a letter, "
                         "and not a keyword of the language")
    files = {
        Path("sites") / f"{name}.gw": SITE.format(name=name),
        Path("tests") / "test_sites.py": TEST,
        Path("README.md"): README.format(name=name),
        Path(".gitignore"): GITIGNORE,
    }
    try:
        for relative, text in files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(text)
    except OSError as failure:
        from gwlang.commands.sites import CommandAborted
        raise CommandAborted(f"cannot create the project in `{folder}`: {failure.strerror}") from None
    where = "" if str(arguments.directory) == "." else f"cd {arguments.directory}\n  "
    return (f"created {', '.join(str(path) for path in files)} in {folder}\nnext:\n  {where}"
            "gwc compile                   # sites/ -> generated/\n"
            "  pytest --snapshot-update      # record the snapshot test's files, then plain `pytest`")


_NAME = r"[A-Za-z][A-Za-z0-9-]*"


def _usable(name: str) -> bool:
    """A name the site file parses with (not a keyword such as `site` or `let`)."""
    from gwlang.diagnostics import GwError, Source
    from gwlang.syntax.parser import parse
    if not re.fullmatch(_NAME, name):
        return False
    try:
        parse(Source("<init>", SITE.format(name=name)))
    except GwError:
        return False
    return True


def site_name(folder: str) -> str:
    """A site name from a folder's: `My Grid` -> `my-grid`; `example` when nothing usable is left."""
    name = re.sub(r"[^a-z0-9-]+", "-", folder.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)
    return name if re.fullmatch(_NAME, name) else "example"
