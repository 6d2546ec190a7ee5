"""Plans, outcomes and status as text for people: one line per action, changes indented under it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import assert_never

from gwlang.runtime.plan import (
    Action,
    CreatePool,
    CreateVolume,
    Define,
    Hold,
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
        case Hold(node=node, reason=reason):
            return f"hold {node} (defined, not started): {reason}"
        case Remove(node=node, running=running):
            return f"{'stop and ' if running else ''}undefine {node} (no longer in the sources; volumes kept)"
        case Orphan(node=node):
            return f"keep {node}: no longer in the sources (`--prune` removes it)"
        case Refuse(node=node, reason=reason):
            return f"refuse {node}: {reason}"
        case _:
            assert_never(action)


MARKS = {CreatePool: "+", CreateVolume: "+", WriteConfigDisk: "+", Define: "+", Redefine: "~", SetAutostart: "~",
          Start: ">", Restart: ">", Hold: "=", Remove: "-", Orphan: "?", Refuse: "!"}


def render_host_plan(plan: HostPlan) -> list[str]:
    head = f"host {plan.host} ({plan.uri})"
    if plan.unreachable is not None:
        return [f"{head}: cannot be reached: {plan.unreachable}"]
    if not plan.actions:
        return [f"{head}: up to date"]
    lines = [f"{head}:"]
    for action in plan.actions:
        lines.append(f"  {MARKS[type(action)]} {describe(action)}")
        if isinstance(action, Redefine):
            lines += [f"      {change}" for change in action.changes]
    return lines


def render_plan(plan: Plan) -> str:
    lines = [f"site {plan.site}:"]
    for host in plan.hosts:
        lines += render_host_plan(host)
    lines += plan_summary(plan)
    return "\n".join(lines) + "\n"


def plan_summary(plan: Plan) -> list[str]:
    """The last lines of a plan: how many changes, and which hosts could not be read.

    A host that could not be read may need anything: the summary never says that
    every host matches when one was not seen, it counts the changes of those read.
    """
    changes = sum(len(host.changes) for host in plan.hosts)
    held = sum(isinstance(a, Hold) for host in plan.hosts for a in host.actions)
    unread = plan.unread
    if not unread:
        counted = (f"{_count(changes, 'change')} to make" if changes
                   else "nothing to change: every host matches the sources")
    elif changes:
        counted = f"{_count(changes, 'change')} to make on the hosts that could be read"
    elif len(unread) < len(plan.hosts):
        counted = "nothing to change on the hosts that could be read"
    else:
        counted = ""
    if held:
        counted += f"; {_count(held, 'node')} held (defined, not started)"
    lines = [counted.lstrip("; ")] if counted else []
    if unread:
        lines.append(f"{_count(len(unread), 'host')} could not be read ({name_list(unread)}): "
                     f"{'its' if len(unread) == 1 else 'their'} changes are unknown")
    if plan.unread_elsewhere:
        left_out = plan.unread_elsewhere
        lines.append(f"{_count(len(left_out), 'host')} left out could not be read ({name_list(left_out)}): "
                     "the nodes waiting for theirs are held")
    return lines


def _count(number: int, thing: str) -> str:
    return f"{number:,} {thing}{'s' if number != 1 else ''}"


_NUMBERED = re.compile(r"(.*?)(\d+)")


def name_list(names: Sequence[str], most: int = 8) -> str:
    """Names for a summary line, short for big sites: runs of numbered names folded (`wn0001..wn1000`),
    at most `most` items and a count of the rest."""
    items: list[tuple[str, str, int]] = []       # (first, last, how many)
    for name in names:
        if items and _follows(items[-1][1], name):
            first, _, count = items[-1]
            items[-1] = (first, name, count + 1)
        else:
            items.append((name, name, 1))
    words = [first if count == 1 else f"{first}, {last}" if count == 2 else f"{first}..{last}"
             for first, last, count in items]
    if len(words) > most:
        rest = sum(count for _, _, count in items[most - 1:])
        words = words[:most - 1] + [f"and {rest:,} more"]
    return ", ".join(words)


def _follows(previous: str, name: str) -> bool:
    """`name` is `previous` with its number one higher, padded alike (`wn009`, `wn010`; `wn9`, `wn10`)."""
    before, after = _NUMBERED.fullmatch(previous), _NUMBERED.fullmatch(name)
    if before is None or after is None or before[1] != after[1] or int(after[2]) != int(before[2]) + 1:
        return False
    return len(before[2]) == len(after[2]) or not (before[2].startswith("0") or after[2].startswith("0"))


@dataclass(frozen=True, slots=True)
class StatusRow:
    node: str
    host: str
    state: str
    definition: str                 # in words, for the table
    read: bool = True               # False: the node's host could not be read
    sync: str = "in-sync"           # in-sync, changed, drifted, foreign, not-defined, unknown (for JSON)
    changes: tuple[str, ...] = ()   # what drifted, one line each


def render_status(rows: Sequence[StatusRow]) -> str:
    headers = ("node", "host", "state", "definition")
    table = [headers, *((r.node, r.host, r.state, r.definition) for r in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    lines = [f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}".rstrip()
             for row in table]
    unread = [row for row in rows if not row.read]
    if unread:
        hosts = list(dict.fromkeys(row.host for row in unread))
        lines.append(f"{_count(len(hosts), 'host')} could not be read ({name_list(hosts)}): the state of "
                     f"{_count(len(unread), 'node')} is unknown")
    return "\n".join(lines) + "\n"


def _size(capacity: int) -> str:
    if capacity % GIB == 0:
        return f"{capacity // GIB} GiB"
    if capacity % MIB == 0:
        return f"{capacity // MIB} MiB"
    return f"{capacity} bytes"
