"""What each node's config disk carries, decided when compiling: the files, their paths on the disk, their bytes.

An ext4 config disk is the node's overlay as a tree, with its LCFG profile
at `var/lcfg/conf/profile/xml/<fqdn>.xml`.  A NoCloud disk holds two files,
cloud-init's `meta-data` (instance id, host name) and `user-data` (a
`#cloud-config` writing every overlay file); this module's emitter writes
them as `nodes/<node>/cloud-init/` in the output folder, so they are
reviewed, snapshotted and checked like every other file.  The runtime only
packs what `config_disk` lists (`runtime/configdisk.py`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass

from gwlang.emit.artifact import Artifact
from gwlang.emit.guest import Guest
from gwlang.emit.lcfg import profile_path
from gwlang.emit.overlay import overlay_folder

META_DATA = "meta-data"
USER_DATA = "user-data"


@dataclass(frozen=True, slots=True)
class DiskFile:
    """A file on a config disk: its path there (no leading `/`), its mode and bytes."""
    path: str
    mode: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ConfigDiskContents:
    """A node's config disk: `files` is what the guest gets, `image` what the image holds at its root.

    On ext4 the two are the same tree; on NoCloud `image` is the cloud-init
    pair that writes `files` into the guest.
    """
    format: str
    path: str
    files: tuple[DiskFile, ...]
    image: tuple[DiskFile, ...]


def cloud_init_folder(node: str) -> str:
    return f"nodes/{node}/cloud-init/"


def wants_cloud_init(guest: Guest) -> bool:
    return guest.config_disk is not None and guest.config_disk.format == "nocloud"


def cloud_init_files(guest: Guest, own: Sequence[Artifact]) -> list[Artifact]:
    """`meta-data` and `user-data` of a NoCloud guest, from its overlay among `own` (its artifacts)."""
    overlay = _overlay(guest, own)
    meta = f"instance-id: {_yaml(guest.uuid)}\nlocal-hostname: {_yaml(guest.hostname)}\n"
    folder = cloud_init_folder(guest.name)
    # user-data carries every overlay file's bytes, so it is as private as the most private of them.
    private = any(file.mode == 0o600 for file in overlay)
    return [Artifact(folder + META_DATA, meta, "cloud-init-meta-data", node=guest.name),
            Artifact(folder + USER_DATA, user_data(overlay), "cloud-init-user-data", node=guest.name,
                     private=private)]


def user_data(files: Sequence[DiskFile]) -> str:
    lines = ["#cloud-config", "write_files:"]
    for file in files:
        lines += [f"  - path: {_yaml('/' + file.path)}", f"    permissions: '{file.mode:#o}'",
                  "    encoding: b64", f"    content: {base64.b64encode(file.data).decode('ascii')}"]
    return "\n".join(lines) + "\n"


def config_disk(guest: Guest, own: Sequence[Artifact]) -> ConfigDiskContents | None:
    """What the guest's config disk carries, from its artifacts `own` (paths relative to the site's folder)."""
    if guest.config_disk is None:
        return None
    files = _overlay(guest, own)
    if guest.config_disk.format == "ext4":
        profile = [DiskFile(profile_path(guest), 0o644, a.data) for a in own if a.kind == "lcfg-profile"]
        files = tuple(sorted((*files, *profile), key=lambda f: f.path))
        return ConfigDiskContents("ext4", guest.config_disk.path, files, files)
    folder = cloud_init_folder(guest.name)
    image = tuple(DiskFile(a.path[len(folder):], a.mode, a.data) for a in sorted(own, key=lambda a: a.path)
                  if a.path.startswith(folder))
    return ConfigDiskContents(guest.config_disk.format, guest.config_disk.path, files, image)


def _overlay(guest: Guest, own: Sequence[Artifact]) -> tuple[DiskFile, ...]:
    folder = overlay_folder(guest.name)
    return tuple(sorted((DiskFile(a.path[len(folder):], a.mode, a.data) for a in own if a.path.startswith(folder)),
                        key=lambda f: f.path))


def _yaml(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are YAML)."""
    return json.dumps(text)
