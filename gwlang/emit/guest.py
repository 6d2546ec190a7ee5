"""A guest as the emitters see it: typed facts derived once from a node of the model.

Every emitter of a node (xl.cfg, libvirt XML, network files, boot scripts)
reads the same `Guest`, so a unit conversion or a default is decided in one
place.  A value no target format can carry is an `EmitError` at the line
that defined it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gwlang.diagnostics import GwError, error
from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size
from gwlang.model.model import EntityModel, SiteModel


@dataclass(frozen=True)
class Disk:
    device: str
    path: str
    size: Size
    format: str
    image: str | None


@dataclass(frozen=True)
class ConfigDisk:
    """The read-only disk that carries the node's overlay into the guest; `gwc apply` builds its image."""
    format: str                 # "ext4" or "nocloud"
    device: str
    path: str


@dataclass(frozen=True)
class Interface:
    name: str
    ip: IPAddress
    prefix: int
    gateway: IPAddress | None
    mac: MacAddress
    bridge: str
    network: IPNetwork

    @property
    def netmask(self) -> IPAddress:
        return IPAddress(self.network.network.netmask)


@dataclass(frozen=True)
class Guest:
    """One node, with everything its files need, in the units they need."""
    site: str
    name: str
    host: str
    hypervisor: str
    uuid: str
    type: str
    memory_mib: int
    maxmem_mib: int
    vcpus: int
    cpu_weight: int
    cpu_cap: int
    kernel: str | None
    initrd: str | None
    cmdline: str
    bootloader: str | None
    autostart: bool
    on_poweroff: str
    on_reboot: str
    on_crash: str
    disks: tuple[Disk, ...]
    config_disk: ConfigDisk | None
    interfaces: tuple[Interface, ...]
    os_family: str
    network_config: str
    hostname: str
    fqdn: str
    dns: tuple[IPAddress, ...]
    search: tuple[str, ...]
    packages: tuple[str, ...]
    services: tuple[str, ...]
    files: Mapping[str, str]
    after: tuple[str, ...]
    role: str | None
    entity: EntityModel


def guest(model: SiteModel, node: EntityModel) -> Guest:
    host = model.hosts[node.get("host")]
    return Guest(
        site=model.name, name=node.name, host=host.name, hypervisor=host.get("hypervisor"),
        uuid=node.get("uuid"), type=node.get("vm", "type"),
        memory_mib=_mib(node, ("vm", "memory")),
        maxmem_mib=_mib(node, ("vm", "maxmem")) if node.get("vm", "maxmem") else _mib(node, ("vm", "memory")),
        vcpus=node.get("vm", "vcpus"), cpu_weight=node.get("vm", "cpu-weight"), cpu_cap=node.get("vm", "cpu-cap"),
        kernel=node.get("boot", "kernel"), initrd=node.get("boot", "initrd"), cmdline=node.get("boot", "cmdline"),
        bootloader=node.get("boot", "bootloader"), autostart=node.get("boot", "autostart"),
        on_poweroff=node.get("lifecycle", "on-poweroff"), on_reboot=node.get("lifecycle", "on-reboot"),
        on_crash=node.get("lifecycle", "on-crash"),
        disks=tuple(_disk(device, disk) for device, disk in sorted(node.get("disks").items())),
        config_disk=_config_disk(node),
        interfaces=tuple(_interface(node, name, i) for name, i in sorted(node.get("network", "interfaces").items())),
        os_family=node.get("os", "family"), network_config=node.get("os", "network-config"),
        hostname=node.get("network", "hostname") or node.name,
        fqdn=node.get("network", "fqdn") or f"{node.name}.{model.site.get('domain')}",
        dns=tuple(node.get("network", "dns")), search=tuple(node.get("network", "search")),
        packages=tuple(sorted(set(node.get("packages")))), services=tuple(node.get("services")),
        files=node.get("files"), after=tuple(node.get("after")), role=node.get("role"), entity=node)


def _mib(node: EntityModel, path: tuple[str, ...]) -> int:
    size: Size = node.get(*path)
    if size.bytes % (1 << 20):
        raise EmitError(node, path, f"`{'.'.join(path)}` of node `{node.name}` is {size.canonical}, "
                                    "not a whole number of MiB, which Xen and libvirt count in")
    return size.bytes >> 20


def _disk(device: str, disk: Mapping[str, Any]) -> Disk:
    return Disk(device=disk["device"], path=disk["path"], size=disk["size"], format=disk["format"],
                image=disk["image"])


def _config_disk(node: EntityModel) -> ConfigDisk | None:
    fmt = node.get("config-disk", "format")
    if fmt == "none":
        return None
    return ConfigDisk(format=fmt, device=node.get("config-disk", "device"), path=node.get("config-disk", "path"))


def _interface(node: EntityModel, name: str, interface: Mapping[str, Any]) -> Interface:
    address: IPAddress = interface["ip"]
    network = interface["network"] or IPNetwork.of(address, interface["prefix"])
    if network is None:
        raise _prefix_too_long(node, name, address, interface["prefix"])
    return Interface(name=name, ip=address, prefix=interface["prefix"], gateway=interface["gateway"],
                     mac=interface["mac"], bridge=interface["bridge"], network=network)


def _prefix_too_long(node: EntityModel, name: str, address: IPAddress, prefix: int) -> GwError:
    """The schema takes prefixes up to 128, for IPv6; an IPv4 address has 32 bits to name a network with."""
    version = address.version
    bits = 32 if version == 4 else 128
    return error("E0607", f"interface `{name}` of node `{node.name}` has prefix {prefix}, longer than its "
                          f"IPv{version} address `{address.canonical}`",
                 node.origin("network", "interfaces", name, "prefix"), f"at most {bits} for an IPv{version} address",
                 notes=["the prefix counts the leading bits of the address that name its network"],
                 help=f"give interface `{name}` a prefix of {bits} or less (24 for a /24)")


class EmitError(GwError):
    """A value the model allows but a target format cannot carry."""

    def __init__(self, entity: EntityModel, path: tuple[str, ...], message: str, help: str | None = None) -> None:
        failure = error("E0601", message, entity.origin(*path), "defined here",
                        notes=[f"while writing the files of {entity.kind} `{entity.name}`"], help=help)
        super().__init__(failure.diagnostics)
