"""Printing an AST back as canonical gw source.

`unparse(parse(text))` is the same program laid out one way: two spaces of
indentation, an attribute set or `let` over several lines, a short list on
one line.  Parentheses appear exactly where precedence needs them, so
`parse(unparse(module)) == module` for every module `parse` can produce
(comments and layout are not in the AST, so they are not kept).
"""

from __future__ import annotations

import re
from typing import assert_never

from gwlang.syntax import ast

INDENT = "  "
LINE_WIDTH = 80
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_'\-]*")
# Where a binding or statement starts, these words would be read as
# keywords: a key spelled like one is quoted there (elsewhere, as after a
# `.`, the parser reads any word as a name).
_ATTRSET_WORDS = frozenset({"inherit"})
_LET_WORDS = frozenset({"inherit", "in", "let", "import", "schema", "profile", "site", "abstract"})
_STATEMENT_WORDS = frozenset({"final", "assert"})
_SITE_WORDS = _STATEMENT_WORDS | {"host", "node"}

# Binding strength, loosest first: the grammar's `expr_*` rules in order.
LOOSEST, IMPLY, OR, AND, EQUAL, COMPARE, UPDATE, NOT, SUM, PRODUCT, CONCAT, HAS, NEGATE, APPLY, SELECT, ATOM = range(16)
# Each operator's level, and the levels its left and right operands need.
_OPERATORS: dict[str, tuple[int, int, int]] = {
    "->": (IMPLY, OR, IMPLY), "||": (OR, OR, AND), "&&": (AND, AND, EQUAL),
    "==": (EQUAL, COMPARE, COMPARE), "!=": (EQUAL, COMPARE, COMPARE),
    "<": (COMPARE, UPDATE, UPDATE), "<=": (COMPARE, UPDATE, UPDATE),
    ">": (COMPARE, UPDATE, UPDATE), ">=": (COMPARE, UPDATE, UPDATE),
    "//": (UPDATE, NOT, UPDATE), "+": (SUM, SUM, PRODUCT), "-": (SUM, SUM, PRODUCT),
    "*": (PRODUCT, PRODUCT, CONCAT), "/": (PRODUCT, PRODUCT, CONCAT), "++": (CONCAT, HAS, CONCAT),
}


def unparse(module: ast.Module) -> str:
    """The module as canonical gw source, ending in a newline."""
    if module.body is not None:
        return expression(module.body) + "\n"
    return "\n\n".join(_item(item) for item in module.items) + "\n"


def expression(expr: ast.Expr, indent: str = "") -> str:
    """One expression; lines after the first are indented by `indent`."""
    return _at(expr, LOOSEST, indent)


# ---------------------------------------------------------------- expressions


def _at(expr: ast.Expr, level: int, indent: str) -> str:
    """`expr` where the grammar needs at least `level`: in parentheses if it binds looser."""
    text, own = _expr(expr, indent)
    return text if own >= level else f"({text})"


def _expr(expr: ast.Expr, indent: str) -> tuple[str, int]:
    """The text of `expr` and how tightly it binds."""
    match expr:
        case ast.IntLit(value=value):
            return str(value), NEGATE if value < 0 else ATOM
        case ast.SizeLit(text=text) | ast.DomainLit(text=text):
            return text, ATOM
        case ast.Const(value=value):
            return {True: "true", False: "false", None: "null"}[value], ATOM
        case ast.Str():
            return _string(expr, indent), ATOM
        case ast.Var(name=name):
            return name, ATOM
        case ast.Import(target=target, search=search):
            return f"import {_import_target(target, search)}", ATOM
        case ast.ListExpr():
            return _list(expr, indent), ATOM
        case ast.AttrSet():
            return _attrset(expr, indent), ATOM
        case ast.Select() | ast.HasAttr() | ast.Apply() | ast.Not() | ast.Negate() | ast.BinOp():
            return _operation(expr, indent)
        case ast.Lambda() | ast.Let() | ast.If():
            return _open_ended(expr, indent), LOOSEST
        case _:
            assert_never(expr)


