"""The checked site model: plain, typed, immutable data for the stages after validation.

Nothing here is lazy: attribute values are Python data (dicts with sorted
keys, tuples, str, int, bool, None) and the domain values of
`gwlang.eval.domain`.  A reference to a host or node is its name.
Provenance (where each value came from) travels beside the values, for
diagnostics of later checks and for `gwc explain`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gwlang.diagnostics import Span


def user_declaration(declarations: Sequence[Span]) -> Span:
    """The last declaration outside the stdlib, else the first: where the user can act.

    A site extending the stdlib's `gateway` has its node `ce` declared in
    `<stdlib>/grid/gateway.gw` and extended in the user's file; a diagnostic
    that names the node should point at the user's line, which the user can
    edit, and the most derived one is the site being compiled.
    """
    for span in reversed(declarations):
        if not span.source.is_stdlib:
            return span
    return declarations[0]


@dataclass(frozen=True)
class EntityModel:
    """A site, host or node: its name and final attributes."""
    kind: str
    name: str
    attributes: Mapping[str, Any]
    declared_at: Span = field(compare=False, repr=False)
    # path -> the span of the definition that gave the value (for diagnostics)
    origins: Mapping[tuple[str, ...], Span] = field(default_factory=dict, compare=False, repr=False)
    profiles: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()                     # the .gw files its bodies and schema come from
    # path -> every definition that shaped the value, as "file:line:col (profile)", in order (LCFG's derivation)
    derivations: Mapping[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict, compare=False,
                                                                   repr=False)
    declarations: tuple[Span, ...] = field(default=(), compare=False, repr=False)   # first to last

    @property
    def user_declared_at(self) -> Span:
        """The declaration a user wrote (see `user_declaration`)."""
        return user_declaration(self.declarations or (self.declared_at,))

    def get(self, *path: str, default: Any = None) -> Any:
        value: Any = self.attributes
        for name in path:
            if not isinstance(value, Mapping) or name not in value:
                return default
            value = value[name]
        return value

    def origin(self, *path: str) -> Span:
        """Where the value at `path` (or its nearest parent) was defined."""
        for end in range(len(path), 0, -1):
            span = self.origins.get(tuple(path[:end]))
            if span is not None:
                return span
        return self.declared_at


@dataclass(frozen=True)
class SiteModel:
    """A concrete site, checked: its own attributes, its hosts and its nodes."""
    site: EntityModel
    hosts: Mapping[str, EntityModel]
    nodes: Mapping[str, EntityModel]
    reads: frozenset[tuple[str, str]] = frozenset()   # (reader node, node read) cross-references
    sources: tuple[str, ...] = ()                      # the .gw files that contributed

    @property
    def name(self) -> str:
        return self.site.name
