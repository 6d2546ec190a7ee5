"""Fuzzing gwc with mutated sources: no input may be an internal fault or hang.

A script, not a test (tests/test_hostile_inputs.py runs a few hundred inputs
of it): it takes the example sites and every `.gw` file under tests/cases,
mutates them (characters flipped, tokens duplicated, deleted or spliced in
from another file, numbers blown up to ten digits and more) and runs each
input in this process as gwc would: parse; then, for most inputs, evaluate
and print the module's value as `gwc eval` does; for a share of the inputs
that declare a site, compile every site in memory as `gwc check` does.  Each
input has a time limit; the outcome is one of

- ok: no error;
- diagnostic: gwc reported errors (a `GwError`, or E0232 from the memory guard);
- internal: any other exception, a bug (the input and traceback are saved);
- hang: still running at the time limit, a bug too.

    .venv/bin/python bench/fuzz_inputs.py                       # 100,000 inputs, about 15 minutes
    .venv/bin/python bench/fuzz_inputs.py --count 2000 --seed 7
    .venv/bin/python bench/fuzz_inputs.py --faults /tmp/faults  # where failing inputs go

The figures of a run are in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gwlang.diagnostics import Diagnostic, GwError, Source, render_text
from gwlang.eval.limits import OutOfMemory, resident_bytes
from gwlang.eval.printer import Collector
from gwlang.model.program import load_program
from gwlang.pipeline import compile_program
from gwlang.session import Session
from gwlang.syntax.parser import parse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # the repository's tests/support, run as a script
from tests.support.watchdog import EvaluationHung, run_bounded

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r"""\s+|"(?:[^"\\\n]|\\.)*"|''|[A-Za-z_][A-Za-z0-9_'-]*|[0-9][0-9A-Za-z.:/]*|\.\.|.""", re.S)
NUMBER = re.compile(r"[0-9]+")
BLOWN_UP = ["9999999999", "100000000000", "1000000", "999999", "4294967296", "0", "-1",
            "10000000000000000000000000000000000000000", "1" + "0" * 4500]
ODD_CHARACTERS = list("{}[]();:=.\"'$\\/#*+-<>?!@,") + ["\x00", "\ufeff", "\n", "${", "''", "é", "\t"]


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    by_mode: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0
    peak_resident: int = 0
    faults: list[tuple[str, str]] = field(default_factory=list)


# ---------------------------------------------------------------- inputs


def corpus() -> list[tuple[str, str]]:
    """(name, text) of every example site and test case file but the hostile ones.

    tests/cases/hostile holds programs at the edge of every bound, each taking
    seconds by design (tests/test_hostile_inputs.py runs them); as seeds they
    would make a fuzz run of many inputs mostly a run of those few.
    """
    cases = ROOT / "tests" / "cases"
    files = sorted((ROOT / "sites").glob("*.gw")) + sorted(path for path in cases.rglob("*.gw")
                                                            if (cases / "hostile") not in path.parents)
    texts = []
    for path in files:
        try:
            texts.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue  # a case that is deliberately not UTF-8 is no seed for mutations
    return texts


def mutate(text: str, donors: list[tuple[str, str]], rng: random.Random) -> str:
    """One to four mutations of `text`, token-wise where the mutation is about tokens."""
    tokens = TOKEN.findall(text) or [""]
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(("flip", "duplicate", "number", "number", "delete", "splice"))
        at = rng.randrange(len(tokens))
        span = rng.randint(1, 6)
        if kind == "flip":
            token = tokens[at]
            position = rng.randrange(len(token)) if token else 0
            tokens[at] = token[:position] + rng.choice(ODD_CHARACTERS) + token[position + 1:]
        elif kind == "duplicate":
            tokens[at:at] = tokens[at:at + span] * rng.choice((1, 2, 3, 50))
        elif kind == "number":
            numbers = [i for i, t in enumerate(tokens) if NUMBER.fullmatch(t)]
            if numbers:
                tokens[rng.choice(numbers)] = rng.choice(BLOWN_UP)
        elif kind == "delete":
            del tokens[at:at + span]
        else:
            donor = TOKEN.findall(rng.choice(donors)[1]) or [""]
            start = rng.randrange(len(donor))
            tokens[at:at] = donor[start:start + rng.randint(1, 40)]
        tokens = tokens or [""]
    return "".join(tokens)


# ---------------------------------------------------------------- running one input


def evaluate(text: str, folder: Path) -> list[Diagnostic]:
    """What `gwc eval` does with a file holding `text`: the diagnostics it would print."""
    session = Session(include=[str(folder)], project=folder)
    try:
        loaded = session.loader.load_text("fuzz.gw", text, folder)
        printed = session.print_value(session.loader.value(loaded), False)
        return printed.collector.diagnostics
    except GwError as failure:
        collector = Collector()
        collector.add(failure)
        return collector.diagnostics
    except RecursionError as failure:
        return session.guarded(failure).diagnostics