def _operation(expr: ast.Select | ast.HasAttr | ast.Apply | ast.Not | ast.Negate | ast.BinOp,
               indent: str) -> tuple[str, int]:
    match expr:
        case ast.Select(target=target, path=path, default=default):
            text = f"{_select_target(target, indent)}.{_path(path, indent)}"
            if default is not None:
                text += f" or {_at(default, SELECT, indent)}"
            return text, SELECT
        case ast.HasAttr(target=target, path=path):
            return f"{_at(target, NEGATE, indent)} ? {_path(path, indent)}", HAS
        case ast.Apply(function=function, argument=argument):
            return f"{_at(function, APPLY, indent)} {_at(argument, SELECT, indent)}", APPLY
        case ast.Not(operand=operand):
            return f"!{_at(operand, NOT, indent)}", NOT
        case ast.Negate(operand=operand):
            text = _at(operand, NEGATE, indent)
            return f"- {text}" if text.startswith("-") else f"-{text}", NEGATE
        case ast.BinOp(op=op, left=left, right=right):
            level, left_level, right_level = _OPERATORS[op]
            return f"{_at(left, left_level, indent)} {op} {_at(right, right_level, indent)}", level
        case _:
            assert_never(expr)


def _select_target(target: ast.Expr, indent: str) -> str:
    # `10.0.0.1.a` would not lex, and `import <a.gw>.b` reads badly: in parentheses.
    if isinstance(target, ast.IntLit | ast.SizeLit | ast.DomainLit | ast.Import):
        return f"({_expr(target, indent)[0]})"
    return _at(target, ATOM, indent)


def _open_ended(expr: ast.Lambda | ast.Let | ast.If, indent: str) -> str:
    """The forms whose last part runs as far right as it can."""
    match expr:
        case ast.Lambda(param=param, body=body):
            return f"{_param(param, indent)}: {expression(body, indent)}"
        case ast.Let(bindings=bindings, body=body):
            inner = indent + INDENT
            lines = [f"{inner}{_binding(binding, inner, _LET_WORDS)}" for binding in bindings]
            return "\n".join(["let", *lines, f"{indent}in {expression(body, indent)}"])
        case ast.If(condition=condition, then=then, otherwise=otherwise):
            return (f"if {expression(condition, indent)} then {expression(then, indent)} "
                    f"else {expression(otherwise, indent)}")
        case _:
            assert_never(expr)


def _param(param: str | ast.Pattern, indent: str) -> str:
    if isinstance(param, str):
        return param
    formals = [formal.name if formal.default is None else f"{formal.name} ? {expression(formal.default, indent)}"
               for formal in param.formals]
    if param.ellipsis:
        formals.append("...")
    pattern = "{ " + ", ".join(formals) + " }" if formals else "{ }"
    return pattern if param.bind_as is None else f"{param.bind_as}@{pattern}"


def _list(expr: ast.ListExpr, indent: str) -> str:
    if not expr.items:
        return "[ ]"
    inner = indent + INDENT
    items = [_at(item, SELECT, inner) for item in expr.items]
    one_line = "[ " + " ".join(items) + " ]"
    if "\n" not in one_line and len(indent) + len(one_line) <= LINE_WIDTH:
        return one_line
    return "\n".join(["[", *(inner + item for item in items), indent + "]"])


def _attrset(expr: ast.AttrSet, indent: str) -> str:
    opening = "rec {" if expr.recursive else "{"
    if not expr.bindings:
        return opening + " }"
    inner = indent + INDENT
    bindings = [_binding(binding, inner, _ATTRSET_WORDS) for binding in expr.bindings]
    one_line = f"{opening} {' '.join(bindings)} }}"
    if "\n" not in one_line and len(indent) + len(one_line) <= LINE_WIDTH:
        return one_line
    return "\n".join([opening, *(inner + binding for binding in bindings), indent + "}"])


def _binding(binding: ast.Binding, indent: str, reserved: frozenset[str]) -> str:
    match binding:
        case ast.Bind(path=path, value=value):
            return f"{_path(path, indent, reserved)} = {expression(value, indent)};"
        case ast.Inherit(names=names, source=source):
            words = ["inherit"]
            if source is not None:
                words.append(f"({expression(source, indent)})")
            words += [name.name for name in names]
            return " ".join(words) + ";"
        case _:
            assert_never(binding)


def _path(path: tuple[ast.AttrKey, ...], indent: str, reserved: frozenset[str] = frozenset()) -> str:
    """`a.b."c d"`; a first key in `reserved` is quoted (see `_LET_WORDS`)."""
    return ".".join(_key(key, indent, reserved if number == 0 else frozenset()) for number, key in enumerate(path))


def _key(key: ast.AttrKey, indent: str, reserved: frozenset[str]) -> str:
    match key:
        case ast.StaticKey(name=name):
            return name if _IDENTIFIER.fullmatch(name) and name not in reserved else quote(name)
        case ast.DynamicKey(expr=ast.Str(parts=parts) as string) if any(not isinstance(p, str) for p in parts):
            return _ordinary(string, indent)  # a key is never an indented string
        case ast.DynamicKey(expr=expr):
            return "${" + expression(expr, indent) + "}"
        case _:
            assert_never(key)


