"""Fuzzing the front end: no input makes the parser or the evaluator fail with anything but a diagnostic.

Three sources of input: token soup (random sequences of the language's own
tokens, plus junk, joined by random blanks); mutations of valid programs and
of common mistakes (tokens or characters deleted, duplicated, swapped,
inserted, or a literal replaced by an edge value such as `0`, `""` or an
integer wider than a machine word); and every builtin called with edge
values, sampled and swept.  Each input is parsed; if it parses it is
evaluated and printed as `gwc eval` would, on the deep stack `run_deep`
gives.  The only exception allowed out is `GwError`, and each of its
diagnostics must have a stable code, point inside its source and render.

Generated integers are either small or far beyond a machine word, so that a
mutation cannot ask for a list of a billion elements; a watchdog still stops
any evaluation that runs too long, and that counts as a failure (a program
that never ends is a bug too).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwlang.diagnostics import Diagnostic, GwError, Source, render_text, to_json
from gwlang.eval.builtins import REGISTRY
from gwlang.eval.printer import Collector
from gwlang.session import Session
from gwlang.syntax.parser import parse
from tests.support.watchdog import EvaluationHung, run_bounded

# A program that loops for ever ends with E0205 after two or three seconds;
# one still running after this long is hung (and has grown by a gigabyte or so).
EVALUATION_SECONDS = 10.0
CODE = re.compile(r"E\d{4}")

FUZZ_SETTINGS = settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


# ---------------------------------------------------------------- running one input


def evaluate(text: str, folder: Path, as_json: bool) -> list[Diagnostic]:
    """What `gwc eval` does with a file holding `text`: the diagnostics it would print."""
    session = Session(include=[str(folder)], project=folder)
    try:
        loaded = session.loader.load_text("fuzz.gw", text, folder)
        value = session.loader.value(loaded)
        printed = session.print_value(value, as_json)
        return printed.collector.diagnostics
    except GwError as failure:
        collector = Collector()
        collector.add(failure)
        return collector.diagnostics
    except RecursionError as failure:
        # The session's own guard, as in `evaluate_to_text`: an overflow of
        # the deep stack is reported as E0205.
        return session.guarded(failure).diagnostics


def check_diagnostics(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        assert CODE.fullmatch(diagnostic.code), f"unstable code {diagnostic.code!r}: {diagnostic.message}"
        labels = ([diagnostic.primary] if diagnostic.primary else []) + list(diagnostic.secondary)
        for label in labels:
            span = label.span
            assert 0 <= span.start <= span.end <= len(span.source.text), (
                f"{diagnostic.code} points outside `{span.source.name}`: {span.start}..{span.end}")
        assert render_text(diagnostic)
        assert render_text(diagnostic, colour=True)
        json.dumps(to_json(diagnostic))


def check_input(text: str, folder: Path, as_json: bool) -> None:
    """Parse, then (if that worked) evaluate and print; only diagnostics may come out."""
    try:
        parse(Source("fuzz.gw", text))
    except GwError as failure:
        assert failure.diagnostics, "a GwError without diagnostics"
        check_diagnostics(failure.diagnostics)
        return
    try:
        diagnostics = run_bounded(lambda: evaluate(text, folder, as_json), EVALUATION_SECONDS)
    except EvaluationHung:
        pytest.fail(f"evaluation did not end within {EVALUATION_SECONDS:.0f} s:\n{text}")
    check_diagnostics(diagnostics)


# Modules the programs may import, relatively or from the search path.
LIBRARY = {
    "roles.gw": '{ ce = { slot = 11; memory = 1GiB; }; ui = { slot = 13; memory = 512MiB; }; }',
    "local.gw": 'let mac-for = i: "00:16:3e:00:00:${zeroPad 2 i}";\nprofile local { vm.memory = 1GiB; }',
    "grid/base.gw": 'let domain = "grid.ie";\nprofile base { os.family = "redhat"; }',
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project folder and search root: the modules above, and nothing of the working directory."""
    root = tmp_path_factory.mktemp("fuzz")
    for name, text in LIBRARY.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text + "\n")
    return root


