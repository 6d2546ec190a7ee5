"""The gwlang cache folder: where gwc keeps what it can compute again (parses, grammar tables, build records).

`GWLANG_CACHE` names it; else it is `gwlang` in `XDG_CACHE_HOME`, else
`~/.cache/gwlang`.  Everything kept there can be deleted at any time: the
next command computes it again.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path | None:
    """The cache folder (perhaps not yet made); None when no home folder can be found."""
    chosen = os.environ.get("GWLANG_CACHE")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        return (Path(base) if base else Path.home() / ".cache") / "gwlang"
    except RuntimeError:
        return None