def check_sites(text: str, folder: Path) -> list[Diagnostic]:
    """What `gwc check` does with a file holding `text`: every site compiled in memory."""
    path = folder / "fuzz-site.gw"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        program = load_program([path])
        for _ in compile_program(program, program.sites()):
            pass
    except GwError as failure:
        return list(failure.diagnostics)
    return []


def run_one(text: str, folder: Path, as_site: bool, seconds: float) -> tuple[str, list[Diagnostic]]:
    """The outcome of one input and its diagnostics; an internal fault raises."""
    try:
        parse(Source("fuzz.gw", text))
    except GwError as failure:
        return "diagnostic", list(failure.diagnostics)
    action = check_sites if as_site else evaluate
    try:
        diagnostics = run_bounded(lambda: action(text, folder), seconds)
    except EvaluationHung:
        return "hang", []
    except OutOfMemory as stopped:
        return "diagnostic", [stopped.diagnostic()]
    for diagnostic in diagnostics:
        render_text(diagnostic)  # rendering is part of reporting; a fault there is a fault
    return ("diagnostic" if diagnostics else "ok"), diagnostics


def fuzz(count: int, seed: int, seconds: float = 10.0, site_share: float = 0.03,
         faults: Path | None = None, progress: Callable[[int, Tally], None] | None = None) -> Tally:
    """Run `count` mutated inputs from `seed`; the same arguments give the same inputs."""
    rng = random.Random(seed)
    seeds = corpus()
    sites = [item for item in seeds if re.search(r"^\s*site\s", item[1], re.M)]
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="gw-fuzz-") as scratch:
        folder = Path(scratch)
        for number in range(count):
            as_site = rng.random() < site_share
            name, text = rng.choice(sites if as_site else seeds)
            mutated = mutate(text, seeds, rng)
            started = time.perf_counter()
            try:
                outcome, diagnostics = run_one(mutated, folder, as_site, seconds)
            except Exception:
                outcome, diagnostics = "internal", []
                tally.faults.append((mutated, traceback.format_exc()))
                if faults is not None:
                    faults.mkdir(parents=True, exist_ok=True)
                    (faults / f"fault-{seed}-{number}.gw").write_text(mutated, errors="surrogatepass")
                    (faults / f"fault-{seed}-{number}.txt").write_text(f"from {name}\n{traceback.format_exc()}")
            if outcome == "hang" and faults is not None:
                faults.mkdir(parents=True, exist_ok=True)
                (faults / f"hang-{seed}-{number}.gw").write_text(mutated, errors="surrogatepass")
            tally.slowest = max(tally.slowest, time.perf_counter() - started)
            tally.outcomes[outcome] += 1
            tally.by_mode["check" if as_site else "eval"] += 1
            tally.codes.update(d.code for d in diagnostics[:1])
            tally.peak_resident = max(tally.peak_resident, resident_bytes() or 0)
            if progress is not None and (number + 1) % 1000 == 0:
                progress(number + 1, tally)
    return tally


def summary(tally: Tally, elapsed: float) -> str:
    total = sum(tally.outcomes.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    lines = [f"inputs: {total:,} ({tally.by_mode['eval']:,} evaluated, {tally.by_mode['check']:,} checked as sites)"
             f" in {elapsed:.0f} s",
             *(f"  {outcome}: {tally.outcomes[outcome]:,}" for outcome in ("ok", "diagnostic", "internal", "hang")),
             f"slowest input: {tally.slowest:.2f} s",
             f"peak resident memory: {peak / 2**20:,.0f} MiB (sampled after inputs: "
             f"{tally.peak_resident / 2**20:,.0f} MiB)",
             "most frequent first codes: " + ", ".join(f"{c} {n:,}" for c, n in tally.codes.most_common(8))]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit per input")
    parser.add_argument("--site-share", type=float, default=0.03, help="share of inputs compiled as sites")
    parser.add_argument("--faults", type=Path, help="folder for the inputs that fail")
    arguments = parser.parse_args()
    # The memory guard's limit for every input: a runaway input ends with E0232 well before the machine suffers.
    os.environ.setdefault("GWC_MEMORY_LIMIT", "1GiB")
    started = time.perf_counter()

    def progress(done: int, tally: Tally) -> None:
        print(f"{done:,} inputs, {time.perf_counter() - started:.0f} s: " +
              ", ".join(f"{k} {v:,}" for k, v in sorted(tally.outcomes.items())), flush=True)

    tally = fuzz(arguments.count, arguments.seed, arguments.seconds, arguments.site_share, arguments.faults,
                 progress)
    print(summary(tally, time.perf_counter() - started))
    for text, trace in tally.faults[:5]:
        print(f"--- internal fault on:\n{text[:2000]}\n{trace}")


if __name__ == "__main__":
    main()
