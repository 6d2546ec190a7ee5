"""`gwc console NODE`: a guest's serial console through libvirt, relayed to the terminal.

The console is libvirt's (`virDomainOpenConsole` on a stream), so it works
on any host libvirt reaches, like `virsh console`.  The terminal is put in
raw mode; Ctrl-] leaves, as in virsh.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO

from gwlang.runtime.backend import ConsoleStream, Host, HostError, connect, start_event_loop

ESCAPE = b"\x1d"   # Ctrl-]


def run_console(uri: str, node: str, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None,
                opened: Callable[[], None] | None = None) -> None:
    """Relay the console of domain `node` until Ctrl-], end of input or the guest's console closes.

    `opened` is called once the console stream is open, before anything is relayed.
    """
    source = stdin or sys.stdin.buffer
    sink = stdout or sys.stdout.buffer

    def show(data: bytes) -> None:
        sink.write(data)
        sink.flush()

    start_event_loop()
    host = connect(uri)
    try:
        console = _open(host, node, show)
        try:
            if opened is not None:
                opened()
            with _raw(source):
                _relay(source, console.send, console.closed.is_set)
        finally:
            console.close()
    finally:
        host.close()


PTY_PATIENCE = 10.0     # seconds: a domain that has just started may not have its console's pty yet


def _open(host: Host, node: str, show: Callable[[bytes], None]) -> ConsoleStream:
    """The console, waiting a little for a guest that was started a moment ago (libvirt: "PTY device is
    not yet assigned"), so that `gwc apply; gwc console NODE` sees the guest boot."""
    deadline = time.monotonic() + PTY_PATIENCE
    while True:
        try:
            return host.open_console(node, show)
        except HostError as failure:
            if "not yet assigned" not in str(failure) or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _relay(source: BinaryIO, sender: Callable[[bytes], None], finished: Callable[[], bool]) -> None:
    descriptor = source.fileno()
    while not finished():
        ready, _, _ = select.select([descriptor], [], [], 0.2)
        if not ready:
            continue
        data = os.read(descriptor, 1024)
        if not data:
            return
        if ESCAPE in data:
            before = data.split(ESCAPE, 1)[0]
            if before:
                sender(before)
            return
        try:
            sender(data)
        except HostError:
            return


@contextlib.contextmanager
def _raw(source: BinaryIO) -> Iterator[None]:
    if not source.isatty():
        yield
        return
    import termios
    import tty
    saved = termios.tcgetattr(source.fileno())
    tty.setraw(source.fileno())
    try:
        yield
    finally:
        termios.tcsetattr(source.fileno(), termios.TCSADRAIN, saved)
