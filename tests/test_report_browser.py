"""The report of every example site, opened from file:// in headless Chromium.

One browser session for the whole file (Debian's `chromium` and
`chromium-driver`, installed by `./dev test`; Selenium drives them, and
no browser is downloaded).  Checked: pages load without console errors,
every link and anchor resolves, the bars and the graph show the model's
numbers, the node table filters and sorts.  With GW_UPDATE_SCREENSHOTS=1
the test also writes the screenshots of docs/report.md into docs/images/.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

from gwlang.eval.evaluator import run_deep
from gwlang.model.graph import build_graph, edges_of_kind
from gwlang.model.model import SiteModel
from gwlang.pipeline import compile_sources
from tests.support.report import ROOT, broken_links, gwc_report

webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                                reason="needs Debian's chromium and chromium-driver (`./dev test` installs them)")

SCREENSHOTS = ROOT / "docs" / "images"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser") / "report"
    done = gwc_report("sites", "-o", str(folder))
    assert done.returncode == 0, done.stderr
    return folder


@functools.cache
def models() -> dict[str, SiteModel]:
    return {model.name: model for model, _ in run_deep(lambda: compile_sources([ROOT / "sites"]))}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(browser: Any, page: Path) -> None:
    """Load `page`; anything the page said on the console at error level fails the test."""
    browser.get(page.as_uri())
    errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], f"{page}: {errors}"


LINKS = """return Array.from(document.querySelectorAll('a'))
    .map(a => a.getAttribute('href') ?? a.getAttribute('xlink:href')).filter(h => h !== null)
    .map(h => new URL(h, document.baseURI).href);"""
IDS = "return Array.from(document.querySelectorAll('[id]')).map(e => e.id);"


def test_every_page_loads_and_every_link_and_anchor_resolves(browser: Any, report: Path) -> None:
    """A crawl from the index through every link, every link of the pages opened checked.

    The browser opens the index, every site, host and source page, and one
    node page and one artefact page per site: the other ~1,100 pages come
    from the same two templates, and `broken_links` reads every link of
    every page as text first (which takes a second, where opening them all
    would take half a minute).
    """
    assert broken_links(report) == []
    seen: dict[Path, set[str]] = {}          # page -> its ids, for the anchors
    anchors: list[tuple[Path, Path, str]] = []
    sampled: set[tuple[str, ...]] = set()
    todo = [report / "index.html"]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        open_page(browser, page)
        seen[page] = set(browser.execute_script(IDS))
        for link in browser.execute_script(LINKS):
            address, fragment = urldefrag(link)
            parts = urlsplit(address)
            assert parts.scheme == "file", f"{page}: {link} leaves the report"
            target = Path(unquote(parts.path))
            assert target.is_file() and target.is_relative_to(report), f"{page}: {link} leads nowhere"
            if fragment:
                anchors.append((page, target, unquote(fragment)))
            if target.suffix == ".html" and target not in seen and _first_of_its_kind(target, report, sampled):
                todo.append(target)
    assert {(report / "sites" / name / "index.html") for name in models()} <= set(seen)
    assert sampled == {(kind, name) for name in models() for kind in ("artefacts", "nodes")}
    missing = [f"{page.relative_to(report)} -> {target.relative_to(report)}#{anchor}"
               for page, target, anchor in anchors if anchor not in seen.get(target, {anchor})]
    assert missing == []
    assert len(anchors) > 100


def _first_of_its_kind(page: Path, report: Path, sampled: set[tuple[str, ...]]) -> bool:
    """True for every page but a node or artefact page of a site whose first one was already taken."""
    parts = page.relative_to(report).parts
    kind = ("artefacts", parts[1]) if parts[0] == "artefacts" else \
        ("nodes", parts[1]) if parts[0] == "sites" and parts[2:3] == ("nodes",) else None
    if kind is None:
        return True
    if kind in sampled:
        return False
    sampled.add(kind)
    return True


BAR = """const bar = document.querySelector(`.bar[data-host="${arguments[0]}"][data-what="${arguments[1]}"]`);
    const inner = bar.clientWidth;
    const limit = bar.querySelector('.limit');
    return {capacity: Number(bar.dataset.capacity), inner: inner,
        segments: Array.from(bar.querySelectorAll('.segment')).map(s => ({
        kind: s.classList[1], label: s.dataset.label, amount: Number(s.dataset.amount),
        width: s.getBoundingClientRect().width})),
        limit: limit === null ? null
            : limit.getBoundingClientRect().left - bar.getBoundingClientRect().left - bar.clientLeft};"""


def expected_bar(model: SiteModel, host: str, what: str) -> list[tuple[str, str, int]]:
    """The segments the model calls for: the host's reserve, each guest in declaration order, what is free."""
    entity = model.hosts[host]
    guests = [node for node in model.nodes.values() if node.get("host") == host]
    if what == "memory":
        capacity, reserved = entity.get("memory").bytes, entity.get("reserved-memory").bytes
        parts = [("guest", guest.name, guest.get("vm", "memory").bytes) for guest in guests]
    else:
        capacity, reserved = entity.get("cpus"), 0
        parts = [("guest", guest.name, guest.get("vm", "vcpus")) for guest in guests]
    parts = ([("reserved", "reserved for the host", reserved)] if reserved else []) + parts
    free = capacity - sum(amount for _, _, amount in parts)
    return parts + ([("free", "free", free)] if free > 0 else [])


