"""C3 linearisation of profiles (and of sites that extend sites), as Python's MRO.

The result lists a declaration's ancestors before itself, most general
first, which is the order its bodies apply in.  A cycle, or parents whose
orders cannot be reconciled, is a diagnostic showing the declarations
involved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from gwlang.diagnostics import GwError, Label, Span, error

T = TypeVar("T")


def c3(start: T, parents_of: Callable[[T], Sequence[T]], name_of: Callable[[T], str],
       span_of: Callable[[T], Span]) -> list[T]:
    """`start` and its ancestors, most derived first (Python's MRO order)."""
    memo: dict[int, list[T]] = {}
    return _linearize(start, parents_of, name_of, span_of, memo, [])


def _linearize(item: T, parents_of: Callable[[T], Sequence[T]], name_of: Callable[[T], str],
               span_of: Callable[[T], Span], memo: dict[int, list[T]], path: list[T]) -> list[T]:
    key = id(item)
    if key in memo:
        return memo[key]
    if any(p is item for p in path):
        raise _cycle(path[path.index(item):] + [item], name_of, span_of)
    parents = list(parents_of(item))
    for position, parent in enumerate(parents):
        if any(p is parent for p in parents[:position]):
            raise error("E0303", f"`{name_of(parent)}` is listed twice among the parents of `{name_of(item)}`",
                        span_of(item), f"extends `{name_of(parent)}` twice", help="list each parent once")
    orders = [_linearize(p, parents_of, name_of, span_of, memo, [*path, item]) for p in parents]
    merged = _merge([list(o) for o in orders] + [list(parents)])
    if merged is None:
        raise _inconsistent(item, parents, orders, name_of, span_of)
    result = [item, *merged]
    memo[key] = result
    return result


def _merge(sequences: list[list[T]]) -> list[T] | None:
    result: list[T] = []
    sequences = [s for s in sequences if s]
    while sequences:
        for sequence in sequences:
            head = sequence[0]
            if not any(any(x is head for x in s[1:]) for s in sequences):
                break
        else:
            return None
        result.append(head)
        sequences = [[x for x in s if x is not head] if s[0] is head else s for s in sequences]
        sequences = [s for s in sequences if s]
    return result


def _cycle(chain: list[T], name_of: Callable[[T], str], span_of: Callable[[T], Span]) -> GwError:
    chain = _from_first_declared(chain[:-1], span_of)
    names = " -> ".join(f"`{name_of(x)}`" for x in chain)
    return error("E0302", f"`{name_of(chain[0])}` inherits from itself", span_of(chain[0]),
                 "part of an inheritance cycle",
                 secondary=[Label(span_of(x), f"`{name_of(x)}` extends the next") for x in chain[1:-1]],
                 notes=[f"the cycle: {names}"], help="remove one of the `extends` in the cycle")


def _inconsistent(item: T, parents: list[T], orders: list[list[T]], name_of: Callable[[T], str],
                  span_of: Callable[[T], Span]) -> GwError:
    listed = ", ".join(f"`{name_of(p)}`" for p in parents)
    notes = [f"`{name_of(p)}` orders its ancestors as " + " -> ".join(f"`{name_of(x)}`" for x in o)
             for p, o in zip(parents, orders, strict=True)]
    return error("E0303", f"the parents of `{name_of(item)}` cannot be put in one order", span_of(item),
                 f"extends {listed}", notes=notes,
                 help="list the parents in an order that agrees with their own ancestors, "
                      "most specific first")


def _from_first_declared(members: list[T], span_of: Callable[[T], Span]) -> list[T]:
    """The cycle `members` closed, starting at the member declared first in the sources.

    Every member of a cycle meets it when linearised (one node listing `a`,
    another `b`); starting where the walk happened to enter would make one
    cycle several diagnostics.  A fixed start makes them one, which `unique`
    then reports once.
    """
    def place(member: T) -> tuple[str, int]:
        span = span_of(member)
        return (span.source.name, span.start)
    first = min(range(len(members)), key=lambda index: place(members[index]))
    rotated = members[first:] + members[:first]
    return [*rotated, rotated[0]]
