"""Domain values: sizes, IP addresses and networks, MAC addresses.

Each is its own type, never a string: a size does not add to an int, an
address does not order against a string.  They are immutable and hashable,
and `canonical` is the one text each has (in JSON, in `toString`, in
emitted files).  Constructors raise `ValueError` with a message for people;
the evaluator turns that into a diagnostic at the call site.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

_BINARY_UNITS = (("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10))
_DECIMAL_UNITS = (("PB", 10**15), ("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3))
_SIZE_TEXT = re.compile(r"^([0-9]+)(PiB|TiB|GiB|MiB|KiB|PB|TB|GB|MB|KB|B)$")
_UNIT_BYTES = dict(_BINARY_UNITS + _DECIMAL_UNITS + (("B", 1),))


@dataclass(frozen=True, slots=True, order=True)
class Size:
    """A quantity of bytes, written `512MiB`; prints in the largest exact unit."""
    bytes: int

    @property
    def canonical(self) -> str:
        # The largest unit of either family that holds the size exactly, so
        # `128MB` stays `128MB` rather than becoming `125000KiB`; binary wins a tie.
        magnitude = abs(self.bytes)
        exact = [(factor, unit) for unit, factor in _BINARY_UNITS + _DECIMAL_UNITS if magnitude % factor == 0]
        if self.bytes == 0 or not exact:
            return f"{self.bytes}B"
        factor, unit = max(exact, key=lambda pair: pair[0])
        return f"{self.bytes // factor}{unit}"

    @staticmethod
    def parse(text: str) -> Size:
        match = _SIZE_TEXT.match(text.strip())
        if not match:
            raise ValueError(f"`{text}` is not a size (write a number and a unit, such as `512MiB`)")
        return Size(int(match.group(1)) * _UNIT_BYTES[match.group(2)])

    def in_unit(self, unit: str) -> int:
        """The size as a whole number of `unit`; not whole is an error, not a rounding."""
        factor = _UNIT_BYTES[unit]
        if self.bytes % factor:
            raise ValueError(f"{self.canonical} is not a whole number of {unit}")
        return self.bytes // factor


# A word that a newcomer writes after a number meaning a unit: `4G`, `4 GiB`,
# `4g`, `512 mb`.  The language's own unit when the word is one (written
# apart from its number), else the binary unit of its first letter, since
# memory and disks are counted in binary units.
_UNIT_WORD = re.compile(r"^([kmgtp])(i?b?|i?bytes?)$|^b(ytes?)?$", re.IGNORECASE)
_BINARY_BY_LETTER = {"k": "KiB", "m": "MiB", "g": "GiB", "t": "TiB", "p": "PiB"}
SIZE_EXAMPLES = "512MiB, 8GiB, 1TiB, 64KiB, 100MB, 4096B"


def unit_meant(word: str) -> str | None:
    """The size unit `word` most likely means after a number, or None when it is not unit-like."""
    if word in _UNIT_BYTES:
        return word
    match = _UNIT_WORD.match(word)
    if match is None:
        return None
    return _BINARY_BY_LETTER[match.group(1).lower()] if match.group(1) else "B"


@dataclass(frozen=True, slots=True)
class IPAddress:
    """An IPv4 (`10.0.0.1`) or IPv6 (`ip "2001:db8::1"`) address."""
    address: ipaddress.IPv4Address | ipaddress.IPv6Address

    @property
    def canonical(self) -> str:
        return str(self.address)

    @property
    def version(self) -> int:
        return self.address.version

    @staticmethod
    def parse(text: str) -> IPAddress:
        try:
            return IPAddress(ipaddress.ip_address(text.strip()))
        except ValueError:
            raise ValueError(f"`{text}` is not an IP address") from None

    def offset(self, count: int) -> IPAddress:
        try:
            return IPAddress(self.address + count)
        except ipaddress.AddressValueError:
            raise ValueError(f"{self.canonical} + {count} is outside the address space") from None

    def sort_key(self) -> tuple[int, int]:
        return (self.version, int(self.address))

    def fields(self) -> dict[str, Any]:
        return {"version": self.version, "octets": list(self.address.packed) if self.version == 4 else None}


@dataclass(frozen=True, slots=True)
class IPNetwork:
    """An IPv4 (`10.0.0.0/24`) or IPv6 (`net "2001:db8::/64"`) network."""
    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    @property
    def canonical(self) -> str:
        return str(self.network)

    @property
    def version(self) -> int:
        return self.network.version

    @staticmethod
    def parse(text: str) -> IPNetwork:
        try:
            return IPNetwork(ipaddress.ip_network(text.strip(), strict=True))
        except ValueError as problem:
            if "host bits set" in str(problem):
                loose = ipaddress.ip_network(text.strip(), strict=False)
                raise ValueError(f"`{text}` has host bits set; the network is `{loose}`") from None
            raise ValueError(f"`{text}` is not an IP network") from None

    @staticmethod
    def of(address: IPAddress, prefix: int | None) -> IPNetwork | None:
        """The network an address and prefix length stand for (`10.0.0.12` and 24: `10.0.0.0/24`), if any."""
        if prefix is None:
            return None
        try:
            return IPNetwork(ipaddress.ip_interface(f"{address.canonical}/{prefix}").network)
        except ValueError:
            return None

    def host(self, index: int) -> IPAddress:
        """The `index`th address (negative counts back from the last one)."""
        count = self.network.num_addresses
        position = index if index >= 0 else count + index
        if not 0 <= position < count:
            raise ValueError(f"{self.canonical} has {count} addresses; {index} is outside it")
        address = self.network.network_address + position
        point_to_point = self.network.prefixlen >= self.network.max_prefixlen - 1
        if not point_to_point and self.version == 4 and address in (
                self.network.network_address, self.network.broadcast_address):
            which = "network" if address == self.network.network_address else "broadcast"
            raise ValueError(f"{address} is the {which} address of {self.canonical}, not a host address")
        return IPAddress(address)

    def contains(self, other: IPAddress | IPNetwork) -> bool:
        if other.version != self.version:
            return False
        if isinstance(other, IPAddress):
            return other.address in self.network
        return other.network.subnet_of(self.network)  # type: ignore[arg-type]

    def field(self, name: str) -> Any:
        match name:
            case "prefix":
                return self.network.prefixlen
            case "netmask":
                return IPAddress(self.network.netmask)
            case "network":
                return IPAddress(self.network.network_address)
            case "broadcast":
                return IPAddress(self.network.broadcast_address)
            case "size":
                return self.network.num_addresses
            case "version":
                return self.version
        raise KeyError(name)


NETWORK_FIELDS = ("broadcast", "netmask", "network", "prefix", "size", "version")
ADDRESS_FIELDS = ("version",)


@dataclass(frozen=True, slots=True)
class MacAddress:
    """A MAC address, `00:16:3e:00:01:0a`, kept in lower case."""
    text: str

    @property
    def canonical(self) -> str:
        return self.text

    @staticmethod
    def parse(text: str) -> MacAddress:
        cleaned = text.strip().lower().replace("-", ":")
        if not re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", cleaned):
            raise ValueError(f"`{text}` is not a MAC address (six pairs of hex digits, such as `00:16:3e:00:01:0a`)")
        return MacAddress(cleaned)


DomainValue = Size | IPAddress | IPNetwork | MacAddress
