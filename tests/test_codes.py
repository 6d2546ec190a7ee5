"""Every diagnostic code used in the code base is in the table, and the docs page is current."""

import re
from pathlib import Path

from gwlang.codes import CODES, markdown

ROOT = Path(__file__).resolve().parent.parent


def test_every_code_used_is_documented() -> None:
    used: set[str] = set()
    for path in (ROOT / "gwlang").rglob("*.py"):
        if path.name == "codes.py":
            continue
        used.update(re.findall(r'"(E\d{4})"', path.read_text()))
    assert used, "no codes found: the scan is broken"
    assert sorted(used - CODES.keys()) == []


def test_diagnostics_page_is_current() -> None:
    assert (ROOT / "docs" / "diagnostics.md").read_text() == markdown()
