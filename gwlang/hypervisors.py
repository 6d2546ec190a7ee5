"""What gwc knows about each kind of hypervisor, one record per kind: every stage consults this table.

A host's `hypervisor` (the schema's enum in `stdlib/gw/schema.gw`) picks a
record here; the libvirt emitter takes its driver and the libvirt `<os>` of
each guest type it runs, the boot emitter its tool (`xl` or `virsh`), the
emitter table its native config file, the runtime its default URI and
whether a CPU cap is set through the scheduler at start.  Adding a kind is
a record here, a value in the schema's enum, and the templates it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Driver:
    """What differs between libvirt's drivers for one kind of host: the domain's `type`, buses, NIC model."""
    name: str                   # libvirt's driver: "libxl" or "qemu"
    domain_type: str
    disk_bus: str
    nic_model: str | None
    config_disk_driver: str


@dataclass(frozen=True, slots=True)
class Machine:
    """The libvirt `<os>` of one guest type: type, machine, firmware, features and whether it has a serial console.

    `firmware_boots` says the guest boots from its disk through firmware when
    it names no `boot.kernel`.
    """
    os_type: str
    machine: str
    loader: str | None
    firmware_boots: bool
    features: tuple[str, ...]
    serial: bool


@dataclass(frozen=True, slots=True)
class BootTool:
    """How a host's boot script drives its guests: `xl` on a Xen host, `virsh` on a libvirt (KVM, QEMU) host."""
    command: str
    folder: str                 # where the guests' config files are, in the host's folder
    suffix: str
    after: tuple[str, ...]      # the hypervisor's own units the guests' units start after


@dataclass(frozen=True, slots=True)
class Hypervisor:
    """One kind of hypervisor, as every stage of gwc sees it."""
    kind: str                   # the value of `host.hypervisor`
    title: str                  # as a sentence names it
    driver: Driver
    default_uri: str            # a host without `uri` is the local one, reached through this
    boot_tool: BootTool
    native_config: str | None   # the emitter of the hypervisor's own config file (see emit/site.py), if any
    disk_prefix: str            # guest disk devices (`xvda`, `vda`): the schema's defaults agree (a test holds them)
    machines: Mapping[str, Machine]     # the guest types (`vm.type`) it runs, each with its libvirt `<os>`
    cap_at_start: bool          # `vm.cpu-cap` is set through the scheduler when the guest starts, not in the XML
    weight_max: int | None      # the largest `vm.cpu-weight` the host takes, when below the schema's


XEN_HVMLOADER = "/usr/lib/xen-4.17/boot/hvmloader"
"""Xen's HVM firmware as Debian's Xen 4.17 installs it; libvirt's libxl driver reports it as the `rom` loader."""

CGROUP_WEIGHT_MAX = 10_000
"""libvirt writes `<shares>` into cgroup v2's `cpu.weight` as it is, which takes 1..10000."""

_VIRSH = BootTool("virsh", "libvirt", ".xml", ("libvirtd.service", "virtqemud.service"))
_PC = {"hvm": Machine("hvm", "pc", None, True, ("acpi", "apic"), serial=True)}

# The read-only config disk on Xen: `phy` (blkback over a loop device, what xl itself picks for a
# file), because QEMU's qdisk back-end (`qemu`) in Debian 12 refuses read-only disks ("Block node
# is read-only"), as the emulated Xen host of tests/test_xen_emulated.py shows.
HYPERVISORS: Mapping[str, Hypervisor] = {
    "xen": Hypervisor(
        kind="xen", title="Xen",
        driver=Driver("libxl", "xen", "xen", None, "phy"),      # PV frontends: netfront, blkfront
        default_uri="xen:///system",
        boot_tool=BootTool("xl", "xen", ".cfg", ("xen-init-dom0.service", "xenstored.service",
                                                 "xenconsoled.service")),
        native_config="xl.cfg", disk_prefix="xvd",
        machines={
            "pv": Machine("linux", "xenpv", None, False, (), serial=False),
            "pvh": Machine("xenpvh", "xenpvh", None, False, (), serial=False),
            # Without <pae/> libxl turns PAE off, and a 64-bit guest cannot enter long mode.
            "hvm": Machine("hvm", "xenfv", XEN_HVMLOADER, True, ("acpi", "apic", "pae"), serial=True),
        },
        # libxl takes a cap only through virDomainSetSchedulerParameters.
        cap_at_start=True, weight_max=None),
    "kvm": Hypervisor(
        kind="kvm", title="KVM", driver=Driver("qemu", "kvm", "virtio", "virtio", "qemu"),
        default_uri="qemu:///system", boot_tool=_VIRSH, native_config=None, disk_prefix="vd", machines=_PC,
        cap_at_start=False, weight_max=CGROUP_WEIGHT_MAX),
    "qemu": Hypervisor(
        kind="qemu", title="QEMU", driver=Driver("qemu", "qemu", "virtio", "virtio", "qemu"),
        default_uri="qemu:///system", boot_tool=_VIRSH, native_config=None, disk_prefix="vd", machines=_PC,
        cap_at_start=False, weight_max=CGROUP_WEIGHT_MAX),
}


def hypervisor(kind: str) -> Hypervisor:
    """The record of `kind`; the schema's enum lets no other value reach here."""
    return HYPERVISORS[kind]


def running(guest_type: str) -> list[Hypervisor]:
    """The kinds that run guests of `guest_type`, in table order."""
    return [one for one in HYPERVISORS.values() if guest_type in one.machines]
