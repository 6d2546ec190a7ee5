"""Recompiling only what changed: `gwc compile` keeps the sites whose inputs are the same as last time.

Every test compares the kept output with a full compile (`--no-cache`) of the
same sources into another folder: keeping must never change a byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gwlang import incremental
from gwlang.cli import main
from tests.support.project import SHARED, SITE, make_project, same_trees

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
