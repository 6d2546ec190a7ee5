"""`reconfigure.sh` of a node: the pre-boot reconfiguration of a copied disk image, the seed paper's 5.3.

A new site starts from a copy of a configured image.  Before the copy
boots, the new node's files go into it: the overlay (network files, hosts,
`files.*`), the compiled LCFG profile where the client reads it, and a mark
that makes the first boot reconfigure from that profile.  The script finds
the overlay and the profile beside itself, so the node's generated folder
is all it needs.  File contents are only ever copied, never written into
the script; the script holds the node's name, site and paths, shell-quoted.
"""

from __future__ import annotations

import re

from gwlang.emit.artifact import Artifact
from gwlang.emit.environment import render
from gwlang.emit.filters import Unrepresentable
from gwlang.emit.guest import EmitError, Guest
from gwlang.emit.lcfg import profile_path
from gwlang.emit.overlay import PRIVATE_FOLDERS

FIRSTBOOT_MARK = "etc/gwlang/firstboot"
# The profile is named after the FQDN, so it must be a plain DNS name: no `/`, no `..`, one line.
_FQDN = re.compile(r"^(?!.*\.\.)[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
# Names appear in the script's comments; the grammar keeps them to one line, and so does this check.
_ONE_LINE = re.compile(r"^[^\x00-\x1f\x7f]+$")


def reconfigure_files(guest: Guest) -> list[Artifact]:
    return [reconfigure_script(guest)]


def reconfigure_script(guest: Guest) -> Artifact:
    if not _FQDN.match(guest.fqdn):
        raise EmitError(guest.entity, ("network", "fqdn"),
                        f"the FQDN `{guest.fqdn}` of node `{guest.name}` cannot name its LCFG profile file",
                        help="use a DNS name: letters, digits, `-` and single dots")
    for what, name in (("node", guest.name), ("site", guest.site)):
        if not _ONE_LINE.match(name):
            raise EmitError(guest.entity, (), f"the {what} name `{name}` cannot be written into a shell comment")
    try:
        text = render("node/reconfigure.sh.j2", site=guest.site, node=guest.name, fqdn=guest.fqdn,
                      profile=profile_path(guest), firstboot=FIRSTBOOT_MARK,
                      private_folders=PRIVATE_FOLDERS)
    except Unrepresentable as problem:
        raise EmitError(guest.entity, ("network", "fqdn"), str(problem)) from None
    return Artifact(f"nodes/{guest.name}/reconfigure.sh", text, "reconfigure-script", guest.host, guest.name,
                    executable=True)
