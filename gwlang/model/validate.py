"""Validation: force every attribute of every entity, check it, and build the plain model.

Forcing is where type errors, conflicts and missing values surface; each
top-level attribute is forced on its own, so independent mistakes are all
reported in one run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from gwlang.diagnostics import Diagnostic, GwError, Label, Span, error, unique
from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size
from gwlang.eval.evaluator import Evaluator
from gwlang.eval.values import AttrSet, type_name
from gwlang.model.merge import Entity
from gwlang.model.model import EntityModel, SiteModel
from gwlang.model.provenance import PathRecord, Step
from gwlang.model.sites import SiteEntities


def validate(entities: SiteEntities, evaluator: Evaluator) -> SiteModel:
    problems: list[Diagnostic] = []
    models: dict[str, dict[str, EntityModel]] = {"host": {}, "node": {}}
    site_model: EntityModel | None = None
    def entity_of(key: tuple[str, str]) -> Entity | None:
        kind, name = key
        found = {"site": {entities.site.name: entities.site}, "host": entities.hosts, "node": entities.nodes}
        return found.get(kind, {}).get(name)

    for entity in entities.entities():
        model = _validate_entity(entity, evaluator, problems, entity_of)
        if entity.kind == "site":
            site_model = model
        else:
            models[entity.kind][entity.name] = model
    if problems:
        raise GwError(unique(problems))
    assert site_model is not None
    # every attribute is forced now: the site's record of cross-reads is complete
    reads = entities.cross_reads.node_edges(entities.nodes)
    sources = {source for group in (*models["host"].values(), *models["node"].values(), site_model)
               for source in group.sources}
    return SiteModel(site_model, MappingProxyType(models["host"]), MappingProxyType(models["node"]), reads,
                     tuple(sorted(sources)))


def _validate_entity(entity: Entity, evaluator: Evaluator, problems: list[Diagnostic],
                     entity_of: Callable[[tuple[str, str]], Entity | None]) -> EntityModel:
    attributes: dict[str, Any] = {}
    cascades = _defaults_only(entity) if entity.missing else set()
    for key in sorted(entity.config.attrs):
        try:
            value = evaluator.force(entity.config.attrs[key])
            shared = entity.adopted.get(key)
            attributes[key] = to_plain(evaluator, value) if shared is None else shared.plain
        except GwError as failure:
            if key not in cascades:
                problems.extend(failure.diagnostics)
            continue
        if shared is None and entity.sharing is not None:
            entity.sharing.offer(key, entity, value, attributes[key])
    for path, spec in entity.missing:
        near = _record_defined_at(entity, path[:-1])
        problems.extend(error(
            "E0406", f"{entity.title} does not set `{'.'.join(path)}`", entity.declared_at,
            f"{entity.title} is declared here",
            secondary=[*near, Label(spec.span, "required by this schema field")],
            help=f"define `{'.'.join(path)} = ...;` in the {entity.kind} or one of its profiles").diagnostics)
    for assertion in entity.check_asserts(entity_of):
        problems.extend(assertion.diagnostics)
    origins, derivations = _summaries(entity)
    profiles = tuple(body.label for body in entity.bodies)
    sources = {body.source for body in entity.bodies if body.source}
    if entity.schema.span is not None:
        sources.add(entity.schema.span.source.name)
    return EntityModel(entity.kind, entity.name, MappingProxyType(attributes), entity.declared_at,
                       MappingProxyType(origins), profiles, tuple(sorted(sources)), MappingProxyType(derivations),
                       entity.declarations)


Summary = tuple[dict[tuple[str, ...], Span], dict[tuple[str, ...], tuple[str, ...]]]


def _summaries(entity: Entity) -> Summary:
    """The origin and derivation of every merged path; those of an adopted value are made once for all
    the nodes adopting it (each path is in one record only, so the order of making them is no matter)."""
    origins: dict[tuple[str, ...], Span] = {}
    derivations: dict[tuple[str, ...], tuple[str, ...]] = {}
    for shared in entity.adopted.values():
        if shared.summary is None:
            shared.summary = _summary(shared.records)
        origins.update(shared.summary[0])
        derivations.update(shared.summary[1])
    adopted = entity.adopted
    own_origins, own_derivations = _summary([record for path, record in entity.provenance.items()
                                             if not path or path[0] not in adopted])
    origins.update(own_origins)
    derivations.update(own_derivations)
    return origins, derivations


def _summary(records: Iterable[PathRecord]) -> Summary:
    origins: dict[tuple[str, ...], Span] = {}
    derivations: dict[tuple[str, ...], tuple[str, ...]] = {}
    for record in records:
        origin = _origin(record.steps)
        if origin is not None:
            origins[record.path] = origin
        derivations[record.path] = tuple(f"{d.span.location} ({d.body.label})" if d else role
                                         for _, d, role in record.steps
                                         if d is not None or role.startswith("schema default"))
    return origins, derivations


def _defaults_only(entity: Entity) -> set[str]:
    """Top-level keys no definition touched: only schema defaults made them.

    When a required field is missing, such a default may fail because of it
    (`"${host.storage}/..."` without a `host`); its error would only repeat
    the missing field's, so it is not reported.
    """
    touched = {path[0] for path, record in entity.provenance.items()
               if path and any(definition is not None for _, definition, _ in record.steps)}
    return set(entity.config.attrs) - touched


def _record_defined_at(entity: Entity, record: tuple[str, ...]) -> list[Label]:
    """Where the record holding a missing field is first set (`disks.xvda` for `disks.xvda.size`), if anywhere."""
    if not record:
        return []
    for path, derivation in entity.provenance.items():
        if path[: len(record)] == record:
            for _, definition, _ in derivation.steps:
                if definition is not None and definition.body.index >= 0:
                    shown = ".".join(record)
                    return [Label(definition.span, f"`{shown}` is set here ({definition.body.label})")]
    return []


def _origin(steps: list[Step]) -> Span | None:
    for _, definition, role in reversed(steps):
        if definition is not None and role != "overridden":
            return definition.value_span
    return None


def to_plain(evaluator: Evaluator, value: Any) -> Any:
    """Forced gw value to model data: dicts (sorted), tuples, scalars, domain values, names for refs."""
    value = evaluator.force(value)
    kind = type(value)
    if kind is AttrSet:
        if value.entity is not None:
            return value.entity[1]
        return MappingProxyType({k: to_plain(evaluator, value.attrs[k]) for k in sorted(value.attrs)})
    if kind is tuple:
        return tuple(to_plain(evaluator, item) for item in value)
    if value is None or kind in (bool, int, str, Size, IPAddress, IPNetwork, MacAddress):
        return value
    raise error("E0216", f"{type_name(value)} cannot be part of a site's configuration", None)


def plain_json(value: Any) -> Any:
    """Model data to JSON data: domain values as their canonical strings."""
    if isinstance(value, Mapping):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, Size | IPAddress | IPNetwork | MacAddress):
        return value.canonical
    return value
