"""Lowering: Lark's parse events to `gwlang.syntax.ast` nodes.

The transformer runs inline with the LALR parser (no intermediate tree), with
every token kept, so each node's span runs from its first token to its last.
Mistakes the grammar lets through on purpose (a comma in a list, an octet
above 255) are collected as diagnostics here, and the node is still built so
that parsing goes on and finds the next independent error.  The rules of
schemas are in `lower_schema.py`, the helpers every rule shares in
`lower_base.py`, the text of literals in `literals.py`.
"""

from __future__ import annotations

from typing import Any

from lark import Token

from gwlang.diagnostics import Diagnostic, Label, Span
from gwlang.eval.limits import MAX_FAMILY_SIZE, shown
from gwlang.syntax import ast
from gwlang.syntax.literals import ESCAPES, dedent
from gwlang.syntax.literals import unescape as unescape  # model/explain.py reads it from here
from gwlang.syntax.lower_base import PlainString, is_plain_string, plain_string
from gwlang.syntax.lower_schema import SchemaLowering


class Lowerer(SchemaLowering):
    """Builds AST nodes as the parser reduces; `source` is set before each parse."""

    # -- module and items ------------------------------------------------------

    def module_items(self, c: list[Any]) -> ast.Module:
        return ast.Module(tuple(c), None, self._span(c), tuple(self.imports))

    def module_expr(self, c: list[Any]) -> ast.Module:
        return ast.Module((), c[0], self._span(c), tuple(self.imports))

    def import_qualified(self, c: list[Any]) -> ast.ImportItem:
        target, search = _import_target(c[1])
        item = ast.ImportItem(target, search, ast.Name(str(c[3]), self._token_span(c[3])), self._span(c))
        self.imports.append(item)
        return item

    def import_open(self, c: list[Any]) -> ast.ImportItem:
        target, search = _import_target(c[1])
        item = ast.ImportItem(target, search, None, self._span(c))
        self.imports.append(item)
        return item

    def let_item(self, c: list[Any]) -> ast.LetItem:
        return ast.LetItem(tuple(c[1:]), self._span(c))

    def string_plain(self, c: list[Any]) -> PlainString:
        return PlainString("".join(unescape(str(t)) for t in c[1:-1]), self._span(c))

    def import_expr(self, c: list[Any]) -> ast.Import:
        target, search = _import_target(c[1])
        node = ast.Import(target, search, self._span(c))
        self.imports.append(node)
        return node

    # -- profiles and sites --------------------------------------------------------

    def extends_clause(self, c: list[Any]) -> tuple[ast.Name, ...]:
        return tuple(self._name(t) for t in c[1:] if t.type == "ID")

    def profile_decl(self, c: list[Any]) -> ast.ProfileDecl:
        abstract, rest = self._flag(c, "ABSTRACT")
        name = self._name(rest[1])
        parents: tuple[ast.Name, ...] = ()
        body_start = 2
        if isinstance(rest[2], tuple):
            parents = rest[2]
            body_start = 3
        body = tuple(rest[body_start + 1:-1])
        return ast.ProfileDecl(name, abstract, parents, body, self._span(c))

    def site_decl(self, c: list[Any]) -> ast.SiteDecl:
        abstract, rest = self._flag(c, "ABSTRACT")
        name = self._name(rest[1])
        parents: tuple[ast.Name, ...] = ()
        body_start = 2
        if isinstance(rest[2], tuple):
            parents = rest[2]
            body_start = 3
        return ast.SiteDecl(name, abstract, parents, tuple(rest[body_start + 1:-1]), self._span(c))

    def host_decl(self, c: list[Any]) -> ast.HostDecl:
        return ast.HostDecl(self._name(c[1]), tuple(c[3:-1]), self._span(c))

    def node_decl(self, c: list[Any]) -> ast.NodeDecl:
        name, family = c[1]
        profiles: tuple[ast.Name, ...] | None = None
        body_start = 2
        if isinstance(c[2], tuple):
            profiles = c[2]
            body_start = 3
        return ast.NodeDecl(name, family, profiles, tuple(c[body_start + 1:-1]), self._span(c))

    def node_single(self, c: list[Any]) -> tuple[ast.Name, ast.Family | None]:
        return self._name(c[0]), None

    def node_family(self, c: list[Any]) -> tuple[ast.Name, ast.Family | None]:
        low_token, high_token = c[2], c[4]
        low, high = self._int(low_token), self._int(high_token)
        span = self._span(c[1:])
        if low > high:
            self._report("E0112", "a node family's range runs backwards", span,
                         f"{low} is above {high}", help=f"write `[{high_token}..{low_token}]`")
        elif high - low + 1 > MAX_FAMILY_SIZE:
            # Found here, before sites.py makes a name per member.
            self._report("E0230", "this node family is too large", span,
                         f"{shown(high - low + 1)} nodes", notes=(f"a family has at most {MAX_FAMILY_SIZE:,} nodes",),
                         help="check the bounds; declare several families if a site really has more nodes")
            high = low
        width = len(str(low_token)) if str(low_token).startswith("0") else 1
        return self._name(c[0]), ast.Family(low, high, width, span)

    def profile_list(self, c: list[Any]) -> tuple[ast.Name, ...]:
        return tuple(self._name(t) for t in c[1:] if t.type == "ID")

    def stmt_define(self, c: list[Any]) -> ast.Define:
        final, rest = self._flag(c, "FINAL")
        return ast.Define(rest[0], "=", rest[2], final, self._span(c))

    def stmt_default(self, c: list[Any]) -> ast.Define:
        return ast.Define(c[0], "?=", c[2], False, self._span(c))

    def stmt_add(self, c: list[Any]) -> ast.Define:
        return ast.Define(c[0], "+=", c[2], False, self._span(c))

    def stmt_remove(self, c: list[Any]) -> ast.Define:
        return ast.Define(c[0], "-=", c[2], False, self._span(c))

    def stmt_assert(self, c: list[Any]) -> ast.Assert:
        return ast.Assert(c[1], c[3], self._span(c))

    # -- expressions -------------------------------------------------------------

    def lambda_plain(self, c: list[Any]) -> ast.Lambda:
        return ast.Lambda(str(c[0]), c[2], self._span(c))

    def _pattern(self, c: list[Any], bind_as: Token | None) -> ast.Pattern:
        formals: tuple[ast.Formal, ...] = ()
        ellipsis = False
        for child in c:
            if isinstance(child, tuple):
                formals, ellipsis = child
        self._check_duplicate_formals(formals, bind_as)
        name = None if bind_as is None else str(bind_as)
        return ast.Pattern(formals, ellipsis, name, self._span(c))

    def _check_duplicate_formals(self, formals: tuple[ast.Formal, ...], bind_as: Token | None) -> None:
        """Each name once per pattern, the `@` name included: Nix rejects the rest when parsing.

        Reported here rather than left to the evaluator, where the last binding
        would silently win, and even in a function never called.
        """
        # By place, so that in `{ x }@x` the one named again is the `@` name.
        names = [(formal.name, Span(self.source, formal.span.start, formal.span.start + len(formal.name)))
                 for formal in formals]
        if bind_as is not None:
            names.append((str(bind_as), self._token_span(bind_as)))
        first: dict[str, Span] = {}
        for name, span in sorted(names, key=lambda named: named[1].start):
            if name not in first:
                first[name] = span
                continue
            self.diagnostics.append(Diagnostic(
                "E0113", f"duplicate function argument `{name}`", Label(span, "named again here"),
                (Label(first[name], "first named here"),),
                ("a function's arguments, its `@` name included, must each have a name of their own",),
                f"rename or remove one of the two `{name}`"))

    def lambda_pattern(self, c: list[Any]) -> ast.Lambda:
        return ast.Lambda(self._pattern(c[:-2], None), c[-1], self._span(c))

    def lambda_pattern_at_right(self, c: list[Any]) -> ast.Lambda:
        return ast.Lambda(self._pattern(c[:-4], c[-3]), c[-1], self._span(c))

    def lambda_pattern_at_left(self, c: list[Any]) -> ast.Lambda:
        return ast.Lambda(self._pattern(c[2:-2], c[0]), c[-1], self._span(c))

    def formals(self, c: list[Any]) -> tuple[tuple[ast.Formal, ...], bool]:
        formals = tuple(x for x in c if isinstance(x, ast.Formal))
        ellipsis = any(isinstance(x, Token) and x.type == "ELLIPSIS" for x in c)
        return formals, ellipsis

    def formal(self, c: list[Any]) -> ast.Formal:
        return ast.Formal(str(c[0]), c[2] if len(c) == 3 else None, self._span(c))

    def let_expr(self, c: list[Any]) -> ast.Let:
        return ast.Let(tuple(c[1:-2]), c[-1], self._span(c))

    def if_expr(self, c: list[Any]) -> ast.If:
        return ast.If(c[1], c[3], c[5], self._span(c))

    def binop(self, c: list[Any]) -> ast.BinOp:
        operator: Token = c[1]
        return ast.BinOp(str(operator), c[0], c[2], self._span(c), self._token_span(operator))  # type: ignore[arg-type]

    def not_(self, c: list[Any]) -> ast.Not:
        return ast.Not(c[1], self._span(c))

    def negate(self, c: list[Any]) -> ast.Expr:
        operand = c[1]
        if isinstance(operand, ast.IntLit):
            return ast.IntLit(-operand.value, self._span(c))
        return ast.Negate(operand, self._span(c))

    def has_attr(self, c: list[Any]) -> ast.HasAttr:
        return ast.HasAttr(c[0], c[2], self._span(c))

    def apply(self, c: list[Any]) -> ast.Apply:
        return ast.Apply(c[0], c[1], self._span(c))

    def select(self, c: list[Any]) -> ast.Select:
        return ast.Select(c[0], c[2], None, self._span(c))

    def select_or(self, c: list[Any]) -> ast.Select:
        return ast.Select(c[0], c[2], c[4], self._span(c))

    def int_lit(self, c: list[Any]) -> ast.IntLit:
        return ast.IntLit(self._int(c[0]), self._span(c))

    def size_lit(self, c: list[Any]) -> ast.SizeLit:
        size = self._size(c[0])
        return ast.SizeLit(size.text, size.value, self._span(c))

    def ipv4_lit(self, c: list[Any]) -> ast.DomainLit:
        span = self._span(c)
        self._check_octets(str(c[0]), span)
        return ast.DomainLit("ipv4", str(c[0]), span)

    def ipv4_net_lit(self, c: list[Any]) -> ast.DomainLit:
        span = self._span(c)
        text = str(c[0])
        address, prefix = text.split("/")
        self._check_octets(address, span)
        if int(prefix) > 32:
            self._report("E0109", "an IPv4 network prefix is at most 32", span, f"prefix {prefix}")
        return ast.DomainLit("net", text, span)

    def _check_octets(self, text: str, span: Span) -> None:
        bad = [octet for octet in text.split(".") if int(octet) > 255]
        if bad:
            self._report("E0109", f"`{text}` is not an IPv4 address", span,
                         f"octet {bad[0]} is above 255")

    def mac_lit(self, c: list[Any]) -> ast.DomainLit:
        return ast.DomainLit("mac", str(c[0]).lower(), self._span(c))

    def true_lit(self, c: list[Any]) -> ast.Const:
        return ast.Const(True, self._span(c))

    def false_lit(self, c: list[Any]) -> ast.Const:
        return ast.Const(False, self._span(c))

    def null_lit(self, c: list[Any]) -> ast.Const:
        return ast.Const(None, self._span(c))

    def var(self, c: list[Any]) -> ast.Var:
        return ast.Var(str(c[0]), self._span(c))

    def paren(self, c: list[Any]) -> ast.Expr:
        inner: ast.Expr = c[1]
        return inner

    def list_(self, c: list[Any]) -> ast.ListExpr:
        items = []
        for child in c[1:-1]:
            if isinstance(child, Token):
                self._report("E0103", "lists are separated by spaces, not commas",
                             self._token_span(child), "remove this comma",
                             help="write `[ a b c ]`")
            else:
                items.append(child)
        return ast.ListExpr(tuple(items), self._span(c))

    def attrset(self, c: list[Any]) -> ast.AttrSet:
        return ast.AttrSet(tuple(c[1:-1]), False, self._span(c))

    def rec_attrset(self, c: list[Any]) -> ast.AttrSet:
        return ast.AttrSet(tuple(c[2:-1]), True, self._span(c))

    def bind(self, c: list[Any]) -> ast.Bind:
        return ast.Bind(c[0], c[2], self._span(c))

    def inherit(self, c: list[Any]) -> ast.Inherit:
        names = tuple(ast.StaticKey(str(t), self._token_span(t)) for t in c[1:-1])
        return ast.Inherit(names, None, self._span(c))

    def inherit_from(self, c: list[Any]) -> ast.Inherit:
        names = tuple(ast.StaticKey(str(t), self._token_span(t)) for t in c[4:-1])
        return ast.Inherit(names, c[2], self._span(c))

    def attrpath(self, c: list[Any]) -> tuple[ast.AttrKey, ...]:
        return tuple(x for x in c if not isinstance(x, Token))

    def attr_id(self, c: list[Any]) -> ast.StaticKey:
        return ast.StaticKey(str(c[0]), self._span(c))

    def attr_string(self, c: list[Any]) -> ast.AttrKey:
        value: ast.Str = c[0]
        if is_plain_string(value):
            return ast.StaticKey(plain_string(value), self._span(c))
        return ast.DynamicKey(value, self._span(c))

    def attr_dynamic(self, c: list[Any]) -> ast.DynamicKey:
        return ast.DynamicKey(c[1], self._span(c))

    def string(self, c: list[Any]) -> ast.Str:
        parts: list[str | ast.Expr] = []
        for piece in c[1:-1]:
            if isinstance(piece, str) and parts and isinstance(parts[-1], str):
                parts[-1] += piece
            else:
                parts.append(piece)
        return ast.Str(tuple(parts), False, self._span(c))

    def str_chunk(self, c: list[Any]) -> str:
        return unescape(str(c[0]))

    def str_interp(self, c: list[Any]) -> ast.Expr:
        inner: ast.Expr = c[1]
        return inner

    def indented_string(self, c: list[Any]) -> ast.Str:
        return ast.Str(dedent(c[1:-1]), True, self._span(c))

    def ind_chunk(self, c: list[Any]) -> tuple[str, str]:
        return ("text", str(c[0]))

    def ind_escape(self, c: list[Any]) -> tuple[str, str]:
        text = str(c[0])
        if text == "'''":
            return ("escape", "''")
        if text == "''$":
            return ("escape", "$")
        return ("escape", ESCAPES.get(text[3], text[3]))


def _import_target(target: PlainString | Token) -> tuple[str, bool]:
    """`"./x.gw"` arrives lowered; `<a/b.gw>` as its token.  True for a search path."""
    if isinstance(target, Token):
        return str(target)[1:-1], True
    return target.text, False
