"""Plans and status as versioned JSON, and saved plans: what a plan was computed from, and what changed since.

`gwc plan --json` prints the document `plan_document` builds and `gwc plan
-o PLAN` saves the same document; docs/runtime.md lists every field.  A
saved plan records its inputs, as Terraform's saved plans do: the command
that made it (`request`), a digest of every source file read and of the
site's artifacts, and per host a digest of the live state read (each
domain, pool and volume).  `gwc apply PLAN` recomputes all of them and
applies only when nothing differs; `source_changes` and `host_changes` say
what did, by file, host, domain and volume.

Keys are written in a fixed order (maps sorted by key), so two plans of the
same inputs are byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, assert_never

from gwlang import __version__
from gwlang.emit.artifact import Artifact
from gwlang.runtime.live import LiveDomain, LiveHost
from gwlang.runtime.plan import (
    Action,
    CreatePool,
    CreateVolume,
    Define,
    Hold,
    Orphan,
    Plan,
    PlanOptions,
    Redefine,
    Refuse,
    Remove,
    Restart,
    SetAutostart,
    Start,
    WriteConfigDisk,
)
from gwlang.runtime.render import MARKS, StatusRow, describe

FORMAT_VERSION = 1
PLAN_KIND, STATUS_KIND = "gwc-plan", "gwc-status"

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Request:
    """The command a plan answers: recomputed by `gwc apply PLAN` from these, never from its own command line."""
    sources: tuple[str, ...]            # absolute paths of the files and folders named
    include: tuple[str, ...]            # absolute `-I` folders
    site: str
    hosts: tuple[str, ...]              # `--host`, empty for every host
    connect: str | None
    options: PlanOptions

    def to_json(self) -> Json:
        return {"sources": list(self.sources), "include": list(self.include), "site": self.site,
                "hosts": list(self.hosts), "connect": self.connect, "prune": self.options.prune,
                "restart": self.options.restart}

    @staticmethod
    def from_json(data: Json) -> Request:
        return Request(tuple(data["sources"]), tuple(data["include"]), data["site"], tuple(data["hosts"]),
                       data["connect"], PlanOptions(prune=bool(data["prune"]), restart=bool(data["restart"])))


# ---------------------------------------------------------------- digests of the inputs

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def source_digests(paths: Iterable[Path]) -> dict[str, str]:
    """Each source file read (inputs, imports, the stdlib) by absolute path: the sha256 of its bytes on disk."""
    found = {}
    for path in paths:
        absolute = path.absolute()
        if absolute.is_file():
            found[str(absolute)] = _sha256(absolute.read_bytes())
    return dict(sorted(found.items()))


def artifacts_digest(artifacts: Sequence[Artifact]) -> str:
    """The sha256 of the site's artifacts (paths, modes and bytes): what apply installs."""
    digest = hashlib.sha256()
    for artifact in sorted(artifacts, key=lambda a: a.path):
        digest.update(f"{artifact.path}\0{artifact.mode:o}\0{len(artifact.data)}\0".encode())
        digest.update(artifact.data)
    return digest.hexdigest()


def domain_digest(domain: LiveDomain) -> str:
    """Everything the planner reads of a domain: owner and definition hash, state, autostart, significant parts."""
    owner = domain.owner
    return _sha256(_canonical({
        "name": domain.name, "uuid": domain.uuid, "running": domain.running, "state": domain.state,
        "autostart": domain.autostart, "facts": [list(fact) for fact in domain.facts],
        "config_hash": domain.config_hash,
        "owner": None if owner is None else [owner.site, owner.host, owner.node, owner.hash]}))


LOCK_PREFIX = "gwc-apply.lock"
"""The apply lock's volumes (backend.LOCK_VOLUME and its holder's): apply's own, never part of a host's state."""


def before_lock(live: LiveHost, locked: Iterable[str], saved: Json | None) -> LiveHost:
    """A host's state read under apply's lock, as it was before: without the pools the lock set up.

    Taking the lock sets up the pool over each storage folder (`locked`); where
    the plan saw no pool there, the one found now is the lock's, and the plan's
    `create storage pool` is what made it.
    """
    if saved is None:
        return live
    made = {folder for folder in locked if folder in live.pools and folder not in saved["pools"]}
    return replace(live, pools={f: name for f, name in live.pools.items() if f not in made})


def host_state(live: LiveHost) -> Json:
    """A host's live state as a plan records it: a digest, and enough detail to name what changed."""
    domains = {name: domain_digest(live.domains[name]) for name in sorted(live.domains)}
    pools = {folder: live.pools[folder] for folder in sorted(live.pools)}
    volumes = {path: live.volumes[path].capacity for path in sorted(live.volumes)
               if not posixpath.basename(path).startswith(LOCK_PREFIX)}
    return {"digest": _sha256(_canonical([domains, pools, volumes])), "domains": domains, "pools": pools,
            "volumes": volumes}


# ---------------------------------------------------------------- the documents

