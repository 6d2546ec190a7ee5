"""Every example site's generated files, as one reviewable snapshot per site.

Uses the `gw_bundle` fixture that gwlang installs as a pytest plugin for
site authors (gwlang/testing.py), so this is also that plugin's test.
A change to a shared profile shows here as exactly the files it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang.testing import CompileFailed, bundle

ROOT = Path(__file__).resolve().parent.parent
SITES = sorted((ROOT / "sites").glob("*.gw"))


@pytest.mark.parametrize("source", SITES, ids=[p.stem for p in SITES])
def test_site_bundle(source: Path, gw_bundle: Callable[..., str], snapshot: SnapshotAssertion,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert gw_bundle(source.relative_to(ROOT)) == snapshot


def test_a_broken_site_fails_with_its_diagnostics(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gw"
    broken.write_text("import <grid/gateway.gw>;\nsite broken extends gateway { domian = \"x\"; }\n")
    with pytest.raises(CompileFailed, match="did you mean `domain`"):
        bundle(broken)
