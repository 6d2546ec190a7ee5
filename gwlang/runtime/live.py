"""What is on a host, as plain data, and the parts of a domain definition that matter.

libvirt rewrites every definition it stores (addresses, controllers, CPU
model, attribute order), so definitions are never compared as text.  The
`<gw:hash>` in a live domain's metadata says whether the compiled
definition changed; `significant` reads the parts a guest would notice
(memory, CPUs, boot, disks, interfaces, lifecycle) from either side, so a
change made behind gwc's back (drift) shows as a readable difference.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass, field

CONFIG_NAMESPACE = "https://gwlang.org/ns/config-disk/1"
"""The second metadata element gwc keeps on its domains: the hash of the config disk image last uploaded."""

CONFIG_PREFIX = "gwc"


@dataclass(frozen=True, slots=True)
class Owner:
    """What a domain's gw metadata says: whose it is and the hash of the definition it was defined from."""
    site: str
    host: str
    node: str
    hash: str


@dataclass(frozen=True, slots=True)
class LiveDomain:
    """A domain as the host has it; `owner` is None for a domain gwc does not own."""
    name: str
    uuid: str
    owner: Owner | None
    running: bool
    state: str
    autostart: bool
    facts: tuple[tuple[str, str], ...]
    config_hash: str | None


@dataclass(frozen=True, slots=True)
class LiveVolume:
    path: str
    capacity: int


@dataclass(frozen=True, slots=True)
class LiveHost:
    """Everything the planner reads from one host."""
    uri: str
    domains: Mapping[str, LiveDomain] = field(default_factory=dict)
    pools: Mapping[str, str] = field(default_factory=dict)          # folder -> pool name
    volumes: Mapping[str, LiveVolume] = field(default_factory=dict)  # path -> volume


def owner_of(metadata: str | None) -> Owner | None:
    """The owner named by a `<gw:domain>` metadata element, or None."""
    if not metadata:
        return None
    try:
        root = ElementTree.fromstring(metadata)
    except ElementTree.ParseError:
        return None
    values = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in root}
    if not {"site", "node"} <= values.keys():
        return None
    return Owner(values["site"], values.get("host", ""), values["node"], values.get("hash", ""))


def config_marker(hash: str) -> str:
    return f'<config-disk hash="{hash}"/>'


def marker_hash(metadata: str | None) -> str | None:
    if not metadata:
        return None
    try:
        return ElementTree.fromstring(metadata).get("hash")
    except ElementTree.ParseError:
        return None


def significant(xml: str) -> tuple[tuple[str, str], ...]:
    """The parts of a domain definition a guest notices, as sorted (name, value) pairs."""
    root = ElementTree.fromstring(xml)
    facts: dict[str, str] = {}

    def text(path: str) -> str | None:
        found = root.find(path)
        return None if found is None or found.text is None else found.text.strip()

    facts["domain type"] = root.get("type", "")
    for name, path in (("memory", "memory"), ("current memory", "currentMemory")):
        value = text(path)
        if value is not None:
            facts[name] = f"{_kib(value, root.find(path))} KiB"
    for name, path in (("vcpus", "vcpu"), ("kernel", "os/kernel"), ("initrd", "os/initrd"),
                       ("cmdline", "os/cmdline"), ("bootloader", "bootloader"), ("on_poweroff", "on_poweroff"),
                       ("on_reboot", "on_reboot"), ("on_crash", "on_crash"), ("cpu shares", "cputune/shares"),
                       ("cpu quota", "cputune/global_quota")):
        value = text(path)
        if value:
            facts[name] = value
    os_type = root.find("os/type")
    if os_type is not None:
        facts["os"] = f"{(os_type.text or '').strip()} ({_machine(os_type.get('machine', ''))})".replace(" ()", "")
    for disk in root.findall("devices/disk"):
        target, source = disk.find("target"), disk.find("source")
        if target is None:
            continue
        where = source.get("file") or source.get("dev") or "" if source is not None else ""
        readonly = " read-only" if disk.find("readonly") is not None else ""
        facts[f"disk {target.get('dev')}"] = f"{where} ({target.get('bus', '')}{readonly})"
    for interface in root.findall("devices/interface"):
        mac, source = interface.find("mac"), interface.find("source")
        if mac is None:
            continue
        bridge = source.get("bridge") or source.get("network") or "" if source is not None else ""
        facts[f"interface {mac.get('address', '').lower()}"] = f"bridge {bridge}"
    return tuple(sorted(facts.items()))


@functools.lru_cache(maxsize=4096)
def wanted_facts(xml: str) -> tuple[tuple[str, str], ...]:
    """`significant` of a compiled definition, parsed once: apply plans twice (shown, then under its lock)."""
    return significant(xml)


_UNITS = {"b": 1 / 1024, "bytes": 1 / 1024, "k": 1, "kib": 1, "kb": 1000 / 1024, "m": 1024, "mib": 1024,
          "mb": 1e6 / 1024, "g": 1 << 20, "gib": 1 << 20, "gb": 1e9 / 1024}


def _kib(value: str, element: ElementTree.Element | None) -> int:
    unit = (element.get("unit", "KiB") if element is not None else "KiB").lower()
    return int(int(value) * _UNITS.get(unit, 1))


def differences(live: tuple[tuple[str, str], ...], wanted: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Readable lines, one per significant part that differs: `memory: 262144 KiB -> 524288 KiB`."""
    have, want = dict(live), dict(wanted)
    lines = []
    for name in sorted(have.keys() | want.keys()):
        before, after = have.get(name), want.get(name)
        if before != after:
            lines.append(f"{name}: {before if before is not None else '(none)'} -> "
                         f"{after if after is not None else '(none)'}")
    return tuple(lines)


def _machine(machine: str) -> str:
    """QEMU stores a machine alias as the versioned machine it stands for (`pc` as `pc-i440fx-7.2`)."""
    for prefix, alias in (("pc-i440fx-", "pc"), ("pc-q35-", "q35")):
        if machine.startswith(prefix):
            return alias
    return machine
