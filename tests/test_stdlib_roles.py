"""The stdlib's roles name packages and services as the node's OS family does.

`stdlib/grid/roles.gw` writes Red Hat's names and renames them for Debian
nodes through two tables; docs/artefacts.md ("Package and service names by
OS family") shows the same tables, each row checked here.  The input
`tests/cases/stdlib/both-families.gw` has every role on both families.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gwlang.eval.evaluator import run_deep
from gwlang.pipeline import compile_sources
from tests.conftest import gwc_eval

ROOT = Path(__file__).resolve().parent.parent
ROLES = ROOT / "stdlib/grid/roles.gw"
CASE = ROOT / "tests/cases/stdlib/both-families.gw"


def stdlib_table(name: str) -> dict[str, str]:
    table = json.loads(gwc_eval(ROLES, name, as_json=True))
    assert isinstance(table, dict) and table
    return table


def docs_table(heading: str) -> dict[str, str]:
    """The rows of the table whose header is `| HEADING (Red Hat) | ...` in docs/artefacts.md."""
    text = (ROOT / "docs/artefacts.md").read_text()
    start = text.index(f"| {heading} (Red Hat) | {heading} (Debian) |")
    rows = {}
    for line in text[start:].splitlines()[2:]:
        found = re.fullmatch(r"\| `([^`]+)` \| `([^`]+)` \|", line)
        if found is None:
            break
        rows[found[1]] = found[2]
    return rows


@pytest.mark.parametrize("kind", ["package", "service"])
def test_the_documented_tables_are_the_stdlibs(kind: str) -> None:
    assert docs_table(kind) == stdlib_table(f"debian-{kind}s")


@pytest.fixture(scope="module")
def nodes() -> dict[str, dict[str, list[str]]]:
    [(model, _)] = run_deep(lambda: compile_sources([CASE]))
    return {name: {"packages": list(node.get("packages")), "services": list(node.get("services"))}
            for name, node in model.nodes.items()}


@pytest.mark.parametrize("role", ["install", "ce", "se", "ui", "wn"])
@pytest.mark.parametrize("kind", ["package", "service"])
def test_a_debian_node_gets_the_debian_names_of_its_roles(nodes: dict[str, dict[str, list[str]]], role: str,
                                                          kind: str) -> None:
    table = stdlib_table(f"debian-{kind}s")
    redhat, debian = nodes[f"rh-{role}"][f"{kind}s"], nodes[f"deb-{role}"][f"{kind}s"]
    assert debian == [table.get(name, name) for name in redhat]
    assert not set(debian) & set(table) - set(table.values()), "no Red Hat name is left on Debian"


def test_the_red_hat_names_are_unchanged(nodes: dict[str, dict[str, list[str]]]) -> None:
    assert nodes["rh-install"]["packages"] == ["openssh-server", "lcfg-client", "ntp", "lcfg-server", "dhcp",
                                               "tftp-server", "httpd"]
    assert nodes["deb-install"]["packages"] == ["openssh-server", "lcfg-client", "ntpsec", "lcfg-server",
                                                "isc-dhcp-server", "tftpd-hpa", "apache2"]
    assert "ntpsec" not in nodes["deb-wn"]["packages"] and "ntpsec" not in nodes["deb-wn"]["services"]
