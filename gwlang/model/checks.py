"""Site checks: the rules that relate values across a site's hosts and nodes.

A schema judges each value on its own; these rules need the whole checked
site: addresses, host names and disk images that must be unique,
interfaces that must lie in their network and plug into a bridge their host
has, references that must resolve, and guests that must fit their host.
MAC addresses must be unique across every site compiled together, so that
rule takes a list of sites.  Rules return diagnostics instead of raising,
so one run reports every broken rule; each points at the definition that
gave the offending value (`EntityModel.origin`).  The boot-order rule (no
cycle in `after`) belongs to the dependency graph, `gwlang.model.graph`;
`check_sites` runs everything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from gwlang.diagnostics import Diagnostic, Label, Span, did_you_mean
from gwlang.eval.domain import IPAddress, IPNetwork, Size
from gwlang.model.graph import check_boot_cycles
from gwlang.model.model import EntityModel, SiteModel
from gwlang.model.uniqueness import Use, conflict, groups, use_of

INTERFACES = ("network", "interfaces")


def check_site(model: SiteModel) -> list[Diagnostic]:
    """Every rule of this module about one site, sorted by location.

    MAC addresses are left to `check_across_sites`, which sees every site
    (checking them here too would report a clash inside a site twice).
    """
    return _sorted(problem for check in SITE_CHECKS for problem in check(model))


def check_across_sites(models: Sequence[SiteModel]) -> list[Diagnostic]:
    """The rules about every site compiled together: MAC addresses unique across all of them."""
    return _sorted(check_macs(models))


def check_sites(models: Sequence[SiteModel]) -> list[Diagnostic]:
    """Everything: each site's rules, its boot cycles, and the rules across sites."""
    per_site = [problem for model in models for problem in [*check_site(model), *check_boot_cycles(model)]]
    return _sorted([*per_site, *check_across_sites(models)])


