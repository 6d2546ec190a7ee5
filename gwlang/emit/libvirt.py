"""libvirt domain XML: one per guest, for the hypervisor of its host.

A host's `hypervisor` picks the libvirt driver and with it the shape of the
domain: Xen PV, PVH and HVM through libvirt's libxl driver, `kvm` and `qemu`
(software emulation) through its QEMU driver.  Everything libvirt would
refuse only when the domain is defined or started (a relative kernel path,
a disk target libvirt cannot name, a lifecycle action the QEMU driver lacks)
is refused here, with a diagnostic at the line that set the value.

Each domain carries a `<metadata>` element in the `NAMESPACE` below naming
its site, host and node and the sha256 of its own definition, so the
runtime can tell the domains it owns and whether their definition changed.
"""

from __future__ import annotations

import hashlib
import re
import uuid as uuids
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gwlang.diagnostics import GwError
from gwlang.emit.artifact import Artifact
from gwlang.emit.environment import render
from gwlang.emit.filters import Unrepresentable, xml_text
from gwlang.emit.guest import EmitError, Guest
from gwlang.hypervisors import hypervisor, running

NAMESPACE = "https://gwlang.org/ns/domain/1"
"""The XML namespace of gwc's `<metadata>` element: the runtime owns exactly the domains that carry it."""

CAP_PERIOD_MICROSECONDS = 100_000
"""The CFS period a KVM/QEMU `vm.cpu-cap` is a share of: 100% of one CPU is one full period."""

_DISK_TARGET = re.compile(r"(xvd|vd|sd|hd)[a-z]{1,3}")
_BRIDGE = re.compile(r"[A-Za-z0-9_.:-]{1,15}")   # a Linux interface name that libvirt's schema accepts
_QEMU_UNSUPPORTED_ACTION = {"on-poweroff": {"preserve", "rename-restart"}, "on-reboot": {"preserve", "rename-restart"},
                            "on-crash": {"rename-restart"}}
_TYPE_WORDS = {"pv": "paravirtualised", "pvh": "PVH", "hvm": "fully virtualised"}
_HASH_STAND_IN = "0" * 64
_HASH_LINE = f"      <gw:hash>{_HASH_STAND_IN}</gw:hash>\n"      # as domain.xml.j2 writes it


@dataclass(frozen=True, slots=True)
class Os:
    """The `<os>` element and what follows from the guest type: features and console."""
    type: str
    machine: str
    loader: str | None
    boots_from_disk: bool
    features: tuple[str, ...]
    serial: bool


def libvirt_domain(guest: Guest) -> Artifact:
    """The guest's domain XML, its hash rendered in; every value libvirt would refuse is a diagnostic."""
    problems = [problem.diagnostics for problem in _problems(guest)]
    if problems:
        raise GwError([diagnostic for found in problems for diagnostic in found])
    # Rendered once, with a stand-in for the hash: the definition hashed is that text without the
    # stand-in's line, the file that text with the hash in it.  The line is the template's own:
    # no value can write it, as values have their `<` escaped.
    text = render("libvirt/domain.xml.j2", **_context(guest), hash=_HASH_STAND_IN)
    assert text.count(_HASH_LINE) == 1, "domain.xml.j2 writes the hash line as _HASH_LINE"
    definition = text.replace(_HASH_LINE, "", 1)
    digest = definition_hash(definition)
    text = text.replace(_HASH_LINE, _HASH_LINE.replace(_HASH_STAND_IN, digest), 1)
    return Artifact(f"hosts/{guest.host}/libvirt/{guest.name}.xml", text, "libvirt-domain", guest.host, guest.name,
                    digest=digest)


def definition_hash(definition: str) -> str:
    """The sha256 of a domain's XML as rendered without its `<gw:hash>` line."""
    return hashlib.sha256(definition.encode("utf-8")).hexdigest()


