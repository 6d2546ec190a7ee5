"""A node's LCFG-style XML profile: its configuration as components of resources, each with its derivation.

LCFG compiles a node's source files into one XML profile that the client
on the node reads; each resource names the source lines that made it (its
derivation).  `profile.xml` is the same for a gwlang node: every attribute
of the node, and of its site, as a resource of a component, carrying the
`file:line:col (profile)` of each definition that shaped it.

Components follow the attribute tree (docs/artefacts.md has the
table): a group such as `vm` or `network` is a component and its fields
are resources (`disks` and `files` too, one resource per disk or file);
the node's own top-level values (`host`, `ip`, `role`, `after`...) form
component `node`; `packages` is component `updaterpms` (LCFG's package
manager) and `services` is component `services`; the site's attributes
form component `site`.  A record nested in a resource
(`network.interfaces`, a disk) is a resource of type `record` holding one
resource per key, as an LCFG tag list holds its tags; a list holds
`<item>`s in order.  Text that XML 1.0 cannot hold (control characters,
such as the escape sequences of a coloured motd) is written in base64,
marked `encoding="base64"`, so that every value reads back exactly.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from gwlang.emit.artifact import Artifact
from gwlang.emit.environment import render
from gwlang.emit.filters import Unrepresentable, text, xml_attr, xml_text
from gwlang.emit.guest import Guest
from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size
from gwlang.model.model import EntityModel, SiteModel

FORMAT = "gwlang-profile-1"
PROFILE_PATH = "var/lcfg/conf/profile/xml"        # where reconfigure.sh installs it, in the guest
# Top-level values that are a component of their own, under a name of its own, instead of part of `node`.
OWN_COMPONENTS = {"packages": ("updaterpms", "packages"), "services": ("services", "services")}
NODE_COMPONENT = "node"
BASE64 = ' encoding="base64"'
PAD = "    "                                      # a component's resources, inside <profile> and <component>

Scalar = tuple[str, str | None]
"""A scalar as the profile writes it: its resource type and its text (None for a null)."""


@dataclass(frozen=True, slots=True)
class Component:
    """One component: its name and its resources as escaped XML lines (empty when it has none)."""
    name: str
    body: Markup


def profiles(model: SiteModel, guests: list[Guest]) -> Iterable[Artifact]:
    """`nodes/<node>/profile.xml` of every guest; a site emitter because the profile holds the site too."""
    site = site_component(model.site)
    for guest in sorted(guests, key=lambda one: one.name):
        yield profile_xml(guest, site)


def profile_xml(guest: Guest, site: Component) -> Artifact:
    components = sorted([*node_components(guest.entity), site], key=lambda c: c.name)
    text = render("lcfg/profile.xml.j2", format=FORMAT, site=guest.site, node=guest.name, host=guest.host,
                  fqdn=guest.fqdn, components=components)
    return Artifact(f"nodes/{guest.name}/profile.xml", text, "lcfg-profile", guest.host, guest.name)


def profile_path(guest: Guest) -> str:
    """The profile's path inside the guest (no leading `/`): LCFG's profile folder, named by the FQDN."""
    return f"{PROFILE_PATH}/{guest.fqdn}.xml"


def node_components(node: EntityModel) -> list[Component]:
    """A node's attributes as components: one per group, `node` for the rest (see the module's docstring)."""
    grouped: dict[str, list[str]] = {}
    for key, value in sorted(node.attributes.items()):
        if key in OWN_COMPONENTS:
            component, name = OWN_COMPONENTS[key]
            grouped.setdefault(component, []).append(_resource(node, (key,), name, value, PAD))
        elif isinstance(value, Mapping):
            grouped.setdefault(key, []).extend(
                _resource(node, (key, field), field, value[field], PAD) for field in sorted(value))
        else:
            grouped.setdefault(NODE_COMPONENT, []).append(_resource(node, (key,), key, value, PAD))
    return [Component(name, Markup("".join(lines))) for name, lines in sorted(grouped.items())]


def site_component(site: EntityModel) -> Component:
    """The site's attributes, groups as records, in one component `site` (no clash with the node's groups)."""
    return Component("site", Markup("".join(_resource(site, (key,), key, value, PAD)
                                            for key, value in sorted(site.attributes.items()))))


# ---------------------------------------------------------------- resources as XML lines
#
# A profile is most of a node's emitting: some eighty resources, most of them equal across the
# nodes of a profile (same value, same derivations).  A scalar resource, or a list of scalars, is
# text made of its name, type(s), value text(s), derivations and indent only: exactly the key it
# is cached under, so each is escaped and joined once and looked up for every node after.

def _resource(entity: EntityModel, path: tuple[str, ...], name: str, value: Any, pad: str) -> str:
    """The lines of resource `name`, `path` of `entity`, indented by `pad`."""
    derivations = entity.derivations.get(path, ())
    if isinstance(value, Mapping):
        children = "".join(_resource(entity, (*path, key), key, value[key], pad + "  ") for key in sorted(value))
        return _element(f"resource name={_attr(name)} type=\"record\"", "resource", derivations, None, children, pad)
    if isinstance(value, tuple | list):
        scalars = tuple(map(_scalar, value))
        if None not in scalars:
            return _list_resource(name, derivations, scalars, pad)  # type: ignore[arg-type]
        items = "".join(_item(entity, path, item, pad + "  ") for item in value)
        return _element(f"resource name={_attr(name)} type=\"list\"", "resource", derivations, None, items, pad)
    scalar = _scalar(value)
    assert scalar is not None
    return _scalar_resource(name, derivations, scalar, pad)


@lru_cache(maxsize=16384)
def _scalar_resource(name: str, derivations: tuple[str, ...], scalar: Scalar, pad: str) -> str:
    kind, raw = scalar
    return _element(f"resource name={_attr(name)} type={_attr(kind)}", "resource", derivations,
                    _value(raw), "", pad)


@lru_cache(maxsize=4096)
def _list_resource(name: str, derivations: tuple[str, ...], items: tuple[Scalar, ...], pad: str) -> str:
    inner = pad + "  "
    lines = "".join(_scalar_item(item, inner) for item in items)
    return _element(f"resource name={_attr(name)} type=\"list\"", "resource", derivations, None, lines, pad)


def _item(entity: EntityModel, path: tuple[str, ...], value: Any, pad: str) -> str:
    """One item of a list holding records or lists: items carry no derivation, their records' fields do."""
    if isinstance(value, Mapping):
        children = "".join(_resource(entity, (*path, key), key, value[key], pad + "  ") for key in sorted(value))
        return _element("item type=\"record\"", "item", (), None, children, pad)
    if isinstance(value, tuple | list):
        return _element("item type=\"list\"", "item", (), None,
                        "".join(_item(entity, path, item, pad + "  ") for item in value), pad)
    scalar = _scalar(value)
    assert scalar is not None
    return _scalar_item(scalar, pad)


