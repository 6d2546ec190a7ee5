"""The boot files of a host: its guests' start order, a SysV service script and one systemd unit per guest.

The seed paper started a gateway's Xen guests from one service script, in a
run level, with each console under `screen`.  `gw-domains` is that script,
compiled: it knows the host's guests in start order and, for each, the
guests of the same host it waits for.  The systemd units declare the same
waits as `Requires=`/`After=` and call the script for one guest at a time,
so the starting, waiting, stopping and console logic lives in one place.

A guest of this host can wait for a guest of another host, which the host
cannot see; it then waits for the guests of its own host that the other
guest waits for (the start order already puts those first).  The waits are
reduced transitively: `wn01` waits for `ce` only, not also for the `install`
that `ce` waits for.  Both orders come from the site's `BootOrder`
(`model/graph.py`), the one reading of the `after` lists that the runtime
follows too; the tool (`xl` or `virsh`) from the host's hypervisor record.

Every name ends up in shell words, unit names, screen session names and
paths, so a name must be a plain word (letters, digits, `_`, `-`); the
grammar also allows `'`, which is refused here at the declaration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gwlang.emit.artifact import Artifact
from gwlang.emit.environment import render
from gwlang.emit.filters import Unrepresentable
from gwlang.emit.guest import EmitError, Guest
from gwlang.hypervisors import hypervisor
from gwlang.model.graph import BootOrder
from gwlang.model.model import EntityModel, SiteModel

INSTALL_ROOT = "/etc/gwlang"        # the host's generated folder is installed at INSTALL_ROOT/<site>/<host>
START_TIMEOUT = 300                 # seconds a guest may take to run before those waiting for it give up
STOP_TIMEOUT = 120                  # seconds a guest may take to shut down before it is destroyed
UNIT_MARGIN = 60                    # systemd's own timeouts leave the script this much time to clean up

_WORD = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class BootGuest:
    """One guest as the boot files see it."""
    name: str
    autostart: bool
    needs: tuple[str, ...]       # guests of this host that must be running first, in start order
    unit: str
    need_units: tuple[str, ...]  # the units of `needs`


def boot_files(model: SiteModel, host: EntityModel, guests: list[Guest], boot: BootOrder) -> Iterable[Artifact]:
    """`boot/order`, `boot/gw-domains` and `boot/systemd/gw-domain-<node>.service` of one host."""
    _check_word(model.site, "site", model.name)
    _check_word(host, "host", host.name)
    for one in guests:
        _check_word(one.entity, "node", one.name)
    order = boot.hosts[host.name]
    by_name = {one.name: one for one in guests}
    if not set(order) <= set(by_name):
        return          # a guest of this host has errors of its own, already reported
    booted = [BootGuest(name, by_name[name].autostart, boot.waits[name], unit_name(name),
                        tuple(unit_name(waited) for waited in boot.waits[name])) for name in order]
    kind = hypervisor(host.get("hypervisor"))
    folder = f"{INSTALL_ROOT}/{model.name}/{host.name}"
    context: dict[str, object] = dict(site=model.name, host=host.name, guests=booted, tool=kind.boot_tool,
                   folder=folder, script=f"{folder}/boot/gw-domains",
                   libvirt_uri=kind.default_uri,    # the script runs on the host itself, so the local URI
                   start_timeout=START_TIMEOUT, stop_timeout=STOP_TIMEOUT, unit_margin=UNIT_MARGIN)
    base = f"hosts/{host.name}/boot"
    yield Artifact(f"{base}/order", render("boot/order.j2", guests=booted), "boot-order", host.name)
    yield Artifact(f"{base}/gw-domains", _render_checked("boot/gw-domains.sh.j2", host, context), "boot-script",
                   host.name, executable=True)
    for booting in booted:
        text = _render_checked("boot/gw-domain.service.j2", by_name[booting.name].entity,
                               dict(context, guest=booting))
        yield Artifact(f"{base}/systemd/{booting.unit}", text, "systemd-unit", host.name, booting.name)


def unit_name(node: str) -> str:
    return f"gw-domain-{node}.service"


def _check_word(entity: EntityModel, kind: str, name: str) -> None:
    if not _WORD.match(name):
        raise EmitError(entity, (), f"{kind} `{name}` cannot name a systemd unit, a screen session or a "
                                    "shell word of the boot scripts",
                        help="use letters, digits, `_` and `-` only (at most 64 characters)")


def _render_checked(template: str, entity: EntityModel, context: dict[str, object]) -> str:
    try:
        return render(template, **context)
    except Unrepresentable as problem:
        raise EmitError(entity, (), str(problem)) from None
