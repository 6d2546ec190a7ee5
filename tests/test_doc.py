"""`gwc doc`: the attribute reference on the terminal and as docs/reference.md."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def gwc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gwlang", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_reference_page_is_current() -> None:
    done = gwc("doc", "--markdown")
    assert done.returncode == 0, done.stderr
    assert (ROOT / "docs" / "reference.md").read_text() == done.stdout, \
        "docs/reference.md is stale: run `gwc doc --markdown -o docs/reference.md`"


def test_reference_lists_every_field_of_the_stdlib_schema() -> None:
    page = (ROOT / "docs" / "reference.md").read_text()
    schema = (ROOT / "stdlib" / "gw" / "schema.gw").read_text()
    fields = re.findall(r"^  ([a-z][a-z.-]*) +:", schema, re.MULTILINE)
    assert len(fields) > 50
    for field in fields:
        assert re.search(rf"^### `[a-z]+(\.[a-z<>-]+)*\.{re.escape(field)}`$", page, re.MULTILINE), field


def test_one_attribute_like_nixos_option() -> None:
    done = gwc("doc", "node.vm.memory")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "node.vm.memory"
    assert "  Guest memory." in lines
    assert "  type:        size(16MiB..)  (a size of at least 16MiB)" in lines
    assert "  default:     512MiB" in lines
    assert re.search(r"^  declared in: <stdlib>/gw/schema\.gw:\d+$", done.stdout, re.MULTILINE)
    assert re.search(r"^    profile ce +  = 1GiB +<stdlib>/grid/roles\.gw:\d+$", done.stdout, re.MULTILINE)


def test_declared_line_is_the_fields_line() -> None:
    done = gwc("doc", "host.cpus")
    line = int(re.search(r"schema\.gw:(\d+)", done.stdout).group(1))  # type: ignore[union-attr]
    assert (ROOT / "stdlib/gw/schema.gw").read_text().splitlines()[line - 1].lstrip().startswith("cpus ")


def test_a_concrete_key_finds_the_record_field() -> None:
    done = gwc("doc", "node.disks.xvdb.size")
    assert done.stdout.startswith("node.disks.<name>.size\n"), done.stderr
    # `disks.xvdb = { size = 20GiB; ... }` in a profile counts as setting `disks.<name>.size`
    assert re.search(r"profile installserver  = 20GiB", done.stdout)


def test_a_prefix_lists_the_attributes_under_it() -> None:
    done = gwc("doc", "node.vm")
    assert done.returncode == 0, done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert names == ["node.vm.type", "node.vm.memory", "node.vm.maxmem", "node.vm.vcpus", "node.vm.cpu-weight",
                     "node.vm.cpu-cap"]
    assert "node.vm.memory      size(16MiB..) = 512MiB" in done.stdout


def test_everything_without_a_path() -> None:
    done = gwc("doc")
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert names[0] == "site.domain" and "host.bridges.<name>.interface" in names and "node.files" in names


def test_a_misspelt_path_is_a_usage_error_with_a_suggestion() -> None:
    done = gwc("doc", "node.vm.memroy")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "gwc: error: no attribute `node.vm.memroy` in the schemas" in done.stderr
    assert "help: did you mean `node.vm.memory`" in done.stderr


def test_a_path_without_its_entity_is_suggested_one() -> None:
    done = gwc("doc", "vcpus")
    assert done.returncode == 2
    assert "did you mean `node.vm.vcpus`?" in done.stderr


def test_a_sites_own_schema_additions_and_profiles() -> None:
    done = gwc("doc", "docs/examples/custom-schema.gw", "node.tags")
    assert done.returncode == 0, done.stderr
    assert "  Labels for the site's inventory." in done.stdout
    assert "  default:     [ \"grid\" ]" in done.stdout
    assert "  declared in: docs/examples/custom-schema.gw:6" in done.stdout
    assert re.search(r"profile tagged  \+= \[ \"ireland\" \]  docs/examples/custom-schema\.gw:11", done.stdout)
    without = gwc("doc", "node.tags")
    assert without.returncode == 2


def test_output_file(tmp_path: Path) -> None:
    done = gwc("doc", "--markdown", "-o", str(tmp_path / "ref.md"))
    assert done.returncode == 0 and done.stdout == ""
    assert (tmp_path / "ref.md").read_text() == (ROOT / "docs" / "reference.md").read_text()


def test_a_broken_file_reports_its_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "bad.gw").write_text("schema node { x : strnig; }\n")
    done = gwc("doc", "bad.gw", "node.x", cwd=tmp_path)
    assert done.returncode == 1
    assert "error[E0401]: unknown type `strnig`" in done.stderr
    assert "did you mean `string`?" in done.stderr


def test_markdown_with_a_path_is_a_usage_error() -> None:
    assert gwc("doc", "--markdown", "node.vm").returncode == 2


def test_an_unwritable_output_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    done = gwc("doc", "--markdown", "-o", str(tmp_path / "file" / "ref.md"))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"gwc: error: cannot write `{tmp_path}/file/ref.md`: ")
    assert len(done.stderr.splitlines()) == 1
