"""`gwc fmt`: one layout, every comment kept, meaning unchanged.

Over every .gw file of the repository that parses (sites, stdlib, docs,
test cases): formatting is idempotent, the AST is equal before and after,
and so are the comments, in order.  The evaluation cases and the example
sites give the same values formatted.  Hypothesis adds random programs
with comments put between random tokens, and random relayouts that must
all format to one text.  The golden cases under tests/cases/fmt/ show the
layout as snapshots; the command line is run for real.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion

from gwlang.diagnostics import GwError, Source, Span
from gwlang.fmt import format_text
from gwlang.syntax import ast
from gwlang.syntax.parser import parse_with_comments
from gwlang.syntax.unparse import unparse
from tests.conftest import gwc_eval
from tests.test_roundtrip import expressions

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted((ROOT / "tests" / "cases" / "fmt").glob("*.gw"))
# The repository's own sources, which CI keeps formatted.
FORMATTED_FOLDERS = ("sites", "stdlib", "docs/examples")
EVERY_FILE = sorted(path for folder in ("sites", "stdlib", "docs", "tests/cases", "bench")
                    for path in (ROOT / folder).rglob("*.gw"))
SPAN = Span(Source("generated.gw", ""), 0, 0)
# Hypothesis warns when it prints the (large) strategy of random programs; a report, not a fault.
LARGE_REPR = pytest.mark.filterwarnings("ignore:Generating overly large repr")


def parsed(text: str, name: str = "input.gw") -> tuple[ast.Module, list[str]] | None:
    """The AST and the comments' texts, or None for text that does not parse."""
    try:
        module, comments = parse_with_comments(Source(name, text))
    except GwError:
        return None
    return module, [comment.text for comment in comments]


def check_formatting(text: str) -> str:
    """Format `text` and check what `gwc fmt` promises; the formatted text."""
    before = parsed(text)
    assert before is not None
    formatted = format_text(text)
    after = parsed(formatted)
    assert after is not None, formatted
    assert after[0] == before[0], formatted
    assert after[1] == before[1], formatted
    assert format_text(formatted) == formatted
    return formatted


# ---------------------------------------------------------------- every file of the repository