# ---------------------------------------------------------------- strings


def quote(text: str) -> str:
    """`text` as a `"..."` literal."""
    return '"' + _escape(text) + '"'


def _escape(text: str, interpolation_follows: bool = False) -> str:
    """`text` inside `"..."`; a `$` last before an interpolation is `\\$`, or `$${` would read as text (Nix)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
    if interpolation_follows and text.endswith("$"):
        text = text[:-1] + "\\$"
    return text.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def _string(string: ast.Str, indent: str) -> str:
    if string.indented and _multiline(string):
        return _indented(string, indent)
    return _ordinary(string, indent)


def _ordinary(string: ast.Str, indent: str) -> str:
    pieces = [_escape(part, number + 1 < len(string.parts)) if isinstance(part, str)
              else "${" + expression(part, indent) + "}"
              for number, part in enumerate(string.parts)]
    return '"' + "".join(pieces) + '"'


def _multiline(string: ast.Str) -> bool:
    return any(isinstance(part, str) and "\n" in part for part in string.parts)


def _indented(string: ast.Str, indent: str) -> str:
    """`''...''` over several lines, each indented one step more than `indent`.

    The parser strips the indentation common to all lines, so a line that
    starts with blanks of its own would be cut too: where every line does,
    the first blank is escaped (`''\\ `), and escapes count as text.  A last
    line of blanks only is emptied by the parser, so its last blank is
    escaped first.
    """
    inner = indent + INDENT
    lines = _lines(string.parts, inner)
    if lines[-1] and not lines[-1].strip(" "):
        lines[-1] = lines[-1][:-1] + "''\\ "
    content = [line for line in lines if line.strip(" ")]
    if not content and any(lines):
        # Only blank lines, some holding blanks: with nothing to bound the cut
        # the parser would empty them all, so the first blank is made text.
        first = next(number for number, line in enumerate(lines) if line)
        lines[first] = "''\\ " + lines[first][1:]
        content = [lines[first]]
    elif content and all(line.startswith(" ") for line in content):
        first = lines.index(content[0])
        lines[first] = "''\\ " + lines[first][1:]
    # With no line but blanks there is no indentation to strip: add none.
    prefix = inner if content else ""
    body = [prefix + line if line else "" for line in lines]
    if not lines[-1]:
        body[-1] = indent  # the closing `''` on a line of its own, which the parser drops
    return "''\n" + "\n".join(body) + "''"


def _lines(parts: tuple[str | ast.Expr, ...], indent: str) -> list[str]:
    """The string's lines, escaped for `''...''`, without the indentation yet."""
    text = ""
    for number, part in enumerate(parts):
        if isinstance(part, str):
            text += _escape_indented(part, interpolation_follows=number + 1 < len(parts))
        else:
            text += "${" + expression(part, indent) + "}"
    return text.split("\n")


