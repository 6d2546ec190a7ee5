"""The help line of a schema type mismatch: what the author most likely meant.

A type error says what was expected and what was found; for the mistakes
newcomers make most (a size without its unit, one element where a list is
expected, a quoted reference) the help writes the corrected statement, as
rustc's "help: ..." lines do.  Anything else gets no help rather than a
guess.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from gwlang.diagnostics import did_you_mean
from gwlang.model.types import ListType, RefType, ScalarType, Type

# Longer values are not copied into the help: the line would wrap, and the
# caret already shows them.
_LONGEST_COPIED = 40


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A value that does not fit its type, and how it was written.

    `statement` is the text of the statement that defined the value when the
    value is that statement's whole right-hand side (`packages += "x";`), so
    the help can rewrite it; None when the value sits inside a larger one.
    """
    kind: Type
    value: Any
    statement: tuple[str, str, str] | None   # (path, operator, value as written)
    element: bool                             # the value is one element of a list
    names: Collection[str]                    # the site's hosts or nodes, for a reference


def fix_for(mismatch: Mismatch) -> str | None:
    """A help line proposing the fix, or None when no likely one is known."""
    kind = mismatch.kind
    if isinstance(kind, ScalarType) and kind.kind == "size" and type(mismatch.value) is int:
        return _size_fix(kind, mismatch.value)
    if isinstance(kind, ListType) and type(mismatch.value) is not tuple:
        return _list_fix(mismatch)
    if isinstance(kind, RefType) and type(mismatch.value) is str:
        return _reference_fix(mismatch, kind.kind)
    return None


def _size_fix(kind: ScalarType, number: int) -> str:
    # MiB because memory, the size written most, is counted in it: a bare
    # `512` almost always means 512MiB.  A larger unit only where MiB would
    # be below the field's minimum (`vm.memory = 4;` means 4GiB).
    unit = next((unit for unit, factor in (("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40))
                 if kind.low is None or number * factor >= kind.low), "MiB")
    return f"write `{number}{unit}`: a size carries its unit, as in 512MiB, 8GiB, 64KiB"


def _list_fix(mismatch: Mismatch) -> str:
    if mismatch.statement is None or len(mismatch.statement[2]) > _LONGEST_COPIED \
            or "\n" in mismatch.statement[2]:
        return "wrap the value in `[ ]`: a list is written in brackets, even with one element"
    path, operator, written = mismatch.statement
    if isinstance(mismatch.kind, ListType) and isinstance(mismatch.kind.element, RefType) \
            and mismatch.value in mismatch.names:
        # `after = "install";`: bracketing the string would only meet the next error
        return f"write `{path} {operator} [ {mismatch.value} ];`: a list of references is written in " \
               "brackets, each name without quotes"
    return f"write `{path} {operator} [ {written} ];`: a list is written in brackets, even with one element"


def _reference_fix(mismatch: Mismatch, entity: str) -> str:
    name = mismatch.value
    if name not in mismatch.names:
        near = did_you_mean(name, mismatch.names)
        quoted = f"a reference is a {entity}'s name written without quotes"
        return f"{quoted}; {near}" if near else f"{quoted}, and the site has no {entity} `{name}`"
    if mismatch.statement is not None and not mismatch.element:
        path, operator, _ = mismatch.statement
        return f"write `{path} {operator} {name};`: a reference is written without quotes"
    return f"write `{name}` instead of `\"{name}\"`: a reference is written without quotes"
