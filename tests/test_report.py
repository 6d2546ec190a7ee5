"""`gwc report` read as HTML text: pages, numbers, provenance links, escaping, failing sources.

The same reports in a real browser: tests/test_report_browser.py.  Inputs
are the sites in `tests/cases/report`: one with hostile values, one whose
capacity check fails, one that does not parse.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from gwlang.report.highlight import highlight_lines
from gwlang.report.pages import slug, source_path
from tests.support.report import ROOT, broken_links, gwc_report

CASES = ROOT / "tests" / "cases" / "report"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "report"
    done = gwc_report(str(CASES / "hostile.gw"), "-o", str(folder))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"report of 1 site written: {folder / 'index.html'}\n"
    return folder


def test_every_link_and_anchor_of_the_report_resolves(hostile: Path) -> None:
    assert broken_links(hostile) == []


def test_the_report_is_self_contained(hostile: Path) -> None:
    """No CDN, no font or script from elsewhere (`broken_links` refuses any link with a scheme)."""
    assert sorted(p.name for p in hostile.iterdir()) == [
        ".gwc-report", "artefacts", "files", "index.html", "report.css", "report.js", "sites", "sources"]
    assert "url(" not in (hostile / "report.css").read_text()
    assert not re.search(r"https?:|fetch|XMLHttpRequest|import", (hostile / "report.js").read_text())
    for page in hostile.rglob("*.html"):
        assert "<script>" not in page.read_text(), page           # scripts only from report.js


def test_hostile_values_are_text_never_markup(hostile: Path) -> None:
    for page in hostile.rglob("*.html"):
        text = page.read_text()
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>bold" not in text, page
    site = (hostile / "sites/hostile/index.html").read_text()
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;script&gt;alert(&#39;role&#39;)&lt;/script&gt;" in site
    node = (hostile / "sites/hostile/nodes/one.html").read_text()
    assert "&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;" in node


def test_an_artefact_with_a_hostile_name_is_kept_under_a_plain_one(hostile: Path) -> None:
    # `etc/<b>bold</b>` is the folder `<b>bold<` holding the file `b>`: each part gets a plain name.
    folder, name = slug("<b>bold<"), slug("b>")
    assert (folder, name) == ("x-" + b"<b>bold<".hex(), "x-" + b"b>".hex())
    copy = hostile / "files/hostile/nodes/one/overlay/etc" / folder / name
    assert copy.read_text() == "</pre><img src=x onerror=alert(1)>&amp; \"quoted\"\n"
    view = (hostile / f"artefacts/hostile/nodes/one/overlay/etc/{folder}/{name}.html").read_text()
    assert "&lt;/pre&gt;&lt;img src=x" in view
    assert "<code>nodes/one/overlay/etc/&lt;b&gt;bold&lt;/b&gt;</code>" not in view   # the page names it as text
    assert "hostile/nodes/one/overlay/etc/&lt;b&gt;bold&lt;/b&gt;" in view


def test_the_memory_bar_has_the_reserve_each_guest_and_what_is_free(hostile: Path) -> None:
    site = (hostile / "sites/hostile/index.html").read_text()
    bar = re.search(r'<div class="bar" data-host="box" data-what="memory" data-capacity="(\d+)".*?</div>', site,
                    re.DOTALL)
    assert bar is not None and int(bar.group(1)) == 8 * 2**30
    segments = re.findall(r'class="segment (\w+)"[^>]*style="width: ([\d.]+)%" data-label="([^"]*)" '
                          r'data-amount="(\d+)"', bar.group())
    assert segments == [("reserved", "25.0", "reserved for the host", str(2 * 2**30)),
                        ("guest", "12.5", "one", str(2**30)), ("guest", "37.5", "two", str(3 * 2**30)),
                        ("free", "25.0", "free", str(2 * 2**30))]
    assert "memory: 6GiB of 8GiB" in site


def test_the_cpu_bar_has_each_guest_and_what_is_free(hostile: Path) -> None:
    site = (hostile / "sites/hostile/index.html").read_text()
    bar = re.search(r'data-what="cpus" data-capacity="4".*?</div>', site, re.DOTALL)
    assert bar is not None
    assert re.findall(r'data-label="([^"]*)" data-amount="(\d+)"', bar.group()) == [
        ("one", "2"), ("two", "1"), ("free", "1")]


def test_the_graph_is_drawn_with_its_legend_and_links(hostile: Path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("drawing needs Graphviz's `dot`")
    site = (hostile / "sites/hostile/index.html").read_text()
    assert site.count('class="node legend"') == 8 and "a guest it waits for (after)" in site
    assert 'xlink:href="nodes/one.html"' in site and 'xlink:href="hosts/box.html"' in site
    assert site.count('class="edge after"') == 1


def test_the_node_table_has_a_row_per_node(hostile: Path) -> None:
    site = (hostile / "sites/hostile/index.html").read_text()
    rows = re.findall(r'<tr data-node="(\w+)">.*?</tr>', site, re.DOTALL)
    assert rows == ["one", "two"]
    assert '<td data-sort="10.9.0.10">10.9.0.10</td>' in site
    assert f'<td data-sort="{3 * 2**30}">3GiB</td>' in site


def test_each_attribute_links_to_the_line_that_set_it(hostile: Path) -> None:
    node = (hostile / "sites/hostile/nodes/two.html").read_text()
    row = re.search(r'<tr id="a-vm.memory">.*?</tr>', node, re.DOTALL)
    assert row is not None and "<pre>3GiB</pre>" in row.group()
    source = source_path(str(CASES.relative_to(ROOT) / "hostile.gw"))
    assert f'href="../../../{source}#L18"' in row.group()
    assert 'href="../../../sources/stdlib/gw/schema.gw.html#L66"' in node      # `vm.type`, a schema default


def test_sources_are_pages_with_a_line_anchor_each(hostile: Path) -> None:
    page = hostile / source_path("tests/cases/report/hostile.gw")
    text = page.read_text()
    lines = (CASES / "hostile.gw").read_text().splitlines()
    assert text.count('<tr id="L') == len(lines)
    assert '<span class="k">site</span> hostile' in text


def test_a_failing_check_still_writes_the_model_and_the_errors(tmp_path: Path) -> None:
    folder = tmp_path / "report"
    done = gwc_report(str(CASES / "overcommitted.gw"), "-o", str(folder))
    assert done.returncode == 1
    assert "error[E0507]" in done.stderr and "1 site of 1 did not compile" in done.stderr
    errors = (folder / "sites/full/diagnostics.html").read_text()
    assert "error[E0507]: host `small` needs 5GiB" in errors
    assert f'href="../../{source_path("tests/cases/report/overcommitted.gw")}#L10"' in errors
    site = (folder / "sites/full/index.html").read_text()
    assert 'class="bar over error"' in site and "more than the host has" in site
    assert not (folder / "artefacts").exists()
    assert broken_links(folder) == []


def test_sources_that_do_not_parse_give_a_report_of_the_errors(tmp_path: Path) -> None:
    folder = tmp_path / "report"
    done = gwc_report(str(CASES / "broken.gw"), "-o", str(folder))
    assert done.returncode == 1 and "error[E0102]" in done.stderr
    index = (folder / "index.html").read_text()
    assert "error[E0102]: missing `;`" in index and "no site was compiled" in index
    assert f'href="{source_path("tests/cases/report/broken.gw")}#L2"' in index
    assert broken_links(folder) == []


def test_a_folder_that_is_not_a_report_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("precious\n")
    done = gwc_report(str(CASES / "hostile.gw"), "-o", str(tmp_path))
    assert done.returncode == 2 and "holds no gwc report" in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_a_report_replaces_the_report_before_it(tmp_path: Path) -> None:
    folder = tmp_path / "report"
    assert gwc_report(str(CASES / "hostile.gw"), "-o", str(folder)).returncode == 0
    (folder / "sites/stale.html").write_text("old")
    assert gwc_report(str(CASES / "hostile.gw"), "-o", str(folder)).returncode == 0
    assert not (folder / "sites/stale.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]     # no staging folder left behind


@pytest.mark.parametrize("text", ['a = "<x>";\n', "/* one\ntwo */ b = 2GiB;\n", "# & <\n\n''\n<\n''", ""])
def test_highlighting_keeps_every_line_and_escapes_it(text: str) -> None:
    lines = highlight_lines(text)
    assert len(lines) == len(text.splitlines())
    assert all("<x>" not in line and "& " not in line for line in lines)
    assert [re.sub(r"<[^>]+>", "", line).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            .replace("&#34;", '"').replace("&#39;", "'") for line in lines] == text.splitlines()


def test_the_link_reader_finds_what_is_broken(hostile: Path, tmp_path: Path) -> None:
    """The check the browser test relies on can fail: a missing page, a missing anchor, an address outside."""
    copy = tmp_path / "report"
    shutil.copytree(hostile, copy)
    (copy / "sites/hostile/extra.html").write_text(
        '<a href="nodes/one.html#nowhere">a</a><a href="nodes/three.html">b</a><a href="https://cdn.example/x.js">c</a>'
        '<a href="../../../outside.html">d</a>')
    assert broken_links(copy) == [
        f"{copy}/sites/hostile/extra.html: no anchor nodes/one.html#nowhere",
        f"{copy}/sites/hostile/extra.html: no file nodes/three.html",
        f"{copy}/sites/hostile/extra.html: leaves the report: https://cdn.example/x.js",
        f"{copy}/sites/hostile/extra.html: no file ../../../outside.html"]


def test_the_sites_own_attributes_have_a_page(hostile: Path) -> None:
    page = (hostile / "sites/hostile/site.html").read_text()
    assert "Site <code>hostile</code>: its own attributes" in page
    row = re.search(r'<tr id="a-contact">.*?</tr>', page, re.DOTALL)
    assert row is not None and "&#34;&lt;admin@example.org&gt; &amp; friends&#34;" in row.group()
