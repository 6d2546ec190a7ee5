"""The plan: what apply will do on each host, computed from the target and the live state by a pure function.

A plan is data (frozen dataclasses), printed by `gwc plan` and carried out
by `gwc apply`.  The rules it encodes:

- a domain is gwc's when its gw metadata names this site; a domain with a
  node's name but no gw metadata (or another site's) is refused, never touched;
- a domain is redefined when its `<gw:hash>` differs from the compiled one
  (changed) or its significant parts differ (drifted); a running domain
  whose significant parts change needs a restart, which apply does only
  with `--restart`;
- volumes are created when missing, never resized or deleted; a config disk
  is written when its volume is new or the hash recorded on the domain
  differs from the overlay's;
- a domain of this site that the sources no longer have is removed only
  with `--prune` (its volumes stay);
- with `--host`, a node waiting for a node on a host left out is started
  only if that node runs there; otherwise it is held (defined, not
  started), and so is every node of the run that waits for a held one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TypeAlias

from gwlang.runtime.live import LiveDomain, LiveHost, differences, wanted_facts
from gwlang.runtime.target import ConfigDisk, HostTarget, NodeTarget, SiteTarget, Volume


@dataclass(frozen=True, slots=True)
class PlanOptions:
    prune: bool = False
    restart: bool = False


@dataclass(frozen=True, slots=True)
class CreatePool:
    """A libvirt `dir` pool over `folder`, named `name`."""
    folder: str
    name: str


@dataclass(frozen=True, slots=True)
class CreateVolume:
    node: str
    volume: Volume


@dataclass(frozen=True, slots=True)
class WriteConfigDisk:
    node: str
    disk: ConfigDisk
    reason: str                     # "new" or "changed"


@dataclass(frozen=True, slots=True)
class Define:
    node: str


@dataclass(frozen=True, slots=True)
class Redefine:
    node: str
    reason: str                     # "changed" (the sources) or "drifted" (changed behind gwc's back)
    changes: tuple[str, ...]
    restart_needed: bool


@dataclass(frozen=True, slots=True)
class SetAutostart:
    node: str
    autostart: bool


@dataclass(frozen=True, slots=True)
class Start:
    node: str


@dataclass(frozen=True, slots=True)
class Restart:
    node: str


@dataclass(frozen=True, slots=True)
class Hold:
    """A node defined but not started: something it waits for (`reason`) does not run and this run cannot start it."""
    node: str
    reason: str


@dataclass(frozen=True, slots=True)
class Remove:
    """A domain of this site the sources no longer have: stopped and undefined (with `--prune`)."""
    node: str
    running: bool


@dataclass(frozen=True, slots=True)
class Orphan:
    """Like `Remove`, without `--prune`: reported, left alone."""
    node: str


@dataclass(frozen=True, slots=True)
class Refuse:
    """A domain with a node's name that gwc does not own: nothing of that node is done."""
    node: str
    reason: str


Action: TypeAlias = (CreatePool | CreateVolume | WriteConfigDisk | Define | Redefine | SetAutostart | Start
                     | Restart | Hold | Remove | Orphan | Refuse)


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """A node on a host left out of this run (`--host`) that a node of the run waits for, as its host has it."""
    node: str
    host: str
    running: bool
    state: str                      # libvirt's state ("shut off"), "not defined", or why it could not be read
    readable: bool = True

    def why_held(self) -> str:
        """Why a node waiting for this one is not started, and what to do about it."""
        where = f"it waits for {self.node} on host {self.host}, which"
        if not self.readable:
            return f"{where} could not be read ({self.state}): apply that host too, or start {self.node} first"
        return f"{where} is not running ({self.state}): apply that host too (`--host {self.host}`)"


@dataclass(frozen=True, slots=True)
class HostPlan:
    """One host's actions in the order apply takes them (starts last, in start order)."""
    host: str
    uri: str
    actions: tuple[Action, ...] = ()
    unreachable: str | None = None  # libvirt's reason, when the host could not be read

    @property
    def changes(self) -> tuple[Action, ...]:
        """The actions that change something (orphans, refusals and holds are only reported)."""
        return tuple(a for a in self.actions if not isinstance(a, (Orphan, Refuse, Hold)))


@dataclass(frozen=True, slots=True)
class Plan:
    site: str
    hosts: tuple[HostPlan, ...] = field(default_factory=tuple)
    elsewhere: tuple[Elsewhere, ...] = ()

    @property
    def empty(self) -> bool:
        return all(not host.changes for host in self.hosts)

    @property
    def unread(self) -> list[str]:
        """The run's hosts that could not be read."""
        return [host.host for host in self.hosts if host.unreachable is not None]

    @property
    def unread_elsewhere(self) -> list[str]:
        """The hosts left out (`--host`) that could not be read, where nodes of the run wait for theirs."""
        return sorted({e.host for e in self.elsewhere if not e.readable})


def plan_site(target: SiteTarget, live: dict[str, LiveHost | str], options: PlanOptions,
              elsewhere: Mapping[str, Elsewhere] | None = None) -> Plan:
    """The plan for every host; `live[host]` is the host's state, or libvirt's reason it could not be read.

    `elsewhere` has the nodes of hosts left out (`--host`) that the run's nodes wait for.
    """
    elsewhere = elsewhere or {}
    plans = []
    for host in target.hosts:
        state = live[host.name]
        if isinstance(state, str):
            plans.append(HostPlan(host.name, host.uri, unreachable=state))
        else:
            plans.append(plan_host(target.site, host, state, options, elsewhere))
    return Plan(target.site, _hold_waiters(target, tuple(plans)), tuple(elsewhere.values()))


