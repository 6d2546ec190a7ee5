"""Startup benchmark: how long `gwc` takes before it does any real work.

Runs each command line many times in a fresh interpreter (as hyperfine
does) and prints the minimum and median wall time, next to `python -c pass`,
and which heavy libraries each one imported (read from `-X importtime`).
The figure to hold (issue 9): `gwc --version` and `gwc eval` of a one-line
file within 0.1 s.

    .venv/bin/python bench/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# `python -m gwlang` imports the gwlang of the working directory: the one this script belongs to.
ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("lark", "networkx", "jinja2", "libvirt", "pycdlib")


def command_lines(one_line: Path) -> dict[str, list[str]]:
    gwc = [sys.executable, "-m", "gwlang"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "gwc --version": [*gwc, "--version"],
        "gwc --help": [*gwc, "--help"],
        "gwc eval one-line.gw": [*gwc, "eval", str(one_line)],
        "gwc compile --help": [*gwc, "compile", "--help"],
    }


def timed(argv: list[str], runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall times and CPU times (user + system) of `runs` runs; CPU time varies less on a busy machine."""
    # The first run warms the page cache, the bytecode and the grammar cache.
    subprocess.run(argv, capture_output=True, check=True, env=env, cwd=ROOT)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, env=env, cwd=ROOT)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def heavy_imports(argv: list[str], env: dict[str, str]) -> list[str]:
    """The heavy libraries the command imports, from `-X importtime` (top-level packages only)."""
    done = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], capture_output=True, text=True, check=True,
                          env=env, cwd=ROOT)
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return [name for name in HEAVY if name in imported]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=20, help="runs per command line (default: 20)")
    runs = options.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        # As an installed gwc runs: with its bytecode (kept out of the source tree), whatever
        # PYTHONDONTWRITEBYTECODE this shell has.
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(Path(folder) / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        one_line = Path(folder) / "one-line.gw"
        one_line.write_text("{ a = 1 + 2; b = \"x\"; }\n")
        print(f"{runs} runs each; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{'command':<24} {'wall min':>9} {'median':>8} {'cpu min':>8}  heavy imports")
        for name, argv in command_lines(one_line).items():
            walls, cpus = timed(argv, runs, env)
            print(f"{name:<24} {min(walls):>8.3f}s {statistics.median(walls):>7.3f}s {min(cpus):>7.3f}s  "
                  f"{', '.join(heavy_imports(argv, env)) or '-'}")


if __name__ == "__main__":
    main()
