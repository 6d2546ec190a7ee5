"""List and set mutations: what `+=` and `-=` do once a path's value has started.

On a list, `+=` appends and `-=` removes every element equal to one given,
each element remembering the definition that added it and the one that
removed it (`gwc explain` shows both).  On a `{K: T}` set, `+=` is merged
key by key like `=` and `-=` removes names; a name defined again after its
removal comes back, afresh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gwlang.eval.operators import equal
from gwlang.eval.values import type_name
from gwlang.model import merge_errors
from gwlang.model.paths import type_at
from gwlang.model.provenance import Element, PathRecord
from gwlang.model.types import RecordType, Type, problem

if TYPE_CHECKING:
    from gwlang.model.definitions import Definition, DefinitionTree
    from gwlang.model.merge import Entity


def apply_list(entity: Entity, path: tuple[str, ...], start: Any, mutations: list[Definition],
               record: PathRecord, origin: Definition | None) -> Any:
    """The list that `start` becomes under `mutations`, in order; each step recorded."""
    if start is None and not mutations:
        return None
    evaluator = entity.evaluator
    elements: list[Element] = []
    if start is not None:
        elements = [(item, origin, None) for item in _list_value(entity, path, start, origin)]
    for mutation in mutations:
        items = _list_value(entity, path, evaluator.force(mutation.value), mutation)
        if mutation.op == "+=":
            elements.extend((item, mutation, None) for item in items)
            record.steps.append(("+=", mutation, f"adds {len(items)}"))
            continue
        removed = 0
        for index, (item, added, gone) in enumerate(elements):
            if gone is None and any(equal(evaluator, item, r) for r in items):
                elements[index] = (item, added, mutation)
                removed += 1
        record.steps.append(("-=", mutation, f"removes {removed}"))
    record.elements = elements
    return tuple(item for item, _, gone in elements if gone is None)


def _list_value(entity: Entity, path: tuple[str, ...], value: Any, definition: Definition | None) -> tuple[Any, ...]:
    if type(value) is tuple:
        return value
    if definition is None or value is None:
        return ()
    kind = type_at(entity.schema, path)
    raise merge_errors.type_error(entity, path, kind, definition,
                                  problem(kind, value) or f"found {type_name(value)}", value)


def names_removed(entity: Entity, definition: Definition, kind: Type, value: Any) -> set[str]:
    """The names a `-=` on a set removes; a record's fields cannot be removed."""
    if isinstance(kind, RecordType):
        raise merge_errors.record_removal(definition)
    names = value if type(value) is tuple else None
    forced = [entity.evaluator.force(n) for n in names] if names is not None else None
    if forced is None or any(type(n) is not str for n in forced):
        raise merge_errors.names_expected(definition)
    return set(forced)


def surviving_keys(tree: DefinitionTree, spread: dict[str, list[Definition]],
                   removals: list[tuple[int, set[str]]]) -> list[str]:
    """The keys of a `{K: T}` set that no later `-=` removed, sorted.

    A definition anywhere under a key (`disks.xvdb.size = ...`) brings a removed key back.
    """
    keys = []
    for key in sorted(set(tree.children) | set(spread)):
        below = tree.children[key].latest() if key in tree.children else 0
        last = max([below, *(d.order for d in spread.get(key, []))])
        if not any(order > last and key in names for order, names in removals):
            keys.append(key)
    return keys
