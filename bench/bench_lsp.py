"""How fast `gwc lsp` answers while typing on the example sites.

Two parts.  In process: each site of `sites/` analysed as the server does
after a keystroke (load with imports, compile every site of the file),
with an empty parse cache (the first analysis), with the cache holding the
imported modules (every later keystroke: only the edited buffer is parsed
again), and without any cache (what it would cost to parse all again).
Over stdio: the real server started as `python -m gwlang lsp`, spoken to
by the tests' client, timing an edit until its diagnostics arrive (the
debounce delay included) and the requests an editor sends while typing.

    .venv/bin/python bench/bench_lsp.py [--repeat 5]

Prints milliseconds, the median of the repeats.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsprotocol import types as lsp  # noqa: E402

from gwlang.lsp.analysis import analyse  # noqa: E402
from gwlang.lsp.documents import Documents  # noqa: E402
from gwlang.lsp.server import DEBOUNCE_SECONDS  # noqa: E402
from tests.support.lsp_client import LspClient, position_of  # noqa: E402


def median_ms(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def edited(text: str, number: int) -> str:
    """The text after one more keystroke: a comment that changes with each, so the digest changes."""
    return text + f"# {number}\n"


def in_process(repeat: int) -> None:
    print(f"{'site':<10} {'cold ms':>9} {'keystroke ms':>13} {'no cache ms':>12}")
    for path in sorted((ROOT / "sites").glob("*.gw")):
        cold, warm, uncached = site_figures(path.resolve(), repeat)
        print(f"{path.stem:<10} {cold:>9.1f} {warm:>13.1f} {uncached:>12.1f}")


def site_figures(path: Path, repeat: int) -> tuple[float, float, float]:
    """One site's analysis: cold, after a keystroke with the cache warm, and without a cache."""
    text = path.read_text()
    cold = median_ms(lambda: analyse(path, Documents()), repeat)
    documents = Documents()
    analyse(path, documents)
    count = iter(range(1_000_000))

    def keystroke() -> None:
        documents.open[path] = edited(text, next(count))
        analyse(path, documents)

    def uncached() -> None:
        fresh = Documents()
        fresh.open[path] = edited(text, next(count))
        analyse(path, fresh)

    return cold, median_ms(keystroke, repeat), median_ms(uncached, repeat)


def over_stdio(repeat: int) -> None:
    client = LspClient(ROOT, ROOT)
    try:
        site = ROOT / "sites" / "ucc.gw"
        text = site.read_text()
        start = time.perf_counter()
        uri = client.open(site)
        client.diagnostics_for(uri)
        print(f"\nover stdio, sites/{site.name} (debounce {DEBOUNCE_SECONDS * 1000:.0f} ms):")
        print(f"  open to diagnostics      {(time.perf_counter() - start) * 1000:8.1f} ms (first, cold caches)")
        versions = iter(range(2, 1_000_000))

        def keystroke() -> None:
            client.change(uri, edited(text, next(versions)), next(versions))
            client.diagnostics_for(uri)

        print(f"  keystroke to diagnostics {median_ms(keystroke, repeat):8.1f} ms")
        document = lsp.TextDocumentIdentifier(uri)
        memory = position_of(text, "vm.memory = 2GiB", 3)
        requests: list[tuple[str, str, object]] = [
            ("hover on an attribute", "textDocument/hover", lsp.HoverParams(document, memory)),
            ("completion in a body", "textDocument/completion", lsp.CompletionParams(document, memory)),
            ("definition of a profile", "textDocument/definition",
             lsp.DefinitionParams(document, position_of(text, ": wn", 2))),
            ("document symbols", "textDocument/documentSymbol", lsp.DocumentSymbolParams(document)),
        ]
        for label, method, params in requests:
            client.request(method, params)          # the first builds the workspace index
            print(f"  {label:<24} {median_ms(lambda m=method, p=params: client.request(m, p), repeat):8.1f} ms")

        def edit_then_hover() -> None:
            client.change(uri, edited(text, next(versions)), next(versions))
            client.request("textDocument/hover", lsp.HoverParams(document, memory))

        print(f"  edit, then hover         {median_ms(edit_then_hover, repeat):8.1f} ms "
              "(analysis and index built again)")
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    in_process(arguments.repeat)
    over_stdio(arguments.repeat)


if __name__ == "__main__":
    main()
