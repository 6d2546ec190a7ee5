"""Round trips: `unparse` prints what `parse` reads back as the same AST.

Every valid syntax case and every real program (docs/, stdlib/, sites/) is parsed, printed
and parsed again; the two ASTs are equal (spans aside) and printing is
idempotent.  Hypothesis then builds random expression trees, every operator
and odd strings included, and checks that printing then parsing gives each
one back: the printer's parentheses are exactly the grammar's precedence.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gwlang.diagnostics import Source, Span
from gwlang.syntax import ast
from gwlang.syntax.parser import parse
from gwlang.syntax.unparse import unparse

ROOT = Path(__file__).resolve().parent.parent
VALID = sorted((ROOT / "tests" / "cases" / "syntax-valid").glob("*.gw"))
# The examples, the standard library and the example sites: real programs.
EXAMPLES = sorted(path for folder in ("docs", "stdlib", "sites") for path in (ROOT / folder).rglob("*.gw"))
PROGRAMS = VALID + EXAMPLES


def parsed(path: Path) -> ast.Module:
    return parse(Source(path.relative_to(ROOT).as_posix(), path.read_text()))


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_printed_program_parses_back_equal(path: Path) -> None:
    module = parsed(path)
    printed = unparse(module)
    again = parse(Source("printed.gw", printed))
    assert again == module
    assert unparse(again) == printed


def test_the_valid_cases_cover_every_declaration_and_expression_form() -> None:
    seen: set[str] = set()

    def visit(node: object) -> None:
        seen.add(type(node).__name__)
        for value in getattr(node, "__dataclass_fields__", {}):
            child = getattr(node, value)
            for item in child if isinstance(child, tuple) else (child,):
                if hasattr(item, "__dataclass_fields__"):
                    visit(item)

    for path in VALID:
        visit(parsed(path))
    node_types = {name for name, value in vars(ast).items()
                  if isinstance(value, type) and value.__module__ == ast.__name__
                  and hasattr(value, "__dataclass_fields__")}
    assert node_types - seen == set()


# ---------------------------------------------------------------- random expressions

SPAN = Span(Source("generated.gw", ""), 0, 0)
KEYWORDS = {"import", "as", "let", "in", "if", "then", "else", "inherit", "or", "rec", "true", "false", "null",
            "schema", "profile", "site", "host", "node", "extends", "abstract", "final", "assert"}
OPERATORS: list[ast.BinaryOperator] = ["->", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "//", "+", "-", "*",
                                       "/", "++"]
# Characters and pieces that are delimiters or escapes in one string form or the other.
ODD_PIECES = [*"ab ${}\"\\'\n\t\r#;:é✓", "''", "${", "''$", "\\$", "'''"]
ODD_TEXT = st.lists(st.sampled_from(ODD_PIECES), max_size=8).map("".join)

names = st.from_regex(r"[a-z_][a-z0-9_'\-]{0,5}", fullmatch=True).filter(lambda name: name not in KEYWORDS)
literals = st.one_of(
    st.integers(-10**30, 10**30).map(lambda value: ast.IntLit(value, SPAN)),
    st.sampled_from([("512MiB", 512 << 20), ("8GiB", 8 << 30), ("100MB", 100 * 10**6), ("0B", 0)]).map(
        lambda size: ast.SizeLit(size[0], size[1], SPAN)),
    st.sampled_from([("ipv4", "10.0.0.1"), ("net", "134.226.81.0/24"), ("mac", "00:16:3e:00:01:0a")]).map(
        lambda literal: ast.DomainLit(literal[0], literal[1], SPAN)),  # type: ignore[arg-type]
    st.sampled_from([True, False, None]).map(lambda value: ast.Const(value, SPAN)),
    names.map(lambda name: ast.Var(name, SPAN)),
)


def string_of(pieces: list[str | ast.Expr], indented: bool) -> ast.Str:
    """A string as the parser builds it: neighbouring texts joined, no empty text."""
    parts: list[str | ast.Expr] = []
    for piece in pieces:
        if isinstance(piece, str) and parts and isinstance(parts[-1], str):
            parts[-1] += piece
        elif piece != "":
            parts.append(piece)
    return ast.Str(tuple(parts), indented, SPAN)


def strings(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Str]:
    pieces = st.lists(st.one_of(ODD_TEXT, children), max_size=4)
    return st.builds(string_of, pieces, st.booleans())


def keys(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.AttrKey]:
    return st.one_of(
        st.one_of(names, ODD_TEXT).map(lambda name: ast.StaticKey(name, SPAN)),
        children.map(lambda expr: ast.DynamicKey(expr, SPAN)),
    )


def paths(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[tuple[ast.AttrKey, ...]]:
    return st.lists(keys(children), min_size=1, max_size=3).map(tuple)


def bindings(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[tuple[ast.Binding, ...]]:
    inherit_names = st.lists(names.map(lambda name: ast.StaticKey(name, SPAN)), max_size=3).map(tuple)
    binding = st.one_of(
        st.builds(ast.Bind, paths(children), children, st.just(SPAN)),
        st.builds(ast.Inherit, inherit_names, st.none() | children, st.just(SPAN)),
    )
    return st.lists(binding, max_size=3).map(tuple)


def patterns(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Pattern]:
    formal = st.builds(ast.Formal, names, st.none() | children, st.just(SPAN))
    # A name twice in one pattern, the `@` name included, is an error (E0113).
    return st.builds(ast.Pattern, st.lists(formal, max_size=3, unique_by=lambda f: f.name).map(tuple),
                     st.booleans(), st.none() | names, st.just(SPAN)
                     ).filter(lambda pattern: pattern.bind_as not in {f.name for f in pattern.formals})


def negations(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Negate]:
    # `-5` is read as the literal -5, never as a negation of 5.
    operands = children.filter(lambda expr: not isinstance(expr, ast.IntLit))
    return st.builds(ast.Negate, operands, st.just(SPAN))


def compound(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        strings(children),
        st.builds(ast.BinOp, st.sampled_from(OPERATORS), children, children, st.just(SPAN), st.just(SPAN)),
        st.builds(ast.Apply, children, children, st.just(SPAN)),
        st.builds(ast.Select, children, paths(children), st.none() | children, st.just(SPAN)),
        st.builds(ast.HasAttr, children, paths(children), st.just(SPAN)),
        st.builds(ast.Lambda, names | patterns(children), children, st.just(SPAN)),
        st.builds(ast.ListExpr, st.lists(children, max_size=3).map(tuple), st.just(SPAN)),
        st.builds(ast.AttrSet, bindings(children), st.booleans(), st.just(SPAN)),
        st.builds(ast.Let, bindings(children), children, st.just(SPAN)),
        st.builds(ast.If, children, children, children, st.just(SPAN)),
        st.builds(ast.Not, children, st.just(SPAN)),
        negations(children),
        st.builds(ast.Import, st.sampled_from(["./x.gw", "a b/\"c\".gw"]), st.just(False), st.just(SPAN)),
        st.builds(ast.Import, st.sampled_from(["grid/base.gw"]), st.just(True), st.just(SPAN)),
    )


expressions = st.recursive(literals, compound, max_leaves=12)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_printed_expression_parses_back_equal(expr: ast.Expr) -> None:
    module = ast.Module((), expr, SPAN)
    printed = unparse(module)
    again = parse(Source("printed.gw", printed))
    assert again == module, printed
    assert unparse(again) == printed


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(ODD_TEXT, st.text(alphabet=string.printable, max_size=6)), min_size=1, max_size=5))
@example([" ", ""])  # only blank lines, one holding a blank: Nix's dedent would empty it
def test_indented_strings_print_back_exactly(lines: list[str]) -> None:
    value = string_of(["\n".join(lines)], indented=True)
    module = ast.Module((), value, SPAN)
    assert parse(Source("printed.gw", unparse(module))) == module
