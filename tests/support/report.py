"""Reports written through the real `gwc report`, and a static reading of their links and anchors.

Shared by tests/test_report.py (the HTML as text) and
tests/test_report_browser.py (the same pages in Chromium).
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]


def gwc_report(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`gwc report ...` as a user runs it, from `cwd` (the repository's root by default)."""
    return subprocess.run([sys.executable, "-m", "gwlang", "report", *arguments], cwd=cwd,
                          capture_output=True, text=True, check=False)


# The report's pages quote every attribute with `"` (its templates, and Graphviz's SVG), so a pattern reads them;
# html.parser would take seconds over the thousand pages of the example sites.
_LINK = re.compile(r'\s(?:href|src|xlink:href)="([^"]*)"')
_ID = re.compile(r'\sid="([^"]*)"')


@dataclass
class Page:
    links: list[str]            # href and src values
    ids: set[str]


def read_page(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    return Page([html.unescape(link) for link in _LINK.findall(text)], {html.unescape(i) for i in _ID.findall(text)})


def broken_links(folder: Path) -> list[str]:
    """Every link of every page that leads nowhere: a missing file, or an anchor its page lacks."""
    files = {os.path.normpath(path) for path in folder.rglob("*") if path.is_file()}
    pages = {os.path.normpath(path): read_page(path) for path in folder.rglob("*.html")}
    broken = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                broken.append(f"{path}: leaves the report: {link}")
                continue
            target = os.path.normpath(os.path.join(os.path.dirname(path), unquote(parts.path))) if parts.path else path
            if target not in files:
                broken.append(f"{path}: no file {link}")
            elif parts.fragment and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{path}: no anchor {link}")
    return broken
