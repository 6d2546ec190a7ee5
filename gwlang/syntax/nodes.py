"""Declaring the AST's classes cheaply: slotted, frozen for the type checker, their methods made once.

`@dataclass(frozen=True, slots=True)` cost every `gwc` start 30 ms for the
AST's 43 classes: it creates each class twice (slots can only be added by
making a new class) and compiles six methods per class with `exec`, one at
a time.  A class deriving from `Node` is declared the same way (annotated
fields; `field(compare=False, repr=False)` for spans) and reads the same
way (`dataclasses.fields`, `match` with positional patterns, equality and
hashing over the compared fields, the same `repr`), but:

- its metaclass gives it its slots as it is created, once;
- `__eq__`, `__hash__` and `__repr__` are shared functions reading the
  fields through one `attrgetter` per class;
- the only generated method, `__init__` (the lowering creates a node per
  construct, and unpickling a cached AST calls it for each node: it must be
  the fast one), is compiled when the class's first node is made, so a
  command compiles those of the classes it uses (a handful for a small
  file read from the parse cache);
- frozen is checked by mypy (`dataclass_transform(frozen_default=True)`),
  not at run time: a frozen dataclass's `__init__` pays an
  `object.__setattr__` per field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, dataclass_transform

# `dataclasses.fields` lists only the fields marked with this private marker of the module.
_FIELD_MARKER = vars(dataclasses)["_FIELD"]


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
class NodeMeta(type):
    """Makes a slotted class of the annotated fields, read by `dataclasses.fields` as a dataclass's."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> NodeMeta:
        annotations: dict[str, Any] = namespace.get("__annotations__", {})
        fields = {field_name: _field(field_name, kind, namespace.pop(field_name, dataclasses.MISSING))
                  for field_name, kind in annotations.items()}
        namespace["__slots__"] = tuple(fields)
        namespace["__match_args__"] = tuple(fields)
        namespace["__dataclass_fields__"] = fields
        compared = [field_name for field_name, spec in fields.items() if spec.compare]
        namespace["_compared"] = attrgetter(*compared) if compared else _nothing
        namespace["_shown"] = tuple(field_name for field_name, spec in fields.items() if spec.repr)
        namespace["_values"] = _values_getter(tuple(fields))
        return super().__new__(mcs, name, bases, namespace)


def _field(name: str, kind: Any, declared: Any) -> dataclasses.Field[Any]:
    spec: dataclasses.Field[Any] = (declared if isinstance(declared, dataclasses.Field)
                                    else dataclasses.field(default=declared))
    if spec.default_factory is not dataclasses.MISSING:
        raise TypeError(f"node field `{name}`: default factories are not supported")
    spec.name, spec.type = name, kind
    setattr(spec, "_field_type", _FIELD_MARKER)  # noqa: B010 (a private attribute typeshed leaves out)
    return spec


def _nothing(node: object) -> tuple[()]:
    return ()


def _values_getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A node's field values in order, as a tuple (`attrgetter` of one name gives the value alone)."""
    if len(names) == 1:
        single = attrgetter(names[0])
        return lambda node: (single(node),)
    return attrgetter(*names) if names else _nothing


class Node(metaclass=NodeMeta):
    """The base of every AST class: equality, hashing and `repr` as a dataclass has them."""

    __slots__ = ()
    if TYPE_CHECKING:   # set by the metaclass; no fields
        _compared: ClassVar[Callable[[Any], Any]]
        _shown: ClassVar[tuple[str, ...]]
        _values: ClassVar[Callable[[Any], tuple[Any, ...]]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A class's first node compiles the class's own `__init__`, then is made by it.
        made = type(self)
        made.__init__ = _initialiser(made)  # type: ignore[method-assign]
        made.__init__(self, *args, **kwargs)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        compared = type(self)._compared
        return bool(compared(self) == compared(other))

    def __hash__(self) -> int:
        return hash(type(self)._compared(self))

    def __reduce__(self) -> tuple[type[Node], tuple[Any, ...]]:
        # Pickled as a call of the class: unpickling runs `__init__` from C, the fastest way back.
        return type(self), type(self)._values(self)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{type(self).__qualname__}({shown})"


def _initialiser(made: type) -> Callable[..., None]:
    """`self.a = a` for each field: what a dataclass's `__init__` does, without its `object.__setattr__`."""
    fields: dict[str, dataclasses.Field[Any]] = vars(made)["__dataclass_fields__"]
    parameters, defaults = [], {}
    for name, spec in fields.items():
        if spec.default is dataclasses.MISSING:
            parameters.append(name)
        else:
            defaults[f"default_{name}"] = spec.default
            parameters.append(f"{name}=default_{name}")
    body = "".join(f"    self.{name} = {name}\n" for name in fields) or "    pass\n"
    exec(f"def __init__(self, {', '.join(parameters)}):\n{body}", defaults)
    initialiser: Callable[..., None] = defaults["__init__"]
    initialiser.__qualname__ = f"{made.__qualname__}.__init__"
    return initialiser
