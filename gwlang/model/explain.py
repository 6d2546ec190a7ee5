"""`gwc explain`: a value and every definition that shaped it, in order.

LCFG kept a derivation per resource; here each merged path keeps its steps
(which `=` started it, which were overridden, which `+=`/`-=` applied or
came too early) and, for a list, where each element came from and what
removed the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gwlang.diagnostics import GwError, did_you_mean, error
from gwlang.eval.printer import Collector, attribute_key, to_gw
from gwlang.eval.values import type_name
from gwlang.model.merge import Definition, Entity, PathRecord
from gwlang.model.sites import SiteEntities
from gwlang.syntax.lower import unescape


@dataclass(frozen=True)
class Target:
    site: str
    entity: Entity
    path: tuple[str, ...]


# One segment of a dotted path: a name, or a quoted key (`files."etc/motd"`).
_SEGMENT = re.compile(r'"(?:[^"\\]|\\.)*"|[^."]+')


def split_path(dotted: str) -> list[str]:
    """`tcd.ce.files."etc/motd"` -> ["tcd", "ce", "files", "etc/motd"], as the language writes paths."""
    parts: list[str] = []
    position = 0
    while True:
        if position == len(dotted):
            raise error("E0313", f"`{dotted}` is not a path: it is empty or ends with `.`", None)
        segment = _SEGMENT.match(dotted, position)
        if segment is None:
            raise error("E0313", f"`{dotted}` is not a path: write names joined by `.`, quoting a key that "
                                 f"is not a name (`files.\"etc/motd\"`)", None)
        text = segment.group()
        parts.append(unescape(text[1:-1]) if text.startswith('"') else text)
        position = segment.end()
        if position == len(dotted):
            return parts
        if dotted[position] != ".":
            raise error("E0313", f"`{dotted}` is not a path: expected `.` after `{text}`", None)
        position += 1


def dotted(path: tuple[str, ...]) -> str:
    return ".".join(attribute_key(name) for name in path)


def find_target(entities: SiteEntities, dotted: list[str]) -> Target:
    """`NODE.PATH`, `HOST.PATH` or a site attribute path."""
    if not dotted:
        raise error("E0313", "name a node, host or site attribute to explain", None)
    head, rest = dotted[0], tuple(dotted[1:])
    site = entities.site.name
    if head in entities.nodes:
        return Target(site, entities.nodes[head], rest)
    if head in entities.hosts:
        return Target(site, entities.hosts[head], rest)
    if head in entities.site.config.attrs:
        return Target(site, entities.site, tuple(dotted))
    known = [*entities.nodes, *entities.hosts, *entities.site.config.attrs]
    raise error("E0313", f"site `{entities.site.name}` has no node, host or attribute `{head}`", None,
                help=did_you_mean(head, known) or did_you_mean(head, [site]),
                notes=[f"site `{site}` has {_listed('node', list(entities.nodes))} "
                       f"and {_listed('host', list(entities.hosts))}"])


def _listed(kind: str, names: list[str]) -> str:
    """`the node `ce``, `the nodes `a`, `b` and 3 more``: what a site has, short enough for a note."""
    shown = ", ".join(f"`{name}`" for name in names[:8])
    more = f" and {len(names) - 8} more" if len(names) > 8 else ""
    if not names:
        return f"no {kind}s"
    return f"the {kind} {shown}" if len(names) == 1 else f"the {kind}s {shown}{more}"


def explain(target: Target) -> str:
    entity = target.entity
    evaluator = entity.evaluator
    value: Any = entity.config
    for depth, name in enumerate(target.path):
        current = evaluator.force(value)
        if type(current).__name__ != "AttrSet" or name not in current.attrs:
            shown = dotted(target.path[: depth + 1])
            known = list(current.attrs) if type(current).__name__ == "AttrSet" else []
            above = dotted(target.path[:depth])
            help = did_you_mean(shown, [dotted((*target.path[:depth], key)) for key in known])
            if help is None and not known and depth:
                help = f"`{above}` is {type_name(current)}, which has no attributes: explain `{above}`"
            raise error("E0313", f"{entity.title} has no attribute `{shown}`", None, help=help)
        value = current.attrs[name]
    shown_value = to_gw(evaluator, value, Collector())
    owner = (target.site,) if entity.kind == "site" else (target.site, entity.name)
    title = dotted((*owner, *target.path))
    lines = [f"{entity.title}: {dotted(target.path) or '(all attributes)'}", "",
             f"  {title} = {_indent(shown_value)}", ""]
    record = entity.provenance.get(target.path)
    if record is None or not record.steps:
        lines.extend(["  set by the declaration"] if target.path in (("name",), ("index",))
                     else _inside(entity, target.path))
    else:
        lines.extend(_steps(entity, record))
        if record.elements is not None:
            lines.extend(_elements(entity, record))
    lines += ["", "  profiles, most general first: " + " -> ".join(b.label for b in entity.bodies)]
    return "\n".join(lines)


def _inside(entity: Entity, path: tuple[str, ...]) -> list[str]:
    """A value defined piece by piece: the paths inside it that definitions set, and the last of each."""
    inside = sorted((record.path, record.steps[-1][1]) for record in entity.provenance.values()
                    if record.path[: len(path)] == path and len(record.path) > len(path) and record.steps)
    if not inside:
        return ["  (no definitions: its value is its schema's default)"]
    lines = ["  no definition of its own; set inside it (explain each for its steps):"]
    for inner, definition in inside:
        where = _where(definition) if definition is not None else "(the default)"
        lines.append(f"    {dotted(inner[len(path):]):<28} {where}")
    return lines


def _steps(entity: Entity, record: PathRecord) -> list[str]:
    lines = ["  definitions, in the order they apply:"]
    for number, (op, definition, role) in enumerate(record.steps, 1):
        if definition is None:
            lines.append(f"  {number:>3}. {op:<8} {role}")
            continue
        lines.append(f"  {number:>3}. {op:<3} {_value(entity, definition):<28} {_where(definition)}   {role}")
    return lines


def _elements(entity: Entity, record: PathRecord) -> list[str]:
    assert record.elements is not None
    lines = ["", "  elements:"]
    for item, added, removed in record.elements:
        shown = to_gw(entity.evaluator, item, Collector())
        origin = f"from {_where(added)}" if added else "from the default"
        fate = f"   removed by {_where(removed)}" if removed else ""
        lines.append(f"    {shown:<24} {origin}{fate}")
    return lines


def _value(entity: Entity, definition: Definition) -> str:
    try:
        text = to_gw(entity.evaluator, definition.value, Collector())
    except GwError:
        text = "«error»"
    text = " ".join(text.split())
    return text if len(text) <= 28 else text[:25] + "..."


def _where(definition: Definition) -> str:
    return f"{definition.span.location} ({definition.body.label})"


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")
