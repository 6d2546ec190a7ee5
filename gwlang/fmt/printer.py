"""The AST, with its comments, as a layout document: gw's one canonical layout.

`gwc fmt` and `unparse` both print through here.  Parentheses appear exactly
where precedence needs them, so the printed text parses back to an equal
AST.  The layout, in the spirit of nixfmt's RFC style and gofmt: two spaces
of indentation; a set, list or function pattern on one line when it fits
in the width, else one entry per line; `let`, profile, site and schema
bodies always one entry per line, host and node bodies too when their
author wrote them over several lines; an empty line the author left between
entries kept (several as one).  Each comment is printed with the node it
was attached to (`syntax.comments`): leading comments on lines of their
own before it, trailing ones after it on its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import assert_never

import gwlang.fmt.doc as layout
from gwlang.fmt.doc import AFTER_COMMENT, HARD, LITERAL, SPACE, STRING_LINE, Doc, concat, group, indent, join
from gwlang.syntax import ast
from gwlang.syntax.comments import Attached, Attachments, Comment, blank_line_between, span_of

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_'\-]*")
# Where a binding or statement starts, these words would be read as
# keywords: a key spelled like one is quoted there (elsewhere, as after a
# `.`, the parser reads any word as a name).
_ATTRSET_WORDS = frozenset({"inherit"})
_LET_WORDS = frozenset({"inherit", "in", "let", "import", "schema", "profile", "site", "abstract"})
# In a `let ... in`, no item can follow a binding: fewer words are keywords there.
_LET_EXPRESSION_WORDS = frozenset({"inherit", "in", "let"})
_STATEMENT_WORDS = frozenset({"final", "assert"})
_SITE_WORDS = _STATEMENT_WORDS | {"host", "node"}
_NO_WORDS: frozenset[str] = frozenset()

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

Node = object


class Printer:
    """One module's layout; `text` is its source (for the empty lines kept), `attachments` its comments."""

    def __init__(self, text: str = "", attachments: Attachments | None = None) -> None:
        self.text = text
        self.attachments = attachments or {}
        # The docs of trailing comments (by id; each is kept alive in the tree it is part of).
        self.trailing_docs: set[int] = set()
        self.leading_docs: set[int] = set()

    # -- comments and entries ------------------------------------------------------

    def _attached(self, node: Node) -> Attached | None:
        return self.attachments.get(id(node))

    def _dangling(self, node: Node) -> list[Comment]:
        """The comments inside an empty stretch of `node`, taken: its printer lays them out."""
        attached = self._attached(node)
        if attached is None:
            return []
        dangling, attached.dangling = attached.dangling, []
        return dangling

    def wrap(self, node: Node, doc: Doc) -> Doc:
        """`doc` with the comments of `node` around it."""
        attached = self._attached(node)
        if attached is None:
            return doc
        parts: list[Doc] = []
        leading: list[Doc] = []
        for number, comment in enumerate(attached.leading):
            following = (attached.leading[number + 1].span.start if number + 1 < len(attached.leading)
                         else span_of(node).start)
            leading.append(self._leading(comment, following))
        if leading:
            parts.append(leading_doc := concat(*leading))
            self.leading_docs.add(id(leading_doc))
        parts.append(doc)
        previous_end = span_of(node).end
        trailing: list[Doc] = []
        new_lines = False
        for comment in attached.dangling + attached.trailing:
            # A comment on a line of its own after the node stays on one, and
            # so do the comments after it (as they read back in a body).
            new_lines = new_lines or "\n" in self.text[previous_end:comment.span.start]
            trailing += [HARD if new_lines else " ", comment.text] + ([] if comment.is_block else [AFTER_COMMENT])
            new_lines = new_lines or not comment.is_block
            previous_end = max(previous_end, comment.span.end)
        if trailing:
            parts.append(trailing_doc := concat(*trailing))
            self.trailing_docs.add(id(trailing_doc))
        return concat(*parts)

    def parenthesised(self, doc: Doc) -> Doc:
        """`(doc)`, with the comments that start `doc` before the `(` and those that end it after the `)`.

        A node's span leaves its parentheses out, so a comment inside them
        would be read back as belonging to the node around the parentheses:
        printed outside from the start, it stays there.
        """
        inner, trailing = self._split_trailing(doc)
        inner, leading = self._split_leading(inner)
        return concat(*leading, "(", inner, ")", *trailing)

    def _split_leading(self, doc: Doc) -> tuple[Doc, list[Doc]]:
        """`doc` without the leading comments at its very start, and those comments."""
        if not isinstance(doc, layout.Concat | layout.Indent | layout.Group) or not doc.parts:
            return doc, []
        first, *rest = doc.parts
        rebuild = self._rebuilder(doc)
        if id(first) in self.leading_docs:
            inner, leading = self._split_leading(rebuild(*rest))
            return inner, [first, *leading]
        inner, leading = self._split_leading(first)
        return (rebuild(inner, *rest), leading) if leading else (doc, [])

    @staticmethod
    def _rebuilder(doc: layout.Concat | layout.Indent | layout.Group) -> Callable[..., Doc]:
        if isinstance(doc, layout.Group):
            by_width = doc.by_width
            return lambda *parts: group(*parts, by_width=by_width)
        return indent if isinstance(doc, layout.Indent) else concat

    def _split_trailing(self, doc: Doc) -> tuple[Doc, list[Doc]]:
        """`doc` without the trailing comments at its very end, and those comments."""
        if not isinstance(doc, layout.Concat | layout.Indent | layout.Group) or not doc.parts:
            return doc, []
        rebuild = self._rebuilder(doc)
        *rest, last = doc.parts
        if id(last) in self.trailing_docs:
            inner, trailing = self._split_trailing(rebuild(*rest))
            return inner, [*trailing, last]
        inner, trailing = self._split_trailing(last)
        return (rebuild(*rest, inner), trailing) if trailing else (doc, [])

    def _leading(self, comment: Comment, following: int) -> Doc:
        own_line = comment.is_block and "\n" not in self.text[comment.span.end:following]
        if own_line:
            return concat(comment.text, " ")
        if blank_line_between(self.text, comment.span.end, following):
            return concat(comment.text, HARD, HARD)
        return concat(comment.text, HARD)

    def _extent(self, node: Node) -> tuple[int, int]:
        """Where `node` starts and ends with its own comments."""
        start, end = span_of(node).start, span_of(node).end
        attached = self._attached(node)
        if attached is not None:
            if attached.leading:
                start = attached.leading[0].span.start
            if attached.trailing:
                end = attached.trailing[-1].span.end
        return start, end

    def entries(self, nodes: list[tuple[Node, Doc]], dangling: list[Comment], separator: Doc,
                punctuation: str = "") -> list[Doc]:
        """The docs of a body's entries, each with its comments, separated as the author spaced them.

        An empty line between two entries in the source stays (as one); the
        separator is used otherwise.  Comments left at the end of the body
        come last, on lines of their own.  `punctuation` (a pattern's `,`)
        goes between entries before the separator.
        """
        out: list[Doc] = []
        previous_end: int | None = None
        for node, doc in nodes:
            start, end = self._extent(node)
            if previous_end is not None:
                out.append(punctuation)
            out.append(self._separated(previous_end, start, separator))
            out.append(self.wrap(node, doc))
            previous_end = end
        for comment in dangling:
            out.append(self._separated(previous_end, comment.span.start, separator))
            out.append(concat(comment.text, *([] if comment.is_block else [AFTER_COMMENT])))
            previous_end = comment.span.end
        return out

    def _separated(self, previous_end: int | None, start: int, separator: Doc) -> Doc:
        if previous_end is None:
            return ""
        if blank_line_between(self.text, previous_end, start):
            return concat(HARD, HARD)
        return separator

    # -- expressions ------------------------------------------------------------------

    def expression(self, expr: ast.Expr) -> Doc:
        return self.at(expr, LOOSEST)

    def at(self, expr: ast.Expr, level: int) -> Doc:
        """`expr` where the grammar needs at least `level`: in parentheses if it binds looser."""
        doc, own = self._expr(expr)
        return self.wrap(expr, doc) if own >= level else self.parenthesised(self.wrap(expr, doc))

    def _expr(self, expr: ast.Expr) -> tuple[Doc, int]:
        """The doc of `expr` (without its comments) and how tightly it binds."""
        match expr:
            case ast.IntLit(value=value):
                return str(value), NEGATE if value < 0 else ATOM
            case ast.SizeLit(text=text) | ast.DomainLit(text=text):
                return text, ATOM
            case ast.Const(value=value):
                return {True: "true", False: "false", None: "null"}[value], ATOM
            case ast.Str():
                return self._string(expr), ATOM
            case ast.Var(name=name):
                return name, ATOM
            case ast.Import(target=target, search=search):
                return f"import {_import_target(target, search)}", ATOM
            case ast.ListExpr():
                return self._list(expr), ATOM
            case ast.AttrSet():
                return self._attrset(expr), ATOM
            case ast.Select() | ast.HasAttr() | ast.Apply() | ast.Not() | ast.Negate() | ast.BinOp():
                return self._operation(expr)
            case ast.Lambda():
                return self._lambda(expr), LOOSEST
            case ast.Let():
                return self._let(expr), LOOSEST
            case ast.If():
                return self._if(expr), LOOSEST
            case _:
                assert_never(expr)

    def _operation(self, expr: ast.Select | ast.HasAttr | ast.Apply | ast.Not | ast.Negate | ast.BinOp
                   ) -> tuple[Doc, int]:
        match expr:
            case ast.Select(target=target, path=path, default=default):
                doc = concat(self._select_target(target), ".", self._path(path))
                if default is not None:
                    doc = concat(doc, " or ", self.at(default, SELECT))
                return doc, SELECT
            case ast.HasAttr(target=target, path=path):
                return concat(self.at(target, NEGATE), " ? ", self._path(path)), HAS
            case ast.Apply(function=function, argument=argument):
                return concat(self.at(function, APPLY), " ", self.at(argument, SELECT)), APPLY
            case ast.Not(operand=operand):
                return concat("!", self.at(operand, NOT)), NOT
            case ast.Negate(operand=operand):
                # `--x` would not read as two minus signs.
                negative = isinstance(operand, ast.Negate) or (isinstance(operand, ast.IntLit) and operand.value < 0)
                return concat("- " if negative else "-", self.at(operand, NEGATE)), NEGATE
            case ast.BinOp(op=op, left=left, right=right):
                level, left_level, right_level = _OPERATORS[op]
                return concat(self.at(left, left_level), f" {op} ", self.at(right, right_level)), level
            case _:
                assert_never(expr)

    def _select_target(self, target: ast.Expr) -> Doc:
        # `10.0.0.1.a` would not lex, and `import <a.gw>.b` reads badly: in parentheses.
        if isinstance(target, ast.IntLit | ast.SizeLit | ast.DomainLit | ast.Import):
            return self.parenthesised(self.wrap(target, self._expr(target)[0]))
        return self.at(target, ATOM)

    def _lambda(self, expr: ast.Lambda) -> Doc:
        return concat(self._param(expr, expr.param), ": ", self.expression(expr.body))

    def _param(self, owner: ast.Lambda, param: str | ast.Pattern) -> Doc:
        if isinstance(param, str):
            return param
        formals: list[tuple[Node, Doc]] = [(formal, self._formal(formal)) for formal in param.formals]
        docs = self.entries(formals, [], SPACE, punctuation=",")
        # A comment of an empty pattern is the lambda's own: printed after it.
        if param.ellipsis:
            docs += [concat(",", SPACE) if formals else "", "..."]
        pattern = group("{", indent(SPACE, *docs), SPACE, "}") if docs else "{ }"
        return pattern if param.bind_as is None else concat(f"{param.bind_as}@", pattern)

    def _formal(self, formal: ast.Formal) -> Doc:
        if formal.default is None:
            return formal.name
        return concat(formal.name, " ? ", self.expression(formal.default))

    def _let(self, expr: ast.Let) -> Doc:
        bindings = self._bindings(expr.bindings, _LET_EXPRESSION_WORDS)
        entries = self.entries(bindings, [], HARD)
        return concat("let", indent(HARD, *entries), HARD, "in ", self.expression(expr.body))

    def _if(self, expr: ast.If) -> Doc:
        otherwise = self.expression(expr.otherwise)
        tail = concat(" ", otherwise) if isinstance(expr.otherwise, ast.If) else indent(SPACE, otherwise)
        # Over several lines only when a part must be (a comment, a body);
        # a long line is better broken in the sets and lists it holds.
        return group("if ", self.expression(expr.condition), " then", indent(SPACE, self.expression(expr.then)),
                     SPACE, "else", tail, by_width=False)

    def _list(self, expr: ast.ListExpr) -> Doc:
        items: list[tuple[Node, Doc]] = [(item, self._unwrapped_at(item, SELECT)) for item in expr.items]
        return self._bracketed("[", "]", self.entries(items, self._dangling(expr), SPACE))

    def _unwrapped_at(self, expr: ast.Expr, level: int) -> Doc:
        """`at` without the comments: for entries, whose comments `entries` lays out."""
        doc, own = self._expr(expr)
        return doc if own >= level else self.parenthesised(doc)

    def _attrset(self, expr: ast.AttrSet) -> Doc:
        opening = "rec {" if expr.recursive else "{"
        bindings = self._bindings(expr.bindings, _ATTRSET_WORDS)
        return self._bracketed(opening, "}", self.entries(bindings, self._dangling(expr), SPACE))

    @staticmethod
    def _bracketed(opening: str, closing: str, entries: list[Doc]) -> Doc:
        if not entries:
            return f"{opening} {closing}"
        return group(opening, indent(SPACE, *entries), SPACE, closing)

    def _bindings(self, bindings: tuple[ast.Binding, ...], reserved: frozenset[str]) -> list[tuple[Node, Doc]]:
        return [(binding, self._binding(binding, reserved)) for binding in bindings]

    def _binding(self, binding: ast.Binding, reserved: frozenset[str]) -> Doc:
        match binding:
            case ast.Bind(path=path, value=value):
                return concat(self._path(path, reserved), " = ", self.expression(value), ";")
            case ast.Inherit(names=names, source=source):
                words: list[Doc] = ["inherit"]
                if source is not None:
                    words.append(concat("(", self.expression(source), ")"))
                words += [name.name for name in names]
                return concat(join(" ", words), ";")
            case _:
                assert_never(binding)

    def _path(self, path: tuple[ast.AttrKey, ...], reserved: frozenset[str] = _NO_WORDS) -> Doc:
        """`a.b."c d"`; a first key in `reserved` is quoted (see `_LET_WORDS`)."""
        return join(".", [self._key(key, reserved if number == 0 else _NO_WORDS) for number, key in enumerate(path)])

    def _key(self, key: ast.AttrKey, reserved: frozenset[str]) -> Doc:
        match key:
            case ast.StaticKey(name=name):
                return name if _IDENTIFIER.fullmatch(name) and name not in reserved else quote(name)
            case ast.DynamicKey(expr=ast.Str(parts=parts) as string) if any(not isinstance(p, str) for p in parts):
                return self.wrap(string, self._ordinary(string))  # a key is never an indented string
            case ast.DynamicKey(expr=expr):
                return concat("${", self.expression(expr), "}")
            case _:
                assert_never(key)

    # -- strings ------------------------------------------------------------------------

    def _string(self, string: ast.Str) -> Doc:
        if string.indented and any(isinstance(part, str) and "\n" in part for part in string.parts):
            return self._indented(string)
        return self._ordinary(string)

    def _ordinary(self, string: ast.Str) -> Doc:
        pieces = [_escape(part, number + 1 < len(string.parts)) if isinstance(part, str)
                  else concat("${", self.expression(part), "}")
                  for number, part in enumerate(string.parts)]
        return concat('"', *pieces, '"')

    def _indented(self, string: ast.Str) -> Doc:
        """`''...''` over several lines, each indented one step more than the line it opens on.

        The parser strips the indentation common to all lines, so a line that
        starts with blanks of its own would be cut too: where every line does,
        the first blank is escaped (`''\\ `), and escapes count as text.  A last
        line of blanks only is emptied by the parser, so its last blank is
        escaped first.
        """
        lines = self._lines(string.parts)
        if _blank(lines[-1]) and lines[-1]:
            last = lines[-1][-1]
            assert isinstance(last, str)
            lines[-1][-1] = last[:-1] + "''\\ "
        content = [line for line in lines if not _blank(line)]
        if not content and any(lines):
            # Only blank lines, some holding blanks: with nothing to bound the cut
            # the parser would empty them all, so the first blank is made text.
            first = next(line for line in lines if line)
            first[0] = "''\\ " + str(first[0])[1:]
            content = [first]
        elif content and all(isinstance(line[0], str) and line[0].startswith(" ") for line in content):
            content[0][0] = "''\\ " + str(content[0][0])[1:]
        # With no line but blanks there is no indentation to strip: add none.
        line_break = STRING_LINE if content else LITERAL
        body: list[Doc] = []
        for line in lines[:-1]:
            body += [line_break, *line]
        if lines[-1]:
            return concat("''", indent(*body, line_break, *lines[-1]), "''")
        # The closing `''` on a line of its own, which the parser drops.
        return concat("''", indent(*body), STRING_LINE, "''")

    def _lines(self, parts: tuple[str | ast.Expr, ...]) -> list[list[Doc]]:
        """The string's lines, each a list of escaped text and interpolations."""
        lines: list[list[Doc]] = [[]]
        for number, part in enumerate(parts):
            if not isinstance(part, str):
                lines[-1].append(concat("${", self.expression(part), "}"))
                continue
            first, *rest = _escape_indented(part, interpolation_follows=number + 1 < len(parts)).split("\n")
            if first:
                lines[-1].append(first)
            lines += [[piece] if piece else [] for piece in rest]
        return [_merged(line) for line in lines]

    # -- declarations -------------------------------------------------------------------

    def module(self, module: ast.Module) -> Doc:
        if module.body is not None:
            return concat(self.expression(module.body), *self._module_comments(module))
        items: list[tuple[Node, Doc]] = [(item, self._item(item)) for item in module.items]
        return concat(*self.entries(items, self._dangling(module), HARD))

    def _module_comments(self, module: ast.Module) -> list[Doc]:
        return [concat(HARD, comment.text) for comment in self._dangling(module)]

    def _item(self, item: ast.Item) -> Doc:
        match item:
            case ast.ImportItem(target=target, search=search, alias=alias):
                suffix = f" as {alias.name}" if alias is not None else ""
                return f"import {_import_target(target, search)}{suffix};"
            case ast.LetItem(bindings=bindings):
                entries = self.entries(self._bindings(bindings, _LET_WORDS), [], HARD)
                if len(bindings) == 1 and not self._attached(item.bindings[0]):
                    return concat("let ", *entries)
                return concat("let", indent(HARD, *entries))
            case ast.SchemaDecl(name=name, fields=fields):
                return self._block(item, f"schema {name.name}", [(field, self._field(field)) for field in fields])
            case ast.ProfileDecl(name=name, abstract=abstract, parents=parents, body=body):
                head = f"{'abstract ' if abstract else ''}profile {name.name}{_extends(parents)}"
                return self._block(item, head, self._statements(body, _STATEMENT_WORDS))
            case ast.SiteDecl(name=name, abstract=abstract, parents=parents, items=site_items):
                head = f"{'abstract ' if abstract else ''}site {name.name}{_extends(parents)}"
                return self._block(item, head, [(entry, self._site_item(entry)) for entry in site_items])
            case _:
                assert_never(item)

    def _block(self, node: Node, head: str, entries: list[tuple[Node, Doc]], fold: bool = False) -> Doc:
        """`head { ... }`, one entry per line; on one line if `fold`, it fits, and its author wrote it so.

        A host or node block is a declaration, whose lines diagnostics quote:
        like Prettier's objects, one written over several lines stays so.
        """
        if fold and entries and "\n" in self.text[span_of(node).start:self._extent(entries[0][0])[0]]:
            fold = False
        docs = self.entries(entries, self._dangling(node), HARD if not fold else SPACE)
        if not docs:
            return head + " { }"
        if fold:
            return group(head, " {", indent(SPACE, *docs), SPACE, "}")
        return concat(head, " {", indent(HARD, *docs), HARD, "}")

    def _statements(self, body: tuple[ast.Statement, ...], reserved: frozenset[str]) -> list[tuple[Node, Doc]]:
        return [(statement, self._statement(statement, reserved)) for statement in body]

    def _statement(self, statement: ast.Statement, reserved: frozenset[str]) -> Doc:
        match statement:
            case ast.Define(path=path, op=op, value=value, final=final):
                return concat("final " if final else "", self._path(path, reserved), f" {op} ",
                              self.expression(value), ";")
            case ast.Assert(condition=condition, message=message):
                return concat("assert ", self.expression(condition), ", ", self.expression(message), ";")
            case _:
                assert_never(statement)

    def _site_item(self, item: ast.SiteItem) -> Doc:
        match item:
            case ast.Define() | ast.Assert():
                return self._statement(item, _SITE_WORDS)
            case ast.HostDecl(name=name, body=body):
                return self._block(item, f"host {name.name}", self._statements(body, _STATEMENT_WORDS), fold=True)
            case ast.NodeDecl(name=name, family=family, profiles=profiles, body=body):
                head = f"node {name.name}{_family(family)}"
                if profiles is not None:
                    head += " : " + ", ".join(profile.name for profile in profiles)
                return self._block(item, head, self._statements(body, _STATEMENT_WORDS), fold=True)
            case _:
                assert_never(item)

    def _field(self, field: ast.Field) -> Doc:
        parts: list[Doc] = [self._path(field.path), " : ", _type(field.type)]
        if field.default is not None:
            parts += [" = ", self.at(field.default, _default_level(field))]
        if field.doc is not None:
            parts.append(indent(SPACE, quote(field.doc)))
        return group(*parts, ";")


# ---------------------------------------------------------------- helpers


def _blank(line: list[Doc]) -> bool:
    return all(isinstance(piece, str) and not piece.strip(" ") for piece in line)


def _merged(line: list[Doc]) -> list[Doc]:
    """Adjacent text pieces as one, so a line's first piece holds its leading blanks."""
    merged: list[Doc] = []
    for piece in line:
        if merged and isinstance(piece, str) and isinstance(merged[-1], str):
            merged[-1] += piece
        elif piece != "":
            merged.append(piece)
    return merged


def quote(text: str) -> str:
    """`text` as a `"..."` literal."""
    return '"' + _escape(text) + '"'


def _escape(text: str, interpolation_follows: bool = False) -> str:
    """`text` inside `"..."`; a `$` last before an interpolation is `\\$`, or `$${` would read as text (Nix)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
    if interpolation_follows and text.endswith("$"):
        text = text[:-1] + "\\$"
    return text.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


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


def _extends(parents: tuple[ast.Name, ...]) -> str:
    return " extends " + ", ".join(parent.name for parent in parents) if parents else ""


def _family(family: ast.Family | None) -> str:
    if family is None:
        return ""
    return f"[{str(family.low).zfill(family.width)}..{str(family.high).zfill(family.width)}]"


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

