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
from functools import cached_property, lru_cache
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


@dataclass(frozen=True)
class Resource:
    """One resource, or one item of a list resource (`name` None), as plain data for the template."""
    name: str | None
    type: str
    value: Markup | None                 # escaped text of a scalar; None for records, lists and nulls
    encoding: str | None                 # "base64" for text XML cannot hold (control characters)
    derivations: tuple[str, ...]
    children: tuple[Resource, ...]


BASE64 = ' encoding="base64"'


@dataclass(frozen=True)
class Component:
    name: str
    resources: tuple[Resource, ...]

    @cached_property
    def body(self) -> Markup:
        """The component's resources as escaped XML lines, the resource tree flattened (it is deep, and
        made once per node: a recursive template loop cost most of a compile)."""
        lines: list[str] = []
        for resource in self.resources:
            _flatten(resource, "    ", lines)
        return Markup("".join(line + "\n" for line in lines))


# Names, types and derivations repeat across the nodes of a site: each is escaped once.
_attr = lru_cache(maxsize=65536)(xml_attr)
_text = lru_cache(maxsize=65536)(xml_text)


def _flatten(resource: Resource, pad: str, lines: list[str]) -> None:
    """Appends the lines of `resource` indented by `pad`: its tag, derivations, value and children.

    Every piece of text has been escaped for XML by then: names and types by
    `xml_attr`, derivations by `xml_text`, values by `_resource`.
    """
    tag = "resource" if resource.name is not None else "item"
    name = f" name={_attr(resource.name)}" if resource.name is not None else ""
    head = f"{tag}{name} type={_attr(resource.type)}"
    encoding = BASE64 if resource.encoding else ""
    if tag == "item" and resource.value is not None:
        lines.append(f"{pad}<{head}{encoding}>{resource.value}</item>")
    elif not resource.derivations and not resource.children and resource.value is None:
        lines.append(f"{pad}<{head}/>")
    else:
        lines.append(f"{pad}<{head}>")
        inner = pad + "  "
        lines.extend(f"{inner}<derivation>{_text(derivation)}</derivation>" for derivation in resource.derivations)
        if resource.value is not None:
            lines.append(f"{inner}<value{encoding}>{resource.value}</value>")
        for child in resource.children:
            _flatten(child, inner, lines)
        lines.append(f"{pad}</{tag}>")


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
    grouped: dict[str, list[Resource]] = {}
    for key, value in sorted(node.attributes.items()):
        if key in OWN_COMPONENTS:
            component, name = OWN_COMPONENTS[key]
            grouped.setdefault(component, []).append(_resource(node, (key,), name, value))
        elif isinstance(value, Mapping):
            grouped.setdefault(key, []).extend(
                _resource(node, (key, field), field, value[field]) for field in sorted(value))
        else:
            grouped.setdefault(NODE_COMPONENT, []).append(_resource(node, (key,), key, value))
    return [Component(name, tuple(resources)) for name, resources in sorted(grouped.items())]


def site_component(site: EntityModel) -> Component:
    """The site's attributes, groups as records, in one component `site` (no clash with the node's groups)."""
    return Component("site", tuple(_resource(site, (key,), key, value)
                                   for key, value in sorted(site.attributes.items())))


def _resource(entity: EntityModel, path: tuple[str, ...], name: str | None, value: Any) -> Resource:
    derivations = entity.derivations.get(path, ()) if name is not None else ()
    if isinstance(value, Mapping):
        children = tuple(_resource(entity, (*path, key), key, value[key]) for key in sorted(value))
        return Resource(name, "record", None, None, derivations, children)
    if isinstance(value, tuple | list):
        items = tuple(_resource(entity, path, None, item) for item in value)
        return Resource(name, "list", None, None, derivations, items)
    if value is None:
        return Resource(name, "null", None, None, derivations, ())
    try:
        return Resource(name, type_name(value), exact_xml_text(value), None, derivations, ())
    except Unrepresentable:
        encoded = base64.b64encode(text(value).encode("utf-8")).decode("ascii")
        return Resource(name, type_name(value), Markup(encoded), "base64", derivations, ())


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
