"""A guest's network files: its OS family's own, netplan or networkd where asked, and its name service files.

The facts come from `Guest` and are checked here once (`network_facts`):
names are host names, interface names are names Linux and file names can
carry, each address family has at most one default gateway and every
gateway is on its interface's network.  A failing check is a diagnostic at
the line that defined the value.  The templates then get plain checked
strings and still quote each one with a filter of `filters.py`, so a value
that slipped past a check is refused or escaped, never written raw.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from gwlang.diagnostics import Diagnostic, GwError, Label, Span, error
from gwlang.emit.environment import render
from gwlang.emit.guest import EmitError, Guest, Interface

# RFC 1123 labels, dot-separated; the same rule as the `hostname` type.
HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
# What Linux takes as an interface name (at most 15 bytes, no `/`, `:` or blank),
# narrowed to characters that every file here can carry bare, file names included.
INTERFACE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$")


@dataclass(frozen=True)
class Link:
    """One interface as the files write it: checked text, no model objects."""
    name: str
    version: int                 # 4 or 6
    address: str                 # 192.0.2.11
    prefix: int
    cidr: str                    # 192.0.2.11/24
    netmask: str | None          # 255.255.255.0; IPv4 only
    gateway: str | None
    mac: str
    primary: bool                # carries the resolver settings (DNS1, dns-nameservers, DNS=)


@dataclass(frozen=True)
class NetworkFacts:
    """Everything a guest's network and name service files say, checked."""
    site: str
    node: str
    os_family: str
    network_config: str
    hostname: str
    fqdn: str
    address: str | None          # the node's `ip`, for /etc/hosts
    dns: tuple[str, ...]
    search: tuple[str, ...]
    links: tuple[Link, ...]
    gateway4: str | None
    gateway6: str | None


def network_facts(guest: Guest) -> NetworkFacts:
    """The checked facts of one guest; `GwError` with every problem found."""
    problems: list[Diagnostic] = []
    hostname = _host_name(guest, guest.hostname, ("network", "hostname"), "host name", problems)
    fqdn = _host_name(guest, guest.fqdn, ("network", "fqdn"), "fully qualified name", problems)
    search = tuple(_host_name(guest, domain, ("network", "search"), "DNS search domain", problems)
                   for domain in guest.search)
    for interface in guest.interfaces:
        problems.extend(_interface_problems(guest, interface))
    problems.extend(_gateway_conflicts(guest))
    if problems:
        raise GwError(problems)
    node_ip = guest.entity.get("ip")
    primary = _primary(guest, node_ip.canonical if node_ip is not None else None)
    links = tuple(_link(interface, interface.name == primary) for interface in guest.interfaces)
    return NetworkFacts(
        site=guest.site, node=guest.name, os_family=guest.os_family, network_config=guest.network_config,
        hostname=hostname, fqdn=fqdn, address=node_ip.canonical if node_ip is not None else None,
        dns=tuple(server.canonical for server in guest.dns), search=search, links=links,
        gateway4=next((link.gateway for link in links if link.gateway and link.version == 4), None),
        gateway6=next((link.gateway for link in links if link.gateway and link.version == 6), None))


# ---------------------------------------------------------------- the files

def network_files(facts: NetworkFacts) -> dict[str, str]:
    """Overlay path -> text of the network files of the guest's family and `os.network-config`."""
    files: dict[str, str] = {}
    context = {"facts": facts, "links": facts.links}
    match facts.os_family:
        case "redhat":
            files["etc/sysconfig/network"] = render("redhat/network.j2", **context)
            for link in facts.links:
                files[f"etc/sysconfig/network-scripts/ifcfg-{link.name}"] = render(
                    "redhat/ifcfg.j2", facts=facts, link=link)
        case "debian":
            files["etc/network/interfaces"] = render("debian/interfaces.j2", **context)
        case other:
            raise ValueError(f"unknown os family {other}")
    match facts.network_config:
        case "native":
            pass
        case "netplan":
            files["etc/netplan/50-gwlang.yaml"] = render("netplan/50-gwlang.yaml.j2", **context)
        case "networkd":
            for link in facts.links:
                files[f"etc/systemd/network/50-gwlang-{link.name}.network"] = render(
                    "networkd/network.j2", facts=facts, link=link)
                files[f"etc/systemd/network/50-gwlang-{link.name}.link"] = render(
                    "networkd/link.j2", facts=facts, link=link)
        case other:
            raise ValueError(f"unknown network config {other}")
    return files


def resolver_files(facts: NetworkFacts) -> dict[str, str]:
    """`etc/resolv.conf` and `etc/hostname`, which every guest gets."""
    return {"etc/resolv.conf": render("guest/resolv.conf.j2", facts=facts),
            "etc/hostname": render("guest/hostname.j2", facts=facts)}


@dataclass(frozen=True)
class HostsEntry:
    """One line of /etc/hosts: an address and its names, the fully qualified one first."""
    address: str
    names: tuple[str, ...]


def hosts_entries(everyone: Sequence[NetworkFacts]) -> list[HostsEntry]:
    """Every node of the site with an address, in address order (IPv4 before IPv6)."""
    entries = []
    for facts in everyone:
        if facts.address is not None:
            names = tuple(dict.fromkeys([facts.fqdn, facts.hostname]))
            entries.append(HostsEntry(facts.address, names))
    return sorted(entries, key=lambda e: _address_key(e.address))


