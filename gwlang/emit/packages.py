"""A guest's package list in its OS family's format: `packages.rpmcfg` (redhat) or `packages.list` (debian).

RedHat guests get an rpmcfg file as LCFG's updaterpms reads it, one
`name-version-release` specification a line, with `*` for the version and
release (LCFG's wildcard: whatever the repositories hold).  Debian guests
get one package name a line, for `xargs apt-get install` or
`dpkg --set-selections`.  Both are sorted and without duplicates (`Guest`
already did that).  Each name is checked against its format's rule, so a
name can never carry a version, a flag or a second line into the file.
The text depends on the list alone, so each distinct list is written once.
"""

from __future__ import annotations

import re
from functools import lru_cache

from gwlang.emit.artifact import Artifact
from gwlang.emit.environment import render
from gwlang.emit.guest import EmitError, Guest
from gwlang.emit.network import shown

# LCFG (lcfgpackage_valid_name): an ASCII letter or digit, then letters, digits, `_`, `-`, `.` and `+`.
RPM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
# Debian policy 5.6.1: lower-case letters, digits, `+`, `-` and `.`; at least two, starting alphanumeric.
DEBIAN_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")

FORMATS = {
    "redhat": ("packages.rpmcfg", "packages/rpmcfg.j2", RPM_NAME,
               "an LCFG package name is a letter or digit followed by letters, digits, `_`, `-`, `.` and `+`"),
    "debian": ("packages.list", "packages/list.j2", DEBIAN_NAME,
               "a Debian package name is at least two lower-case letters, digits, `+`, `-` and `.`, "
               "starting with a letter or digit"),
}


def package_files(guest: Guest) -> list[Artifact]:
    wrong, text = _package_list(guest.os_family, guest.packages)
    if wrong:
        _, _, _, explanation = FORMATS[guest.os_family]
        listed = ", ".join(f"`{shown(name)}`" for name in wrong)
        raise EmitError(guest.entity, ("packages",),
                        f"node `{guest.name}` lists {'a package name' if len(wrong) == 1 else 'package names'} "
                        f"its {guest.os_family} package list cannot hold: {listed}",
                        help=f"{explanation}; give names only, without versions")
    filename = FORMATS[guest.os_family][0]
    return [Artifact(f"nodes/{guest.name}/{filename}", text, "package-list", node=guest.name)]


@lru_cache(maxsize=1024)
def _package_list(os_family: str, packages: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """The names the family's format cannot hold, else the file's text: made once per list (nodes of one
    profile share theirs), as it depends on nothing else."""
    _, template, rule, _ = FORMATS[os_family]
    wrong = tuple(name for name in packages if not rule.match(name))
    return wrong, "" if wrong else render(template, packages=packages)
