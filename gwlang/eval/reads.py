"""Cross-reads: which entity read another entity's attributes while it merged.

The dependency graph draws a `reads` edge from node `a` to node `b` when a
value of `a` reads one of `b` (`nodes.b.ip`).  Only the evaluator sees a
selection happen, and only the merge knows whose attribute is being
computed; a `CrossReads` record joins the two, explicitly and for one site:

- `model/sites.instantiate` makes one per site and hands it to every entity;
- an `Entity` opens it (`enter`/`leave`) while one of its attributes merges,
  which installs it as the evaluator's `cross_reads` for that time;
- the evaluator notes into the open record every selection from an entity's
  attribute set (`note`);
- `model/validate.validate`, having forced everything, reads `node_edges`
  into the `SiteModel`.

Nothing outlives the site: the next site has a fresh record, and outside a
merge the evaluator has none, so plain evaluation (`gwc eval`) records
nothing.  A faster evaluator only has to keep calling `note` on an entity
selection to keep the graph's edges.
"""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator

EntityKey = tuple[str, str]     # (kind, name): ("node", "ce")


class CrossReads:
    """The reads between one site's entities, gathered as their attributes merge."""

    __slots__ = ("_readers", "edges")

    def __init__(self) -> None:
        self.edges: set[tuple[EntityKey, EntityKey]] = set()   # (reader, read)
        self._readers: list[EntityKey] = []                      # innermost last

    def enter(self, reader: EntityKey, evaluator: Evaluator) -> CrossReads | None:
        """`reader` starts merging one attribute; returns the record open before, for `leave`."""
        self._readers.append(reader)
        previous = evaluator.cross_reads
        evaluator.cross_reads = self
        return previous

    def leave(self, evaluator: Evaluator, previous: CrossReads | None) -> None:
        self._readers.pop()
        evaluator.cross_reads = previous

    def note(self, read: EntityKey) -> None:
        """The merging entity selected an attribute of `read` (itself does not count)."""
        reader = self._readers[-1]
        if reader != read:
            self.edges.add((reader, read))

    def node_edges(self, nodes: Container[str]) -> frozenset[tuple[str, str]]:
        """(reader node, node read) for the site's `nodes`: the graph's `reads` edges."""
        return frozenset((reader[1], read[1]) for reader, read in self.edges
                         if reader[0] == "node" and read[0] == "node" and read[1] in nodes)
