"""Loading benchmark: `load_program` of the scale workload with the parse cache empty, then full.

Each run is a fresh interpreter loading every file of the workload
(bench/workload.py: one site per file and a file of profiles) with the
stdlib prelude, as `gwc check` does before it evaluates anything (on the
deep-stack thread of `run_deep`, with its garbage-collector settings); it
reports CPU time (user + system, steadier than wall time on a shared
machine) and wall time, imports included.  "empty" runs with an empty
`parses/` folder (Lark's grammar tables already cached), "full" with the
entries the run before wrote.

    .venv/bin/python bench/bench_load.py [--sites N] [--runs N] [--gwlang PATH]

`--gwlang` loads another checkout's gwlang (a before/after comparison).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import write_gw

ROOT = Path(__file__).resolve().parent.parent
LOAD = """
import resource, sys, time
started = time.perf_counter()
from pathlib import Path
from gwlang.eval.deep import run_deep
from gwlang.model.program import gw_files, load_program
program = run_deep(lambda: load_program(gw_files([Path("sites")])))   # on gwc's deep-stack thread, as it runs
usage = resource.getrusage(resource.RUSAGE_SELF)
print(usage.ru_utime + usage.ru_stime, time.perf_counter() - started, len(program.inputs))
"""


def load_once(project: Path, cache: Path, gwlang: Path) -> tuple[float, float]:
    env = {**os.environ, "GWLANG_CACHE": str(cache), "PYTHONPATH": str(gwlang),
           "PYTHONPYCACHEPREFIX": str(cache / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run([sys.executable, "-c", LOAD], cwd=project, env=env, capture_output=True, text=True,
                          check=True)
    cpu, wall, _ = done.stdout.split()
    return float(cpu), float(wall)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--sites", type=int, default=100, help="sites of 10 nodes, one file each (default 100)")
    options.add_argument("--runs", type=int, default=3, help="runs of each, the best kept (default 3)")
    options.add_argument("--gwlang", type=Path, default=ROOT, help="the checkout whose gwlang loads")
    arguments = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="gwload-") as name:
        scratch = Path(name)
        project, cache = scratch / "gw", scratch / "cache"
        write_gw(project, arguments.sites, 10)
        load_once(project, cache, arguments.gwlang)         # the grammar tables and the bytecode
        empty, full = [], []
        for _ in range(arguments.runs):
            shutil.rmtree(cache / "parses", ignore_errors=True)
            empty.append(load_once(project, cache, arguments.gwlang))
            full.append(load_once(project, cache, arguments.gwlang))
        files = len(list((project / "sites").glob("*.gw")))
        print(f"{files} files ({arguments.sites} sites x 10 nodes); best of {arguments.runs}; "
              f"load average {os.getloadavg()[0]:.1f}")
        for label, runs in (("parse cache empty", empty), ("parse cache full", full)):
            print(f"{label:20} cpu {min(c for c, _ in runs):6.3f} s   wall {min(w for _, w in runs):6.3f} s")


if __name__ == "__main__":
    main()
