"""Builtins on domain values: sizes, IP addresses and networks, MAC addresses.

Also the identities derived from a seed (`macFor`, `uuidFor`), the same on every machine and run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gwlang.diagnostics import Span
from gwlang.eval import limits
from gwlang.eval.builtins.registry import REGISTRY, BuiltinSpec, builtin, int_of, invalid, str_of, want, want_one_of
from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator


@builtin("ip", "ip s", "ip \"2001:db8::1\"", "ip \"2001:db8::1\"")
def _ip(ev: Evaluator, span: Span, text: Any) -> IPAddress:
    """An IPv4 or IPv6 address from its text."""
    try:
        return IPAddress.parse(str_of(ev, text, "ip", span))
    except ValueError as problem:
        raise invalid(str(problem), span) from None


@builtin("net", "net s", "(net \"2001:db8::/64\").prefix", "64")
def _net(ev: Evaluator, span: Span, text: Any) -> IPNetwork:
    """An IPv4 or IPv6 network from its text."""
    try:
        return IPNetwork.parse(str_of(ev, text, "net", span))
    except ValueError as problem:
        raise invalid(str(problem), span) from None


@builtin("mac", "mac s", "mac \"00-16-3E-00-00-01\"", "00:16:3e:00:00:01")
def _mac(ev: Evaluator, span: Span, text: Any) -> MacAddress:
    """A MAC address from its text (colons or dashes, any case)."""
    try:
        return MacAddress.parse(str_of(ev, text, "mac", span))
    except ValueError as problem:
        raise invalid(str(problem), span) from None


@builtin("size", "size s", "size \"2GiB\"", "2GiB")
def _size(ev: Evaluator, span: Span, text: Any) -> Size:
    """A size from its text, such as \"512MiB\"."""
    try:
        return Size.parse(str_of(ev, text, "size", span))
    except ValueError as problem:
        raise invalid(str(problem), span) from None


@builtin("hostIn", "hostIn net n", "hostIn 10.0.0.0/24 10", "10.0.0.10")
def _host_in(ev: Evaluator, span: Span, network: Any, index: Any) -> IPAddress:
    """The `n`th address of a network, negative `n` counting back from its end; never network or broadcast."""
    net = want(ev, network, IPNetwork, "a network", "hostIn", span)
    try:
        return net.host(int_of(ev, index, "hostIn", span))
    except ValueError as problem:
        raise invalid(str(problem), span) from None


@builtin("contains", "contains net x", "contains 10.0.0.0/24 10.0.0.7", "true")
def _contains(ev: Evaluator, span: Span, network: Any, member: Any) -> bool:
    """Whether an address (or a whole network) lies inside a network."""
    net = want(ev, network, IPNetwork, "a network", "contains", span)
    other = want_one_of(ev, member, (IPAddress, IPNetwork), "an address or a network", "contains", span)
    return net.contains(other)


def _converter(unit: str) -> Callable[..., int]:
    def convert(ev: Evaluator, span: Span, value: Any) -> int:
        size = want(ev, value, Size, "a size", f"to{unit}", span)
        try:
            return size.in_unit(unit)
        except ValueError as problem:
            raise invalid(str(problem), span) from None
    convert.__doc__ = f"A size as a whole number of {unit}; an error if it is not whole."
    return convert


for _unit, _example, _answer in (("B", "toB 1KiB", "1024"), ("KiB", "toKiB 1MiB", "1024"),
                                  ("MiB", "toMiB 2GiB", "2048"), ("GiB", "toGiB 1TiB", "1024")):
    _function_for_unit = _converter(_unit)
    REGISTRY[f"to{_unit}"] = BuiltinSpec(f"to{_unit}", 1, _function_for_unit, f"to{_unit} size",
                                         _function_for_unit.__doc__ or "", _example, _answer)


@builtin("fromMiB", "fromMiB n", "fromMiB 512", "512MiB")
def _from_mib(ev: Evaluator, span: Span, value: Any) -> Size:
    """A size of `n` MiB, from an integer."""
    return Size(limits.check_integer(int_of(ev, value, "fromMiB", span) << 20, "`fromMiB`", span))


# ---------------------------------------------------------------- derived identities


@builtin("macFor", "macFor seed", "macFor \"tcd/ce/eth0\"", "00:16:3e:2b:33:1f")
def _mac_for(ev: Evaluator, span: Span, seed: Any) -> MacAddress:
    """A MAC with Xen's prefix 00:16:3e, the same for the same seed on every machine and run."""
    import hashlib
    digest = hashlib.sha256(str_of(ev, seed, "macFor", span).encode()).digest()
    # The first derived byte keeps the top bit clear, inside the range Xen hands out itself.
    return MacAddress("00:16:3e:" + ":".join(f"{b:02x}" for b in (digest[0] & 0x7F, digest[1], digest[2])))


@builtin("uuidFor", "uuidFor seed", "uuidFor \"tcd/ce\"", "\"2bcbdca9-68f9-5c1e-886f-b407eccc100e\"")
def _uuid_for(ev: Evaluator, span: Span, seed: Any) -> str:
    """A name-based (version 5) UUID, the same for the same seed on every machine and run."""
    import uuid
    return str(uuid.uuid5(GWLANG_NAMESPACE, str_of(ev, seed, "uuidFor", span)))


def _gwlang_namespace() -> Any:
    import uuid
    return uuid.uuid5(uuid.NAMESPACE_URL, "https://gwlang.org/ns/domain")


GWLANG_NAMESPACE = _gwlang_namespace()
