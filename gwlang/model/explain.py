"""`gwc explain`: a value and every definition that shaped it, in order.

LCFG kept a derivation per resource; here each merged path keeps its steps
(which `=` started it, which were overridden, which `+=`/`-=` applied or
came too early) and, for a list, where each element came from and what
removed the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gwlang.diagnostics import GwError, error
from gwlang.eval.printer import Collector, to_gw
from gwlang.model.merge import Definition, Entity, PathRecord
from gwlang.model.sites import SiteEntities


@dataclass(frozen=True)
class Target:
    site: str
    entity: Entity
    path: tuple[str, ...]


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
    from gwlang.diagnostics import did_you_mean
    raise error("E0313", f"site `{entities.site.name}` has no node, host or attribute `{head}`", None,
                help=did_you_mean(head, known))


def explain(target: Target) -> str:
    entity = target.entity
    evaluator = entity.evaluator
    value: Any = entity.config
    for depth, name in enumerate(target.path):
        current = evaluator.force(value)
        if type(current).__name__ != "AttrSet" or name not in current.attrs:
            shown = ".".join(target.path[: depth + 1])
            raise error("E0313", f"{entity.title} has no attribute `{shown}`", None)
        value = current.attrs[name]
    shown_value = to_gw(evaluator, value, Collector())
    owner = (target.site,) if entity.kind == "site" else (target.site, entity.name)
    title = ".".join((*owner, *target.path))
    lines = [f"{entity.title}: {'.'.join(target.path) or '(all attributes)'}", "",
             f"  {title} = {_indent(shown_value)}", ""]
    record = entity.provenance.get(target.path)
    if record is None:
        lines.append("  set by the declaration" if target.path in (("name",), ("index",))
                     else "  (no definitions: see the attributes inside it)")
    else:
        lines.extend(_steps(entity, record))
        if record.elements is not None:
            lines.extend(_elements(entity, record))
    lines += ["", "  profiles, most general first: " + " -> ".join(b.label for b in entity.bodies)]
    return "\n".join(lines)


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
