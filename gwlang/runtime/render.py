"""Plans, outcomes and status as text for people: one line per action, changes indented under it.

A host with more than `LIST_MOST` actions (a big site) is shown grouped: one
line per kind of action (`+ define: 1,000 nodes (install, ce, wn0001..wn0998)`),
with the nodes' names folded by `name_list`.  So are the steps `destroy`
took, the rows of `status` and the notes of `apply` (one line per kind of
note and reason).  The JSON documents always list every action and node.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar, assert_never

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
T = TypeVar("T")
K = TypeVar("K")

LIST_MOST = 40
"""Up to this many actions (or steps, or status rows) a host's are listed one per line; beyond, grouped."""


NOTE_WIDTH = 120


@dataclass(frozen=True, slots=True)
class Done:
    """One step apply or destroy took (or destroy will take): its line of text, its kind (the line without the
    node), its node, and its mark when listed (`-` removes, `!` is refused)."""
    text: str
    kind: str
    node: str | None
    mark: str = "-"


@dataclass(frozen=True, slots=True)
class Note:
    """Something apply did not or could not do that is no failure: `what`, for `node`, and `why`.

    Notes with the same `what` and `why` are shown as one line naming all their nodes.
    """
    what: str
    node: str
    why: str


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


def step_kind(action: Action) -> str:
    """An action in words without its node: the line its group shows when a big host's actions are grouped."""
    match action:
        case CreatePool() | Refuse():
            return describe(action)
        case CreateVolume(volume=volume):
            copy = f", a copy of {volume.image}" if volume.image else ""
            return f"create volume ({_size(volume.capacity)} {volume.format}{copy})"
        case WriteConfigDisk(disk=disk, reason=reason):
            what = "write" if reason == "new" else "rewrite (overlay changed)"
            return f"{what} config disk ({disk.format})"
        case Define():
            return "define"
        case Redefine(reason=reason, restart_needed=restart):
            why = "the sources changed" if reason == "changed" else "its live definition drifted"
            return f"redefine ({why}{'; restart needed' if restart else ''})"
        case SetAutostart(autostart=autostart):
            return f"set autostart {'on' if autostart else 'off'}"
        case Start():
            return "start"
        case Restart():
            return "restart"
        case Hold(reason=reason):
            return f"hold (defined, not started): {reason}"
        case Remove(running=running):
            return f"{'stop and ' if running else ''}undefine (no longer in the sources; volumes kept)"
        case Orphan():
            return "keep: no longer in the sources (`--prune` removes it)"
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
    if len(plan.actions) > LIST_MOST:
        return [f"{head}: {len(plan.actions):,} actions, grouped by kind (`gwc plan --json` lists each one)",
                *_grouped_actions(plan.actions)]
    lines = [f"{head}:"]
    for action in plan.actions:
        lines.append(f"  {MARKS[type(action)]} {describe(action)}")
        if isinstance(action, Redefine):
            lines += [f"      {change}" for change in action.changes]
    return lines


