"""Model data as text: gw syntax for `gwc show`, JSON data for `--json` and `site.json`.

Works on the plain model only (no thunks): mappings print as attribute
sets with sorted keys, tuples as lists, domain values as their literals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gwlang.eval.printer import attribute_key, block, scalar_to_gw
from gwlang.model.model import EntityModel, SiteModel
from gwlang.model.validate import plain_json


def model_to_gw(value: Any, indent: int = 0) -> str:
    if isinstance(value, Mapping):
        entries = [f"{attribute_key(k)} = {model_to_gw(value[k], indent + 2)};" for k in sorted(value)]
        return block("{", "}", entries, indent)
    if isinstance(value, tuple):
        return block("[", "]", [model_to_gw(item, indent + 2) for item in value], indent)
    return scalar_to_gw(value)


def site_data(model: SiteModel) -> dict[str, Any]:
    """The whole evaluated site as one mapping: its attributes, hosts and nodes."""
    return {
        "name": model.name,
        "site": dict(model.site.attributes),
        "hosts": {name: dict(host.attributes) for name, host in sorted(model.hosts.items())},
        "nodes": {name: dict(node.attributes) for name, node in sorted(model.nodes.items())},
    }


def entity_data(entity: EntityModel) -> dict[str, Any]:
    return dict(entity.attributes)


def site_json(model: SiteModel) -> Any:
    return plain_json(site_data(model))