def _sorted(problems: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(problems, key=lambda problem: problem.sort_key())


# ---------------------------------------------------------------- addresses

def check_addresses(model: SiteModel) -> Iterator[Diagnostic]:
    """Every node address, interface address and host address is used once in a site."""
    used = {key for key, _ in _addresses(model)}
    for group in groups(_addresses(model)):
        free = _free_address(model, used)
        used.add(free)   # each diagnostic proposes its own free address
        hint = f" (`{free.canonical}` is free)" if free is not None else ""
        yield conflict(
            "E0501", "address", group,
            note="every address in a site belongs to one machine: DNS, DHCP and routing tell machines apart "
                 "by address",
            help=f"give {group[1].who} an address that no other machine of site `{model.name}` uses{hint}")


def _addresses(model: SiteModel) -> Iterator[tuple[Hashable, Use]]:
    # Nodes first: a host's management address is the one added beside a
    # template's guests, so it is the likelier mistake and gets the caret.
    for node in model.nodes.values():
        yield from _node_addresses(node)
    for host in model.hosts.values():
        if host.get("address") is not None:
            yield host.get("address"), use_of(f"host `{host.name}`", host.get("address"), host, ("address",))


def _node_addresses(node: EntityModel) -> Iterator[tuple[Hashable, Use]]:
    own = node.get("ip")
    if own is not None:
        yield own, use_of(f"node `{node.name}`", own, node, ("ip",))
    for name, interface in _interfaces(node):
        address = interface.get("ip")
        # The interface that carries the node's own address is that same use, not a second one.
        if address is not None and address != own:
            yield address, use_of(f"interface `{name}` of node `{node.name}`", address, node, (*INTERFACES, name, "ip"))


def _free_address(model: SiteModel, used: set[Hashable]) -> IPAddress | None:
    """The lowest address of the site's subnet above every address in use there, if the subnet has one left."""
    subnet = model.site.get("network", "subnet")
    if not isinstance(subnet, IPNetwork):
        return None
    taken = [int(address.address) for address in {*used, model.site.get("network", "gateway")}
             if isinstance(address, IPAddress) and subnet.contains(address)]
    following = max(taken, default=int(subnet.network.network_address)) + 1
    if following < int(subnet.network.broadcast_address):
        return IPAddress(ipaddress.ip_address(following))
    return None


def check_subnets(model: SiteModel) -> Iterator[Diagnostic]:
    """Every interface address lies in the interface's own `network`, or else in the site's subnet."""
    subnet = model.site.get("network", "subnet")
    for node in model.nodes.values():
        for name, interface in _interfaces(node):
            address, network = interface.get("ip"), interface.get("network") or subnet
            if isinstance(address, IPAddress) and isinstance(network, IPNetwork) and not network.contains(address):
                yield _interface_outside(node, name, interface, network)
        # A primary address that no interface carries must still be a site address.
        own = node.get("ip")
        carried = {interface.get("ip") for _, interface in _interfaces(node)}
        if isinstance(own, IPAddress) and isinstance(subnet, IPNetwork) and own not in carried \
                and not subnet.contains(own):
            yield _outside(f"address `{own.canonical}` of node `{node.name}`", node.origin("ip"),
                           "the site's subnet", subnet, (), NODE_ADDRESS_RULE,
                           f"give node `{node.name}` an address in `{subnet.canonical}`")


def _interface_outside(node: EntityModel, name: str, interface: Mapping[str, Any], network: IPNetwork) -> Diagnostic:
    address: IPAddress = interface["ip"]
    what = f"address `{address.canonical}` of interface `{name}` of node `{node.name}`"
    span = _address_span(node, name, address)
    if interface.get("network") is not None:
        set_here = Label(node.origin(*INTERFACES, name, "network"), "the interface's network is set here")
        return _outside(what, span, "its network", network, (set_here,), INTERFACE_ADDRESS_RULE,
                        f"give the interface an address in `{network.canonical}`, or correct its `network`")
    help = f"give the interface an address in `{network.canonical}`"
    own = IPNetwork.of(address, interface.get("prefix"))
    if own is not None:
        help += (f", or, if it is on a network of its own, name it: "
                 f"`{'.'.join(INTERFACES)}.{name}.network = {own.canonical};`")
    return _outside(what, span, "the site's subnet", network, (), INTERFACE_ADDRESS_RULE, help)


INTERFACE_ADDRESS_RULE = ("an interface's address must lie in the site's `network.subnet`, or in the interface's "
                          "own `network` when it names one")
NODE_ADDRESS_RULE = ("a node's `ip` must lie in the site's `network.subnet`, unless one of its interfaces carries "
                     "it and names a network of its own")


def _outside(what: str, span: Span, where: str, network: IPNetwork, labels: tuple[Label, ...], rule: str,
             help: str) -> Diagnostic:
    return Diagnostic("E0502", f"{what} is outside {where} `{network.canonical}`",
                      Label(span, f"not in `{network.canonical}`"), labels, (rule,), help)


def _address_span(node: EntityModel, interface: str, address: Any) -> Span:
    # Profiles usually copy the node's address into an interface (`ip = node.ip`);
    # the line that chose the address is then the node's `ip`, not the copy.
    if address == node.get("ip"):
        return node.origin("ip")
    return node.origin(*INTERFACES, interface, "ip")


def _interfaces(node: EntityModel) -> list[tuple[str, Mapping[str, Any]]]:
    return sorted(node.get(*INTERFACES, default={}).items())


# ---------------------------------------------------------------- MAC addresses and host names

@dataclass(frozen=True, slots=True)
class MacEntry:
    """One interface's MAC as the check across sites needs it: derived or written, and on which host."""
    mac: str
    derived: bool            # from the schema's default (`macFor` of site, node, interface), not written
    host: str                # the libvirt URI of the guest's host; "" for the machine gwc runs on

    def encode(self) -> str:
        return f"{self.mac} {'derived' if self.derived else 'set'} {self.host}".rstrip()

    @classmethod
    def decode(cls, text: str) -> MacEntry:
        mac, _, rest = text.partition(" ")
        kind, _, host = rest.partition(" ")
        return cls(mac, kind == "derived", host)


def macs_clash(one: MacEntry, other: MacEntry) -> bool:
    """Whether one MAC used in two different sites is a mistake.

    It is, unless both were derived for guests of different hosts: a derived
    MAC has 23 bits after Xen's prefix, so among thousands of nodes a few
    pairs coincide by chance (the birthday bound), and guests of different
    sites' hosts share no network segment unless the sites do.  A MAC written
    in a file must be unique everywhere; guests of one host may share a bridge.
    """
    return not (one.derived and other.derived and one.host != other.host)


def mac_entries(model: SiteModel) -> tuple[MacEntry, ...]:
    """Every MAC of the site's interfaces, once each (duplicates inside a site are `check_macs`'s)."""
    entries = {_mac_entry(model, use): None for _, use in _macs([model])}
    return tuple(sorted(entries, key=lambda entry: (entry.mac, entry.derived, entry.host)))


def _mac_entry(model: SiteModel, use: Use) -> MacEntry:
    host = model.hosts.get(use.entity.get("host"))
    uri = host.get("uri") if host is not None else None
    return MacEntry(use.value.canonical, bool(use.default_of), uri if isinstance(uri, str) else "")


def check_macs(models: Sequence[SiteModel]) -> Iterator[Diagnostic]:
    """Every MAC address is used once in a site, and across sites wherever `macs_clash` says it matters."""
    by_name = {model.name: model for model in models}
    for group in groups(_macs(models)):
        entries = {id(use): _mac_entry(by_name[use.site], use) for use in group}
        clashing = [use for use in group if any(
            other is not use and (other.site == use.site or macs_clash(entries[id(use)], entries[id(other)]))
            for other in group)]
        if len(clashing) < 2:
            continue
        derived = all(use.default_of for use in clashing)
        # A derived MAC comes from the schema's default, written nowhere: point at each node instead.
        clashing = [replace(use, span=use.entity.declared_at) if use.default_of else use for use in clashing]
        yield conflict(
            "E0503", "MAC address", clashing,
            note="MAC addresses must be unique in a site, and across the sites compiled together when written "
                 "in a file or used by guests of one host: DHCP, the install server and copied images tell "
                 "machines apart by MAC",
            help=("derived MACs have 23 bits and rarely coincide: set `mac` on one of these interfaces"
                  if derived else "remove the explicit `mac` so that it is derived from the site, node and "
                                  "interface names, or choose another one"))


def _macs(models: Sequence[SiteModel]) -> Iterator[tuple[Hashable, Use]]:
    for model in models:
        for node in model.nodes.values():
            for name, interface in _interfaces(node):
                mac = interface.get("mac")
                if mac is not None:
                    who = f"interface `{name}` of node `{node.name}`"
                    yield mac, use_of(who, mac, node, (*INTERFACES, name, "mac"), model.name)


def check_host_names(model: SiteModel) -> Iterator[Diagnostic]:
    """Every node's host name (`network.hostname`, else its name) is used once in a site."""
    for group in groups(_host_names(model)):
        yield conflict(
            "E0504", "host name", group,
            note="host names are unique within a site, ignoring case as DNS does: DNS, DHCP and the install "
                 "server find nodes by them",
            help=f"give {group[1].who} another `network.hostname`, or leave it to default to the node's name")


def _host_names(model: SiteModel) -> Iterator[tuple[Hashable, Use]]:
    for node in model.nodes.values():
        chosen = node.get("network", "hostname")
        if chosen is None:
            yield node.name.lower(), Use(f"node `{node.name}`", node.name, node.declared_at, node)
        else:
            yield chosen.lower(), use_of(f"node `{node.name}`", chosen, node, ("network", "hostname"))


# ---------------------------------------------------------------- hosts and their guests

def check_references(model: SiteModel) -> Iterator[Diagnostic]:
    """A node's `host` and every name in its `after` are declared in the site.

    The type system already rejects most broken references; a model built
    by other means is checked here anyway, since every later stage relies on it.
    """
    for node in model.nodes.values():
        host = node.get("host")
        if host not in model.hosts:
            yield _unresolved(model, node, "host", host)
        for waited in node.get("after", default=()):
            if waited not in model.nodes:
                yield _unresolved(model, node, "after", waited)


def _unresolved(model: SiteModel, node: EntityModel, path: str, name: Any) -> Diagnostic:
    kind, known = ("host", model.hosts) if path == "host" else ("node", model.nodes)
    what = f"runs on host `{name}`" if path == "host" else f"waits for node `{name}`"
    return Diagnostic(
        "E0506", f"node `{node.name}` {what}, which site `{model.name}` does not declare",
        Label(node.origin(path), f"no {kind} `{name}` in site `{model.name}`"), (),
        (f"site `{model.name}` declares the {kind}s {_names(known)}",),
        did_you_mean(str(name), known) or f"declare {kind} `{name}` in site `{model.name}`, or name one it has")


def check_bridges(model: SiteModel) -> Iterator[Diagnostic]:
    """Every interface plugs into a bridge that its node's host has."""
    for node in model.nodes.values():
        host = model.hosts.get(node.get("host"))
        if host is None:
            continue   # reported by check_references
        for name, interface in _interfaces(node):
            bridge = interface.get("bridge")
            if bridge is not None and bridge not in host.get("bridges", default={}):
                yield _missing_bridge(node, name, bridge, host)


def _missing_bridge(node: EntityModel, interface: str, bridge: str, host: EntityModel) -> Diagnostic:
    bridges = host.get("bridges", default={})
    declared = Label(host.declared_at, f"host `{host.name}` is declared here, without bridges")
    if bridges:
        first = min(bridges)
        declared = Label(_origin_within(host, ("bridges", first)), f"host `{host.name}` has bridge `{first}` from here")
    has = f"host `{host.name}` has the bridges {_names(bridges)}" if bridges else f"host `{host.name}` has no bridges"
    instead = f", or plug the interface into {_one_of(bridges)}" if bridges else ""
    path = (*INTERFACES, interface, "bridge")
    chosen = (f"interface `{interface}` is set here; its `bridge` is the schema's default `{bridge}`"
              if path not in node.origins else f"interface `{interface}` gets bridge `{bridge}` here")
    primary, library = _in_user_files(
        node.origin(*path), f"no bridge `{bridge}` on host `{host.name}`", chosen,
        [(node, f"interface `{interface}` of node `{node.name}` plugs into bridge `{bridge}`"),
         (host, f"host `{host.name}` has no bridge `{bridge}`")])
    return Diagnostic(
        "E0505", f"interface `{interface}` of node `{node.name}` plugs into bridge `{bridge}`, "
                 f"which host `{host.name}` does not have",
        primary, (*library, declared), (has,),
        f"add `bridges.{bridge}.interface = ...;` to host `{host.name}`{instead}")


def _in_user_files(span: Span, label: str, library_label: str,
                   entities: Sequence[tuple[EntityModel, str]]) -> tuple[Label, tuple[Label, ...]]:
    """The primary label where the user can act, and the library's line beside it when it is not that.

    A value that a stdlib profile or template site gave (the gateway's
    `memory = 8GiB`, the default bridge of `base`'s `eth0`) is still the
    user's mistake to fix, in the user's own file: the caret goes to the
    user's declaration of the first of `entities` that has one (with the
    label given beside it), and the stdlib line becomes a secondary label
    saying where the value came from.
    """
    if not span.source.is_stdlib:
        return Label(span, label), ()
    for entity, user_label in entities:
        declared = entity.user_declared_at
        if not declared.source.is_stdlib:
            return Label(declared, user_label), (Label(span, library_label),)
    return Label(span, label), ()


def check_memory(model: SiteModel) -> Iterator[Diagnostic]:
    """A host's guests' memory plus the memory it keeps for itself fits in its memory."""
    for host in model.hosts.values():
        guests = _guests(model, host.name)
        needed = sum(_bytes(guest.get("vm", "memory")) for guest in guests) + _bytes(host.get("reserved-memory"))
        memory = host.get("memory")
        if isinstance(memory, Size) and needed > memory.bytes:
            yield _overcommitted(host, guests, Size(needed))


def _overcommitted(host: EntityModel, guests: list[EntityModel], needed: Size) -> Diagnostic:
    memory: Size = host.get("memory")
    notes = [f"guest `{guest.name}` has {_size(guest.get('vm', 'memory'))}" for guest in guests]
    notes.append(f"host `{host.name}` keeps {_size(host.get('reserved-memory'))} for itself (`reserved-memory`)")
    notes.append("the guests' `vm.memory` and the host's `reserved-memory` must fit in the host's `memory`")
    short = f"{Size(needed.bytes - memory.bytes).canonical} short"
    primary, library = _in_user_files(host.origin("memory"), short, f"host `{host.name}` gets its `memory` here",
                                      [(host, f"host `{host.name}` has {memory.canonical} of memory, {short}")])
    # The guests whose memory the user's files set are the likely cause: show those lines too.
    chosen = tuple(Label(guest.origin("vm", "memory"), f"guest `{guest.name}` has {_size(guest.get('vm', 'memory'))}")
                   for guest in guests if not guest.origin("vm", "memory").source.is_stdlib)
    return Diagnostic(
        "E0507", f"host `{host.name}` needs {needed.canonical} of memory for its guests and itself, "
                 f"more than its {memory.canonical}",
        primary, (*library, *chosen), tuple(notes),
        f"give host `{host.name}` more `memory`, lower some guest's `vm.memory`, or move a guest to another host")


def check_vcpus(model: SiteModel) -> Iterator[Diagnostic]:
    """No guest has more virtual CPUs than its host has CPU threads."""
    for host in model.hosts.values():
        cpus = host.get("cpus")
        for guest in _guests(model, host.name):
            vcpus = guest.get("vm", "vcpus")
            if isinstance(cpus, int) and isinstance(vcpus, int) and vcpus > cpus:
                yield _too_many_vcpus(host, guest, vcpus, cpus)


def _too_many_vcpus(host: EntityModel, guest: EntityModel, vcpus: int, cpus: int) -> Diagnostic:
    return Diagnostic(
        "E0508", f"node `{guest.name}` has {vcpus} virtual CPUs, more than the {cpus} CPU threads of its host "
                 f"`{host.name}`",
        Label(guest.origin("vm", "vcpus"), f"{vcpus} virtual CPUs"),
        (Label(host.origin("cpus"), f"host `{host.name}` has {cpus}"),),
        ("a guest may not have more virtual CPUs than its host has CPU threads: the extra ones could never "
         "run at the same time, and only wait for each other",),
        f"set `vm.vcpus` of node `{guest.name}` to at most {cpus}, or move it to a host with more CPUs")


def check_disk_paths(model: SiteModel) -> Iterator[Diagnostic]:
    """No two disks on one host share an image file."""
    for host in model.hosts.values():
        for group in groups(_disk_paths(_guests(model, host.name))):
            yield conflict(
                "E0509", "disk image", group, where=f", on host `{host.name}`",
                note="two disks backed by one file would overwrite each other's data",
                help="remove the explicit `path` so that it defaults to a file named after the node and the disk, "
                     "or choose another one")


def _disk_paths(guests: list[EntityModel]) -> Iterator[tuple[Hashable, Use]]:
    for guest in guests:
        for device, disk in sorted(guest.get("disks", default={}).items()):
            path = disk.get("path")
            if path is not None:
                yield path, use_of(f"disk `{device}` of node `{guest.name}`", path, guest, ("disks", device, "path"))
        config = guest.get("config-disk", default=None)
        if config is not None and config.get("format") != "none" and config.get("path") is not None:
            yield config["path"], use_of(f"the config disk of node `{guest.name}`", config["path"], guest,
                                       ("config-disk", "path"))


def _origin_within(entity: EntityModel, path: tuple[str, ...]) -> Span:
    """Where the value at `path` was defined, or the first definition inside it (`bridges.xenbr0.interface`)."""
    inside = sorted(defined for defined in entity.origins if defined[:len(path)] == path)
    return entity.origins[inside[0]] if inside else entity.origin(*path)


def _guests(model: SiteModel, host: str) -> list[EntityModel]:
    return [node for node in model.nodes.values() if node.get("host") == host]


def _bytes(size: Any) -> int:
    return size.bytes if isinstance(size, Size) else 0


def _size(size: Any) -> str:
    return size.canonical if isinstance(size, Size) else "0B"


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"`{name}`" for name in sorted(names)) or "none"


def _one_of(names: Iterable[str]) -> str:
    listed = sorted(names)
    return f"`{listed[0]}`" if len(listed) == 1 else "one of " + _names(listed)


SITE_CHECKS: tuple[Callable[[SiteModel], Iterable[Diagnostic]], ...] = (
    check_references, check_addresses, check_subnets, check_host_names, check_bridges,
    check_memory, check_vcpus, check_disk_paths,
)