def action_json(action: Action) -> Json:
    """One action: its kind and node first, then what the kind carries, then its mark and line of text."""
    match action:
        case CreatePool(folder=folder, name=name):
            fields: Json = {"action": "create-pool", "node": None, "folder": folder, "pool": name}
        case CreateVolume(node=node, volume=volume):
            fields = {"action": "create-volume", "node": node, "path": volume.path, "capacity": volume.capacity,
                      "format": volume.format, "image": volume.image}
        case WriteConfigDisk(node=node, disk=disk, reason=reason):
            fields = {"action": "write-config-disk", "node": node, "path": disk.path, "format": disk.format,
                      "files": len(disk.files), "hash": disk.hash, "reason": reason}
        case Define(node=node):
            fields = {"action": "define", "node": node}
        case Redefine(node=node, reason=reason, changes=changes, restart_needed=restart):
            fields = {"action": "redefine", "node": node, "reason": reason, "changes": list(changes),
                      "restart_needed": restart}
        case SetAutostart(node=node, autostart=autostart):
            fields = {"action": "set-autostart", "node": node, "autostart": autostart}
        case Start(node=node):
            fields = {"action": "start", "node": node}
        case Restart(node=node):
            fields = {"action": "restart", "node": node}
        case Hold(node=node, reason=reason):
            fields = {"action": "hold", "node": node, "reason": reason}
        case Remove(node=node, running=running):
            fields = {"action": "remove", "node": node, "running": running}
        case Orphan(node=node):
            fields = {"action": "orphan", "node": node}
        case Refuse(node=node, reason=reason):
            fields = {"action": "refuse", "node": node, "reason": reason}
        case _:
            assert_never(action)
    fields["changes_host"] = not isinstance(action, (Orphan, Refuse, Hold))
    fields["mark"] = MARKS[type(action)]
    fields["text"] = describe(action)
    return fields


def plan_document(plan: Plan, request: Request, sources: Mapping[str, str], artifacts: str,
                  live: Mapping[str, LiveHost | str]) -> Json:
    """The plan as JSON (`format_version` 1), with the inputs it was computed from."""
    hosts = []
    for host in plan.hosts:
        state = live.get(host.host)
        hosts.append({"host": host.host, "uri": host.uri, "read": host.unreachable is None,
                      "error": host.unreachable,
                      "state": host_state(state) if isinstance(state, LiveHost) else None,
                      "actions": [action_json(action) for action in host.actions]})
    return {
        "format_version": FORMAT_VERSION, "kind": PLAN_KIND, "gwc_version": __version__, "site": plan.site,
        "request": request.to_json(),
        "inputs": {"sources": {"digest": _sha256(_canonical(sources)), "files": dict(sorted(sources.items()))},
                   "artifacts": artifacts},
        "hosts": hosts,
        "elsewhere": [{"node": e.node, "host": e.host, "running": e.running, "state": e.state,
                       "readable": e.readable} for e in plan.elsewhere],
        "summary": {"changes": sum(len(host.changes) for host in plan.hosts),
                    "held": sum(isinstance(a, Hold) for host in plan.hosts for a in host.actions),
                    "unread": plan.unread, "unread_elsewhere": plan.unread_elsewhere},
    }


def status_document(site: str, rows: Sequence[StatusRow], unread: Sequence[tuple[str, str, str]]) -> Json:
    """`gwc status --json`: a row per node, and the hosts that could not be read (host, URI, reason)."""
    return {"format_version": FORMAT_VERSION, "kind": STATUS_KIND, "gwc_version": __version__, "site": site,
            "nodes": [{"node": r.node, "host": r.host, "state": r.state, "definition": r.sync,
                       "changes": list(r.changes), "text": r.definition} for r in rows],
            "unread": [{"host": host, "uri": uri, "error": error} for host, uri, error in unread]}


def dumps(document: Json) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- saved plans

class NotAPlan(Exception):
    """The file is not a plan this gwc reads; the message says why."""


def load(path: Path) -> Json:
    """A saved plan, checked for its kind and version (`NotAPlan` otherwise)."""
    try:
        document = json.loads(path.read_bytes())
    except OSError as failure:
        raise NotAPlan(f"cannot read it: {failure.strerror or failure}") from None
    except (ValueError, UnicodeDecodeError):
        raise NotAPlan("it is not JSON") from None
    if not isinstance(document, dict) or document.get("kind") != PLAN_KIND:
        raise NotAPlan("it is not a plan saved by `gwc plan -o`")
    if document.get("format_version") != FORMAT_VERSION:
        raise NotAPlan(f"its format_version is {document.get('format_version')!s}; this gwc reads "
                       f"{FORMAT_VERSION} (gwc {__version__})")
    return document


def source_changes(saved: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    """The source files that differ between two `source_digests`, one line each."""
    lines = [f"source `{path}` changed" for path in saved if path in now and now[path] != saved[path]]
    lines += [f"source `{path}` is gone" for path in saved if path not in now]
    lines += [f"source `{path}` is read now and was not then" for path in now if path not in saved]
    return lines


def host_changes(host: str, uri: str, saved: Json | None, live: LiveHost | str) -> list[str]:
    """How a host's live state differs from the one a plan recorded, by domain, pool and volume."""
    where = f"host `{host}` ({uri})"
    if isinstance(live, str):
        return [f"{where} cannot be read now: {live}"] if saved is not None else []
    if saved is None:
        return [f"{where} could not be read when the plan was made"]
    now = host_state(live)
    if now["digest"] == saved["digest"]:
        return []
    lines = []
    for kind, label in (("domains", "domain"), ("pools", "pool over"), ("volumes", "volume")):
        before, after = saved[kind], now[kind]
        lines += [f"{where}: {label} `{name}` appeared" for name in after if name not in before]
        lines += [f"{where}: {label} `{name}` is gone" for name in before if name not in after]
        lines += [f"{where}: {label} `{name}` changed" for name in before
                  if name in after and before[name] != after[name]]
    return lines or [f"{where}: its state changed"]