def _grouped_actions(actions: Sequence[Action]) -> list[str]:
    """One line per kind of action, in the order the kinds first come; a redefinition's changes counted."""
    groups = _groups(actions, lambda a: (MARKS[type(a)], step_kind(a)))
    lines = []
    for (mark, kind), members in groups.items():
        nodes = [node for a in members if (node := getattr(a, "node", None)) is not None]
        lines.append(f"  {mark} {kind}" + (f": {_nodes(nodes, len(members), _item(members[0]))}" if nodes else ""))
        changes = _groups((c for a in members if isinstance(a, Redefine) for c in a.changes), lambda c: c)
        for change, times in list(changes.items())[:LIST_MOST // 4]:
            lines.append(f"      {change}" + (f" ({_count(len(times), 'node')})" if len(times) > 1 else ""))
        if len(changes) > LIST_MOST // 4:
            lines.append(f"      and {len(changes) - LIST_MOST // 4:,} more kinds of change")
    return lines


def _item(action: Action) -> str:
    return "volume" if isinstance(action, CreateVolume) else "node"


def _groups(items: Iterable[T], key: Callable[[T], K]) -> dict[K, list[T]]:
    """Items by key, keys in the order they first come."""
    found: dict[K, list[T]] = {}
    for item in items:
        found.setdefault(key(item), []).append(item)
    return found


def _nodes(nodes: Sequence[str], items: int, item: str = "node") -> str:
    """`1,000 nodes (install, ce, wn0001..wn0998)`; `2,000 volumes of 1,000 nodes (...)` when items are more."""
    unique = list(dict.fromkeys(nodes))
    counted = _count(len(unique), "node")
    if items != len(unique):
        counted = f"{_count(items, item)} of {counted}"
    return f"{counted} ({name_list(unique)})"


def render_notes(notes: Sequence[Note]) -> list[str]:
    """One line per kind of note and reason, naming its nodes (folded): never one line per node of a big site."""
    lines = []
    for (what, why), members in _groups(notes, lambda n: (n.what, n.why)).items():
        nodes = [note.node for note in members]
        named = f"`{nodes[0]}`" if len(nodes) == 1 else _nodes(nodes, len(nodes))
        line = f"note: {what} for {named}: {why}"
        # A long reason goes on a line of its own under the names rather than past the edge of the terminal.
        if len(line) <= NOTE_WIDTH:
            lines.append(line)
        else:
            lines += [f"note: {what} for {named}:", *textwrap.wrap(why, NOTE_WIDTH, initial_indent=" " * 6,
                                                                    subsequent_indent=" " * 6)]
    return lines


def render_failures(host: str, uri: str, problems: Sequence[tuple[str | None, str]]) -> list[str]:
    """A host's failures, one line each, but one line for the nodes that failed alike (their reasons the same
    but for their own names, written `NODE`): a full pool or a failed install server is not a thousand errors."""
    where = f"host `{host}` ({uri})"
    groups = _groups(problems, lambda problem: _without(*problem))
    lines = []
    for template, members in groups.items():
        nodes = [node for node, _ in members if node is not None]
        if len(members) == 1 or len(nodes) != len(members):
            lines += [f"{where}{f', node `{node}`' if node else ''}: {reason}" for node, reason in members]
        else:
            lines.append(f"{where}, {_nodes(nodes, len(nodes))}: {template}")
    return lines


def _without(node: str | None, reason: str) -> str:
    """`reason` with the node's own name, as a word or a part of a file name, written `NODE`."""
    if node is None:
        return reason
    return re.sub(rf"(?<![\w.-]){re.escape(node)}(?![\w])", "NODE", reason)


def render_steps(done: Sequence[Done]) -> list[str]:
    """The steps a host took (or will take), one per line, or grouped by kind beyond `LIST_MOST`."""
    if len(done) <= LIST_MOST:
        return [f"  {step.mark} {step.text}" for step in done]
    lines = []
    for (mark, kind), members in _groups(done, lambda d: (d.mark, d.kind)).items():
        nodes = [step.node for step in members if step.node is not None]
        lines.append(f"  {mark} {kind}: {_nodes(nodes, len(members), 'volume' if 'volume' in kind else 'step')}")
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
    """Names for a summary line, short for big sites: runs of numbered names folded (`wn0001..wn1000`,
    and `wn1000..wn0001` in the order destroy goes), at most `most` items and a count of the rest."""
    items: list[tuple[str, str, int, int]] = []       # (first, last, how many, step: 1 up, -1 down, 0 alone)
    for name in names:
        if items:
            first, last, count, step = items[-1]
            for way in (step,) if step else (1, -1):
                if _follows(last, name, way):
                    items[-1] = (first, name, count + 1, way)
                    break
            else:
                items.append((name, name, 1, 0))
        else:
            items.append((name, name, 1, 0))
    words = [first if count == 1 else f"{first}, {last}" if count == 2 else f"{first}..{last}"
             for first, last, count, _ in items]
    if len(words) > most:
        rest = sum(count for _, _, count, _ in items[most - 1:])
        words = words[:most - 1] + [f"and {rest:,} more"]
    return ", ".join(words)


def _follows(previous: str, name: str, step: int = 1) -> bool:
    """`name` is `previous` with its number `step` higher, padded alike (`wn009`, `wn010`; `wn9`, `wn10`)."""
    before, after = _NUMBERED.fullmatch(previous), _NUMBERED.fullmatch(name)
    if before is None or after is None or before[1] != after[1] or int(after[2]) != int(before[2]) + step:
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
    """A row per node; beyond `LIST_MOST` nodes, a row per host, state and definition, naming its nodes."""
    if len(rows) > LIST_MOST:
        groups = _groups(rows, lambda r: (r.host, r.state, r.definition))
        headers = ("nodes", "host", "state", "definition")
        table = [headers, *((_nodes([r.node for r in members], len(members)), host, state, definition)
                            for (host, state, definition), members in groups.items())]
    else:
        headers = ("node", "host", "state", "definition")
        table = [headers, *((r.node, r.host, r.state, r.definition) for r in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    lines = [f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}".rstrip()
             for row in table]
    if len(rows) > LIST_MOST:
        lines.append(f"{_count(len(rows), 'node')} in {_count(len(table) - 1, 'group')} "
                     "(`gwc status --json` lists each node)")
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
