"""Reading the live state of every host of a site: for `gwc plan` and `gwc status`.

Hosts are read concurrently, one connection each; a host that cannot be
reached gives libvirt's reason instead of its state, and the others go on.
With `--host`, the nodes on hosts left out that the run's nodes wait for
are read too (only their state), through their own hosts' URIs.
"""

from __future__ import annotations

import threading

from gwlang.runtime.backend import Host, HostError, connect
from gwlang.runtime.live import LiveHost, differences, wanted_facts
from gwlang.runtime.plan import Elsewhere, Plan, PlanOptions, plan_site
from gwlang.runtime.render import Done, StatusRow, render_steps
from gwlang.runtime.target import HostTarget, OutsideNode, SiteTarget


def read_site(target: SiteTarget) -> dict[str, LiveHost | str]:
    """Each host's live state, or the reason it could not be read (naming the URI)."""
    found: dict[str, LiveHost | str] = {}

    def read(host: HostTarget) -> None:
        found[host.name] = read_site_host(host)

    threads = [threading.Thread(target=read, args=(host,)) for host in target.hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


def read_elsewhere(target: SiteTarget) -> dict[str, Elsewhere]:
    """The state of each node on a host left out (`--host`) that a node of the run waits for."""
    waited = {name for node in target.nodes.values() for name in node.after}
    needed = [node for node in target.outside if node.name in waited]
    by_uri: dict[str, list[OutsideNode]] = {}
    for node in needed:
        by_uri.setdefault(node.uri, []).append(node)
    found: dict[str, Elsewhere] = {}

    def read(uri: str, nodes: list[OutsideNode]) -> None:
        try:
            connection = connect(uri)
        except HostError as failure:
            found.update((n.name, Elsewhere(n.name, n.host, False, str(failure), readable=False)) for n in nodes)
            return
        try:
            for node in nodes:
                found[node.name] = _elsewhere(connection, node)
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=item) for item in by_uri.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


def _elsewhere(connection: Host, node: OutsideNode) -> Elsewhere:
    try:
        domain = connection.owner(node.name)
    except HostError as failure:
        return Elsewhere(node.name, node.host, False, str(failure), readable=False)
    if domain is None:
        return Elsewhere(node.name, node.host, False, "not defined")
    return Elsewhere(node.name, node.host, domain.running, domain.state)


def plan(target: SiteTarget, options: PlanOptions) -> Plan:
    return survey(target, options)[0]


def survey(target: SiteTarget, options: PlanOptions) -> tuple[Plan, dict[str, LiveHost | str]]:
    """The plan, and the live state it was computed from (a saved plan records it)."""
    live = read_site(target)
    return plan_site(target, live, options, read_elsewhere(target)), live


def destroy_preview(target: SiteTarget, delete_storage: bool) -> tuple[list[str], list[str]]:
    """What `gwc destroy` would do, host by host as lines (for its confirmation), and the hosts not read."""
    lines: list[str] = []
    unread: list[str] = []
    for host in target.hosts:
        state = read_site_host(host)
        if isinstance(state, str):
            lines.append(f"host {host.name} ({host.uri}): cannot be reached: {state}")
            unread.append(host.name)
            continue
        steps = []
        for node in reversed(host.nodes):
            domain = state.domains.get(node.name)
            if domain is not None and (domain.owner is None or domain.owner.site != target.site):
                refused = "a domain of that name was not defined by gwc for this site"
                steps.append(Done(f"refuse {node.name}: {refused}", f"refuse: {refused}", node.name, "!"))
            elif domain is not None:
                kind = f"{'stop and ' if domain.running else ''}undefine"
                steps.append(Done(f"{kind} {node.name}", kind, node.name))
            if delete_storage:
                paths = [v.path for v in node.volumes] + ([node.config_disk.path] if node.config_disk else [])
                steps += [Done(f"delete volume {path}", "delete volume", node.name) for path in paths
                          if path in state.volumes]
        lines += [f"host {host.name} ({host.uri}):", *render_steps(steps)] if steps else [
            f"host {host.name} ({host.uri}): nothing to destroy"]
    return lines, unread


def read_site_host(host: HostTarget) -> LiveHost | str:
    """One host's live state, or the reason it could not be read."""
    try:
        connection = connect(host.uri)
    except HostError as failure:
        return str(failure)
    try:
        return connection.read()
    except HostError as failure:
        return str(failure)
    finally:
        connection.close()


def status(target: SiteTarget) -> tuple[list[StatusRow], list[tuple[str, str, str]]]:
    """A row per node (in start order per host), and each host that could not be read (host, URI, reason)."""
    live = read_site(target)
    rows: list[StatusRow] = []
    problems: list[tuple[str, str, str]] = []
    for host in target.hosts:
        state = live[host.name]
        if isinstance(state, str):
            problems.append((host.name, host.uri, state))
            rows += [StatusRow(node.name, host.name, "unknown", "host unreachable", read=False, sync="unknown")
                     for node in host.nodes]
            continue
        for node in host.nodes:
            domain = state.domains.get(node.name)
            if domain is None:
                rows.append(StatusRow(node.name, host.name, "not defined", "-", sync="not-defined"))
            elif domain.owner is None or domain.owner.site != target.site:
                rows.append(StatusRow(node.name, host.name, domain.state, "not gwc's (foreign domain)",
                                      sync="foreign"))
            else:
                changes = differences(domain.facts, wanted_facts(node.xml))
                if domain.owner.hash != node.hash:
                    sync, verdict = "changed", "changed in the sources (apply to update)"
                elif changes:
                    sync, verdict = "drifted", "drifted: " + "; ".join(changes)
                else:
                    sync, verdict = "in-sync", "in sync"
                rows.append(StatusRow(node.name, host.name, domain.state, verdict, sync=sync, changes=changes))
    return rows, problems