def _hold_waiters(target: SiteTarget, plans: tuple[HostPlan, ...]) -> tuple[HostPlan, ...]:
    """A node that waits for a held node, on any host of the run, is held too (apply would not start it).

    Each host is planned alone (apply plans each under its own lock), so this is the one place that
    sees holds across hosts; apply itself learns them from the held node's signal.
    """
    held = {a.node for plan in plans for a in plan.actions if isinstance(a, Hold)}
    nodes = target.nodes
    changed = True
    while changed:
        changed = False
        for plan in plans:
            for action in plan.actions:
                if (isinstance(action, Start) and action.node not in held
                        and any(waited in held for waited in nodes[action.node].after)):
                    held.add(action.node)
                    changed = True

    def hold(action: Action) -> Action:
        if not isinstance(action, Start) or action.node not in held:
            return action
        waited = next(w for w in nodes[action.node].after if w in held)
        return Hold(action.node, f"it waits for {waited}, which is held")
    return tuple(replace(plan, actions=tuple(hold(a) for a in plan.actions)) for plan in plans)


def plan_host(site: str, host: HostTarget, live: LiveHost, options: PlanOptions,
              elsewhere: Mapping[str, Elsewhere] | None = None) -> HostPlan:
    actions: list[Action] = []
    actions += _pools(host, live)
    starts: list[Action] = []
    for node in host.nodes:
        domain = live.domains.get(node.name)
        if domain is not None and (domain.owner is None or domain.owner.site != site):
            actions.append(Refuse(node.name, _refusal(domain)))
            continue
        actions += _storage(node, domain, live)
        definition = _definition(node, domain)
        actions += definition
        # A new domain's autostart is off: only turning it on is a change.
        if node.autostart != (domain.autostart if domain is not None else False):
            actions.append(SetAutostart(node.name, node.autostart))
        starts += _start(node, domain, definition, options, elsewhere or {})
    actions += starts
    actions += _leftovers(site, host, live, options)
    return HostPlan(host.name, host.uri, tuple(actions))


def _refusal(domain: LiveDomain) -> str:
    if domain.owner is None:
        return f"a domain named `{domain.name}` exists on this host but was not defined by gwc (no gw metadata)"
    return f"domain `{domain.name}` belongs to site `{domain.owner.site}`"


def pool_name(folder: str) -> str:
    """The name gwc gives the `dir` pool of a folder: `gw` and the path's parts (`gw-var-lib-gwlang-images`)."""
    parts = [part for part in folder.split("/") if part]
    return "-".join(["gw", *parts]) if parts else "gw-root"


def _pools(host: HostTarget, live: LiveHost) -> list[Action]:
    folders = {host.storage}
    for node in host.nodes:
        folders.update(volume.folder for volume in node.volumes)
        folders.update(volume.image.rsplit("/", 1)[0] or "/" for volume in node.volumes if volume.image)
        if node.config_disk is not None:
            folders.add(node.config_disk.folder)
    return [CreatePool(folder, pool_name(folder)) for folder in sorted(folders) if folder not in live.pools]


def _storage(node: NodeTarget, domain: LiveDomain | None, live: LiveHost) -> list[Action]:
    actions: list[Action] = [CreateVolume(node.name, v) for v in node.volumes if v.path not in live.volumes]
    disk = node.config_disk
    if disk is not None:
        if disk.path not in live.volumes:
            actions.append(WriteConfigDisk(node.name, disk, "new"))
        elif domain is None or domain.config_hash != disk.hash:
            actions.append(WriteConfigDisk(node.name, disk, "changed"))
    return actions


def _definition(node: NodeTarget, domain: LiveDomain | None) -> list[Action]:
    if domain is None:
        return [Define(node.name)]
    assert domain.owner is not None
    changes = differences(domain.facts, wanted_facts(node.xml))
    if domain.owner.hash != node.hash:
        return [Redefine(node.name, "changed", changes, domain.running and bool(changes))]
    if changes:
        return [Redefine(node.name, "drifted", changes, domain.running)]
    return []


def _start(node: NodeTarget, domain: LiveDomain | None, definition: list[Action], options: PlanOptions,
           elsewhere: Mapping[str, Elsewhere]) -> list[Action]:
    if not node.autostart:
        return []           # defined, started by hand (`boot.autostart = false`)
    if domain is None or not domain.running:
        # A node the run cannot start, on a host left out, is not waited for (the apply would wait forever)
        # nor ignored (the guest would boot before what it needs): the node is held, saying why.
        stopped = [elsewhere[w] for w in node.after if w in elsewhere and not elsewhere[w].running]
        if stopped:
            return [Hold(node.name, stopped[0].why_held())]
        return [Start(node.name)]
    if options.restart and any(isinstance(a, Redefine) and a.restart_needed for a in definition):
        return [Restart(node.name)]
    return []


def _leftovers(site: str, host: HostTarget, live: LiveHost, options: PlanOptions) -> list[Action]:
    wanted = {node.name for node in host.nodes}
    ours = [d for d in live.domains.values()
            if d.owner is not None and d.owner.site == site and d.owner.host == host.name and d.name not in wanted]
    return [Remove(d.name, d.running) if options.prune else Orphan(d.name) for d in sorted(ours, key=_by_name)]


def _by_name(domain: LiveDomain) -> str:
    return domain.name