# ---------------------------------------------------------------- token soup

def words(text: str) -> list[str]:
    """The blank-separated words of `text`: token tables written as prose."""
    return text.split()


KEYWORDS = words("let in if then else inherit rec import as profile site host node schema extends abstract "
                 "final assert true false null or")
PUNCTUATION = words(r"""{ } [ ] ( ) ; : , . .. ... = ?= += -= ? @ // ++ + - * / < <= > >= == != && || -> ! ${
                        " '' ''' ''$ ''\ # /* */ $ \ \" \n""")
NAMES = words("x y f s a b c n i xs name memory node host site vm vm.memory wn-01 a' _ __x map filter foldl "
              "length elem range attrNames attrValues concatStringsSep toString hostIn contains toMiB toKiB "
              "zeroPad genList substring splitString replaceStrings listToAttrs mapAttrs throw seq deepSeq "
              "ip net mac size toJSON toInt getAttr sort unique elemAt head tail min max mod")
SPECIAL_TOKENS = words("""512MiB 8GiB 1TiB 64KiB 100MB 4096B 0B 1PiB 99999999999999999999GiB 16MiB..
                          134.226.81.10 999.1.1.1 0.0.0.0 134.226.81.0/24 10.0.0.1/33 1.2.3.4/0
                          00:16:3e:00:01:0a ff:ff:ff:ff:ff:ff 00:16:3e:00:01
                          <grid/base.gw> <../../etc/passwd> <a> "./x.gw" "../x.gw" "/etc/passwd"
                          "2001:db8::1" "2001:db8::/64" "not-an-ip" -1 -0 007
                          9223372036854775808 99999999999999999999 -99999999999999999999""")
# One integer longer than Python converts to text by default (4300 digits).
LONG_INTEGER = "1" + "0" * 4300

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_'\-]{0,6}", fullmatch=True)
# Small integers, or integers far too large for a machine word (they fail at
# once); never the millions in between that could build a huge list.
integers = st.one_of(st.integers(0, 300), st.integers(10**19, 10**40)).map(str)
sizes = st.builds(lambda n, unit: f"{n}{unit}", st.integers(0, 4096),
                  st.sampled_from(words("B KiB MiB GiB TiB PiB KB MB GB TB PB")))
ip_addresses = st.lists(st.integers(0, 300), min_size=4, max_size=4).map(lambda p: ".".join(map(str, p)))
networks = st.builds(lambda ip, prefix: f"{ip}/{prefix}", ip_addresses, st.integers(0, 40))
macs = st.lists(st.integers(0, 255), min_size=6, max_size=6).map(lambda p: ":".join(f"{b:02x}" for b in p))
odd_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
odd_strings = st.one_of(
    odd_text.map(lambda t: f'"{t}"'),
    odd_text.map(lambda t: f"''{t}''"),
    st.lists(st.sampled_from(["a", "\\", "\\n", "\\\"", "${", "}", "$", "''", "'''", "''$", "\n", "x"]),
             max_size=6).map(lambda parts: '"' + "".join(parts) + '"'),
)
comments = st.one_of(odd_text.map(lambda t: "#" + t.replace("\n", " ") + "\n"),
                     odd_text.map(lambda t: f"/*{t}*/"))
junk = st.one_of(st.characters(exclude_categories=["Cs"]).map(str), st.just("\x00"), st.just("\ufeff"))

tokens = st.one_of(
    st.sampled_from(KEYWORDS), st.sampled_from(PUNCTUATION), st.sampled_from(NAMES),
    st.sampled_from((*SPECIAL_TOKENS, LONG_INTEGER)),
    identifiers, integers, sizes, ip_addresses, networks, macs, odd_strings, comments, junk,
)
blanks = st.sampled_from(["", " ", " ", " ", "  ", "\n", "\t", "\r\n", " \n  "])


@st.composite
def token_soup(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(tokens, blanks), max_size=40))
    return "".join(token + blank for token, blank in parts)


@FUZZ_SETTINGS
@given(text=token_soup(), as_json=st.booleans())
def test_token_soup_gives_only_diagnostics(folder: Path, text: str, as_json: bool) -> None:
    check_input(text, folder, as_json)


