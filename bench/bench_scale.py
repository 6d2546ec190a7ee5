"""The figures of issue 9: an operations centre's workload, gwc against Nix and the I/O floor.

    .venv/bin/python bench/bench_scale.py                     # 1,000 sites x 10 nodes, a few minutes
    .venv/bin/python bench/bench_scale.py --sites 100         # 1,000 nodes
    .venv/bin/python bench/bench_scale.py --no-nix --no-apply

Each gwc row is a fresh `gwc` process (wall time and its own peak RSS from wait4). The
yardsticks, in the same run on the same disk:
- Nix: `nix-instantiate --eval --strict --json` of the same workload (bench/workload.py),
  and "Nix + writer": that evaluation plus plain Python writing one JSON file per node;
- the I/O floor: plain Python writing, from memory, the very tree `gwc compile` wrote.
Nix comes from Debian's `nix-bin`, installed here with apt-get when missing and root.
Nothing asserts a time: this prints figures and the ratios the issue sets.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import site_name, write_gw, write_nix

GWC = [sys.executable, "-m", "gwlang"]


@dataclass
class Run:
    seconds: float
    peak_mib: float
    stdout: str


def run(command: Sequence[str], cwd: Path) -> Run:
    """Run one unmeasured process (e.g. to read a command's help)."""
    process = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True)
    return Run(0.0, 0.0, process.stdout)


