"""Provenance: the definitions that made each merged path, and what became of each.

Merging a path appends steps to its `PathRecord`: which definition started
the value, which were overridden or ignored, what each `+=`/`-=` did.
`gwc explain` prints the records, validation keeps the origin of every
value, and a failed assertion finds through `defined_by` where the values
it read came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gwlang.model.types import Type

if TYPE_CHECKING:
    from gwlang.model.definitions import Body, Definition

# (operator or "default"/"empty", the definition or None for a schema default, its role in words)
Step = tuple[str, "Definition | None", str]
# (element, the definition that added it, the `-=` that removed it or None)
Element = tuple[Any, "Definition | None", "Definition | None"]


@dataclass
class PathRecord:
    """The provenance of one merged path: every definition and what became of it."""
    path: tuple[str, ...]
    type: Type
    steps: list[Step] = field(default_factory=list)
    elements: list[Element] | None = None


def defined_by(provenance: dict[tuple[str, ...], PathRecord], path: tuple[str, ...]) -> Definition | None:
    """The definition that gave the value at `path`: the last that counts, as `gwc explain` lists them.

    A path inside a value that is no record (`network.subnet.prefix`, a
    field of an address) was given by the definition of that value.
    """
    for end in range(len(path), 0, -1):
        record = provenance.get(path[:end])
        if record is None:
            continue
        for _, definition, role in reversed(record.steps):
            if definition is not None and role != "overridden" and not role.startswith("ignored"):
                return definition
        return None
    return None


def chain(bodies: list[Body], body: Body) -> list[Body]:
    """How `body` reaches the entity: it, a body inheriting it, ..., the entity's last body."""
    steps = [bodies[-1]]
    if body is not steps[0] and body.index not in steps[0].ancestors:
        return [body]
    while steps[-1] is not body:
        # step to the most derived body that still inherits `body`: a direct parent
        closer = [b for b in bodies if b.index in steps[-1].ancestors
                  and (b is body or body.index in b.ancestors)]
        steps.append(max(closer, key=lambda b: len(b.ancestors)))
    return steps[::-1]
