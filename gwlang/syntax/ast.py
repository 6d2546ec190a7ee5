"""The abstract syntax of gw: frozen, slotted dataclasses, one per form.

Every node carries the `Span` it was written at; spans never take part in
equality, so two parses of the same program compare equal wherever it was
written.  Nodes hold no behaviour: the evaluator and the printer dispatch on
them with `match`.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from gwlang.diagnostics import Span
from gwlang.syntax.nodes import Node

# ---------------------------------------------------------------- expressions


class IntLit(Node):
    """`42`"""
    value: int
    span: Span = field(compare=False, repr=False)


class SizeLit(Node):
    """`512MiB`: `text` as written, `value` in bytes."""
    text: str
    value: int
    span: Span = field(compare=False, repr=False)


class DomainLit(Node):
    """An address literal: `10.0.0.1` (ipv4), `10.0.0.0/24` (net), `00:16:3e:00:00:01` (mac)."""
    kind: Literal["ipv4", "net", "mac"]
    text: str
    span: Span = field(compare=False, repr=False)


class Const(Node):
    """`true`, `false`, `null`."""
    value: bool | None
    span: Span = field(compare=False, repr=False)


class Str(Node):
    """`"a ${b} c"` or `''...''`: literal pieces and interpolated expressions, in order.

    `indented` records how the string was written, as the span records
    where: both forms of the same text are the same string, so it does not
    take part in equality.
    """
    parts: tuple[str | Expr, ...]
    indented: bool = field(compare=False)
    span: Span = field(compare=False, repr=False)


class Var(Node):
    """`name`"""
    name: str
    span: Span = field(compare=False, repr=False)


class StaticKey(Node):
    """`a` or `"a b"` in an attribute path."""
    name: str
    span: Span = field(compare=False, repr=False)


class DynamicKey(Node):
    """`${expr}` in an attribute path."""
    expr: Expr
    span: Span = field(compare=False, repr=False)


AttrKey = StaticKey | DynamicKey


class Select(Node):
    """`e.a.b` or `e.a.b or default`."""
    target: Expr
    path: tuple[AttrKey, ...]
    default: Expr | None
    span: Span = field(compare=False, repr=False)


class HasAttr(Node):
    """`e ? a.b`"""
    target: Expr
    path: tuple[AttrKey, ...]
    span: Span = field(compare=False, repr=False)


class Apply(Node):
    """`f x`"""
    function: Expr
    argument: Expr
    span: Span = field(compare=False, repr=False)


class Formal(Node):
    """`name` or `name ? default` in a set pattern."""
    name: str
    default: Expr | None
    span: Span = field(compare=False, repr=False)


class Pattern(Node):
    """`{ a, b ? 1, ... }`, optionally bound whole with `args@`."""
    formals: tuple[Formal, ...]
    ellipsis: bool
    bind_as: str | None
    span: Span = field(compare=False, repr=False)


class Lambda(Node):
    """`x: body` (param is a name) or `{ a, b ? 1 }: body` (param is a pattern)."""
    param: str | Pattern
    body: Expr
    span: Span = field(compare=False, repr=False)


class Bind(Node):
    """`a.b = e;` inside an attribute set or `let`."""
    path: tuple[AttrKey, ...]
    value: Expr
    span: Span = field(compare=False, repr=False)


class Inherit(Node):
    """`inherit a b;` or `inherit (e) a b;`"""
    names: tuple[StaticKey, ...]
    source: Expr | None
    span: Span = field(compare=False, repr=False)


Binding = Bind | Inherit


class AttrSet(Node):
    """`{ a = 1; }`, or `rec { ... }` where the values see each other."""
    bindings: tuple[Binding, ...]
    recursive: bool
    span: Span = field(compare=False, repr=False)


class ListExpr(Node):
    """`[ a b c ]`"""
    items: tuple[Expr, ...]
    span: Span = field(compare=False, repr=False)


class Let(Node):
    """`let a = 1; b = a; in body` (recursive, lazy)."""
    bindings: tuple[Binding, ...]
    body: Expr
    span: Span = field(compare=False, repr=False)


class If(Node):
    """`if c then a else b`"""
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span = field(compare=False, repr=False)


BinaryOperator = Literal["->", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "//",
                         "+", "-", "*", "/", "++"]


class BinOp(Node):
    """`a OP b` for every infix operator; `op_span` points at the operator."""
    op: BinaryOperator
    left: Expr
    right: Expr
    span: Span = field(compare=False, repr=False)
    op_span: Span = field(compare=False, repr=False)


class Not(Node):
    """`!e`"""
    operand: Expr
    span: Span = field(compare=False, repr=False)


class Negate(Node):
    """`-e`"""
    operand: Expr
    span: Span = field(compare=False, repr=False)


class Import(Node):
    """`import "./x.gw"` (relative) or `import <a/b.gw>` (search path)."""
    target: str
    search: bool
    span: Span = field(compare=False, repr=False)


Expr = (IntLit | SizeLit | DomainLit | Const | Str | Var | Select | HasAttr | Apply | Lambda
        | AttrSet | ListExpr | Let | If | BinOp | Not | Negate | Import)

# ---------------------------------------------------------------- declarations


class Name(Node):
    """A declared or referenced name with its own span."""
    name: str
    span: Span = field(compare=False, repr=False)


StatementOp = Literal["=", "?=", "+=", "-="]


class Define(Node):
    """`path = e;`, `path ?= e;`, `path += e;`, `path -= e;`, `final path = e;`"""
    path: tuple[AttrKey, ...]
    op: StatementOp
    value: Expr
    final: bool
    span: Span = field(compare=False, repr=False)


class Assert(Node):
    """`assert condition, "message";`"""
    condition: Expr
    message: Expr
    span: Span = field(compare=False, repr=False)


Statement = Define | Assert


class TypeName(Node):
    """`int`, `string`, `interface` (a schema name)."""
    name: str
    span: Span = field(compare=False, repr=False)


class TypeRange(Node):
    """`1..128`, `16MiB..`, `..64` inside a type call."""
    low: int | SizeLit | None
    high: int | SizeLit | None
    span: Span = field(compare=False, repr=False)


TypeArg = int | SizeLit | str | TypeName | TypeRange


class TypeCall(Node):
    """`int(1..64)`, `size(16MiB..)`, `enum("a", "b")`, `ref(host)`."""
    name: str
    args: tuple[TypeArg, ...]
    span: Span = field(compare=False, repr=False)


class TypeList(Node):
    """`[T]`"""
    element: TypeExpr
    span: Span = field(compare=False, repr=False)


class TypeAttrs(Node):
    """`{K: T}`"""
    key: TypeExpr
    value: TypeExpr
    span: Span = field(compare=False, repr=False)


class TypeNullable(Node):
    """`T?`"""
    inner: TypeExpr
    span: Span = field(compare=False, repr=False)


TypeExpr = TypeName | TypeCall | TypeList | TypeAttrs | TypeNullable


class Field(Node):
    """`path : type = default "documentation";` in a schema."""
    path: tuple[AttrKey, ...]
    type: TypeExpr
    default: Expr | None
    doc: str | None
    span: Span = field(compare=False, repr=False)


class SchemaDecl(Node):
    """`schema node { ... }`"""
    name: Name
    fields: tuple[Field, ...]
    span: Span = field(compare=False, repr=False)


class ProfileDecl(Node):
    """`[abstract] profile ui extends base, x { statements }`"""
    name: Name
    abstract: bool
    parents: tuple[Name, ...]
    body: tuple[Statement, ...]
    span: Span = field(compare=False, repr=False)


class HostDecl(Node):
    """`host gw { statements }`"""
    name: Name
    body: tuple[Statement, ...]
    span: Span = field(compare=False, repr=False)


class Family(Node):
    """`[01..16]` after a node name: bounds and the zero-padding width."""
    low: int
    high: int
    width: int
    span: Span = field(compare=False, repr=False)


class NodeDecl(Node):
    """`node ce : P1, P2 { ... }`, `node wn[01..04] : wn { ... }`, or `node ce { ... }`."""
    name: Name
    family: Family | None
    profiles: tuple[Name, ...] | None
    body: tuple[Statement, ...]
    span: Span = field(compare=False, repr=False)


SiteItem = Define | Assert | HostDecl | NodeDecl


class SiteDecl(Node):
    """`[abstract] site ucc extends gateway { ... }`"""
    name: Name
    abstract: bool
    parents: tuple[Name, ...]
    items: tuple[SiteItem, ...]
    span: Span = field(compare=False, repr=False)


class ImportItem(Node):
    """`import <a/b.gw>;` (names join the scope) or `import "./x.gw" as x;`."""
    target: str
    search: bool
    alias: Name | None
    span: Span = field(compare=False, repr=False)


class LetItem(Node):
    """`let a = 1; b = 2;` at module level."""
    bindings: tuple[Binding, ...]
    span: Span = field(compare=False, repr=False)


Item = ImportItem | LetItem | SchemaDecl | ProfileDecl | SiteDecl


class Module(Node):
    """A file: either items, or one expression (`body`).

    `imports` lists every import the file contains, items and expressions
    alike, so the loader can load (and check for cycles) before evaluating.
    """
    items: tuple[Item, ...]
    body: Expr | None
    span: Span = field(compare=False, repr=False)
    imports: tuple[Import | ImportItem, ...] = field(default=(), compare=False, repr=False)