def _scalar_item(scalar: Scalar, pad: str) -> str:
    kind, raw = scalar
    if raw is None:
        return f"{pad}<item type={_attr(kind)}/>\n"
    escaped, encoding = _value(raw)
    return f"{pad}<item type={_attr(kind)}{encoding}>{escaped}</item>\n"


def _element(head: str, tag: str, derivations: tuple[str, ...], value: tuple[str, str] | None, children: str,
             pad: str) -> str:
    """`<head>` with its derivations, its value (escaped text and encoding attribute) and children, or `<head/>`."""
    if not derivations and value is None and not children:
        return f"{pad}<{head}/>\n"
    inner = pad + "  "
    lines = [f"{pad}<{head}>\n"]
    lines.extend(f"{inner}<derivation>{_text(derivation)}</derivation>\n" for derivation in derivations)
    if value is not None:
        lines.append(f"{inner}<value{value[1]}>{value[0]}</value>\n")
    lines.append(children)
    lines.append(f"{pad}</{tag}>\n")
    return "".join(lines)


def _scalar(value: Any) -> Scalar | None:
    """A scalar's type and text, or None for a record or a list."""
    if value is None:
        return ("null", None)
    if isinstance(value, Mapping | tuple | list):
        return None
    return (type_name(value), text(value))


def _value(raw: str | None) -> tuple[str, str] | None:
    """A value's element text and encoding attribute: escaped text, or base64 for what XML cannot hold."""
    if raw is None:
        return None
    try:
        return exact_xml_text(raw), ""
    except Unrepresentable:
        return base64.b64encode(raw.encode("utf-8")).decode("ascii"), BASE64


# Names, types and derivations repeat across the nodes of a site: each is escaped once.
@lru_cache(maxsize=65536)
def _attr(value: str) -> str:
    return str(xml_attr(value))


@lru_cache(maxsize=65536)
def _text(value: str) -> str:
    return str(xml_text(value))


def type_name(value: Any) -> str:
    """The resource type of a scalar: the gw type it came from."""
    match value:
        case bool():
            return "bool"
        case int():
            return "int"
        case Size():
            return "size"
        case IPAddress():
            return "ip"
        case IPNetwork():
            return "net"
        case MacAddress():
            return "mac"
        case _:
            return "string"


def exact_xml_text(value: Any) -> Markup:
    """Element text that reads back exactly: a carriage return becomes a character reference, as XML
    parsers turn a literal one into a line feed.  Raises `Unrepresentable` for control characters."""
    return Markup(str(xml_text(value)).replace("\r", "&#13;"))
