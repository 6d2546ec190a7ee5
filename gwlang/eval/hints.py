"""The wording of evaluation errors that teach: what was probably meant, and the way out.

A newcomer's slip (`4G` for `4GiB`, a misspelt host, a missing argument)
and a deep mistake (infinite recursion) both deserve more than the bare
fact; these functions build those diagnostics, so the evaluator's forms
stay short and the static scope check (`scopes.py`) words the same slips
the same way.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from gwlang.diagnostics import GwError, Label, Span, did_you_mean, error
from gwlang.eval import operators
from gwlang.eval.domain import SIZE_EXAMPLES, unit_meant
from gwlang.eval.values import AttrSet, Scope, Thunk, type_name
from gwlang.syntax import ast

MAX_CHAIN_SHOWN = 8


def infinite_recursion(running: list[Thunk], thunk: Thunk) -> GwError:
    """E0204: the chain of running thunks from the first meeting of `thunk` to the second."""
    start = next((i for i, t in enumerate(running) if t is thunk), 0)
    chain = [t for t in running[start:] if t.span is not None] + [thunk]
    first = chain[0]
    name = first.label or "this value"
    steps = chain[:MAX_CHAIN_SHOWN]
    secondary = tuple(Label(t.span, f"which needs `{t.label or 'this'}`")
                      for t in steps[1:-1] if t.span is not None)
    chain_text = " -> ".join(f"`{t.label or '?'}` ({t.span.location})" for t in steps if t.span)
    return error("E0204", f"infinite recursion: `{name}` needs its own value",
                 first.span, "evaluating this needs itself", secondary=secondary,
                 notes=[f"the chain: {chain_text}"],
                 help="break the cycle: one of these values must not depend on the others")


def missing_attribute(value: AttrSet, name: str, span: Span) -> GwError:
    """E0202 with the names the set has, when they are few enough to list."""
    names = list(value.attrs)
    notes = []
    if not names:
        notes.append("the attribute set is empty")
    elif len(names) <= 12:
        notes.append("it has " + ", ".join(f"`{n}`" for n in sorted(names)))
    return error("E0202", f"attribute `{name}` missing", span, "not in this attribute set",
                 help=did_you_mean(name, names), notes=notes)


def missing_argument(formal: ast.Formal, pattern: ast.Pattern, given: dict[str, Any], span: Span) -> GwError:
    unknown = [name for name in given if name not in {f.name for f in pattern.formals}]
    close = difflib.get_close_matches(formal.name, unknown, n=1, cutoff=0.6)
    return error("E0210", f"missing argument `{formal.name}`", span, f"this call does not give `{formal.name}`",
                 secondary=[Label(formal.span, "required here")],
                 help=(f"the call gives `{close[0]}`: did you mean `{formal.name}`?" if close
                       else f"pass `{formal.name} = ...;` or give it a default with `?`"))


def fields_note(value: Any) -> str:
    names = operators.domain_field_names(value)
    if not names:
        return f"{type_name(value)} has no fields"
    return "its fields are " + ", ".join(f"`{n}`" for n in names)


def number_with_unit_word(expr: ast.Apply, word: ast.Var) -> GwError | None:
    """`4G` or `4 GiB`: a number applied to a unit-like name, which the lexer cannot take for a size.

    Only a number and one of the language's units written as one word is a
    size literal; anything else lexes as an integer and a name, which then
    reads as a call.  "cannot call an integer" alone leaves a newcomer
    guessing, so the help writes the size they meant.
    """
    unit = unit_meant(word.name)
    if unit is None:
        return None
    number = expr.span.source.text[expr.function.span.start:expr.function.span.end]
    meant = f"{number}{unit}" if type(expr.function) is ast.IntLit else f"{number} * 1{unit}"
    if type(expr.function) is not ast.IntLit:
        label = f"`{word.name}` alone is not a value: a unit belongs to a size literal"
    elif word.name == unit:
        label = "a size is written without a space"
    else:
        label = f"`{word.name}` is not a unit of size"
    return error("E0215", "cannot call an integer", expr.span, label,
                 notes=[f"a size is a number and its unit in one word: {SIZE_EXAMPLES}"],
                 help=f"write `{meant}`")


_NUMBER_BEFORE = re.compile(r"(?<![A-Za-z0-9_'-])([0-9]+)[ \t]*$")   # a number, not the end of a name


def size_meant(expr: ast.Var) -> str | None:
    """`[ 4G ]`, `[ 4 GiB ]`: a unit-like name right after a number, in a list where it is not a call.

    The number is a list element of its own, so only the text before the
    name shows that the two were meant as one size.
    """
    unit = unit_meant(expr.name)
    # a window before the name is enough (the lookbehind still sees past its start)
    before = _NUMBER_BEFORE.search(expr.span.source.text, max(0, expr.span.start - 64), expr.span.start)
    if unit is None or before is None or before.end() != expr.span.start:
        return None
    return f"write `{before.group(1)}{unit}`: a size is a number and its unit in one word ({SIZE_EXAMPLES})"


def suggest_name(name: str, scope: Scope) -> str | None:
    """A did-you-mean for an undefined name, from the names the author most likely meant.

    A misspelt name in a site is most often a host or node (`after = [ instal ];`),
    then a name of the program; a builtin is offered only when nothing
    nearer fits, so `instal` suggests the node `install` and not `tail`.
    """
    entities: list[str] = []
    program: list[str] = []
    builtins: list[str] = []
    current: Scope | None = scope
    while current is not None:
        for candidate, value in current.names.items():
            if current.parent is None:
                builtins.append(candidate)
            elif type(value) is AttrSet and value.entity is not None and value.entity[1] == candidate \
                    and value.entity[0] in ("host", "node"):
                entities.append(candidate)
            else:
                program.append(candidate)
        current = current.parent
    for tier in (entities, program, builtins):
        found = did_you_mean(name, tier)
        if found is not None:
            return found
    return None
