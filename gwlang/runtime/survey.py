"""Reading the live state of every host of a site: for `gwc plan` and `gwc status`.

Hosts are read concurrently, one connection each; a host that cannot be
reached gives libvirt's reason instead of its state, and the others go on.
"""

from __future__ import annotations

import threading

from gwlang.runtime.backend import HostError, connect
from gwlang.runtime.live import LiveHost, differences, significant
from gwlang.runtime.plan import Plan, PlanOptions, plan_site
from gwlang.runtime.render import StatusRow
from gwlang.runtime.target import HostTarget, SiteTarget


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


def plan(target: SiteTarget, options: PlanOptions) -> Plan:
    return plan_site(target, read_site(target), options)


def status(target: SiteTarget) -> tuple[list[StatusRow], list[str]]:
    """A row per node (in start order per host), and a line per host that could not be read."""
    live = read_site(target)
    rows: list[StatusRow] = []
    problems: list[str] = []
    for host in target.hosts:
        state = live[host.name]
        if isinstance(state, str):
            problems.append(f"host `{host.name}` ({host.uri}): {state}")
            rows += [StatusRow(node.name, host.name, "unknown", "host unreachable") for node in host.nodes]
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