def _escape_indented(text: str, interpolation_follows: bool) -> str:
    """`''` as `'''` and `${` as `''${`; a lone `'` that would touch another `''`, as `''\\'`."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char, rest = text[index], text[index + 1 :]
        if text.startswith("''", index):
            out.append("'''")
            index += 2
            continue
        if char == "'" and (rest.startswith("${") or (not rest and not interpolation_follows)):
            out.append("''\\'")  # before the `''$` escape, or the closing `''`
        elif char == "$" and (rest.startswith("{") or (not rest and interpolation_follows)):
            # `''$` before `{`, and before an interpolation: `$${` would read as text (Nix)
            out.append("''$")
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _import_target(target: str, search: bool) -> str:
    return f"<{target}>" if search else quote(target)


# ---------------------------------------------------------------- declarations


def _item(item: ast.Item) -> str:
    match item:
        case ast.ImportItem(target=target, search=search, alias=alias):
            suffix = f" as {alias.name}" if alias is not None else ""
            return f"import {_import_target(target, search)}{suffix};"
        case ast.LetItem(bindings=bindings):
            if len(bindings) == 1:
                return f"let {_binding(bindings[0], '', _LET_WORDS)}"
            return "\n".join(["let", *(INDENT + _binding(binding, INDENT, _LET_WORDS) for binding in bindings)])
        case ast.SchemaDecl(name=name, fields=fields):
            return _block(f"schema {name.name}", [_field(field) for field in fields])
        case ast.ProfileDecl(name=name, abstract=abstract, parents=parents, body=body):
            head = f"{'abstract ' if abstract else ''}profile {name.name}{_extends(parents)}"
            return _block(head, [_statement(statement, INDENT, _STATEMENT_WORDS) for statement in body])
        case ast.SiteDecl(name=name, abstract=abstract, parents=parents, items=items):
            head = f"{'abstract ' if abstract else ''}site {name.name}{_extends(parents)}"
            return _block(head, [_site_item(site_item) for site_item in items])
        case _:
            assert_never(item)


def _block(head: str, lines: list[str]) -> str:
    """`head { ... }`, one line per entry (an entry may itself span lines)."""
    if not lines:
        return head + " { }"
    return "\n".join([head + " {", *(INDENT + line for line in lines), "}"])


def _extends(parents: tuple[ast.Name, ...]) -> str:
    return " extends " + ", ".join(parent.name for parent in parents) if parents else ""


def _statement(statement: ast.Statement, indent: str, reserved: frozenset[str]) -> str:
    match statement:
        case ast.Define(path=path, op=op, value=value, final=final):
            return f"{'final ' if final else ''}{_path(path, indent, reserved)} {op} {expression(value, indent)};"
        case ast.Assert(condition=condition, message=message):
            return f"assert {expression(condition, indent)}, {expression(message, indent)};"
        case _:
            assert_never(statement)


def _site_item(item: ast.SiteItem) -> str:
    match item:
        case ast.Define() | ast.Assert():
            return _statement(item, INDENT, _SITE_WORDS)
        case ast.HostDecl(name=name, body=body):
            return _nested_block(f"host {name.name}", body)
        case ast.NodeDecl(name=name, family=family, profiles=profiles, body=body):
            head = f"node {name.name}{_family(family)}"
            if profiles is not None:
                head += " : " + ", ".join(profile.name for profile in profiles)
            return _nested_block(head, body)
        case _:
            assert_never(item)


def _nested_block(head: str, body: tuple[ast.Statement, ...]) -> str:
    inner = INDENT * 2
    if not body:
        return head + " { }"
    statements = [_statement(statement, inner, _STATEMENT_WORDS) for statement in body]
    one_line = f"{head} {{ {' '.join(statements)} }}"
    if "\n" not in one_line and len(INDENT + one_line) <= LINE_WIDTH:
        return one_line
    return "\n".join([head + " {", *(inner + statement for statement in statements), INDENT + "}"])


def _family(family: ast.Family | None) -> str:
    if family is None:
        return ""
    return f"[{str(family.low).zfill(family.width)}..{str(family.high).zfill(family.width)}]"


def _field(field: ast.Field) -> str:
    text = f"{_path(field.path, INDENT)} : {_type(field.type)}"
    if field.default is not None:
        text += f" = {_at(field.default, _default_level(field), INDENT)}"
    if field.doc is not None:
        text += f" {quote(field.doc)}"
    return text + ";"


def _default_level(field: ast.Field) -> int:
    """A field's trailing string is its documentation, so the default must not end in one."""
    if field.doc is not None:
        return APPLY  # `default "doc"` is read as an application of the default
    if isinstance(field.default, ast.Apply) and isinstance(field.default.argument, ast.Str) and all(
            isinstance(part, str) for part in field.default.argument.parts):
        return SELECT  # `f "x"` alone would be read as `f` documented as "x"
    return LOOSEST


def _type(type_: ast.TypeExpr) -> str:
    match type_:
        case ast.TypeName(name=name):
            return name
        case ast.TypeCall(name=name, args=args):
            return f"{name}({', '.join(_type_arg(arg) for arg in args)})"
        case ast.TypeList(element=element):
            return f"[{_type(element)}]"
        case ast.TypeAttrs(key=key, value=value):
            return f"{{{_type(key)}: {_type(value)}}}"
        case ast.TypeNullable(inner=inner):
            text = _type(inner)
            return f"({text})?" if isinstance(inner, ast.TypeNullable) else f"{text}?"
        case _:
            assert_never(type_)


def _type_arg(arg: ast.TypeArg) -> str:
    match arg:
        case int():
            return str(arg)
        case str():
            return quote(arg)
        case ast.SizeLit(text=text):
            return text
        case ast.TypeName(name=name):
            return name
        case ast.TypeRange(low=low, high=high):
            return f"{_bound(low)}..{_bound(high)}"
        case _:
            assert_never(arg)


def _bound(bound: int | ast.SizeLit | None) -> str:
    if bound is None:
        return ""
    return bound.text if isinstance(bound, ast.SizeLit) else str(bound)
