"""The wording of merge diagnostics: one function per mistake, each saying where and how to fix it.

Merging finds the mistake; this module words it.  Keeping the sentences
here keeps the merge steps short, and puts every message of the merge
stage (E0301-E0308, E0401, E0404, E0406) where a reviewer can read them
together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gwlang.diagnostics import GwError, Label, Span, did_you_mean, error
from gwlang.eval.printer import Collector, to_gw
from gwlang.eval.values import AttrSet
from gwlang.model.fixes import Mismatch, fix_for
from gwlang.model.provenance import chain
from gwlang.model.types import AttrsType, FieldSpec, ListType, RecordType, RefType, Type, describe

if TYPE_CHECKING:
    from gwlang.eval.evaluator import Evaluator
    from gwlang.model.definitions import Definition
    from gwlang.model.merge import Entity


def shown_path(path: tuple[str, ...]) -> str:
    """`after[0]`, `vm.memory`: a path inside an entity as messages show it."""
    return "".join(name if name.startswith("[") else f".{name}" for name in path).lstrip(".")


def show(evaluator: Evaluator, value: Any) -> str:
    """A value as gw text, cut at 40 characters for a label."""
    text = to_gw(evaluator, value, Collector())
    return text if len(text) <= 40 else text[:37] + "..."


def _fields_note(place: str, record: RecordType) -> str:
    return f"{place} has " + ", ".join(f"`{f}`" for f in sorted(record.fields))


# -- paths (static) ------------------------------------------------------------------------


def undeclared_attribute(definition: Definition, depth: int, record: RecordType, kind: str,
                         schema: RecordType) -> GwError:
    name = definition.path[depth]
    where = ".".join(definition.path[:depth])
    place = f"`{where}`" if where else f"schema `{schema.name}`"
    return error("E0404", f"{kind} attribute `{'.'.join(definition.path[:depth + 1])}` is not declared",
                 definition.span, f"defined in {definition.body.label}",
                 help=did_you_mean(name, record.fields),
                 notes=[_fields_note(place, record) if record.fields else f"{place} declares no attributes",
                        "declare new attributes with `schema`"])


def no_attributes(definition: Definition, depth: int, holder: Type, schema: RecordType) -> GwError:
    shown = ".".join(definition.path[:depth])
    return error("E0404", f"`{shown}` is {describe(holder)}, it has no attribute `{definition.path[depth]}`",
                 definition.span, f"defined in {definition.body.label}",
                 notes=[f"`{shown}` is declared in schema `{schema.name}`"])


def after_final(definition: Definition, final: Definition) -> GwError:
    path = ".".join(final.path)
    return error("E0304", f"`{'.'.join(definition.path)}` is changed after `final {path}`",
                 definition.span, f"changed here ({definition.body.label})",
                 secondary=[Label(final.span, f"made final here ({final.body.label})")],
                 notes=[f"a `final` definition is the last word on `{path}` and everything under it"],
                 help=f"remove this definition, or drop `final` from {final.body.label}")


def undeclared_member(kind: str, path: tuple[str, ...], key: str, record: RecordType,
                      definition: Definition, value: AttrSet) -> GwError:
    """A set given to a record (`vm = { memroy = ...; }`) names a field the record lacks."""
    return error("E0404", f"{kind} attribute `{'.'.join(path + (key,))}` is not declared",
                 value.spans.get(key, definition.value_span), f"set in {definition.body.label}",
                 help=did_you_mean(key, record.fields), notes=[_fields_note(f"`{'.'.join(path)}`", record)])


# -- sets -------------------------------------------------------------------------------------


def bad_key(entity: Entity, path: tuple[str, ...], kind: AttrsType, key: str, issue: str,
            definition: Definition | None) -> GwError:
    """The names of a `{K: T}` set are values of type K too (`files` keys are paths)."""
    return error("E0401", f"the names of `{'.'.join(path)}` of {entity.title} must be "
                 f"{describe(kind.key, plural=True)}; `{key}` is not: {issue}",
                 definition.span if definition else entity.declared_at,
                 f"defined here ({definition.body.label})" if definition else "")


def record_removal(definition: Definition) -> GwError:
    return error("E0307", f"`-=` cannot remove fields of the record `{'.'.join(definition.path)}`",
                 definition.span, f"in {definition.body.label}",
                 help="set the field to another value, or to null if its type allows it")


def names_expected(definition: Definition) -> GwError:
    return error("E0401", f"`{'.'.join(definition.path)} -= ...` takes a list of names",
                 definition.value_span, f"in {definition.body.label}")


def mutation_of_scalar(path: tuple[str, ...], kind: Type, mutation: Definition) -> GwError:
    return error("E0308", f"`{mutation.op}` needs a list or an attribute set; `{'.'.join(path)}` is "
                 f"{describe(kind)}", mutation.span, f"in {mutation.body.label}",
                 help="use `=` to replace the value")


# -- values -----------------------------------------------------------------------------------


def conflict(entity: Entity, path: tuple[str, ...], standing: list[Definition], values: list[Any]) -> GwError:
    """Rule 5: two `=` that no later definition overrides, with different values; every side shown."""
    shown = ".".join(path)
    last, other = standing[-1], standing[-2]
    labels = [Label(d.value_span, f"also defined as {show(entity.evaluator, v)} here ({d.body.label})")
              for d, v in zip(standing[:-1], values[:-1], strict=True)]
    names = " and ".join(d.body.label for d in (other, last))
    return error("E0301", f"conflicting definitions of `{shown}` for {entity.title}", last.value_span,
                 f"defined as {show(entity.evaluator, values[-1])} here ({last.body.label})",
                 secondary=labels,
                 notes=[f"{names} both apply to {entity.title}; neither inherits from the other"],
                 help=f"set `{shown}` in {entity.title} itself, or use `?=` in one of them")


def type_error(entity: Entity, path: tuple[str, ...], kind: Type, definition: Definition | None,
               issue: str, value: Any) -> GwError:
    shown = shown_path(path)
    if definition is None:
        return error("E0401", f"`{shown}` of {entity.title} must be {describe(kind)}; {issue}",
                     entity.declared_at, "the value comes from a default")
    bodies = chain(entity.bodies, definition.body)
    notes = [f"it reaches {entity.title} through " + " -> ".join(body.label for body in bodies)] \
        if len(bodies) > 1 else []
    return error("E0401", f"`{shown}` of {entity.title} must be {describe(kind)}; {issue}",
                 definition.value_span, f"defined here ({definition.body.label})", notes=notes,
                 help=fix_for(_mismatch(entity, path, kind, definition, value)))


def _mismatch(entity: Entity, path: tuple[str, ...], kind: Type, definition: Definition, value: Any) -> Mismatch:
    """What `fix_for` needs: the statement as written when `value` is all or an element of its value."""
    element = path[:-1] == definition.path and path[-1].startswith("[")
    statement = None
    if path == definition.path or element:
        span = definition.value_span
        statement = (shown_path(definition.path), definition.op, span.source.text[span.start:span.end])
    referred = kind.element if isinstance(kind, ListType) else kind
    names = entity.late_names.get(f"{referred.kind}s") if isinstance(referred, RefType) else None
    return Mismatch(kind, value, statement, element, names.attrs if type(names) is AttrSet else ())


def not_a_field(entity: Entity, path: tuple[str, ...], kind: RecordType, key: str, span: Span) -> GwError:
    return error("E0404", f"`{key}` is not a field of `{kind.name}`", span,
                 f"in `{'.'.join(path)}` of {entity.title}", help=did_you_mean(key, kind.fields),
                 notes=[_fields_note(f"`{kind.name}`", kind)])


def lacks_field(entity: Entity, path: tuple[str, ...], kind: RecordType, name: str, spec: FieldSpec,
                span: Span) -> GwError:
    return error("E0406", f"`{'.'.join(path)}` of {entity.title} lacks the field `{name}`", span,
                 f"this `{kind.name}` has no `{name}`",
                 secondary=[Label(spec.span, f"`{name}` is required here")],
                 help=f"add `{name} = ...;`")