@pytest.mark.parametrize("path", EVERY_FILE, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_file_formats_idempotently_with_its_ast_and_comments(path: Path) -> None:
    text = path.read_text()
    if parsed(text, str(path)) is None:
        pytest.skip("a case of a syntax error")
    check_formatting(text)


def _doc_blocks() -> list[tuple[str, str]]:
    """(place, text) of every ```gw block of the docs, `file=` blocks included, that parses."""
    found = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for match in re.finditer(r"^```gw(?: file=\S+)?\n(.*?)^```", page.read_text(), re.M | re.S):
            if parsed(match.group(1)) is not None:
                line = page.read_text().count("\n", 0, match.start()) + 1
                found.append((f"{page.name}:{line}", match.group(1)))
    return found


DOC_BLOCKS = _doc_blocks()


@pytest.mark.parametrize("text", [text for _, text in DOC_BLOCKS], ids=[place for place, _ in DOC_BLOCKS])
def test_every_gw_block_of_the_docs_formats_faithfully(text: str) -> None:
    check_formatting(text)


def test_the_repository_files_carry_comments() -> None:
    """Guards the test above: were comments lost in collecting, it would compare two empty lists."""
    comments = sum(len(result[1]) for path in EVERY_FILE if (result := parsed(path.read_text())) is not None)
    assert comments > 100


def test_the_repository_sources_are_formatted() -> None:
    """CI's check: the repository's own sources are as `gwc fmt` leaves them."""
    done = gwc("fmt", *FORMATTED_FOLDERS, "--check")
    assert done.returncode == 0, f"run `gwc fmt {' '.join(FORMATTED_FOLDERS)}`:\n{done.stdout}{done.stderr}"


@pytest.fixture(scope="module")
def formatted_eval_cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the evaluation cases (with the files they import), each formatted."""
    copy = tmp_path_factory.mktemp("eval") / "eval"
    shutil.copytree(ROOT / "tests" / "cases" / "eval", copy)
    for path in copy.rglob("*.gw"):
        if parsed(path.read_text()) is not None:
            path.write_text(format_text(path.read_text()))
    return copy


EVAL_CASES = sorted((ROOT / "tests" / "cases" / "eval").glob("*.gw"))


@pytest.mark.parametrize("path", EVAL_CASES, ids=lambda path: path.stem)
def test_formatted_eval_case_evaluates_the_same(path: Path, formatted_eval_cases: Path) -> None:
    # A function prints as where it was defined, which moved: compared without its place.
    before = re.sub(r"@ [^»]*»", "»", gwc_eval(path))
    after = re.sub(r"@ [^»]*»", "»", gwc_eval(formatted_eval_cases / path.name))
    if before.startswith("error"):
        # Diagnostics quote lines, which moved: the same codes and messages, in order.
        assert _headlines(after) == _headlines(before)
    else:
        assert after == before


def _headlines(rendered: str) -> list[str]:
    return [line for line in rendered.splitlines() if re.match(r"(error|warning)\[", line)]


@pytest.mark.parametrize("path", sorted((ROOT / "sites").glob("*.gw")), ids=lambda path: path.stem)
def test_formatted_site_shows_the_same_model(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / path.name
    copy.write_text(format_text(path.read_text()))
    before, after = gwc("show", str(path), "--json"), gwc("show", str(copy), "--json")
    assert before.returncode == 0, before.stderr
    assert after.stdout == before.stdout


# ---------------------------------------------------------------- golden layouts


@pytest.mark.parametrize("path", GOLDEN, ids=lambda path: path.stem)
def test_golden_layout(path: Path, snapshot: SnapshotAssertion) -> None:
    assert check_formatting(path.read_text()) == snapshot


def test_sets_and_lists_break_only_when_they_do_not_fit() -> None:
    assert format_text("{a=1;b=[1 2];}") == "{ a = 1; b = [ 1 2 ]; }\n"
    wide = "{ " + " ".join(f"attribute{n} = {n};" for n in range(8)) + " }"
    assert format_text(wide) == "{\n" + "".join(f"  attribute{n} = {n};\n" for n in range(8)) + "}\n"
    assert format_text(wide, width=200) == wide + "\n"


def test_a_line_comment_breaks_its_set_and_stays_on_its_line() -> None:
    assert format_text("{ a = 1; # one\n b = 2; }") == "{\n  a = 1; # one\n  b = 2;\n}\n"


def test_nothing_is_ever_swallowed_by_a_comment() -> None:
    # A comment between tokens that the layout would join on one line.
    assert format_text("f # the function\n x") == "f # the function\nx\n"
    assert format_text("[ 1 /* one */ 2 ]") == "[ 1 /* one */ 2 ]\n"


def test_format_text_raises_the_syntax_diagnostics() -> None:
    with pytest.raises(GwError) as raised:
        format_text("let x = 1 +;\n", "bad.gw")
    assert [diagnostic.code for diagnostic in raised.value.diagnostics] == ["E0101"]
    assert raised.value.diagnostics[0].primary is not None
    assert raised.value.diagnostics[0].primary.span.location == "bad.gw:1:12"


# ---------------------------------------------------------------- random programs


def _gaps(text: str) -> list[int]:
    """Positions after a blank: between tokens, or inside a string (which the checks then reject)."""
    return [index + 1 for index, char in enumerate(text) if char in " \n"]


COMMENTS = st.sampled_from(["# c\n", "/* b */", "/* two\n lines */", "#\n", "# ; } ]\n"])


@st.composite
def commented(draw: st.DrawFn, text: str) -> str:
    """`text` with comments put in at some of its gaps."""
    gaps = _gaps(text)
    if not gaps:
        return text
    chosen = sorted(draw(st.lists(st.sampled_from(gaps), max_size=6, unique=True)), reverse=True)
    for position in chosen:
        text = text[:position] + draw(COMMENTS) + " " + text[position:]
    return text


@st.composite
def programs(draw: st.DrawFn, relayout: bool = False) -> tuple[ast.Module, str, str]:
    """A random module, its canonical text, and that text commented (or relaid)."""
    module = ast.Module((), draw(expressions), SPAN)
    text = unparse(module)
    return module, text, draw(relaid(text) if relayout else commented(text))


@LARGE_REPR
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs())
def test_random_programs_with_comments_format_faithfully(program: tuple[ast.Module, str, str]) -> None:
    module, _, text = program
    result = parsed(text)
    assume(result is not None and result[0] == module)  # a comment inside a string changed it
    check_formatting(text)


REAL_PROGRAMS = [path for path in EVERY_FILE if parsed(path.read_text()) is not None]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.sampled_from(REAL_PROGRAMS), st.data())
def test_real_programs_with_more_comments_format_faithfully(path: Path, data: st.DataObject) -> None:
    original = parsed(path.read_text())
    assert original is not None
    text = data.draw(commented(path.read_text()))
    result = parsed(text)
    assume(result is not None and result[0] == original[0])
    check_formatting(text)


@st.composite
def relaid(draw: st.DrawFn, text: str) -> str:
    """`text` with some single blanks turned into line breaks or runs of blanks."""
    gaps = [index for index, char in enumerate(text) if char == " "]
    for position in sorted(draw(st.lists(st.sampled_from(gaps), max_size=8, unique=True)) if gaps else [],
                           reverse=True):
        text = text[:position] + draw(st.sampled_from(["\n", "   ", "\n    "])) + text[position + 1:]
    return text


@LARGE_REPR
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs(relayout=True))
def test_every_layout_of_a_program_formats_to_one_text(program: tuple[ast.Module, str, str]) -> None:
    module, text, moved = program
    result = parsed(moved)
    assume(result is not None and result[0] == module and not re.search(r"\n *\n", moved))
    assert format_text(moved) == format_text(text)


# ---------------------------------------------------------------- the command line


def gwc(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "gwlang", *args], capture_output=True, text=True, cwd=cwd,
                          input=stdin, env=environment, timeout=120)


UGLY = "let a = {x=1;};   # a note\n"
PRETTY = "let a = { x = 1; }; # a note\n"


def test_fmt_rewrites_files_in_place_and_only_those_that_change(tmp_path: Path) -> None:
    (tmp_path / "ugly.gw").write_text(UGLY)
    (tmp_path / "pretty.gw").write_text(PRETTY)
    os.utime(tmp_path / "pretty.gw", (0, 0))
    done = gwc("fmt", ".", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert (tmp_path / "ugly.gw").read_text() == PRETTY
    assert (tmp_path / "pretty.gw").stat().st_mtime == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pretty.gw", "ugly.gw"]


def test_fmt_check_lists_the_files_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "ugly.gw").write_text(UGLY)
    (tmp_path / "pretty.gw").write_text(PRETTY)
    done = gwc("fmt", "--check", "ugly.gw", "pretty.gw", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "ugly.gw\n")
    assert "1 file not formatted" in done.stderr
    assert (tmp_path / "ugly.gw").read_text() == UGLY
    assert gwc("fmt", "--check", "pretty.gw", cwd=tmp_path).returncode == 0


def test_fmt_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "ugly.gw").write_text(UGLY)
    done = gwc("fmt", "--diff", "ugly.gw", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("--- ugly.gw\n+++ ugly.gw (formatted)\n@@ -1 +1 @@\n"
                           f"-{UGLY}+{PRETTY}")
    assert (tmp_path / "ugly.gw").read_text() == UGLY


def test_fmt_reads_standard_input(tmp_path: Path) -> None:
    done = gwc("fmt", "-", stdin=UGLY, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, PRETTY)
    assert gwc("fmt", "-", "--check", stdin=UGLY, cwd=tmp_path).returncode == 1
    assert gwc("fmt", "-", "--check", stdin=PRETTY, cwd=tmp_path).returncode == 0


def test_fmt_reports_syntax_errors_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "ugly.gw").write_text(UGLY)
    (tmp_path / "bad.gw").write_text("let x = 1 +;\n")
    done = gwc("fmt", ".", cwd=tmp_path)
    assert done.returncode == 1
    assert "error[E0101]: unexpected `;`\n --> bad.gw:1:12" in done.stderr
    assert (tmp_path / "ugly.gw").read_text() == UGLY
    stdin = gwc("fmt", "-", stdin="x =", cwd=tmp_path)
    assert (stdin.returncode, stdin.stdout) == (1, "")
    assert "<stdin>:1:3" in stdin.stderr


def test_fmt_reports_an_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "binary.gw").write_bytes(b"\xff\xfe")
    done = gwc("fmt", "binary.gw", cwd=tmp_path)
    assert done.returncode == 1
    assert "error[E0120]: cannot read `binary.gw`" in done.stderr


def test_fmt_width_is_the_only_option(tmp_path: Path) -> None:
    wide = "{ " + " ".join(f"a{n} = {n};" for n in range(10)) + " }\n"
    assert gwc("fmt", "-", "--width", "200", stdin=wide, cwd=tmp_path).stdout == wide
    assert gwc("fmt", "-", "--width", "5", stdin=wide, cwd=tmp_path).returncode == 2


# ---------------------------------------------------------------- docs/fmt.md


def test_the_fmt_page_runs_as_written(tmp_path: Path) -> None:
    """docs/fmt.md's example, step by step as docs/tutorial.md's is (its block syntax)."""
    from tests.test_tutorial import BLOCK, shown_as
    steps = list(BLOCK.finditer((ROOT / "docs" / "fmt.md").read_text()))
    assert len(steps) >= 4
    for step in steps:
        body = step.group("body")
        if step.group("file"):
            (tmp_path / step.group("file")).write_text(body)
            continue
        command, *expected = body.splitlines()
        words = command.removeprefix("$ ").split()
        assert words[0] == "gwc", command
        done = gwc(*words[1:], cwd=tmp_path)
        assert done.returncode == (1 if step.group("fail") else 0), f"{command}\n{done.stderr}"
        output = (done.stdout + done.stderr).rstrip("\n").splitlines()
        assert shown_as(expected, output), f"{command}:\n" + "\n".join(output)
    formatted = (tmp_path / "site.gw").read_text()
    assert gwc("check", "site.gw", cwd=tmp_path).returncode == 0
    assert format_text(formatted) == formatted
