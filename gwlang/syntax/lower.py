"""Lowering: Lark's parse events to `gwlang.syntax.ast` nodes.

The transformer runs inline with the LALR parser (no intermediate tree), with
every token kept, so each node's span runs from its first token to its last.
Mistakes the grammar lets through on purpose (a comma in a list, an octet
above 255) are collected as diagnostics here, and the node is still built so
that parsing goes on and finds the next independent error.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, TypeGuard

from lark import Token, Transformer

from gwlang.diagnostics import Diagnostic, Label, Source, Span
from gwlang.eval.limits import MAX_DIGITS, MAX_FAMILY_SIZE, shown
from gwlang.syntax import ast

SIZE_UNITS = {
    "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50,
    "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15,
}


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "$": "$"}


@dataclass(frozen=True, slots=True)
class _PlainString:
    """A string without interpolation where the grammar wants one: an import path, a field's documentation."""
    text: str
    span: Span


def parse_size(text: str) -> int:
    """Bytes of a size literal such as `512MiB` (the grammar guarantees the form)."""
    digits = len(text) - len(text.lstrip("0123456789"))
    return int(text[:digits]) * SIZE_UNITS[text[digits:]]


class Lowerer(Transformer[Token, Any]):
    """Builds AST nodes as the parser reduces; `source` is set before each parse."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.source = Source("<none>", "")
        self.diagnostics: list[Diagnostic] = []
        self.imports: list[ast.Import | ast.ImportItem] = []

    def reset(self, source: Source) -> None:
        self.source = source
        self.diagnostics = []
        self.imports = []

    # -- spans ---------------------------------------------------------------

    def _span(self, children: list[Any]) -> Span:
        first = _start_of(children[0])
        last = _end_of(children[-1])
        return Span(self.source, first, last)

    def _token_span(self, token: Token) -> Span:
        start = token.start_pos or 0
        return Span(self.source, start, token.end_pos if token.end_pos is not None else start)

    def _report(self, code: str, message: str, span: Span, label: str = "",
                notes: tuple[str, ...] = (), help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, Label(span, label), (), notes, help))

    def _int(self, token: Token) -> int:
        """An integer token's value; one too long to convert is reported, and read as 0."""
        digits = str(token).lstrip("-")
        if len(digits) > MAX_DIGITS:
            self._report("E0109", "this number is too long", self._token_span(token), f"{len(digits)} digits",
                         notes=(f"a number has at most {MAX_DIGITS} digits",))
            return 0
        return int(str(token))

    def _size(self, token: Token) -> ast.SizeLit:
        text = str(token)
        if len(text) > MAX_DIGITS:
            self._report("E0109", "this size is too long", self._token_span(token), f"{len(text)} characters",
                         notes=(f"a number has at most {MAX_DIGITS} digits",))
            return ast.SizeLit("0B", 0, self._token_span(token))
        return ast.SizeLit(text, parse_size(text), self._token_span(token))

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

    def string_plain(self, c: list[Any]) -> _PlainString:
        return _PlainString("".join(unescape(str(t)) for t in c[1:-1]), self._span(c))

    def import_expr(self, c: list[Any]) -> ast.Import:
        target, search = _import_target(c[1])
        node = ast.Import(target, search, self._span(c))
        self.imports.append(node)
        return node

    # -- schemas ---------------------------------------------------------------

    def schema_decl(self, c: list[Any]) -> ast.SchemaDecl:
        fields = tuple(x for x in c[3:-1])
        return ast.SchemaDecl(self._name(c[1]), fields, self._span(c))

    def field(self, c: list[Any]) -> ast.Field:
        default: ast.Expr | None = None
        doc: str | None = None
        if len(c) == 5:
            default = c[3]
            # `= 512MiB "Guest memory."` parses as an application; a trailing
            # string literal is the field's documentation, by definition.
            if isinstance(default, ast.Apply) and _is_plain_string(default.argument):
                doc = _plain_string(default.argument)
                default = default.function
        return ast.Field(c[0], c[2], default, doc, self._span(c))

    def field_documented(self, c: list[Any]) -> ast.Field:
        """`path : type "documentation";`, a field with no default."""
        doc: _PlainString = c[3]
        return ast.Field(c[0], c[2], None, doc.text, self._span(c))

    def field_default(self, c: list[Any]) -> ast.Expr:
        value: ast.Expr = c[1]
        return value

    def type_nullable(self, c: list[Any]) -> ast.TypeNullable:
        return ast.TypeNullable(c[0], self._span(c))

    def type_name(self, c: list[Any]) -> ast.TypeName:
        return ast.TypeName(str(c[0]), self._span(c))

    def type_call(self, c: list[Any]) -> ast.TypeCall:
        return ast.TypeCall(str(c[0]), tuple(c[2]), self._span(c))

    def type_list(self, c: list[Any]) -> ast.TypeList:
        return ast.TypeList(c[1], self._span(c))

    def type_attrs(self, c: list[Any]) -> ast.TypeAttrs:
        return ast.TypeAttrs(c[1], c[3], self._span(c))

    def type_atom(self, c: list[Any]) -> Any:
        return c[1]  # parenthesised type

    def type_args(self, c: list[Any]) -> list[ast.TypeArg]:
        return [x for x in c if not (isinstance(x, Token) and x.type == "COMMA")]

    def type_arg_literal(self, c: list[Any]) -> ast.TypeArg:
        token: Token = c[0]
        if token.type == "SIZE":
            return self._size(token)
        return self._int(token)

    def type_arg_string(self, c: list[Any]) -> str:
        value: ast.Str = c[0]
        return _plain_string(value) if _is_plain_string(value) else "".join(
            p for p in value.parts if isinstance(p, str))

    def type_arg_name(self, c: list[Any]) -> ast.TypeName:
        return ast.TypeName(str(c[0]), self._span(c))

    def type_arg_range(self, c: list[Any]) -> ast.TypeRange:
        low: Any = None
        high: Any = None
        seen_range = False
        for token in c:
            if token.type == "RANGE":
                seen_range = True
                continue
            bound: Any = self._size(token) if token.type == "SIZE" else self._int(token)
            if seen_range:
                high = bound
            else:
                low = bound
        return ast.TypeRange(low, high, self._span(c))

    # -- profiles and sites --------------------------------------------------------

    def _name(self, token: Token) -> ast.Name:
        return ast.Name(str(token), self._token_span(token))

    def _flag(self, c: list[Any], token_type: str) -> tuple[bool, list[Any]]:
        if c and isinstance(c[0], Token) and c[0].type == token_type:
            return True, c[1:]
        return False, c

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
        if _is_plain_string(value):
            return ast.StaticKey(_plain_string(value), self._span(c))
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
        return ast.Str(_dedent(c[1:-1]), True, self._span(c))

    def ind_chunk(self, c: list[Any]) -> tuple[str, str]:
        return ("text", str(c[0]))

    def ind_escape(self, c: list[Any]) -> tuple[str, str]:
        text = str(c[0])
        if text == "'''":
            return ("escape", "''")
        if text == "''$":
            return ("escape", "$")
        return ("escape", _ESCAPES.get(text[3], text[3]))


