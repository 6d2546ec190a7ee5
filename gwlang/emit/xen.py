"""Xen `xl.cfg` files: one per guest of a Xen host.

Devices use xl's own spec syntax (xl-disk-configuration(5) and
xl-network-configuration(5)): `format=raw, vdev=xvda, access=rw,
target=PATH` with the target last, and `mac=...,bridge=...`.  A spec value
cannot carry a comma, an `=`, a quote or a blank; such a value is refused
with a diagnostic rather than written into a config Xen would misread.
"""

from __future__ import annotations

from gwlang.emit.artifact import Artifact
from gwlang.emit.environment import render
from gwlang.emit.filters import Unrepresentable, xl_spec_value, xl_string
from gwlang.emit.guest import EmitError, Guest


def disk_spec(guest: Guest, index: int) -> str:
    disk = guest.disks[index]
    try:
        return (f"format={disk.format}, vdev={xl_spec_value(disk.device, 'the disk device')}, access=rw, "
                f"target={xl_spec_value(disk.path, 'the disk path')}")
    except Unrepresentable as problem:
        raise EmitError(guest.entity, ("disks", disk.device), str(problem)) from None


def config_disk_spec(guest: Guest) -> str:
    """The read-only disk carrying the overlay (see `ConfigDisk`), last in the disk list."""
    config = guest.config_disk
    assert config is not None
    try:
        return (f"format=raw, vdev={xl_spec_value(config.device, 'the disk device')}, access=ro, "
                f"target={xl_spec_value(config.path, 'the disk path')}")
    except Unrepresentable as problem:
        raise EmitError(guest.entity, ("config-disk",), str(problem)) from None


def vif_spec(guest: Guest, index: int) -> str:
    interface = guest.interfaces[index]
    try:
        return f"mac={interface.mac.canonical},bridge={xl_spec_value(interface.bridge, 'the bridge')}"
    except Unrepresentable as problem:
        raise EmitError(guest.entity, ("network", "interfaces", interface.name, "bridge"), str(problem)) from None


def parse_vif_spec(spec: str) -> dict[str, str]:
    """The project's own reading of a vif spec (Xen has no offline parser for them).

    Follows xl-network-configuration(5): comma-separated `key=value`
    settings, keys from the documented set, each at most once.
    """
    known = {"mac", "bridge", "model", "type", "vifname", "script", "ip", "backend", "rate", "devid",
             "mtu", "gatewaydev", "trusted", "untrusted"}
    settings: dict[str, str] = {}
    for part in spec.split(","):
        key, equals, value = part.strip().partition("=")
        if not equals or not key or not value:
            raise ValueError(f"`{part}` is not `key=value`")
        if key not in known:
            raise ValueError(f"unknown vif setting `{key}`")
        if key in settings:
            raise ValueError(f"`{key}` given twice")
        settings[key] = value
    return settings


def _check_strings(guest: Guest) -> None:
    """Every string the config quotes must be one xl can carry (no NUL), reported at its line."""
    for path, value in ((("uuid",), guest.uuid), (("boot", "bootloader"), guest.bootloader),
                        (("boot", "kernel"), guest.kernel), (("boot", "initrd"), guest.initrd),
                        (("boot", "cmdline"), guest.cmdline)):
        if value is None:
            continue
        try:
            xl_string(value)
        except Unrepresentable as problem:
            raise EmitError(guest.entity, path, str(problem)) from None


def xl_config(guest: Guest) -> Artifact:
    _check_strings(guest)
    text = render("xen/xl.cfg.j2", site=guest.site, host=guest.host, name=guest.name, uuid=guest.uuid,
                  type=guest.type, memory=guest.memory_mib, maxmem=guest.maxmem_mib, vcpus=guest.vcpus,
                  cpu_weight=guest.cpu_weight, cap=guest.cpu_cap, bootloader=guest.bootloader,
                  kernel=guest.kernel, ramdisk=guest.initrd, cmdline=guest.cmdline,
                  disks=[*(disk_spec(guest, i) for i in range(len(guest.disks))),
                         *([config_disk_spec(guest)] if guest.config_disk else [])],
                  vifs=[vif_spec(guest, i) for i in range(len(guest.interfaces))],
                  on_poweroff=guest.on_poweroff, on_reboot=guest.on_reboot, on_crash=guest.on_crash)
    return Artifact(f"hosts/{guest.host}/xen/{guest.name}.cfg", text, "xen-config", guest.host, guest.name)
