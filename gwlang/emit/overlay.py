"""Each guest's overlay: the files put into its image before first boot, under `nodes/<node>/overlay/`.

The overlay holds the network files of `network.py`, `/etc/hosts` listing
every node of the site (which is why this is a site emitter), and every
`files.*` entry of the node, its content written byte for byte.  A `files`
path must stay inside the overlay: relative, in plain components (no `.`,
`..` or empty ones, which the `path` type half checks), without control
characters, each component short enough for a file system.  A `files`
entry may not take the place of a generated file: the generated ones follow
from attributes (`network.*`), and two sources for one file is the kind of
conflict the language reports everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gwlang.diagnostics import Diagnostic, GwError, Label, error
from gwlang.emit.artifact import Artifact
from gwlang.emit.filters import Unrepresentable
from gwlang.emit.guest import EmitError, Guest
from gwlang.emit.network import (
    HostsEntry,
    NetworkFacts,
    hosts_entries,
    hosts_file,
    hosts_lines,
    name_clashes,
    network_facts,
    network_files,
    resolver_files,
    shown,
)
from gwlang.model.model import SiteModel

NAME_MAX = 255          # bytes in one path component (Linux NAME_MAX)
PATH_MAX = 4095         # bytes in a whole path, less the NUL

KINDS = {"etc/hosts": "guest-hosts", "etc/resolv.conf": "guest-resolver", "etc/hostname": "guest-hostname"}

# Folders whose files only root may read (mode 0600), generated or a node's own `files`: netplan warns
# "Permissions for /etc/netplan/... are too open" otherwise, as the files may hold Wi-Fi or VPN secrets.
PRIVATE_FOLDERS = ("etc/netplan/",)


def overlay_folder(node: str) -> str:
    """Where node `node`'s overlay is, in its site's folder: the guest's `/` (the config disk's root)."""
    return f"nodes/{node}/overlay/"


def is_private(path: str) -> bool:
    """Whether the overlay file at `path` (relative to the guest's root) is written 0600."""
    return path.startswith(PRIVATE_FOLDERS)


@dataclass(frozen=True)
class OverlayFile:
    """A file of one guest's overlay, at its path inside the guest."""
    path: str
    text: str
    kind: str
    generated: bool


def overlays(model: SiteModel, guests: list[Guest]) -> list[Artifact]:
    """The overlay of every guest of the site; every problem of every guest reported together."""
    problems: list[Diagnostic] = []
    facts: dict[str, NetworkFacts] = {}
    for guest in guests:
        try:
            facts[guest.name] = network_facts(guest)
        except GwError as failure:
            problems.extend(failure.diagnostics)
    problems.extend(name_clashes([(g, facts[g.name]) for g in sorted(guests, key=lambda g: g.name)
                                  if g.name in facts]))
    entries = hosts_lines(model.name, hosts_entries([facts[name] for name in sorted(facts)]))
    artifacts: list[Artifact] = []
    for guest in sorted(guests, key=lambda g: g.name):
        if guest.name not in facts:
            continue
        try:
            files = overlay_files(guest, facts[guest.name], entries)
        except GwError as failure:
            problems.extend(failure.diagnostics)
            continue
        except Unrepresentable as problem:
            # The checks of network.py should have caught it; the filters are the second guard.
            problems.extend(EmitError(guest.entity, ("network",), f"a network file of node `{guest.name}` "
                                                                  f"cannot be written: {problem}").diagnostics)
            continue
        artifacts.extend(Artifact(f"{overlay_folder(guest.name)}{f.path}", f.text, f.kind, node=guest.name,
                                  private=is_private(f.path)) for f in files)
    if problems:
        raise GwError(problems)
    return artifacts


def overlay_files(guest: Guest, facts: NetworkFacts, entries: Sequence[HostsEntry] | str) -> list[OverlayFile]:
    """The generated files and the node's own `files`, checked for place and collisions, in path order."""
    generated = {**network_files(facts), **resolver_files(facts), "etc/hosts": hosts_file(facts, entries)}
    files = [OverlayFile(path, text, KINDS.get(path, "guest-network"), True) for path, text in generated.items()]
    problems = []
    for path, content in sorted(guest.files.items()):
        problem = path_problem(path)
        if problem is not None:
            problems.append(_unsafe(guest, path, problem))
        elif not _encodable(content):
            problems.extend(EmitError(guest.entity, ("files", path),
                                      f"the content of `{shown(path)}` (node `{guest.name}`) is not valid Unicode "
                                      "text (it holds a lone surrogate), which no file can hold as UTF-8"
                                      ).diagnostics)
        else:
            files.append(OverlayFile(path, content, "guest-file", False))
    problems.extend(collisions(guest, files))
    if problems:
        raise GwError(problems)
    return sorted(files, key=lambda f: f.path)


def path_problem(path: str) -> str | None:
    """Why `path` cannot name a file inside the overlay, or None when it can."""
    if path.startswith("/"):
        return "is absolute; `files` paths are relative to the guest's root"
    parts = path.split("/")
    if ".." in parts:
        return "climbs out of its folder with `..`"
    if any(part in ("", ".") for part in parts):
        return "has an empty or `.` component; write each folder once, as in `etc/motd`"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        return "holds a control character"
    try:
        encoded = [part.encode("utf-8") for part in parts]
    except UnicodeEncodeError:
        return "is not valid Unicode text"
    if any(len(part) > NAME_MAX for part in encoded) or len(path.encode("utf-8")) > PATH_MAX:
        return f"is longer than a file system allows ({NAME_MAX} bytes a name, {PATH_MAX} in all)"
    return None


def _encodable(content: str) -> bool:
    try:
        content.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unsafe(guest: Guest, path: str, problem: str) -> Diagnostic:
    return error("E0620", f"the file `{shown(path)}` of node `{guest.name}` {problem}",
                 guest.entity.origin("files", path), "set here",
                 notes=["`files` are written under the guest's overlay and copied into its image at the same "
                        "path; nothing may land outside it"],
                 help="write the path inside the guest without a leading `/`, such as `etc/motd`"
                 ).diagnostics[0]


def collisions(guest: Guest, files: list[OverlayFile]) -> list[Diagnostic]:
    """A `files` entry where a generated file is, or a path that would be a file and a folder at once."""
    generated = {f.path for f in files if f.generated}
    owned = {f.path for f in files if not f.generated}
    problems = {path: _collision(guest, path, f"gwc writes `{path}` itself", _generated_help(path))
                for path in sorted(owned & generated)}
    for path in sorted(generated | owned):
        parts = path.split("/")
        for folder in ("/".join(parts[:end]) for end in range(1, len(parts))):
            if folder not in generated | owned:
                continue
            # Blame the node's own entry (once); when both are its own, the deeper one, pointing at the other.
            blamed, other = (path, folder) if path in owned else (folder, path)
            if other in owned:
                why, help = f"`{other}` is another of its files", "remove one of the two, or move one elsewhere"
            else:
                why, help = f"gwc writes `{other}`", "put this file at another path"
            problems.setdefault(blamed, _collision(
                guest, blamed, f"`{folder}` would be both a file and a folder: {why}", help,
                other=other if other in owned else None))
    return [problems[path] for path in sorted(problems)]


def _collision(guest: Guest, path: str, why: str, help: str, other: str | None = None) -> Diagnostic:
    secondary = [Label(guest.entity.origin("files", other), "the other file set here")] if other else []
    return error("E0621", f"the file `{shown(path)}` of node `{guest.name}` collides with another file of "
                          "its overlay", guest.entity.origin("files", path), "set here", secondary=secondary,
                 notes=[why], help=help).diagnostics[0]


def _generated_help(path: str) -> str:
    if path == "etc/hosts":
        return "remove this entry; /etc/hosts lists every node of the site from their `ip` and `network.fqdn`"
    if path in ("etc/resolv.conf", "etc/hostname"):
        return "remove this entry and set `network.dns`, `network.search` or `network.hostname` instead"
    return ("remove this entry; the network files follow `network.interfaces`, `network.dns` and "
            "`os.network-config`")