# ---------------------------------------------------------------- mutations of valid programs

VALID_PROGRAMS = (
    "{ a = 1; b.c = 2; inherit x; inherit (s) y z; }",
    "let x = 1; s = { y = 2; z = 3; }; in { a = 1; b.c = 2; inherit x; inherit (s) y z; }",
    '[ 1 "two" (toString 3) 512MiB 134.226.81.10 134.226.81.0/24 00:16:3e:00:01:0a true false null ]',
    "let a = 1; b = a + 1; in b * 2",
    "(x: x + 1) 41",
    "({ name, memory ? 512MiB, ... }: memory) { name = \"ui\"; }",
    "(args@{ name, ... }: args.name) { name = \"ce\"; extra = 1; }",
    "let f = x: y: x - y; in f 10 3",
    "if 1 < 2 then \"yes\" else \"no\"",
    'let s = { a.b = 1; }; in [ (s.a.b or "fallback") (s.a.c or "fallback") (s ? a) (s ? a.c) ]',
    "{ a = 1; } // { b = 2; a = 3; }",
    "[ 1 2 ] ++ [ 3 ] ++ [ ]",
    "[ (!true) (true && false) (false || true) (true -> false) (1 == 1) (1 != 2) (3 <= 4) (5 > 6) (-7) ]",
    "[ (10 / 3) (10 * 3) (1GiB + 512MiB) (512MiB * 2) (2 * 1KiB) (1GiB > 512MiB) ]",
    'let name = "wn01"; domain = "grid.ie"; in "${name}.${domain} costs ${toString 3}\\n\\${not}"',
    "''\n  #!/bin/sh\n  echo ${toString 1} ''${HOME} '''quoted'''\n    indented\n''",
    "let net = 134.226.81.0/24; in [ net.prefix net.netmask net.network net.broadcast (hostIn net 10) "
    "(contains net 134.226.81.7) ]",
    "[ (toMiB 1GiB) (toKiB 1MiB) (toString 8GiB) (ip \"2001:db8::1\") (net \"2001:db8::/64\") ]",
    "map (x: x * 2) (range 1 5)",
    'filter (x: x > 2) [ 1 2 3 4 ] ++ [ (foldl (a: b: a + b) 0 [ 1 2 3 ]) (length [ 1 2 ]) (elem 2 [ 1 2 ]) ]',
    'let s = { b = 2; a = 1; }; in [ (attrNames s) (attrValues s) (concatStringsSep ", " [ "a" "b" ]) ]',
    "rec { a = 1; b = a + 1; c = { d = b; }; }",
    'let s = { x = 1; }; k = "x"; in { ${k} = s.${k}; "quoted key" = 2; }',
    'let fact = n: if n <= 1 then 1 else n * fact (n - 1); in fact 10',
    'genList (i: zeroPad 2 i) 4 ++ [ (substring 1 2 "hello") (splitString "," "a,b") ]',
    'listToAttrs (map (n: { name = "wn${zeroPad 2 n}"; value = n; }) (range 1 3))',
    'mapAttrs (name: value: value + 1) { a = 1; b = 2; }',
    '/* block */ let # comment\n a = 1; in a',
    "import <grid/base.gw>",
    '(import "./roles.gw").ce.memory',
    # Declarations: a module of items.
    'import <grid/base.gw>;\nimport "./local.gw" as local;\nlet mac-for = site: i: "00:16:3e:00:${toString i}";',
    "let a = 1;\nlet b = a + 1;\nprofile base { x = b; }",
    'profile base {\n  os.family = "redhat";\n  vm.memory = 512MiB;\n  network.fqdn = "${node.name}.${site.domain}";\n'
    '  packages = [ "openssh-server" "ntp" ];\n}\n'
    'profile ui extends base {\n  packages += [ "glite-ui" ];\n  packages -= [ "ntp" ];\n  vm.memory ?= 1GiB;\n'
    '  final security.selinux = "enforcing";\n  assert node.vm.memory >= 256MiB, "a UI needs at least 256MiB";\n}',
    "schema node {\n  host : ref(host);\n  after : [ref(node)] = [];\n  ip : ip;\n"
    '  os.family : enum("redhat", "debian") = "redhat";\n  vm.memory : size(16MiB..) = 512MiB "Guest memory.";\n'
    "  vm.vcpus : int(1..128) = 1;\n  network.interfaces : {string: interface};\n  gateway : ip?;\n}",
    "abstract site gateway {\n  host gw { hypervisor = \"xen\"; memory = 8GiB; }\n"
    "  node ce : ce, base { host = gw; ip = hostIn site.network.subnet 11; }\n"
    "  node wn[01..04] : wn { host = gw; ip = hostIn site.network.subnet (20 + index); after = [ ce ]; }\n}\n"
    'site ucc extends gateway {\n  domain = "ucc.grid.ie";\n  network.subnet = 143.239.64.0/24;\n'
    '  host gw { uri = "xen+ssh://root@gw/system"; }\n}',
)

