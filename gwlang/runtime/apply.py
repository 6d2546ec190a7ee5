"""Carrying a plan out: every host in its own thread, guests started in dependency order across hosts.

apply first opens one connection per URI and takes the apply lock once per
URI and storage folder (`_Locks`): several hosts of a site may be reached
through one URI (`--connect`), and must share the apply's lock rather than
find it held by themselves.  Then each host's thread reads the live state
and plans under the lock (so the plan it carries out is the one that
holds), then takes the actions in order.  A node whose step fails is left
there (its later steps skipped), its dependants are not started, and the
other nodes go on; a host that cannot be reached fails alone.  Starts wait
on `NodeSignal`s shared by all threads: a guest starts once every guest in
its `after`, on any host, is running; with `--host`, a guest waiting for
one on a host left out is held unless that one runs (see `plan.Hold`).

Every step is idempotent and the next apply re-reads everything, so an
apply interrupted anywhere converges on the next one.  `Hooks.before` runs
before every step (tests raise from it to interrupt an apply).
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

from gwlang.runtime.backend import Host, HostError, LockHolder, Unsupported, connect, this_machine
from gwlang.runtime.configdisk import BuildFailed, Builds, known_size
from gwlang.runtime.live import LiveDomain, LiveHost
from gwlang.runtime.plan import (
    Action,
    CreatePool,
    CreateVolume,
    Define,
    Elsewhere,
    Hold,
    HostPlan,
    Orphan,
    PlanOptions,
    Redefine,
    Refuse,
    Remove,
    Restart,
    SetAutostart,
    Start,
    WriteConfigDisk,
    plan_host,
    pool_name,
)
from gwlang.runtime.render import Done, Note, describe, step_kind
from gwlang.runtime.survey import read_elsewhere
from gwlang.runtime.target import HostTarget, NodeTarget, SiteTarget

Progress = Callable[[str], None]


@dataclass
class Hooks:
    """Test seams: `before(host, action)` runs before each step; raising from it interrupts the apply."""
    before: Callable[[str, Action], None] | None = None


@dataclass
class NodeSignal:
    """Set once a node is settled: `ok` when it runs (or is not for apply to start), not when it failed."""
    event: threading.Event = field(default_factory=threading.Event)
    ok: bool = False
    held: bool = False              # not started on purpose (`Hold`), rather than failed

    def settle(self, ok: bool, held: bool = False) -> None:
        if not self.event.is_set():
            self.ok, self.held = ok, held
            self.event.set()


@dataclass
class HostReport:
    host: str
    uri: str
    plan: HostPlan | None = None
    done: list[Done] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    problems: list[tuple[str | None, str]] = field(default_factory=list)   # the failures as (node, reason)

    def fail(self, node: str | None, reason: str) -> None:
        where = f"host `{self.host}` ({self.uri})" + (f", node `{node}`" if node else "")
        self.failures.append(f"{where}: {reason}")
        self.problems.append((node, reason))


@dataclass
class Outcome:
    """What an apply or destroy did, host by host, and the order nodes were started or stopped in."""
    site: str
    hosts: list[HostReport]
    order: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(report.failures for report in self.hosts)

    @property
    def changed(self) -> bool:
        return any(report.done for report in self.hosts)


Verify = Callable[[Mapping[str, LiveHost | str], Mapping[str, Elsewhere]], list[str]]
"""Given each host's state read under the lock: what differs from the plan being applied (nothing: go on)."""


class Stale(Exception):
    """The hosts are not as the plan being applied saw them (`changes`, one line each); nothing was done."""

    def __init__(self, changes: list[str]) -> None:
        super().__init__(changes[0])
        self.changes = changes


