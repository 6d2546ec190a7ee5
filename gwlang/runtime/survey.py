"""Reading the live state of every host of a site: for `gwc plan` and `gwc status`.

Hosts are read concurrently, one connection each; a host that cannot be
reached gives libvirt's reason instead of its state, and the others go on.
With `--host`, the nodes on hosts left out that the run's nodes wait for
are read too (only their state), through their own hosts' URIs.
"""

from __future__ import annotations

import threading

from gwlang.runtime.backend import Host, HostError, connect
from gwlang.runtime.live import LiveHost, differences, significant
from gwlang.runtime.plan import Elsewhere, Plan, PlanOptions, plan_site
from gwlang.runtime.render import StatusRow
from gwlang.runtime.target import HostTarget, OutsideNode, SiteTarget


def read_site(target: SiteTarget) -> dict[str, LiveHost | str]:
    """Each host's live state, or the reason it could not be read (naming the URI)."""
    found: dict[str, LiveHost | str] = {}

    def read(host: HostTarget) -> None:
        try:
            connection = connect(host.uri)
        except HostError as failure:
            found[host.name] = str(failure)
            return
        try:
            found[host.name] = connection.read()
        except HostError as failure:
            found[host.name] = str(failure)
        finally:
            connection.close()

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
    return plan_site(target, read_site(target), options, read_elsewhere(target))


def status(target: SiteTarget) -> tuple[list[StatusRow], list[str]]:
    """A row per node (in start order per host), and a line per host that could not be read."""
    live = read_site(target)
    rows: list[StatusRow] = []
    problems: list[str] = []
    for host in target.hosts:
        state = live[host.name]
        if isinstance(state, str):
            problems.append(f"host `{host.name}` ({host.uri}): {state}")
            rows += [StatusRow(node.name, host.name, "unknown", "host unreachable", read=False) for node in host.nodes]
            continue
        for node in host.nodes:
            domain = state.domains.get(node.name)
            if domain is None:
                rows.append(StatusRow(node.name, host.name, "not defined", "-"))
            elif domain.owner is None or domain.owner.site != target.site:
                rows.append(StatusRow(node.name, host.name, domain.state, "not gwc's (foreign domain)"))
            else:
                changes = differences(domain.facts, significant(node.xml))
                if domain.owner.hash != node.hash:
                    verdict = "changed in the sources (apply to update)"
                elif changes:
                    verdict = "drifted: " + "; ".join(changes)
                else:
                    verdict = "in sync"
                rows.append(StatusRow(node.name, host.name, domain.state, verdict))
    return rows, problems