def test_the_bars_show_the_models_numbers(browser: Any, report: Path) -> None:
    for name, model in models().items():
        open_page(browser, report / "sites" / name / "index.html")
        for host in model.hosts:
            for what in ("memory", "cpus"):
                drawn = browser.execute_script(BAR, host, what)
                expected = expected_bar(model, host, what)
                assert [(s["kind"], s["label"], s["amount"]) for s in drawn["segments"]] == expected
                scale = max(drawn["capacity"], sum(amount for _, _, amount in expected))
                for segment in drawn["segments"]:     # each as wide as its share, to a pixel and a half
                    assert abs(segment["width"] - drawn["inner"] * segment["amount"] / scale) < 1.5, (name, host)
                if scale > drawn["capacity"]:         # asked for more (vCPUs): a line where the host's capacity ends
                    assert abs(drawn["limit"] - drawn["inner"] * drawn["capacity"] / scale) < 1.5, (name, host)
                else:
                    assert drawn["limit"] is None


GRAPH = """const svg = document.querySelector('figure.graph svg');
    const box = svg.getBoundingClientRect();
    const names = kind => Array.from(svg.querySelectorAll(`g.node:not(.legend) > title`))
        .map(t => t.textContent).filter(t => t.startsWith(kind + ':')).map(t => t.slice(kind.length + 1));
    return {width: box.width, height: box.height, hosts: names('host'), nodes: names('node'),
            legend: svg.querySelectorAll('g.node.legend').length,
            after: svg.querySelectorAll('g.edge.after').length, reads: svg.querySelectorAll('g.edge.reads').length};"""


def test_the_graph_shows_every_host_guest_and_wait_with_its_legend(browser: Any, report: Path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("drawing needs Graphviz's `dot`")
    for name, model in models().items():
        open_page(browser, report / "sites" / name / "index.html")
        drawn = browser.execute_script(GRAPH)
        graph = build_graph(model)
        assert drawn["width"] > 100 and drawn["height"] > 100
        assert sorted(drawn["hosts"]) == sorted(model.hosts) and sorted(drawn["nodes"]) == sorted(model.nodes)
        assert drawn["legend"] == 8
        assert (drawn["after"], drawn["reads"]) == (len(edges_of_kind(graph, "after")),
                                                    len(edges_of_kind(graph, "reads")))


ROWS = """return Array.from(document.querySelectorAll('#node-table tbody tr'))
    .filter(r => r.offsetParent !== null).map(r => r.dataset.node);"""


def test_the_node_table_filters_and_sorts(browser: Any, report: Path) -> None:
    from selenium.webdriver.common.by import By
    model = models()["ops"]
    open_page(browser, report / "sites" / "ops" / "index.html")
    assert browser.execute_script(ROWS) == list(model.nodes)
    wanted = sorted(name for name, node in model.nodes.items() if "worker" in str(node.get("role")))
    assert 0 < len(wanted) < len(model.nodes)
    browser.find_element(By.ID, "node-filter").send_keys("WORKER")
    assert sorted(browser.execute_script(ROWS)) == wanted
    assert browser.find_element(By.ID, "node-count").text == str(len(wanted))
    browser.find_element(By.ID, "node-filter").clear()
    browser.execute_script("document.getElementById('node-filter').dispatchEvent(new Event('input'))")
    assert len(browser.execute_script(ROWS)) == len(model.nodes)

    memory = browser.find_element(By.XPATH, "//table[@id='node-table']//th[7]/button")
    memory.click()
    by_memory = sorted(model.nodes, key=lambda n: model.nodes[n].get("vm", "memory").bytes)
    shown = browser.execute_script(ROWS)
    assert [model.nodes[n].get("vm", "memory").bytes for n in shown] == \
        [model.nodes[n].get("vm", "memory").bytes for n in by_memory]
    memory.click()
    assert [model.nodes[n].get("vm", "memory").bytes for n in browser.execute_script(ROWS)] == \
        [model.nodes[n].get("vm", "memory").bytes for n in by_memory][::-1]


@pytest.mark.skipif(not os.environ.get("GW_UPDATE_SCREENSHOTS"), reason="set GW_UPDATE_SCREENSHOTS=1 to write them")
def test_write_the_screenshots_of_the_docs(browser: Any, report: Path) -> None:
    """docs/images/report-*.png, shown by docs/report.md."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, page, height in (("index", "index.html", 760), ("site", "sites/tcd/index.html", 1250),
                               ("node", "sites/tcd/nodes/ce.html", 900)):
        browser.set_window_size(1100, height)
        open_page(browser, report / page)
        assert browser.save_screenshot(str(SCREENSHOTS / f"report-{name}.png"))
