"""Plans, outcomes and status as text for people: one line per action, changes indented under it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import assert_never

from gwlang.runtime.plan import (
    Action,
    CreatePool,
    CreateVolume,
    Define,
    HostPlan,
    Orphan,
    Plan,
    Redefine,
    Refuse,
    Remove,
    Restart,
    SetAutostart,
    Start,
    WriteConfigDisk,
)

GIB, MIB = 1 << 30, 1 << 20


def describe(action: Action) -> str:
    """One action in words (also the line `apply` prints when it is done)."""
    match action:
        case CreatePool(folder=folder, name=name):
            return f"create storage pool {name} ({folder})"
        case CreateVolume(node=node, volume=volume):
            copy = f", a copy of {volume.image}" if volume.image else ""
            return f"create volume {volume.path} for {node} ({_size(volume.capacity)} {volume.format}{copy})"
        case WriteConfigDisk(node=node, disk=disk, reason=reason):
            what = "write" if reason == "new" else "rewrite (overlay changed)"
            return f"{what} config disk {disk.path} for {node} ({disk.format}, {len(disk.files)} files)"
        case Define(node=node):
            return f"define {node}"
        case Redefine(node=node, reason=reason, restart_needed=restart):
            why = "the sources changed" if reason == "changed" else "its live definition drifted"
            return f"redefine {node} ({why}{'; restart needed' if restart else ''})"
        case SetAutostart(node=node, autostart=autostart):
            return f"set autostart of {node} {'on' if autostart else 'off'}"
        case Start(node=node):
            return f"start {node}"
        case Restart(node=node):
            return f"restart {node}"
        case Remove(node=node, running=running):
            return f"{'stop and ' if running else ''}undefine {node} (no longer in the sources; volumes kept)"
        case Orphan(node=node):
            return f"keep {node}: no longer in the sources (`--prune` removes it)"
        case Refuse(node=node, reason=reason):
            return f"refuse {node}: {reason}"
        case _:
            assert_never(action)


_MARKS = {CreatePool: "+", CreateVolume: "+", WriteConfigDisk: "+", Define: "+", Redefine: "~", SetAutostart: "~",
          Start: ">", Restart: ">", Remove: "-", Orphan: "?", Refuse: "!"}


def render_host_plan(plan: HostPlan) -> list[str]:
    head = f"host {plan.host} ({plan.uri})"
    if plan.unreachable is not None:
        return [f"{head}: cannot be reached: {plan.unreachable}"]
    if not plan.actions:
        return [f"{head}: up to date"]
    lines = [f"{head}:"]
    for action in plan.actions:
        lines.append(f"  {_MARKS[type(action)]} {describe(action)}")
        if isinstance(action, Redefine):
            lines += [f"      {change}" for change in action.changes]
    return lines


def render_plan(plan: Plan) -> str:
    lines = [f"site {plan.site}:"]
    for host in plan.hosts:
        lines += render_host_plan(host)
    changes = sum(len(host.changes) for host in plan.hosts)
    lines.append("nothing to change: every host matches the sources" if plan.empty
                 else f"{changes} change{'s' if changes != 1 else ''} to make")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class StatusRow:
    node: str
    host: str
    state: str
    definition: str


def render_status(rows: Sequence[StatusRow]) -> str:
    headers = ("node", "host", "state", "definition")
    table = [headers, *((r.node, r.host, r.state, r.definition) for r in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    return "\n".join(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}".rstrip()
                     for row in table) + "\n"


def _size(capacity: int) -> str:
    if capacity % GIB == 0:
        return f"{capacity // GIB} GiB"
    if capacity % MIB == 0:
        return f"{capacity // MIB} MiB"
    return f"{capacity} bytes"
