"""gwlang as a user installs it: an sdist and a wheel built from this checkout, installed into fresh
virtualenvs outside it, running on a copy of `sites/` alone.

Everything else in the suite imports gwlang from the checkout, where the stdlib is the repository's
`stdlib/` folder; only here does a gwc run that has nothing but what the wheel carries.  One
virtualenv holds the wheel with the `runtime` extra (libvirt-python builds from source against
Debian's libvirt-dev, which `./dev` installs; pip's wheel cache makes later runs quick), another the
wheel alone.  pip may reach PyPI for the build backend and the dependencies.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLANNED_SITES = ["lab", "tcd", "ops"]   # a QEMU laptop, a Xen gateway, a site of several hosts


@dataclass(frozen=True)
class Installed:
    sdist: Path
    wheel: Path
    with_runtime: Path   # a virtualenv's bin/ folder: the wheel with its `runtime` extra
    bare: Path           # the wheel without it
    work: Path           # a folder holding a copy of sites/ and nothing else


def run(command: list[str | Path], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """A command with an environment that cannot reach the checkout's gwlang or stdlib."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("PYTHONPATH", "GWLANG_STDLIB", "GWPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(part) for part in command], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=timeout, check=False)


def checked(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = run(command, cwd)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


def virtualenv(folder: Path, *requirements: str) -> Path:
    """A fresh virtualenv with `requirements`, its `bin/` folder.  It is made without pip, and this
    suite's pip installs into it (`pip --python`): seeding pip into each takes longer than the rest."""
    checked([sys.executable, "-m", "venv", "--without-pip", folder], folder.parent)
    if requirements:
        pip(folder, "install", *requirements)
    return folder / "bin"


def pip(environment: Path, *arguments: str | Path) -> None:
    checked([sys.executable, "-m", "pip", "-q", "--python", environment / "bin" / "python", *arguments],
            environment.parent)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Built and installed once for the module: the builds and installs take most of its time."""
    base = tmp_path_factory.mktemp("install")
    dist = base / "dist"
    # The sdist is built from the checkout by the build backend's own hook (what `python -m build
    # --sdist` calls), and the wheel from the sdist, as `python -m build` does: so the wheel also
    # proves that the sdist holds everything a build needs.  One virtualenv holds the backend for
    # both, instead of an isolated one per build.
    tools = virtualenv(base / "tools", "setuptools>=77")
    checked([tools / "python", "-c", f"from setuptools.build_meta import build_sdist; build_sdist({str(dist)!r})"],
            ROOT)
    [sdist] = dist.glob("gwlang-*.tar.gz")
    pip(base / "tools", "wheel", "--no-deps", "--no-build-isolation", "-w", dist, sdist)
    [wheel] = dist.glob("gwlang-*.whl")
    work = base / "work"
    shutil.copytree(ROOT / "sites", work / "sites")
    return Installed(sdist, wheel, virtualenv(base / "runtime", f"{wheel}[runtime]"),
                     virtualenv(base / "bare", str(wheel)), work)


def test_the_sdist_carries_the_stdlib(installed: Installed) -> None:
    with tarfile.open(installed.sdist) as sdist:
        names = {name.partition("/")[2] for name in sdist.getnames()}
    expected = {path.relative_to(ROOT).as_posix() for path in (ROOT / "stdlib").rglob("*.gw")}
    assert expected and expected <= names


def test_the_wheel_carries_every_module_the_stdlib_and_the_templates(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    expected = {path.relative_to(ROOT).as_posix() for path in (ROOT / "gwlang").rglob("*")
                if path.is_file() and path.suffix in (".py", ".lark", ".j2", ".css", ".js")}
    expected |= {"gwlang/" + path.relative_to(ROOT).as_posix() for path in (ROOT / "stdlib").rglob("*.gw")}
    assert "gwlang/stdlib/gw/schema.gw" in expected
    assert sorted(expected - names) == []


def test_installed_gwc_compiles_the_example_sites_as_the_checkout_does(installed: Installed) -> None:
    checked([installed.with_runtime / "gwc", "check", "sites/"], installed.work)
    checked([installed.with_runtime / "gwc", "compile", "sites/", "-o", "generated/"], installed.work)
    comparison = filecmp.dircmp(installed.work / "generated", ROOT / "generated")
    assert differences(comparison) == []


def differences(comparison: filecmp.dircmp[str], prefix: str = "") -> list[str]:
    """Every file only on one side or different in bytes, as paths under the output folder."""
    found = [prefix + name for name in comparison.left_only + comparison.right_only + comparison.funny_files]
    _, mismatch, errors = filecmp.cmpfiles(comparison.left, comparison.right, comparison.common_files, shallow=False)
    found += [prefix + name for name in mismatch + errors]
    for name, below in sorted(comparison.subdirs.items()):
        found += differences(below, f"{prefix}{name}/")
    return found


@pytest.mark.parametrize("site", PLANNED_SITES)
def test_installed_gwc_plans_on_the_test_driver(installed: Installed, site: str) -> None:
    done = checked([installed.with_runtime / "gwc", "plan", f"sites/{site}.gw", "--connect", "test:///default"],
                   installed.work)
    assert done.stdout.startswith(f"site {site}:\n"), done.stdout
    assert "(test:///default):" in done.stdout and "  + define " in done.stdout, done.stdout


def test_without_the_runtime_extra_gwc_compiles_and_plan_says_what_to_install(installed: Installed) -> None:
    checked([installed.bare / "gwc", "check", "sites/tcd.gw"], installed.work)
    assert run([installed.bare / "python", "-c", "import libvirt"], installed.work).returncode == 1
    done = run([installed.bare / "gwc", "plan", "sites/tcd.gw", "--connect", "test:///default"], installed.work)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == ("gwc: error: `gwc plan` needs the runtime extra (libvirt-python and pycdlib are not "
                           "installed): pip install 'gwlang[runtime]'\n")
