"""The one self-overwriting status line of the long commands (`gwc compile`, `apply`, `destroy`).

Shown on stderr only when it is a terminal, so that logs and tests see only
the summary; safe to call from several threads (apply works on hosts in
parallel); a line longer than `WIDTH` is cut rather than wrapped, since a
wrapped line cannot be overwritten.
"""

from __future__ import annotations

import threading
from typing import Any

WIDTH = 200


class Progress:
    """One status line; `show` replaces it, `done` (or leaving the `with`) erases it."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.active = bool(getattr(stream, "isatty", lambda: False)())
        self.width = 0
        self.guard = threading.Lock()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        self.done()

    def show(self, message: str) -> None:
        if not self.active:
            return
        with self.guard:
            self.stream.write("\r" + message[:WIDTH].ljust(self.width))
            self.stream.flush()
            self.width = min(len(message), WIDTH)

    def done(self) -> None:
        with self.guard:
            if self.active and self.width:
                self.stream.write("\r" + " " * self.width + "\r")
                self.stream.flush()
                self.width = 0
