"""A guest's package list in its OS family's format: `packages.rpmcfg` (redhat) or `packages.list` (debian).

RedHat guests get an rpmcfg file as LCFG's updaterpms reads it, one
`name-version-release` specification a line, with `*` for the version and
release (LCFG's wildcard: whatever the repositories hold).  Debian guests
get one package name a line, for `xargs apt-get install` or
`dpkg --set-selections`.  Both are sorted and without duplicates (`Guest`
already did that).  Each name is checked against its format's rule, so a
name can never carry a version, a flag or a second line into the file.
"""

from __future__ import annotations

import re

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
    filename, template, rule, explanation = FORMATS[guest.os_family]
    wrong = [name for name in guest.packages if not rule.match(name)]
    if wrong:
        listed = ", ".join(f"`{shown(name)}`" for name in wrong)
        raise EmitError(guest.entity, ("packages",),
                        f"node `{guest.name}` lists {'a package name' if len(wrong) == 1 else 'package names'} "
                        f"its {guest.os_family} package list cannot hold: {listed}",
                        help=f"{explanation}; give names only, without versions")
    return [Artifact(f"nodes/{guest.name}/{filename}", render(template, packages=guest.packages), "package-list",
                     node=guest.name)]
