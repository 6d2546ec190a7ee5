"""Lowering schema declarations: `schema NAME { path : type = default "documentation"; }` and field types."""

from __future__ import annotations

from typing import Any

from lark import Token

from gwlang.syntax import ast
from gwlang.syntax.lower_base import LowererBase, PlainString, is_plain_string, plain_string


class SchemaLowering(LowererBase):
    """The rules of `schema` declarations and their field types."""

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
            if isinstance(default, ast.Apply) and is_plain_string(default.argument):
                doc = plain_string(default.argument)
                default = default.function
        return ast.Field(c[0], c[2], default, doc, self._span(c))

    def field_documented(self, c: list[Any]) -> ast.Field:
        """`path : type "documentation";`, a field with no default."""
        doc: PlainString = c[3]
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
        return plain_string(value) if is_plain_string(value) else "".join(
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
