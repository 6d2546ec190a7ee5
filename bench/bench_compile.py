"""Compile benchmark: generated sites of many nodes through the whole pipeline.

Prints, for a few shapes (many small sites, one large site), the time to
load the sources, to evaluate, check and emit every site, and the cost per
node, plus a second compile into the same folder (nothing rewritten).

    .venv/bin/python bench/bench_compile.py [--sites N] [--nodes M]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import tempfile
import time
from pathlib import Path

from gwlang.cli import main as gwc
from gwlang.eval.evaluator import run_deep
from gwlang.model.program import gw_files, load_program
from gwlang.pipeline import compile_program

SITE = """import <grid/gateway.gw>;
import <grid/roles.gw>;
let digits = "0123456789abcdef"; hex = b: "${{substring (b / 16) 1 digits}}${{substring (mod b 16) 1 digits}}";
site {prefix}{index} extends gateway {{
  domain = "{prefix}{index}.example.org";
  network.subnet = {net}.0/{prefix_length};
  network.gateway = {net}.1;
  network.dns = [ {net}.2 ];
  host gw {{ memory = 64TiB; cpus = 64; uri = "xen+ssh://root@gw.{prefix}{index}.example.org/system"; }}
  node wn[{first:03d}..{last:03d}] : wn {{
    host = gw; ip = hostIn site.network.subnet (20 + index); after = [ ce ];{mac}
  }}
}}
"""
# One site of thousands of nodes plans its MACs: derived ones (23 bits) would coincide by chance there.
PLANNED_MAC = ' network.interfaces.eth0.mac = mac "00:16:3e:7f:${{hex (index / 256)}}:${{hex (mod index 256)}}";'



def write_sites(folder: Path, sites: int, workers: int, prefix: str = "s") -> None:
    for index in range(sites):
        # A /24 per site while its nodes fit one, so that a thousand sites have networks of their own.
        net, length = (f"10.{index // 256}.{index % 256}", 24) if workers < 200 else (f"10.{index}.0", 16)
        text = SITE.format(prefix=prefix, index=index, first=3, last=2 + workers, net=net, prefix_length=length,
                           mac=PLANNED_MAC.format() if workers >= 1000 else "")
        (folder / f"{prefix}{index}.gw").write_text(text)


def measure(sites: int, workers: int) -> tuple[str, int, float, float, float]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        write_sites(folder, sites, workers)
        started = time.perf_counter()
        program = load_program(gw_files([folder]))
        loaded = time.perf_counter()
        files = nodes = 0
        # Site by site, with the check of MACs across sites (each site's own host: derived MACs
        # that coincide by chance are no clash there, see bench/README.md).
        for compiled in compile_program(program, program.sites()):
            assert compiled.artifacts is not None
            nodes += compiled.nodes
            files += len(compiled.artifacts)
        finished = time.perf_counter()
    return f"{sites} sites x {workers + 6} nodes", nodes, loaded - started, finished - loaded, files


def measure_cli(sites: int, workers: int) -> list[tuple[str, float, str]]:
    """`gwc compile` into a folder: from nothing in one process, then in one per core, with nothing changed,
    and after a one-site edit."""
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "sites").mkdir()
        write_sites(folder / "sites", sites, workers, prefix="site")
        os.environ["GWLANG_CACHE"] = str(folder / "cache")
        previous = Path.cwd()
        os.chdir(folder)
        try:
            for label, options in (("from nothing, -j 1", ["-o", "one", "-j", "1"]), ("from nothing", []),
                                   ("nothing changed", []), ("one site edited", [])):
                if label == "one site edited":
                    edited = folder / "sites" / "site0.gw"
                    edited.write_text(edited.read_text().replace("(20 + index)", "(21 + index)"))
                output = io.StringIO()
                started = time.perf_counter()
                with contextlib.redirect_stdout(output):
                    code = gwc(["compile", "sites", "-o", "out", *options])
                elapsed = time.perf_counter() - started
                rows.append((label, elapsed, output.getvalue().strip() if code == 0 else f"failed ({code})"))
        finally:
            os.chdir(previous)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every shape's size")
    arguments = parser.parse_args()
    shapes = [(int(100 * arguments.scale), 4), (int(10 * arguments.scale), 94), (1, int(994 * arguments.scale))]
    print(f"{'shape':<24} {'nodes':>6} {'load s':>7} {'compile s':>9} {'ms/node':>8} {'files':>7}")
    for sites, workers in shapes:
        label, nodes, load, compile_time, files = run_deep(lambda s=sites, w=workers: measure(s, w))
        print(f"{label:<24} {nodes:>6} {load:>7.2f} {compile_time:>9.2f} {1000 * compile_time / nodes:>8.2f} "
              f"{files:>7}")
    sites = int(100 * arguments.scale)
    print(f"\ngwc compile of {sites} sites x 10 nodes into a folder (writing included):")
    for label, elapsed, summary in run_deep(lambda: measure_cli(sites, 4)):
        print(f"  {label:<18} {elapsed:>6.2f} s   {summary}")


if __name__ == "__main__":
    main()
