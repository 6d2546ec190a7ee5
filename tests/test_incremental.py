"""Recompiling only what changed: `gwc compile` keeps the sites whose inputs are the same as last time.

Every test compares the kept output with a full compile (`--no-cache`) of the
same sources into another folder: keeping must never change a byte.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from gwlang import incremental
from gwlang.cli import main
from tests.support.project import SHARED, SITE, edit_site, make_project, same_trees

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three sites sharing a profile module, in a project folder that is the working directory."""
    project = make_project(tmp_path / "project")
    monkeypatch.chdir(project)
    return project


def compile_(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["compile", "sites", *arguments])
    out, err = capsys.readouterr()
    return code, out, err


def full_compile_matches(sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = compile_(capsys, "-o", "fresh", "--no-cache")
    assert code == 0, err
    assert same_trees(sources / "generated", sources / "fresh") == []
    shutil.rmtree(sources / "fresh")


def test_an_unchanged_site_is_kept_and_says_so(sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    before = {p: p.stat().st_ino for p in (sources / "generated").rglob("*") if p.is_file()}
    code, out, _ = compile_(capsys)
    assert code == 0
    assert "3 sites, 24 nodes: 0 files written" in out and "3 sites unchanged" in out
    assert {p: p.stat().st_ino for p in (sources / "generated").rglob("*") if p.is_file()} == before
    full_compile_matches(sources, capsys)


def test_editing_one_site_recompiles_only_it(sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    beta = sources / "sites" / "beta.gw"
    beta.write_text(beta.read_text().replace("(20 + index)", "(30 + index)"))
    code, out, _ = compile_(capsys)
    assert code == 0
    assert "2 sites unchanged" in out
    assert "10.2.0.33" in (sources / "generated/beta/nodes/wn03/overlay/etc/hosts").read_text()
    full_compile_matches(sources, capsys)


def test_editing_a_shared_module_recompiles_every_site_that_imports_it(
        sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    (sources / "sites" / "shared.gw").write_text(SHARED.replace("1GiB", "2GiB"))
    code, out, _ = compile_(capsys)
    assert code == 0
    assert "sites unchanged" not in out
    libvirt = (sources / "generated/gamma/hosts/gw/libvirt/wn04.xml").read_text()
    assert '<memory unit="KiB">2097152</memory>' in libvirt
    full_compile_matches(sources, capsys)


def test_a_site_whose_file_was_edited_by_hand_is_compiled_again(
        sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    edited = sources / "generated/alpha/nodes/wn03/packages.rpmcfg"
    edited.write_text("hand edit\n")
    code, out, _ = compile_(capsys)
    assert code == 0
    assert "1 files written" in out and "2 sites unchanged" in out
    assert "hand edit" not in edited.read_text()
    full_compile_matches(sources, capsys)


def test_a_new_compiler_compiles_everything(sources: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert compile_(capsys)[0] == 0
    monkeypatch.setattr(incremental, "compiler_fingerprint", lambda: "another compiler")
    code, out, _ = compile_(capsys)
    assert code == 0 and "sites unchanged" not in out


def test_no_cache_compiles_everything(sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    code, out, _ = compile_(capsys, "--no-cache")
    assert code == 0 and "sites unchanged" not in out


def test_a_mac_clash_with_a_kept_site_is_reported_at_both_places(
        sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    before = {p: p.read_bytes() for p in (sources / "generated").rglob("*") if p.is_file()}
    alpha_mac = (sources / "generated/alpha/hosts/gw/xen/wn03.cfg").read_text().split("mac=")[1].split(",")[0]
    gamma = sources / "sites" / "gamma.gw"
    gamma.write_text(gamma.read_text().rstrip().removesuffix("}") +
                     f"  node extra : lab-wn {{ host = gw; ip = hostIn site.network.subnet 40; "
                     f"network.interfaces.eth0.mac = {alpha_mac}; }}\n}}\n")
    code, _, err = compile_(capsys)
    assert code == 1
    assert "error[E0503]" in err and "sites/gamma.gw" in err and "alpha" in err
    assert {p: p.read_bytes() for p in (sources / "generated").rglob("*") if p.is_file()} == before


def test_one_site_compiles_alone_and_leaves_the_others(sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    (sources / "sites" / "alpha.gw").write_text(SITE.format(name="alpha", index=1).replace("1GiB", "1GiB"))
    code, out, _ = compile_(capsys, "--site", "beta")
    assert code == 0 and "1 site, 8 nodes" in out and "0 removed" in out
    assert (sources / "generated/alpha/manifest.json").exists()
    assert (sources / "generated/gamma/manifest.json").exists()
    full_compile_matches(sources, capsys)


def test_derived_macs_that_coincide_by_chance_clash_only_on_one_host(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Two sites' derived MACs coincide (a 23-bit chance): fine on different hosts, a clash once they share one.

    The second compile keeps `alpha` from its record, so the clash is found
    from the recorded MAC entries (derived, host URI) and then located.
    """
    case = (ROOT / "tests/cases/checks/derived-mac-chance-across-hosts.gw").read_text()
    alpha, _, beta = case.partition("\nsite beta")
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "alpha.gw").write_text(alpha)
    (tmp_path / "sites" / "beta.gw").write_text("import <grid/roles.gw>;\nsite beta" + beta)
    monkeypatch.chdir(tmp_path)
    code, out, err = compile_(capsys)
    assert code == 0 and "2 sites, 2 nodes" in out, err
    beta_file = tmp_path / "sites" / "beta.gw"
    beta_file.write_text(beta_file.read_text().replace("gw.beta.example.org", "gw.alpha.example.org"))
    code, out, err = compile_(capsys)
    assert code == 1, out
    assert "error[E0503]: MAC address `00:16:3e:36:96:70`" in err and "sites/alpha.gw:11:8" in err, err
    assert "set `mac` on one of these interfaces" in err


# ---------------------------------------------------------------- deciding from the record alone

HEAVY = {"lark", "jinja2", "networkx"}


def explained(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    """`gwc compile --explain-rebuild`'s output, its timing left out."""
    code, out, err = compile_(capsys, "--explain-rebuild", *arguments)
    assert code == 0, err
    return re.sub(r" in \d+\.\d+s$", "", out.rstrip(), flags=re.MULTILINE)


def outputs(folder: Path) -> dict[Path, tuple[int, int, int]]:
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_ctime_ns) for p in folder.rglob("*")}


def test_nothing_changed_writes_nothing_and_imports_no_parser(sources: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A second `gwc compile` decides from the record alone: no parser, evaluator or emitter is imported."""
    assert compile_(capsys)[0] == 0
    before = outputs(sources / "generated")
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "gwlang", "compile", "sites"],
                          capture_output=True, text=True, cwd=sources)
    assert done.returncode == 0, done.stderr
    assert "3 sites, 24 nodes: 0 files written" in done.stdout and "3 sites unchanged" in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "gwlang.incremental" in imported        # the test can fail: it sees what the command imports
    assert not {name.split(".")[0] for name in imported} & HEAVY
    assert not {"gwlang.syntax.parser", "gwlang.model.program", "gwlang.emit.writer"} & imported
    assert outputs(sources / "generated") == before


def test_a_touched_but_unchanged_source_keeps_every_site(sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    shared = sources / "sites" / "shared.gw"
    os.utime(shared, (time.time() + 5, time.time() + 5))
    assert explained(capsys).splitlines()[0].startswith("kept every site: nothing it reads changed")


def test_one_changed_file_recompiles_exactly_the_sites_reading_it(
        sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    edit_site(sources, "beta", "(20 + index)", "(30 + index)")
    assert explained(capsys).splitlines() == [
        "compiled `beta`: `sites/beta.gw` changed",
        "kept 2 sites: nothing they read changed since the last compile into this folder",
        "3 sites, 24 nodes: 14 files written, 289 unchanged, 0 removed, 2 sites unchanged"]
    full_compile_matches(sources, capsys)


def test_a_deleted_output_is_restored(sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    deleted = sources / "generated/gamma/hosts/gw/libvirt/wn04.xml"
    deleted.unlink()
    assert "compiled `gamma`: its output `gamma/hosts/gw/libvirt/wn04.xml` was deleted" in explained(capsys)
    assert deleted.is_file()
    full_compile_matches(sources, capsys)


def test_an_output_edited_by_hand_keeping_size_and_time_is_restored(
        sources: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The ctime in each output's signature sees an edit that puts back size and modification time."""
    assert compile_(capsys)[0] == 0
    edited = sources / "generated/alpha/nodes/wn03/packages.rpmcfg"
    status = edited.stat()
    text = edited.read_bytes()
    edited.write_bytes(text.upper() if text.upper() != text else text.lower())
    os.utime(edited, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert "compiled `alpha`: its output `alpha/nodes/wn03/packages.rpmcfg` was changed by hand" in explained(capsys)
    assert edited.read_bytes() == text


def test_a_changed_compiler_recompiles_and_says_so(sources: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert compile_(capsys)[0] == 0
    monkeypatch.setattr(incremental, "compiler_fingerprint", lambda: "another compiler")
    assert explained(capsys).splitlines()[:3] == [f"compiled `{name}`: the compiler changed"
                                                  for name in ("alpha", "beta", "gamma")]


def test_explain_rebuild_wording(sources: Path, capsys: pytest.CaptureFixture[str],
                                 snapshot: SnapshotAssertion) -> None:
    """Each reason once: no record, a source changed, a new import, an output deleted, `--no-cache`, nothing."""
    story = [explained(capsys)]
    (sources / "sites" / "shared.gw").write_text(SHARED.replace("1GiB", "2GiB"))
    story.append(explained(capsys))
    edit_site(sources, "alpha", 'import "./shared.gw";', 'import "./shared.gw";\nimport "./extra.gw";')
    (sources / "sites" / "extra.gw").write_text("let unused = 1; in { }\n")
    (sources / "generated/gamma/manifest.json").unlink()
    story.append(explained(capsys))
    story.append(explained(capsys))
    story.append(explained(capsys, "--no-cache"))
    assert "\n---\n".join(story) == snapshot


# ---------------------------------------------------------------- pruning the records

def records(cache: Path) -> set[str]:
    return {path.name for path in (cache / "builds").glob("*.json")}


def test_records_of_deleted_folders_unused_ones_and_broken_ones_are_pruned(
        sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GWLANG_CACHE", str(cache))
    for output in ("generated", "deleted", "unused"):
        assert compile_(capsys, "-o", output)[0] == 0
    kept, deleted, unused = (incremental.record_path(sources / name) for name in ("generated", "deleted", "unused"))
    assert records(cache) == {kept.name, deleted.name, unused.name}
    shutil.rmtree(sources / "deleted")
    month_ago = time.time() - (incremental.UNUSED_DAYS + 1) * 24 * 3600
    os.utime(unused, (month_ago, month_ago))
    (cache / "builds/broken.json").write_text("{ not json")
    interrupted = cache / "builds" / f"{kept.stem}.4242.tmp"
    interrupted.write_text("{")
    os.utime(interrupted, (month_ago, month_ago))
    # Within a day of the last pruning, nothing is pruned: each pruning reads every record.
    assert compile_(capsys)[0] == 0
    assert records(cache) == {kept.name, deleted.name, unused.name, "broken.json"}
    stamp = cache / "builds/.pruned"
    os.utime(stamp, (month_ago, month_ago))
    code, out, _ = compile_(capsys)
    assert code == 0 and "3 sites unchanged" in out, "the folder's own record is kept, and used"
    assert records(cache) == {kept.name}
    assert not interrupted.exists() and (sources / "unused").is_dir()
    assert time.time() - stamp.stat().st_mtime < 60


def test_pruning_keeps_records_in_use_and_other_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GWLANG_CACHE", str(tmp_path / "cache"))
    output = tmp_path / "out"
    output.mkdir()
    incremental.save_records(output, {})
    folder = tmp_path / "cache/builds"
    (folder / "notes.txt").write_text("mine")
    fresh_tmp = folder / "x.1.tmp"
    fresh_tmp.write_text("{")      # a compile writing its record right now
    assert incremental.prune_records() == []
    assert incremental.prune_records(now=time.time() + (incremental.UNUSED_DAYS + 1) * 24 * 3600) == [
        incremental.record_path(output), fresh_tmp]
    assert sorted(p.name for p in folder.iterdir()) == [".pruned", "notes.txt"]