def apply_site(target: SiteTarget, options: PlanOptions, break_lock: bool = False, hooks: Hooks | None = None,
               progress: Progress | None = None, verify: Verify | None = None) -> Outcome:
    """Every host made to match `target`; with `verify`, only if the hosts are still as a plan saw them.

    Each host is read once, under the lock, and planned from that state: a
    saved or confirmed plan is checked (`verify`, raising `Stale` before any
    step) against the very state the steps are then taken from.
    """
    signals = {name: NodeSignal() for name in target.nodes}
    outcome = Outcome(target.site, [HostReport(host.name, host.uri) for host in target.hosts])
    holder = LockHolder(this_machine(), _pid(), int(time.time()))
    progress = progress or _silent
    with ThreadPoolExecutor(BUILD_WORKERS, thread_name_prefix="gwc-config-disk") as builders:
        runs = [_HostRun(target.site, host, report, signals, outcome, hooks or Hooks(), progress, builders)
                for host, report in zip(target.hosts, outcome.hosts, strict=True)]
        _apply_hosts(target, runs, options, break_lock, holder, progress, verify)
    return outcome


BUILD_WORKERS = max(2, min(4, os.cpu_count() or 2))
"""Config disk images built at once, for all hosts: mkfs.ext4 and debugfs are subprocesses, which threads overlap."""


def _apply_hosts(target: SiteTarget, runs: Sequence[_HostRun], options: PlanOptions, break_lock: bool,
                 holder: LockHolder, progress: Progress, verify: Verify | None) -> None:
    elsewhere = read_elsewhere(target)
    locks = _Locks(target.hosts, holder, progress)
    try:
        locks.take(break_lock)
        live = _read_hosts(runs, locks)
        changes = verify(live, elsewhere) if verify is not None else []
        if changes:
            raise Stale(changes)
        jobs = []
        for run in runs:
            reached, state = locks.connection(run.host), live.get(run.host.name)
            if isinstance(reached, str) or not isinstance(state, LiveHost):
                run.report.fail(None, reached if isinstance(reached, str) else str(state))
                run.settle_all()
            else:
                jobs.append(functools.partial(run.apply, reached, state, options, elsewhere))
        _in_threads(jobs)
    finally:
        for host, reason in locks.release():
            next(run for run in runs if run.host is host).report.fail(None, reason)


class _Locks:
    """The apply's connections and locks: one connection per URI, one lock per URI and storage folder.

    Taken once, before any host's work, and released once every host is done.
    A lock per host would make two hosts reached through one URI refuse each
    other (the second finds the lock, held by this very apply); one per URI
    and folder keeps what the lock is for, one apply at a time on a host's
    storage, and libvirt connections are safe to share between threads.
    """

    def __init__(self, hosts: Sequence[HostTarget], holder: LockHolder, progress: Progress) -> None:
        self.holder, self.progress = holder, progress
        self.hosts: dict[str, list[HostTarget]] = {}
        for host in hosts:
            self.hosts.setdefault(host.uri, []).append(host)
        self.connections: dict[str, Host] = {}
        self.locked: list[tuple[str, str]] = []             # (uri, folder), in the order taken
        self.failures: dict[tuple[str, str | None], str] = {}   # (uri, folder or None for the URI): why
        self.guard = threading.Lock()

    def take(self, break_lock: bool) -> None:
        _in_threads([functools.partial(self._take, uri, break_lock) for uri in self.hosts])

    def _take(self, uri: str, break_lock: bool) -> None:
        self.progress(f"connecting to {uri}")
        try:
            connection = connect(uri)
        except HostError as failure:
            self.failures[(uri, None)] = str(failure)
            return
        with self.guard:
            self.connections[uri] = connection
        for folder in sorted({host.storage for host in self.hosts[uri]}):
            try:
                connection.ensure_pool(folder, pool_name(folder))
                connection.lock(folder, self.holder, break_lock)
            except HostError as failure:
                self.failures[(uri, folder)] = str(failure)
                continue
            with self.guard:
                self.locked.append((uri, folder))

    def connection(self, host: HostTarget) -> Host | str:
        """The host's connection, under the lock, or why there is none."""
        failure = self.failures.get((host.uri, None)) or self.failures.get((host.uri, host.storage))
        return failure if failure is not None else self.connections[host.uri]

    def release(self) -> list[tuple[HostTarget, str]]:
        """Unlock and close everything; a lock that cannot be released is a failure of its URI's first host."""
        failures = []
        for uri, folder in self.locked:
            try:
                self.connections[uri].unlock(folder, self.holder)
            except HostError as failure:
                first = next(host for host in self.hosts[uri] if host.storage == folder)
                failures.append((first, str(failure)))
        for connection in self.connections.values():
            connection.close()
        return failures


