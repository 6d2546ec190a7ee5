"""Attribute paths against a schema: the one walker every merge step uses.

A path such as `disks.xvda.size` steps through records (by field), `{K: T}`
sets (any key, to the value type) and `T?` (to `T`); anything else has no
attributes.  `walk` records each step, and the questions merging asks, the
field at a path, the type at a path, the first step off the schema, are
read from it, so that checking a definition's path and merging it can never
disagree about what the path means.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from gwlang.model.types import AttrsType, FieldSpec, NullableType, RecordType, Type


@dataclass(frozen=True, slots=True)
class Step:
    """One name of a path: the type that holds it, and what it leads to (None off the schema)."""
    name: str
    holder: Type                # nullable unwrapped: a record, a `{K: T}`, or a type without attributes
    spec: FieldSpec | None      # the record field, None inside a `{K: T}` or off the schema
    type: Type | None           # the type at this step, None off the schema


@lru_cache(maxsize=65536)
def walk(schema: RecordType, path: tuple[str, ...]) -> tuple[Step, ...]:
    """The steps of `path` from `schema`, stopping after the first one off the schema.

    Cached: every node of a site asks about the same few hundred paths.
    """
    steps: list[Step] = []
    current: Type = schema
    for name in path:
        if isinstance(current, NullableType):
            current = current.inner
        if isinstance(current, RecordType):
            spec = current.fields.get(name)
            steps.append(Step(name, current, spec, spec.type if spec else None))
        elif isinstance(current, AttrsType):
            steps.append(Step(name, current, None, current.value))
        else:
            steps.append(Step(name, current, None, None))
        following = steps[-1].type
        if following is None:
            break
        current = following
    return tuple(steps)


def off_schema(schema: RecordType, path: tuple[str, ...]) -> tuple[int, Step] | None:
    """The first step of `path` the schema does not declare, and its depth; None when all is declared."""
    steps = walk(schema, path)
    return (len(steps) - 1, steps[-1]) if steps and steps[-1].type is None else None


def field_spec(schema: RecordType, path: tuple[str, ...]) -> FieldSpec | None:
    """The schema field at `path` (None inside `{K: T}` keys or off the schema)."""
    steps = walk(schema, path)
    if not steps or len(steps) < len(path) or steps[-1].type is None:
        return None
    return steps[-1].spec


def type_at(schema: RecordType, path: tuple[str, ...]) -> Type:
    """The type at a declared `path` (the schema itself for the empty path)."""
    steps = walk(schema, path)
    if steps and steps[-1].type is not None:
        return steps[-1].type
    # off the schema: the last type reached, as merging never asks about such a path
    return next((step.type for step in reversed(steps) if step.type is not None), schema)


def record_field_type(schema: RecordType, path: tuple[str, ...]) -> Type | None:
    """The type at `path` when every step is a record field, else None (a name inside a set is no field)."""
    steps = walk(schema, path)
    reached: list[Type | None] = [schema, *(step.type for step in steps)]
    if len(steps) < len(path) or any(step.spec is None for step in steps) \
            or any(isinstance(kind, NullableType) for kind in reached[:-1]):
        return None
    return reached[-1]