def name_clashes(checked: Sequence[tuple[Guest, NetworkFacts]]) -> list[Diagnostic]:
    """Each name of /etc/hosts leads to one address: no two nodes share a name, ignoring case.

    Host names are already unique (a site check); a fully qualified name
    set by hand can still repeat another node's.
    """
    owners: dict[str, tuple[Guest, tuple[str, ...]]] = {}
    problems = []
    for guest, facts in checked:
        for name, path in ((facts.fqdn, ("network", "fqdn")), (facts.hostname, ("network", "hostname"))):
            first, first_path = owners.setdefault(name.lower(), (guest, path))
            if first is not guest:
                problems.append(error(
                    "E0624", f"nodes `{first.name}` and `{guest.name}` are both called `{name}`",
                    guest.entity.origin(*path), f"`{guest.name}` called so here",
                    secondary=[Label(first.entity.origin(*first_path), f"`{first.name}` called so here")],
                    notes=["every node's /etc/hosts lists every node's names; one name must lead to one address"],
                    help="give one of them another `network.fqdn`").diagnostics[0])
    return problems


def hosts_file(facts: NetworkFacts, entries: Sequence[HostsEntry] | str) -> str:
    """A node's /etc/hosts; `entries` may be the site's lines already rendered by `hosts_lines` (once per site)."""
    lines = entries if isinstance(entries, str) else hosts_lines(facts.site, entries)
    return render("guest/hosts.j2", facts=facts, site_entries=lines)


def hosts_lines(site: str, entries: Sequence[HostsEntry]) -> str:
    """The lines every node's /etc/hosts shares: one per address of the site."""
    return render("guest/hosts-entries.j2", site=site, entries=entries)


def _address_key(address: str) -> tuple[int, int]:
    parsed = ipaddress.ip_address(address)
    return parsed.version, int(parsed)


# ---------------------------------------------------------------- checks

def _host_name(guest: Guest, value: str, path: tuple[str, ...], what: str, problems: list[Diagnostic]) -> str:
    if not HOST_NAME.match(value):
        problems.extend(EmitError(
            guest.entity, path,
            f"the {what} `{shown(value)}` of node `{guest.name}` is not a host name",
            help="use letters, digits and `-` in dot-separated labels of at most 63 characters").diagnostics)
    return value


def _interface_problems(guest: Guest, interface: Interface) -> list[Diagnostic]:
    path = ("network", "interfaces", interface.name)
    if not INTERFACE_NAME.match(interface.name):
        return EmitError(guest.entity, path,
                         f"`{shown(interface.name)}` cannot name an interface of node `{guest.name}`",
                         help="use at most 15 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`, "
                              "such as `eth0`").diagnostics
    if interface.ip.version == 4 and interface.prefix > 32:
        return EmitError(guest.entity, (*path, "prefix"),
                         f"`{interface.name}` of node `{guest.name}` has an IPv4 address with prefix "
                         f"{interface.prefix}, longer than 32").diagnostics
    gateway = interface.gateway
    if gateway is None:
        return []
    on_link = ipaddress.ip_network(f"{interface.ip.canonical}/{interface.prefix}", strict=False)
    if gateway.version != interface.ip.version or gateway.address not in on_link:
        return [error("E0623", f"the gateway {gateway.canonical} of `{interface.name}` (node `{guest.name}`) "
                               f"is not on its network {on_link}",
                      guest.entity.origin(*path, "gateway"), "gateway set here",
                      secondary=[Label(guest.entity.origin(*path, "ip"), f"address {interface.ip.canonical}"
                                                                          f"/{interface.prefix} set here")],
                      notes=["ifupdown, the RedHat network scripts and netplan reach a gateway only through "
                             "the network of the interface that names it"],
                      help="give the gateway to the interface whose network holds it, "
                           "or correct the address or prefix").diagnostics[0]]
    return []


def _gateway_conflicts(guest: Guest) -> list[Diagnostic]:
    """At most one default route per address family: netplan refuses two, the others keep either."""
    problems = []
    for version in (4, 6):
        holders = [(i.name, i.gateway.canonical) for i in guest.interfaces
                   if i.gateway is not None and i.gateway.version == version]
        if len(holders) < 2:
            continue
        (name, gateway), others = holders[1], [holders[0], *holders[2:]]

        def origin(interface: str) -> Span:
            return guest.entity.origin("network", "interfaces", interface, "gateway")
        problems.append(error(
            "E0622", f"node `{guest.name}` has {len(holders)} IPv{version} default gateways",
            origin(name), f"`{name}` routes through {gateway}",
            secondary=[Label(origin(n), f"`{n}` routes through {g}") for n, g in others],
            notes=["a guest has one default route per address family"],
            help="set `gateway = null;` on every interface but the one that leads out").diagnostics[0])
    return problems


def _primary(guest: Guest, node_ip: str | None) -> str | None:
    """The interface that carries the resolver settings: the one with the node's `ip`, else the first."""
    for interface in guest.interfaces:
        if interface.ip.canonical == node_ip:
            return interface.name
    return guest.interfaces[0].name if guest.interfaces else None


def _link(interface: Interface, primary: bool) -> Link:
    version = interface.ip.version
    netmask = str(ipaddress.IPv4Network(f"0.0.0.0/{interface.prefix}").netmask) if version == 4 else None
    return Link(name=interface.name, version=version, address=interface.ip.canonical, prefix=interface.prefix,
                cidr=f"{interface.ip.canonical}/{interface.prefix}", netmask=netmask,
                gateway=interface.gateway.canonical if interface.gateway is not None else None,
                mac=interface.mac.canonical, primary=primary)


def shown(value: str) -> str:
    """A user's string inside a message: control characters escaped, so a diagnostic stays one line."""
    return json.dumps(value, ensure_ascii=False)[1:-1]
