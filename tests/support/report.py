"""Reports written through the real `gwc report`, and a static reading of their links and anchors.

Shared by tests/test_report.py (the HTML as text) and
tests/test_report_browser.py (the same pages in Chromium).
"""

from __future__ import annotations

import html.parser
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]


def gwc_report(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`gwc report ...` as a user runs it, from `cwd` (the repository's root by default)."""
    return subprocess.run([sys.executable, "-m", "gwlang", "report", *arguments], cwd=cwd,
                          capture_output=True, text=True, check=False)


@dataclass
class Page:
    links: list[str] = field(default_factory=list)         # href and src values, as written
    ids: set[str] = field(default_factory=set)


class _Reader(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src", "xlink:href"):
                self.page.links.append(value)
            elif name == "id":
                self.page.ids.add(value)


def read_page(path: Path) -> Page:
    reader = _Reader()
    reader.feed(path.read_text(encoding="utf-8"))
    return reader.page


def broken_links(folder: Path) -> list[str]:
    """Every link of every page that leads nowhere: a missing file, or an anchor its page lacks."""
    pages = {path: read_page(path) for path in folder.rglob("*.html")}
    broken = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                broken.append(f"{path.relative_to(folder)}: leaves the report: {link}")
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_file() or not target.is_relative_to(folder.resolve()):
                broken.append(f"{path.relative_to(folder)}: no file {link}")
            elif parts.fragment and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{path.relative_to(folder)}: no anchor {link}")
    return broken
