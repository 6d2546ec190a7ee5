"""Debian packages unpacked into `.tools/debs/` for the tests, never installed.

Validators such as netplan's generator, `ifquery` or Xen's libxlutil come
from Debian packages; unpacking them (`apt-get download` + `dpkg-deb -x`)
keeps the machine's own networking and services untouched.  Unpacked trees
are cached in the checkout, so only the first run downloads.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TOOLS = ROOT / ".tools" / "debs"


def unpacked(*packages: str) -> Path:
    """A folder holding the named packages unpacked together (a fake root: usr/, lib/, etc/)."""
    name = "+".join(sorted(packages))
    target = TOOLS / name
    done = target / ".unpacked"
    if done.exists():
        return target
    TOOLS.mkdir(parents=True, exist_ok=True)
    with open(TOOLS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tempfile.TemporaryDirectory() as downloads:
            _download(packages, Path(downloads))
            for deb in sorted(Path(downloads).glob("*.deb")):
                subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
        done.write_text("\n".join(packages) + "\n")
    return target


def _download(packages: tuple[str, ...], folder: Path) -> None:
    command = ["apt-get", "download", *packages]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if result.returncode != 0:
        # The package lists may be missing on a fresh machine.
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(command, cwd=folder, check=True, capture_output=True)


def library_path(root: Path) -> str:
    """LD_LIBRARY_PATH for binaries inside an unpacked tree."""
    folders = [root / "usr/lib/x86_64-linux-gnu", root / "lib/x86_64-linux-gnu", root / "usr/lib"]
    existing = [str(f) for f in folders if f.is_dir()]
    return os.pathsep.join(existing + [os.environ.get("LD_LIBRARY_PATH", "")])