def _read_hosts(runs: Sequence[_HostRun], locks: _Locks) -> dict[str, LiveHost | str]:
    """Each host's state through the apply's connection, under the lock, or why it could not be read."""
    found: dict[str, LiveHost | str] = {}

    def read(host: HostTarget) -> None:
        reached = locks.connection(host)
        if isinstance(reached, str):
            found[host.name] = reached
            return
        try:
            found[host.name] = reached.read()
        except HostError as failure:
            found[host.name] = str(failure)
    _in_threads([functools.partial(read, run.host) for run in runs])
    return found


def destroy_site(target: SiteTarget, delete_storage: bool, hooks: Hooks | None = None,
                 progress: Progress | None = None) -> Outcome:
    """Stop and undefine the site's domains, each after every guest that waits for it; volumes only if asked."""
    signals = {name: NodeSignal() for name in target.nodes}
    outcome = Outcome(target.site, [HostReport(host.name, host.uri) for host in target.hosts])
    runs = [_HostRun(target.site, host, report, signals, outcome, hooks or Hooks(), progress or _silent, None)
            for host, report in zip(target.hosts, outcome.hosts, strict=True)]
    waiters: dict[str, list[str]] = {name: [] for name in target.nodes}
    for node in target.nodes.values():
        for waited in node.after:
            waiters.setdefault(waited, []).append(node.name)
    _in_threads([functools.partial(run.destroy, delete_storage, waiters) for run in runs])
    return outcome