def run_measured(command: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run one process through a tiny wrapper that reports the child's own wall time and peak RSS
    (wait4), so that neither this script's memory nor an earlier child's counts."""
    wrapper = ("import os, sys, time\n"
               "t = time.perf_counter(); pid = os.fork()\n"
               "if pid == 0:\n    os.execvp(sys.argv[1], sys.argv[1:])\n"
               "_, status, usage = os.wait4(pid, 0)\n"
               "code = os.waitstatus_to_exitcode(status)\n"
               "sys.stderr.write(f'\\n@@ {time.perf_counter() - t} {usage.ru_maxrss} {code}\\n')\n"
               "sys.exit(code)\n")
    process = subprocess.run([sys.executable, "-c", wrapper, *command], cwd=cwd, env=env, capture_output=True,
                             text=True)
    match = re.search(r"@@ (\S+) (\d+) (-?\d+)\n$", process.stderr)
    if process.returncode != 0 or not match:
        sys.exit(f"bench: {' '.join(command)} failed ({process.returncode}):\n{process.stderr[-3000:]}")
    return Run(float(match[1]), int(match[2]) / 1024, process.stdout)


def ensure_nix() -> str | None:
    found = shutil.which("nix-instantiate")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print("bench: installing Debian's nix-bin for the yardstick", file=sys.stderr)
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nix-bin"], env=quiet,
                   stdout=subprocess.DEVNULL, check=False)
    return shutil.which("nix-instantiate")


def tree_in_memory(root: Path) -> dict[str, bytes]:
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, root)] = handle.read()
    return files


def write_tree(root: Path, files: dict[str, bytes]) -> float:
    """The I/O floor: every file written once by plain Python, one mkdir per folder, fsync-free."""
    started = time.perf_counter()
    made: set[str] = set()
    for relative, data in files.items():
        folder = os.path.dirname(relative)
        if folder not in made:
            os.makedirs(root / folder, exist_ok=True)
            made.add(folder)
        descriptor = os.open(root / relative, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(descriptor, data)
        os.close(descriptor)
    return time.perf_counter() - started


def nix_rows(nix: str, scratch: Path, sites: int, nodes: int) -> tuple[float, float]:
    top = write_nix(scratch / "nix", sites, nodes)
    env = {**os.environ, "NIX_STATE_DIR": str(scratch / "nix-state"), "NIX_REMOTE": "",
           "XDG_CACHE_HOME": str(scratch / "nix-cache")}
    evaluated = min((run_measured([nix, "--eval", "--strict", "--json", str(top)], scratch, env)
                     for _ in range(3)), key=lambda r: r.seconds)
    data = json.loads(evaluated.stdout)
    started = time.perf_counter()
    out = scratch / "nix-out"
    for site, value in data.items():
        (out / site).mkdir(parents=True)
        for node, record in value["nodes"].items():
            (out / site / f"{node}.json").write_text(json.dumps(record, sort_keys=True, indent=1))
    return evaluated.seconds, evaluated.seconds + time.perf_counter() - started


def gwc_rows(scratch: Path, sites: int, nodes: int) -> dict[str, Run]:
    """Each row in a fresh process. "From nothing" rows start with an empty cache folder of their own
    (no parse cache, no build record); "parse cache warm" rows reuse the one `gwc check` filled."""
    project = scratch / "gw"
    write_gw(project, sites, nodes)

    def cache(name: str) -> dict[str, str]:
        return {**os.environ, "GWLANG_CACHE": str(scratch / f"cache-{name}")}

    one_line = project / "one.gw"
    one_line.write_text("1 + 2\n")
    rows: dict[str, Run] = {}
    for label, arguments in (("gwc --version", ["--version"]), ("gwc eval (one line)", ["eval", str(one_line)])):
        rows[label] = min((run_measured([*GWC, *arguments], project, cache("startup")) for _ in range(5)),
                          key=lambda r: r.seconds)
    rows["gwc check, from nothing"] = run_measured([*GWC, "check", "sites"], project, cache("check"))
    rows["gwc check, parse cache warm"] = run_measured([*GWC, "check", "sites"], project, cache("check"))
    rows["gwc compile -j 1, from nothing"] = run_measured([*GWC, "compile", "sites", "-o", "out1", "-j", "1"],
                                                         project, cache("j1"))
    rows["gwc compile -j 1, parses cached"] = run_measured([*GWC, "compile", "sites", "-o", "out3", "-j", "1"],
                                                          project, cache("check"))
    rows["gwc compile -j 2, from nothing"] = run_measured([*GWC, "compile", "sites", "-o", "out", "-j", "2"],
                                                         project, cache("j2"))
    rows["gwc compile, nothing changed"] = run_measured([*GWC, "compile", "sites", "-o", "out"], project,
                                                        cache("j2"))
    edited = project / "sites" / f"{site_name(sites // 2)}.gw"
    edited.write_text(edited.read_text().replace("node ce : ce {", "node ce : ce { vm.memory = 3GiB;", 1))
    rows["gwc compile, one node edited"] = run_measured([*GWC, "compile", "sites", "-o", "out"], project,
                                                        cache("j2"))
    return rows


def apply_row(scratch: Path, nodes: int) -> tuple[Run, str]:
    """`gwc apply` of one site of `nodes` nodes to libvirt's test driver."""
    project = scratch / "apply"
    (project / "sites").mkdir(parents=True)
    from workload import gw_profiles, gw_site
    (project / "sites" / "profiles.gw").write_text(gw_profiles())
    # The test driver's pools hold 100 GiB whatever their definition says: small disks, so that 1,000 nodes
    # (two disks and an 8 MiB config disk each) fit.
    small = " disks.xvda.size = 32MiB; disks.xvdb.size = 32MiB;"
    (project / "sites" / "big.gw").write_text(gw_site(0, nodes, uri="test:///default", node_extra=small))
    env = {**os.environ, "GWLANG_CACHE": str(scratch / "cache")}
    options = ["-y"] if "--yes" in run([*GWC, "apply", "--help"], project).stdout else []
    applied = run_measured([*GWC, "apply", "sites/big.gw", *options], project, env)
    return applied, applied.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=10, help="nodes per site (default 10)")
    parser.add_argument("--apply-nodes", type=int, default=1000, help="nodes of the site applied (default 1000)")
    parser.add_argument("--no-nix", action="store_true")
    parser.add_argument("--no-apply", action="store_true")
    arguments = parser.parse_args()
    total = arguments.sites * arguments.nodes
    with tempfile.TemporaryDirectory(prefix="gwbench-") as name:
        scratch = Path(name)
        print(f"workload: {arguments.sites} sites x {arguments.nodes} nodes = {total} nodes, one site per file")
        rows = gwc_rows(scratch, arguments.sites, arguments.nodes)
        files = tree_in_memory(scratch / "gw" / "out1")
        floor = min(write_tree(scratch / f"floor{i}", files) for i in range(3))
        nix = None if arguments.no_nix else ensure_nix()
        nix_eval, nix_total = nix_rows(nix, scratch, arguments.sites, arguments.nodes) if nix else (0.0, 0.0)
        print(f"\n{'':36} {'seconds':>8} {'peak MiB':>9}")
        for label, measured in rows.items():
            print(f"{label:36} {measured.seconds:>8.2f} {measured.peak_mib:>9.0f}")
        size = sum(len(data) for data in files.values()) / 2**20
        print(f"{'I/O floor (' + str(len(files)) + ' files, ' + f'{size:.0f} MiB)':34} {floor:>8.2f}")
        if nix:
            print(f"{'Nix evaluation':34} {nix_eval:>8.2f}")
            print(f"{'Nix + writer':34} {nix_total:>8.2f}")
        print("\nratios (the issue's targets in brackets):")
        cold1 = rows["gwc compile -j 1, from nothing"]
        cold2 = rows["gwc compile -j 2, from nothing"]
        if nix:
            for label in ("gwc check, from nothing", "gwc check, parse cache warm"):
                print(f"  {label[4:]:32} / Nix evaluation {rows[label].seconds / nix_eval:6.2f}  (<= 5)")
            print(f"  nothing changed / Nix + writer   {rows['gwc compile, nothing changed'].seconds / nix_total:6.2f}"
                  "  (<= 0.25)")
        for label in ("gwc compile -j 1, from nothing", "gwc compile -j 1, parses cached"):
            print(f"  {label[12:]:32} / I/O floor {rows[label].seconds / floor:6.2f}  (<= 2)")
        print(f"  cold -j 2 / cold -j 1            {cold2.seconds / cold1.seconds:6.2f}  (clearly < 1)")
        print(f"  one node edited / cold -j 1      {rows['gwc compile, one node edited'].seconds / cold1.seconds:6.2f}"
              "  (<= 0.05)")
        print(f"  peak RSS of cold -j 1            {cold1.peak_mib:6.0f}  (<= 150 MiB)")
        if not arguments.no_apply:
            applied, summary = apply_row(scratch, arguments.apply_nodes)
            lines = summary.splitlines()
            print(f"\ngwc apply of one {arguments.apply_nodes}-node site to the test driver: "
                  f"{applied.seconds:.2f} s (<= 10), peak {applied.peak_mib:.0f} MiB; summary "
                  f"{len(lines)} lines, longest {max(map(len, lines), default=0)} characters:")
            for line in lines[:12]:
                print(f"  | {line}")


if __name__ == "__main__":
    main()
