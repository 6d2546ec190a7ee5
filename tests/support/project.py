"""A small project of three sites sharing a profile module, for the tests of `gwc compile` and its folder."""

from __future__ import annotations

import filecmp
from pathlib import Path

SHARED = """import <grid/roles.gw>;
profile lab-wn extends wn { vm.memory = 1GiB; }
"""

SITE = """import <grid/gateway.gw>;
import "./shared.gw";
site {name} extends gateway {{
  domain = "{name}.example.org";
  network.subnet = 10.{index}.0.0/24;
  network.gateway = 10.{index}.0.1;
  host gw {{ memory = 64GiB; cpus = 16; }}
  node wn[03..04] : lab-wn {{ host = gw; ip = hostIn site.network.subnet (20 + index); }}
}}
"""

SITES = ("alpha", "beta", "gamma")


def make_project(project: Path) -> Path:
    """`project/sites/` with the shared module and one file per site; returns `project`."""
    (project / "sites").mkdir(parents=True)
    (project / "sites" / "shared.gw").write_text(SHARED)
    for index, name in enumerate(SITES, start=1):
        (project / "sites" / f"{name}.gw").write_text(SITE.format(name=name, index=index))
    return project


def edit_site(project: Path, name: str, old: str, new: str) -> None:
    path = project / "sites" / f"{name}.gw"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its relative path, with its content (symbolic links as their target)."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[path.relative_to(folder).as_posix()] = b"-> " + str(path.readlink()).encode()
        elif path.is_file():
            found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


def same_trees(left: Path, right: Path) -> list[str]:
    """Paths that differ between two output folders (content or presence)."""
    differences: list[str] = []

    def walk(comparison: filecmp.dircmp[str], prefix: str) -> None:
        differences.extend(prefix + name for name in comparison.left_only + comparison.right_only)
        _, mismatch, errors = filecmp.cmpfiles(comparison.left, comparison.right, comparison.common_files,
                                               shallow=False)
        differences.extend(prefix + name for name in mismatch + errors)
        for name, sub in comparison.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right), "")
    return sorted(differences)