def _in_threads(work: Sequence[Callable[[], None]]) -> None:
    """Run each job in a thread; an unexpected exception (a bug, an interruption) is raised here after all end."""
    raised: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as failure:
            raised.append(failure)
    threads = [threading.Thread(target=guarded, args=(job,), name=f"gwc-host-{index}")
               for index, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if raised:
        raise raised[0]


def _pid() -> int:
    import os
    return os.getpid()


def _silent(_message: str) -> None:
    pass


_order_guard = threading.Lock()


class _HostRun:
    """One host's part of an apply or destroy, run in its own thread."""

    def __init__(self, site: str, host: HostTarget, report: HostReport, signals: dict[str, NodeSignal],
                 outcome: Outcome, hooks: Hooks, progress: Progress, builders: Executor | None) -> None:
        self.site, self.host, self.report, self.signals = site, host, report, signals
        self.outcome, self.hooks, self.progress = outcome, hooks, progress
        self.failed_nodes: set[str] = set()
        self.nodes = {node.name: node for node in host.nodes}
        self.builders = builders
        self.builds = Builds(None, [])

    # ------------------------------------------------------------ apply

    def apply(self, connection: Host, live: LiveHost, options: PlanOptions, elsewhere: Mapping[str, Elsewhere]) -> None:
        """The host's part from its state `live`, on the apply's connection to its URI, under the lock (`_Locks`)."""
        try:
            plan = plan_host(self.site, self.host, live, options, elsewhere)
            self.report.plan = plan
            self._carry_out(connection, plan)
        except HostError as failure:
            self.report.fail(None, str(failure))
        finally:
            self.settle_all()

    def settle_all(self) -> None:
        """Whatever is not settled yet failed: nothing waits for it forever."""
        for node in self.host.nodes:
            self.signals[node.name].settle(False)

    def _connect(self) -> Host | None:
        self.progress(f"{self.host.name}: connecting to {self.host.uri}")
        try:
            return connect(self.host.uri)
        except HostError as failure:
            self.report.fail(None, str(failure))
            return None

    def _carry_out(self, connection: Host, plan: HostPlan) -> None:
        starting = {a.node for a in plan.actions if isinstance(a, (Start, Restart, Hold))}
        disks = [(a.node, a.disk, self.nodes[a.node].uuid) for a in plan.actions if isinstance(a, WriteConfigDisk)]
        self.builds = Builds(self.builders, disks)
        try:
            self._take_steps(connection, plan, starting)
        finally:
            self.builds.stop()

    def _take_steps(self, connection: Host, plan: HostPlan, starting: set[str]) -> None:
        for action in plan.actions:
            if isinstance(action, (Start, Restart, Hold)):
                continue
            self._step(connection, action)
        for node in self.host.nodes:
            if node.name not in starting:
                self.signals[node.name].settle(node.name not in self.failed_nodes)
        for action in plan.actions:
            if isinstance(action, Hold):
                if action.node not in self.failed_nodes:       # a node that failed says so once
                    self.report.fail(action.node, f"not started: {action.reason}")
                self.signals[action.node].settle(False, held=True)
            elif isinstance(action, (Start, Restart)):
                self._start(connection, action)

    def _step(self, connection: Host, action: Action) -> None:
        node = getattr(action, "node", None)
        if node in self.failed_nodes:
            if isinstance(action, WriteConfigDisk):
                self.builds.discard(action.node)
            return
        if isinstance(action, (Orphan, Refuse)):
            self._note(action)
            return
        try:
            if self.hooks.before is not None:
                self.hooks.before(self.host.name, action)
            self.progress(f"{self.host.name}: {describe(action)}")
            self._do(connection, action)
        except (HostError, BuildFailed) as failure:
            if node is not None:
                self.failed_nodes.add(node)
            self.report.fail(node, str(failure))
            return
        self._done(action)

    def _done(self, action: Action) -> None:
        self.report.done.append(Done(describe(action), step_kind(action), getattr(action, "node", None)))

    def _note(self, action: Orphan | Refuse) -> None:
        if isinstance(action, Refuse):
            self.failed_nodes.add(action.node)
            self.report.fail(action.node, f"refused: {action.reason}; gwc touches only the domains it defined")
        else:
            self.report.notes.append(Note("kept, no longer in the sources", action.node,
                                          "this site's domain stays defined (`--prune` removes it)"))

    def _do(self, connection: Host, action: Action) -> None:
        match action:
            case CreatePool(folder=folder, name=name):
                connection.ensure_pool(folder, name)
            case CreateVolume(volume=volume):
                connection.create_volume(volume)
            case WriteConfigDisk():
                self._write_config_disk(connection, action)
            case Define(node=name) | Redefine(node=name):
                node = self.nodes[name]
                connection.define(node.xml)
                if node.config_disk is not None:
                    connection.set_config_marker(name, node.config_disk.hash)
                if isinstance(action, Redefine) and action.restart_needed:
                    self.report.notes.append(Note("restart needed", name, "it runs with its old definition "
                                                  "(`gwc apply --restart`, or restart it yourself)"))
            case SetAutostart(node=name, autostart=autostart):
                connection.set_autostart(name, autostart)
            case Remove(node=name):
                connection.stop(name)
                connection.undefine(name)
            case _:
                raise AssertionError(f"not a step: {action}")

    def _write_config_disk(self, connection: Host, action: WriteConfigDisk) -> None:
        """Upload the image built ahead; once the host has refused an upload, only make its volume (no image).

        libvirt's test driver keeps volumes without data: the volume exists, its
        bytes cannot, and building a thousand images to hear that a thousand
        times is most of the time of a big apply there.
        """
        disk = action.disk
        size = known_size(disk)
        if connection.upload_refused is not None and size is not None:
            self.builds.discard(action.node)
            connection.make_volume(disk.folder, disk.name, size)
            self._not_uploaded(action.node, connection.upload_refused)
        else:
            try:
                connection.write_volume(disk.folder, disk.name, self.builds.take(action.node))
            except Unsupported as failure:
                self._not_uploaded(action.node, failure.reason)
        if connection.defined(action.node):
            connection.set_config_marker(action.node, disk.hash)

    def _not_uploaded(self, node: str, reason: str) -> None:
        self.report.notes.append(Note("config disk not uploaded", node, "the host takes no uploads, so the volumes "
                                      f"are made empty and no more images are built for it (libvirt: {reason})"))

    def _start(self, connection: Host, action: Start | Restart) -> None:
        node = self.nodes[action.node]
        signal = self.signals[node.name]
        if node.name in self.failed_nodes:
            signal.settle(False)
            return
        for waited in node.after:
            other = self.signals.get(waited)
            if other is None:
                continue            # not part of this apply (`--host`)
            self.progress(f"{self.host.name}: {node.name} waits for {waited}")
            other.event.wait()
            if not other.ok:
                why = "is held" if other.held else "did not start"
                self.report.fail(node.name, f"not started: it waits for `{waited}`, which {why}")
                signal.settle(False, held=other.held)
                return
        try:
            if self.hooks.before is not None:
                self.hooks.before(self.host.name, action)
            self.progress(f"{self.host.name}: {describe(action)}")
            if isinstance(action, Restart):
                connection.stop(node.name)
            connection.start(node.name)
            with _order_guard:
                self.outcome.order.append(node.name)
            if node.xen_cap:
                try:
                    connection.set_cap(node.name, node.xen_cap)
                except Unsupported as failure:
                    self.report.notes.append(Note("CPU cap not set", node.name, failure.reason))
        except HostError as failure:
            self.report.fail(node.name, str(failure))
            signal.settle(False)
            return
        self._done(action)
        signal.settle(True)

    # ------------------------------------------------------------ destroy

    def destroy(self, delete_storage: bool, waiters: dict[str, list[str]]) -> None:
        try:
            connection = self._connect()
            if connection is None:
                return
            try:
                try:
                    domains = connection.domains(facts=False)       # listed once, not looked up node by node
                except HostError as failure:
                    self.report.fail(None, str(failure))
                    return
                for node in reversed(self.host.nodes):
                    self._destroy_node(connection, node, domains.get(node.name), delete_storage, waiters)
            finally:
                connection.close()
        finally:
            for node in self.host.nodes:
                self.signals[node.name].settle(False)

    def _destroy_node(self, connection: Host, node: NodeTarget, live: LiveDomain | None, delete_storage: bool,
                      waiters: dict[str, list[str]]) -> None:
        signal = self.signals[node.name]
        for waiter in waiters.get(node.name, []):
            if waiter in self.signals:
                self.signals[waiter].event.wait()       # stopped (or failed) first: never kept waiting forever
        try:
            if live is not None and (live.owner is None or live.owner.site != self.site):
                self.report.fail(node.name, "refused: a domain of that name exists but was not defined by gwc "
                                            "for this site; gwc touches only the domains it defined")
            elif live is not None:
                self.progress(f"{self.host.name}: stopping {node.name}")
                if live.running:
                    connection.stop(node.name)
                connection.undefine(node.name)
                with _order_guard:
                    self.outcome.order.append(node.name)
                kind = "stop and undefine" if live.running else "undefine"
                self.report.done.append(Done(f"stopped and undefined {node.name}" if live.running
                                             else f"undefined {node.name}", kind, node.name))
            if delete_storage:
                self._delete_storage(connection, node)
        except HostError as failure:
            self.report.fail(node.name, str(failure))
        signal.settle(True)

    def _delete_storage(self, connection: Host, node: NodeTarget) -> None:
        paths = [volume.path for volume in node.volumes]
        if node.config_disk is not None:
            paths.append(node.config_disk.path)
        for path in paths:
            if connection.delete_volume(path):
                self.report.done.append(Done(f"deleted volume {path}", "delete volume", node.name))