# Common mistakes, each with its own diagnostic: mutations of these reach
# the error paths of the parser's recovery and the evaluator.
MISTAKES = (
    "[ 1 , 2 ]",
    "{ a = 1; a = 2; }",
    "let a = 1 in a",
    "f = x: x",
    "{ a = 1 }",
    '"unclosed ${x',
    "let a = a; in a",
    'let x = throw "no"; in { ok = 1; bad = x; }',
    "{ a = 1; }.b",
    "1 + true",
    '[ (1 / 0) (toMiB 3) (hostIn 10.0.0.0/30 9) (elemAt [ ] 0) (head [ ]) (toInt "x") ]',
    "(import <../outside.gw>)",
    "let a = 1;\nlet a = 2;",
    "profile p { x = ; }",
)

# Every builtin's documented example, so that mutations reach each builtin
# with arguments of the wrong type or of extreme values.
BUILTIN_EXAMPLES = tuple(spec.example for spec in REGISTRY.values())

# What a mutation may put in place of a literal: the edges of each type.
EXTREME_INTEGERS = ("0", "(-1)", "(-9223372036854775808)", "9223372036854775807", "99999999999999999999",
                    LONG_INTEGER)
EXTREMES = (*EXTREME_INTEGERS, '""', '"\\u0000"', '"\x00"', '"-"', '"${"', "0B", "1B", "99999999999999999999PiB",
            "0.0.0.0", "255.255.255.255", "0.0.0.0/0", "10.0.0.0/31", "10.0.0.1/32", "ff:ff:ff:ff:ff:ff", "null",
            "true", "[ ]", "{ }", "(x: x)", "[ [ [ ] ] ]", "(throw \"boom\")", 'ip "::"', 'net "::/0"')
LITERAL = re.compile(r"""[0-9].*|".*|''.*|true|false|null""", re.DOTALL)

# Words, numbers and domain literals, strings, and each operator: enough to
# move whole tokens around without a real lexer.
TOKEN = re.compile(r"""''(?:[^']|'(?!'))*''|"(?:[^"\\]|\\.)*"|[0-9a-fA-F:./]+[A-Za-z]*|[A-Za-z_][A-Za-z0-9_'\-]*"""
                   r"""|\$\{|\.\.\.|\.\.|\?=|\+=|-=|//|\+\+|<=|>=|==|!=|&&|\|\||->|\s+|.""", re.DOTALL)


SEEDS = VALID_PROGRAMS + BUILTIN_EXAMPLES + MISTAKES


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text)


@st.composite
def mutation(draw: st.DrawFn, pieces: list[str]) -> list[str]:
    """Apply one edit to a list of pieces (tokens or characters)."""
    kind = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace", "extreme"]))
    pieces = list(pieces)
    literals = [i for i, piece in enumerate(pieces) if LITERAL.fullmatch(piece)]
    if kind == "extreme" and literals:
        pieces[draw(st.sampled_from(literals))] = draw(st.sampled_from(EXTREMES))
        return pieces
    if not pieces:
        kind = "insert"
    at = draw(st.integers(0, max(0, len(pieces) - 1)))
    if kind == "delete":
        del pieces[at]
    elif kind == "duplicate":
        pieces.insert(at, pieces[at])
    elif kind == "swap":
        other = draw(st.integers(0, len(pieces) - 1))
        pieces[at], pieces[other] = pieces[other], pieces[at]
    else:
        new = draw(st.one_of(tokens, st.sampled_from(pieces or ["x"])))
        separator = draw(st.sampled_from(["", " "]))
        if kind == "insert":
            pieces.insert(at, new + separator)
        else:
            pieces[at] = new + separator
    return pieces