def _context(guest: Guest) -> dict[str, Any]:
    kind = hypervisor(guest.hypervisor)
    return dict(
        namespace=NAMESPACE, driver=kind.driver, os=_os(guest), site=guest.site, host=guest.host, name=guest.name,
        uuid=str(uuids.UUID(guest.uuid)), description=guest.role,
        memory_kib=guest.memory_mib * 1024, maxmem_kib=guest.maxmem_mib * 1024, vcpus=guest.vcpus,
        shares=guest.cpu_weight,
        # A cap set at start (libxl's, through virDomainSetSchedulerParameters): the runtime reads it here.
        xen_cap=guest.cpu_cap if kind.cap_at_start else 0,
        cap_period=CAP_PERIOD_MICROSECONDS,
        cap_quota=0 if kind.cap_at_start else guest.cpu_cap * CAP_PERIOD_MICROSECONDS // 100,
        bootloader=guest.bootloader, kernel=guest.kernel, initrd=guest.initrd, cmdline=guest.cmdline,
        on_poweroff=guest.on_poweroff, on_reboot=guest.on_reboot, on_crash=guest.on_crash,
        disks=guest.disks, config_disk=guest.config_disk, interfaces=guest.interfaces)


def _os(guest: Guest) -> Os:
    machine = hypervisor(guest.hypervisor).machines[guest.type]
    return Os(machine.os_type, machine.machine, machine.loader, machine.firmware_boots and guest.kernel is None,
              machine.features, machine.serial)


# ---------------------------------------------------------------- what libvirt would refuse

def _problems(guest: Guest) -> Iterator[EmitError]:
    yield from _text_problems(guest)
    yield from _identity_problems(guest)
    yield from _boot_problems(guest)
    yield from _device_problems(guest)
    yield from _type_problems(guest)
    if hypervisor(guest.hypervisor).driver.name == "qemu":
        yield from _qemu_problems(guest)


def _text_problems(guest: Guest) -> Iterator[EmitError]:
    texts: list[tuple[tuple[str, ...], str | None]] = [
        (("boot", "cmdline"), guest.cmdline), (("boot", "bootloader"), guest.bootloader), (("role",), guest.role)]
    for path, value in texts:
        problem = _xml_problem(value) if value is not None else None
        if problem:
            yield EmitError(guest.entity, path, f"`{'.'.join(path)}` of node `{guest.name}` cannot be written into "
                                                f"libvirt XML: {problem}")


def _xml_problem(value: str) -> str | None:
    """Why `value` cannot be XML text that parses back to itself, if it cannot."""
    try:
        xml_text(value)
    except Unrepresentable as problem:
        return str(problem)
    if "\r" in value:
        return "a carriage return does not survive XML parsing (it reads back as a newline)"
    return None


def _identity_problems(guest: Guest) -> Iterator[EmitError]:
    try:
        uuids.UUID(guest.uuid)
    except ValueError:
        yield EmitError(guest.entity, ("uuid",), f"`uuid` of node `{guest.name}` is not a UUID, which libvirt needs",
                        help="remove `uuid` to derive one from the site and node names")


def _boot_problems(guest: Guest) -> Iterator[EmitError]:
    for path, value in ((("boot", "kernel"), guest.kernel), (("boot", "initrd"), guest.initrd)):
        if value is not None:
            yield from _path_problems(guest, path, value)
    if guest.type != "hvm":
        return  # on a KVM or QEMU host, the type itself is the problem
    if guest.bootloader is not None:
        yield EmitError(guest.entity, ("boot", "bootloader"),
                        f"node `{guest.name}` is fully virtualised and boots from its disk: "
                        "a bootloader runs only for Xen PV and PVH guests",
                        help="remove `boot.bootloader`, or boot a kernel with `boot.kernel`")
    if guest.kernel is None:
        for path, value in ((("boot", "initrd"), guest.initrd), (("boot", "cmdline"), guest.cmdline)):
            if value:
                yield EmitError(guest.entity, path,
                                f"`{'.'.join(path)}` of node `{guest.name}` needs `boot.kernel`: without one a fully "
                                "virtualised guest boots from its disk", help="set `boot.kernel`, or remove this")


