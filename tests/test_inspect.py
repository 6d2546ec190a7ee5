"""`gwc show` and `gwc explain` on the example sites."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def gwc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gwlang", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_show_every_example_site_evaluates() -> None:
    for path in sorted((ROOT / "sites").glob("*.gw")):
        done = gwc("show", str(path.relative_to(ROOT)), "--json")
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert data["name"] == path.stem
        assert data["nodes"], f"{path.name} has no nodes"


def test_show_one_node_in_gw_syntax() -> None:
    done = gwc("show", "sites/ucc.gw", "--node", "ce")
    assert done.returncode == 0, done.stderr
    assert "memory = 2GiB;" in done.stdout
    assert 'host = "gw";' in done.stdout


def test_show_unknown_node_suggests() -> None:
    done = gwc("show", "sites/ucc.gw", "--node", "cee")
    assert done.returncode == 1
    assert "did you mean `ce`?" in done.stderr


def test_show_needs_a_site_when_there_are_several() -> None:
    done = gwc("show", "sites/")
    assert done.returncode == 1
    assert "choose one with `--site`" in done.stderr
    assert gwc("show", "sites/", "--site", "tcd", "--json").returncode == 0


def test_explain_a_list_shows_each_element_and_its_removal() -> None:
    done = gwc("explain", "sites/tcd.gw", "tcd.wn01.packages")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "starts the value" in out and "adds 2" in out and "removes 1" in out
    ntp = next(line for line in out.splitlines() if line.strip().startswith('"ntp"'))
    assert "profile `base`" in ntp and "removed by" in ntp and "profile `wn`" in ntp


def test_explain_an_override_names_both_definitions() -> None:
    done = gwc("explain", "sites/ucc.gw", "ucc.ce.vm.memory")
    assert done.returncode == 0, done.stderr
    assert "ucc.ce.vm.memory" not in done.stdout or "ce.vm.memory = 2GiB" in done.stdout
    assert "overridden" in done.stdout and "(profile `ce`)" in done.stdout
    assert "sites/ucc.gw:" in done.stdout and "starts the value" in done.stdout


def test_explain_a_default() -> None:
    done = gwc("explain", "sites/tcd.gw", "tcd.ce.vm.vcpus")
    assert done.returncode == 0, done.stderr
    assert "schema default at <stdlib>/gw/schema.gw:" in done.stdout


def test_explain_unknown_path() -> None:
    done = gwc("explain", "sites/tcd.gw", "tcd.ce.vm.memroy")
    assert done.returncode == 1
    assert "has no attribute `vm.memroy`" in done.stderr


def test_explain_a_quoted_key_and_the_map_that_holds_it() -> None:
    site = "tests/cases/runtime/two-hosts.gw"
    done = gwc("explain", site, 'lab.wn01.files."etc/motd"')
    assert done.returncode == 0, done.stderr
    assert 'lab.wn01.files."etc/motd" = "hello from gwc\\n"' in done.stdout
    assert "overridden" in done.stdout and "two-hosts.gw:52:5 (node `wn01` in site `lab`)" in done.stdout
    done = gwc("explain", site, "lab.wn01.files")
    assert done.returncode == 0, done.stderr
    inside = next(line for line in done.stdout.splitlines() if line.strip().startswith('"etc/motd"'))
    assert "two-hosts.gw:52:5" in inside, done.stdout


def test_explain_a_malformed_path_is_a_diagnostic() -> None:
    for target, wording in (('lab.wn01.files."etc/motd', "quoting a key that is not a name"),
                            ("lab.wn01.", "ends with `.`"), ('lab.wn01.files.x"y"', "expected `.` after `x`"),
                            ('lab.wn01.files."a\\${b}"', 'no attribute `files."a\\${b}"`')):
        done = gwc("explain", "tests/cases/runtime/two-hosts.gw", target)
        assert done.returncode == 1 and "error[E0313]" in done.stderr and wording in done.stderr, done.stderr
        assert "internal error" not in done.stderr