@st.composite
def mutated_program(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        by_characters = draw(st.booleans())
        pieces = list(text) if by_characters else tokenize(text)
        text = "".join(draw(mutation(pieces)))
    return text


@pytest.mark.parametrize("text", SEEDS, ids=[f"seed{i:02}" for i in range(len(SEEDS))])
def test_seeds(folder: Path, text: str) -> None:
    """Mutations start from real programs: the valid ones parse, and the tokenizer loses nothing."""
    assert "".join(tokenize(text)) == text
    if text not in MISTAKES:
        parse(Source("seed.gw", text))
    check_input(text, folder, as_json=False)


@FUZZ_SETTINGS
@given(text=mutated_program(), as_json=st.booleans())
def test_mutated_programs_give_only_diagnostics(folder: Path, text: str, as_json: bool) -> None:
    check_input(text, folder, as_json)


# ---------------------------------------------------------------- builtins at the edges


def arguments_of(name: str, example: str) -> list[str]:
    """The top-level arguments of a builtin's example call (`f (x: x) [ 1 2 ]` gives two)."""
    if not example.startswith(name + " "):
        return []
    groups: list[str] = []
    depth = 0
    for piece in tokenize(example)[1:]:
        if depth == 0 and not piece.strip():
            continue
        if depth == 0:
            groups.append("")
        groups[-1] += piece
        depth += (piece in ("(", "[", "{", "${")) - (piece in (")", "]", "}"))
    return groups


@st.composite
def builtin_call(draw: st.DrawFn) -> str:
    """A builtin applied to arguments drawn from the edges of each type and from its own example."""
    spec = draw(st.sampled_from(list(REGISTRY.values())))
    own = arguments_of(spec.name, spec.example) or ["1"]
    argument = st.one_of(st.sampled_from(own), st.sampled_from(EXTREME_INTEGERS), st.sampled_from(EXTREMES))
    arguments = draw(st.lists(argument, min_size=spec.arity, max_size=spec.arity))
    return " ".join([spec.name, *arguments])


@FUZZ_SETTINGS
@given(text=builtin_call(), as_json=st.booleans())
def test_builtins_at_random_edges_give_only_diagnostics(folder: Path, text: str, as_json: bool) -> None:
    check_input(text, folder, as_json)


def edge_calls() -> list[str]:
    """Every builtin's example with one argument at a time replaced by each edge value."""
    calls = []
    for spec in REGISTRY.values():
        arguments = arguments_of(spec.name, spec.example)
        if len(arguments) != spec.arity:
            arguments = ["1"] * spec.arity
        for position in range(spec.arity):
            for edge in EXTREMES:
                calls.append(" ".join([spec.name, *arguments[:position], edge, *arguments[position + 1:]]))
    return calls


def test_builtins_at_each_edge_give_only_diagnostics(folder: Path) -> None:
    """A sweep rather than a sample, so that every failing call is listed at once."""
    failures = []
    for text in edge_calls():
        try:
            check_input(text, folder, as_json=False)
        except (AssertionError, pytest.fail.Exception) as failure:
            failures.append(f"{text[:80]}: {(str(failure).splitlines() or ['?'])[0]}")
        except Exception as failure:
            failures.append(f"{text[:80]}: {type(failure).__name__}: {str(failure)[:100]}")
    assert not failures, f"{len(failures)} calls failed:\n" + "\n".join(failures)


# ---------------------------------------------------------------- the harness itself


def test_watchdog_stops_a_hung_evaluation() -> None:
    def spin() -> Any:
        while True:
            pass

    with pytest.raises(EvaluationHung):
        run_bounded(spin, seconds=0.2)