def _path_problems(guest: Guest, path: tuple[str, ...], value: str) -> Iterator[EmitError]:
    """libvirt's schema takes only absolute paths, and only on one line."""
    name = ".".join(path)
    if not value.startswith("/"):
        yield EmitError(guest.entity, path, f"`{name}` of node `{guest.name}` is a relative path, but libvirt "
                                            "needs an absolute one", help="start it with `/`")
    elif "\n" in value or _xml_problem(value):
        yield EmitError(guest.entity, path, f"`{name}` of node `{guest.name}` holds a line break or a control "
                                            "character, which libvirt cannot take in a path")


def _device_problems(guest: Guest) -> Iterator[EmitError]:
    for disk in guest.disks:
        yield from _path_problems(guest, ("disks", disk.device, "path"), disk.path)
        if not _DISK_TARGET.fullmatch(disk.device):
            yield EmitError(guest.entity, ("disks", disk.device, "device"),
                            f"disk device `{disk.device}` of node `{guest.name}` is not a name libvirt accepts",
                            help="name disks `xvda`, `vda`, `sda` or `hda` and on (a prefix, then letters)")
    if guest.config_disk is not None:
        config = guest.config_disk
        yield from _path_problems(guest, ("config-disk", "path"), config.path)
        if not _DISK_TARGET.fullmatch(config.device):
            yield EmitError(guest.entity, ("config-disk", "device"),
                            f"config disk device `{config.device}` of node `{guest.name}` is not a name libvirt "
                            "accepts", help="name it like the other disks: `xvdz`, `vdz`, `sdz`")
        elif config.device in {disk.device for disk in guest.disks}:
            yield EmitError(guest.entity, ("config-disk", "device"),
                            f"the config disk of node `{guest.name}` takes device `{config.device}`, which one of "
                            "its disks already has", help="give `config-disk.device` another name")
    for interface in guest.interfaces:
        if not _BRIDGE.fullmatch(interface.bridge):
            yield EmitError(guest.entity, ("network", "interfaces", interface.name, "bridge"),
                            f"bridge `{interface.bridge}` of node `{guest.name}` is not a Linux interface name",
                            help="use at most 15 letters, digits, `_`, `.`, `:` or `-`")


def _type_problems(guest: Guest) -> Iterator[EmitError]:
    kind = hypervisor(guest.hypervisor)
    if guest.type not in kind.machines:
        types = " or ".join(_TYPE_WORDS[one] for one in kind.machines)
        hosts = " or ".join(f"a {one.title} host" for one in running(guest.type))
        yield EmitError(guest.entity, ("vm", "type"),
                        f"node `{guest.name}` is a `{guest.type}` guest, but host `{guest.host}` runs "
                        f"{guest.hypervisor}, which has only {types} guests",
                        help=f'set `vm.type = "{next(iter(kind.machines))}";`, or place the node on {hosts}')


def _qemu_problems(guest: Guest) -> Iterator[EmitError]:
    """Some of Xen's lifecycle actions that libvirt's QEMU driver lacks, and the weights its cgroups take."""
    actions = {"on-poweroff": guest.on_poweroff, "on-reboot": guest.on_reboot, "on-crash": guest.on_crash}
    for event, action in actions.items():
        if action in _QEMU_UNSUPPORTED_ACTION[event]:
            yield EmitError(guest.entity, ("lifecycle", event),
                            f"libvirt's QEMU driver has no `{action}` for `lifecycle.{event}` of node `{guest.name}`")
    if guest.on_poweroff == "restart" and guest.on_reboot == "destroy":
        yield EmitError(guest.entity, ("lifecycle", "on-reboot"),
                        f"libvirt's QEMU driver cannot restart node `{guest.name}` on power-off but destroy it "
                        "on reboot")
    weight_max = hypervisor(guest.hypervisor).weight_max
    if weight_max is not None and guest.cpu_weight > weight_max:
        yield EmitError(guest.entity, ("vm", "cpu-weight"),
                        f"`vm.cpu-weight` of node `{guest.name}` is {guest.cpu_weight}, above the {weight_max} "
                        f"that {guest.hypervisor} hosts' cgroups accept", help="scale the site's weights down")


def libvirt_domains(guest: Guest) -> Iterator[Artifact]:
    """The guest emitter: every guest gets a domain, whatever its hypervisor."""
    yield libvirt_domain(guest)
