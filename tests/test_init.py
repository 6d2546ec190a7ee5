"""`gwc init`: a new project compiles, checks and passes its own snapshot test at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.outer import outer_environment

ROOT = Path(__file__).resolve().parent.parent


def gwc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gwlang", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def pytest_in(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The new project's own test run, with this checkout's gwlang (and its pytest plugin) importable."""
    environment = outer_environment(PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          capture_output=True, text=True, cwd=project, env=environment, timeout=600)


def test_a_new_project_compiles_checks_and_passes_its_tests(tmp_path: Path) -> None:
    done = gwc("init", "My Grid", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    project = tmp_path / "My Grid"
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()) == [
        ".gitignore", "README.md", "sites/my-grid.gw", "tests/test_sites.py"]
    assert "site my-grid extends gateway {" in (project / "sites" / "my-grid.gw").read_text()

    compiled = gwc("compile", cwd=project)
    assert compiled.returncode == 0, compiled.stderr
    assert (project / "generated" / "my-grid" / "hosts" / "gw").is_dir()
    checked = gwc("check", cwd=project)
    assert (checked.returncode, checked.stdout) == (0, "1 site, 6 nodes: no problems\n"), checked.stderr

    recorded = pytest_in(project, "--snapshot-update")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "1 snapshot generated" in recorded.stdout
    snapshot = (project / "tests" / "__snapshots__" / "test_sites.ambr").read_text()
    assert "my-grid/hosts/gw/libvirt/ce.xml (libvirt-domain)" in snapshot
    assert '<memory unit="KiB">2097152</memory>' in snapshot   # the site's own `vm.memory = 2GiB` for the CE
    passed = pytest_in(project)
    assert passed.returncode == 0 and "1 passed" in passed.stdout, passed.stdout

    # The test is a real one: a change to the site fails it.
    site = project / "sites" / "my-grid.gw"
    site.write_text(site.read_text().replace("vm.memory = 2GiB", "vm.memory = 3GiB"))
    assert pytest_in(project).returncode == 1


def test_the_site_name_and_the_folder(tmp_path: Path) -> None:
    (tmp_path / "here").mkdir()
    done = gwc("init", "--site", "dcu", cwd=tmp_path / "here")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "here" / "sites" / "dcu.gw").is_file()
    assert "cd " not in done.stdout   # already there
    assert gwc("check", cwd=tmp_path / "here").returncode == 0


def test_a_non_empty_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    done = gwc("init", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert "is not empty; gwc init fills only an empty or new folder" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_name_that_cannot_name_a_site_is_refused(tmp_path: Path) -> None:
    done = gwc("init", "new", "--site", "9lives", cwd=tmp_path)
    assert done.returncode == 2
    assert "`9lives` cannot name a site" in done.stderr
    assert not (tmp_path / "new").exists()


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    done = gwc("init", "file/project", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("gwc: error: cannot create the project in ")
    assert len(done.stderr.splitlines()) == 1
