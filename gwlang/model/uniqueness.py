"""Values that must be unique across a site (or across sites): grouping their uses, and the conflict.

Addresses, host names, MAC addresses and disk images are each checked by
grouping the uses of one value; a value used more than once is reported
once, at its second use, with every other use beside it and the definition
that gave each (`EntityModel.origin`).  `checks.py` holds the rules; this
module how a clash is found and worded.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from gwlang.diagnostics import Diagnostic, Label, Span
from gwlang.model.model import EntityModel


@dataclass(frozen=True, slots=True)
class Use:
    """One use of a value that must be unique: who uses it, the value, and the definition that gave it."""
    who: str                 # "node `ce`", "interface `eth1` of node `ce`"
    value: Any               # as its user has it (a host name keeps its case)
    span: Span
    entity: EntityModel
    site: str = ""
    default_of: str = ""     # the field, when no definition gave the value (the span is then its parent's)


def use_of(who: str, value: Any, entity: EntityModel, path: tuple[str, ...], site: str = "") -> Use:
    default_of = path[-1] if path not in entity.origins else ""
    return Use(who, value, entity.origin(*path), entity, site, default_of)


def groups(uses: Iterable[tuple[Hashable, Use]]) -> list[list[Use]]:
    """The uses that share a value, for every value used more than once, in first-use order."""
    by_value: dict[Hashable, list[Use]] = {}
    for key, use in uses:
        by_value.setdefault(key, []).append(use)
    return [group for group in by_value.values() if len(group) > 1]


def conflict(code: str, what: str, group: list[Use], *, note: str, help: str, where: str = "") -> Diagnostic:
    """A value used more than once: the second use is the mistake, every other use is shown beside it."""
    names = _names_of(group)
    first, again, *more = group
    others = [_other_use(first, names[0], again.span, "first used here by")]
    others += [_other_use(use, name, again.span, "also used here by")
               for use, name in zip(more, names[2:], strict=True)]
    users = ", ".join(names[:-1]) + " and " + names[-1]
    notes = [note]
    if any(_same_place(use.span, again.span) for use in group if use is not again):
        notes.append("one definition gives the value to several users: a value that every node inherits must "
                     "differ from node to node, for example by being built from `node.name`")
    return Diagnostic(code, f"{what} `{_text(again.value)}` is used by {users}{where}",
                      Label(again.span, f"used again here by {names[1]}"), tuple(others), tuple(notes), help)


def _other_use(use: Use, name: str, primary: Span, wording: str) -> Label:
    # When both uses got the value from one definition (a profile line that every
    # node inherits), pointing at that line twice says nothing: point at the
    # declaration of the other user instead.
    if _same_place(use.span, primary):
        return Label(use.entity.declared_at, f"{name}, declared here, gets the same value from that line")
    return Label(use.span, f"{wording} {name}" + (f" (its default `{use.default_of}`)" if use.default_of else ""))


def _same_place(one: Span, other: Span) -> bool:
    return (one.source.name, one.start, one.end) == (other.source.name, other.start, other.end)


def _names_of(group: list[Use]) -> list[str]:
    """Who uses the value, naming the sites only when the uses are in several."""
    several = len({use.site for use in group}) > 1
    return [f"{use.who} of site `{use.site}`" if several else use.who for use in group]


def _text(value: Any) -> str:
    return str(getattr(value, "canonical", value))