def _start_of(node: Any) -> int:
    if isinstance(node, Token):
        return node.start_pos or 0
    if isinstance(node, tuple):
        if node and isinstance(node[0], tuple) and node and isinstance(node[0][0], ast.Formal):
            return node[0][0].span.start
        for item in node:
            if item is not None and not isinstance(item, (str, bool)):
                return _start_of(item)
        raise ValueError("no span")
    if isinstance(node, list):
        return _start_of(node[0])
    return int(node.span.start)


def _end_of(node: Any) -> int:
    if isinstance(node, Token):
        return node.end_pos or 0
    if isinstance(node, tuple):
        for item in reversed(node):
            if item is not None and not isinstance(item, (str, bool)):
                return _end_of(item)
        raise ValueError("no span")
    if isinstance(node, list):
        return _end_of(node[-1])
    return int(node.span.end)


def _import_target(target: _PlainString | Token) -> tuple[str, bool]:
    """`"./x.gw"` arrives lowered; `<a/b.gw>` as its token.  True for a search path."""
    if isinstance(target, Token):
        return str(target)[1:-1], True
    return target.text, False


def unescape(chunk: str) -> str:
    """A string chunk's text with its escapes (`\\n`, `\\"`, `\\$`...) read as the language reads them."""
    if "\\" not in chunk:
        return chunk
    out: list[str] = []
    index = 0
    while index < len(chunk):
        char = chunk[index]
        if char == "\\" and index + 1 < len(chunk):
            following = chunk[index + 1]
            out.append(_ESCAPES.get(following, following))
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _is_plain_string(expr: Any) -> TypeGuard[ast.Str]:
    return isinstance(expr, ast.Str) and all(isinstance(p, str) for p in expr.parts)


def _plain_string(expr: ast.Str) -> str:
    return "".join(p for p in expr.parts if isinstance(p, str))


def _dedent(pieces: list[Any]) -> tuple[str | ast.Expr, ...]:
    """Nix's rule for `''...''`: strip the indentation common to every line.

    Only spaces count, and only lines holding more than spaces are measured;
    interpolations and escapes count as text.  A first line holding only
    spaces is dropped with its newline, and so are the spaces after the last
    newline (the newline stays).  Escapes are applied after measuring, so
    `''$` never shifts it.
    """
    # Split into lines of (kind, text) fragments.
    lines: list[list[tuple[str, Any]]] = [[]]
    for piece in pieces:
        if isinstance(piece, tuple) and piece[0] == "text":
            segments = piece[1].split("\n")
            for number, segment in enumerate(segments):
                if number:
                    lines.append([])
                if segment:
                    lines[-1].append(("text", segment))
        elif isinstance(piece, tuple):
            lines[-1].append(piece)
        else:
            lines[-1].append(("expr", piece))

    def indentation(line: list[tuple[str, Any]]) -> int | None:
        count = 0
        for kind, value in line:
            if kind != "text":
                return count
            stripped = value.lstrip(" ")
            count += len(value) - len(stripped)
            if stripped:
                return count
        return None  # blank line: does not count

    if len(lines) > 1 and indentation(lines[0]) is None:
        lines = lines[1:]
    if len(lines) > 1 and indentation(lines[-1]) is None:
        lines[-1] = []
    # With no line but blanks nothing bounds the cut, and every blank goes
    # (Nix: `''\n  ''` is `""`, `''  ''` too).
    widths = [w for w in (indentation(line) for line in lines) if w is not None]
    strip = min(widths, default=sys.maxsize)
    parts: list[str | ast.Expr] = []

    def add(value: str | ast.Expr) -> None:
        if isinstance(value, str) and parts and isinstance(parts[-1], str):
            parts[-1] += value
        elif value != "":
            parts.append(value)

    for number, line in enumerate(lines):
        if number:
            add("\n")
        remaining = strip
        for kind, value in line:
            if remaining and kind == "text":
                blanks = len(value) - len(value.lstrip(" "))
                cut = min(remaining, blanks)
                value = value[cut:]
                remaining = remaining - cut if not value else 0
            else:
                remaining = 0
            add(value)
    return tuple(parts)
