"""`gwc repl`: fed from a pipe as a script would, and once on a pseudo-terminal for completion and history."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def repl(*args: str, stdin: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gwlang", "repl", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_expressions_bindings_and_types() -> None:
    done = repl(stdin="1 + 2\nx = 40\nx + 2\nlet y = x * 2; z = y + 1;\nz\n:type 1GiB\n:type hostIn\n"
                      "hostIn 10.0.0.0/24 5\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["3", "42", "81", "a size", "a function", "10.0.0.5"]
    assert done.stderr == ""


def test_an_input_may_run_over_several_lines() -> None:
    done = repl(stdin="rec {\n  a = 1;\n  b = a +\n    1;\n}\n[ 1\n  2 ]\n")
    assert done.stdout.splitlines() == ["{ a = 1; b = 2; }", "[ 1 2 ]"], done.stderr


def test_errors_print_as_diagnostics_and_the_session_goes_on() -> None:
    done = repl(stdin="memory = 1GiB\nmemroy\n1GiB < 3\n:nope\nmemory\n")
    assert done.stdout.splitlines() == ["1GiB"]
    assert "error[E0201]: undefined variable `memroy`\n --> <repl>:1:1" in done.stderr
    assert "did you mean `memory`?" in done.stderr
    assert "error[E0208]: cannot order a size against an integer" in done.stderr
    assert "gwc: error: unknown command `:nope`" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.returncode == 1   # piped: the status says an input failed


def test_a_sites_scope_show_and_explain() -> None:
    done = repl("sites/tcd.gw", stdin="tcd\n:show ce\n:explain ce.vm.memory\n:show cee\n")
    assert done.stdout.startswith("«site tcd»\n{\n  after = [ \"install\" ];\n"), done.stderr
    assert "  vm = {\n    cpu-cap = 0;\n    cpu-weight = 512;\n" in done.stdout
    assert "  tcd.ce.vm.memory = 1GiB\n" in done.stdout
    assert "<stdlib>/grid/roles.gw:47:3 (profile `ce`)   starts the value" in done.stdout
    assert "error[E0313]: site `tcd` has no node or host `cee`" in done.stderr
    assert "did you mean `ce`?" in done.stderr


def test_load_brings_a_modules_names(tmp_path: Path) -> None:
    (tmp_path / "net.gw").write_text("let subnet = 10.1.0.0/16;\nlet gateway = hostIn subnet 1;\n")
    done = repl(stdin=":load net.gw\n[ gateway subnet.prefix ]\n:load nothere.gw\ngateway\n", cwd=tmp_path)
    assert done.stdout.splitlines() == ["loaded net.gw: 2 names (`gateway`, `subnet`)", "[ 10.1.0.1 16 ]",
                                        "10.1.0.1"]
    assert "gwc: error: no such file or folder: nothere.gw" in done.stderr


def test_imports_and_quit() -> None:
    done = repl(stdin="import <grid/roles.gw>;\n:type base\n:quit\n1 + 1\n")
    assert done.stdout.splitlines() == ["a profile declaration (`base`)"], done.stderr
    assert done.returncode == 0


def test_a_broken_file_fails_before_the_loop(tmp_path: Path) -> None:
    (tmp_path / "bad.gw").write_text("let a = ;\n")
    done = repl("bad.gw", stdin="1\n", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "error[E0101]" in done.stderr
    assert repl("missing.gw", stdin="", cwd=tmp_path).returncode == 2


# ---------------------------------------------------------------- on a terminal


def _read_until(fd: int, wanted: bytes, seen: bytearray) -> bytes:
    """Read the terminal until `wanted` appears; a stuck REPL fails the test instead of hanging it."""
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], 60)
        assert ready, f"no {wanted!r} from the repl; it printed {bytes(seen)!r}"
        try:
            seen += os.read(fd, 4096)
        except OSError:   # the child has gone: the terminal reads EIO
            break
    found = bytes(seen)
    del seen[: found.index(wanted) + len(wanted) if wanted in found else len(found)]
    return found


def _on_a_terminal(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    """`gwc repl ARGS` with a pseudo-terminal as its controlling terminal, so Ctrl-C is a signal."""
    environment = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "TERM": "dumb", "NO_COLOR": "1"}
    leader, follower = pty.openpty()

    def take_the_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    child = subprocess.Popen([sys.executable, "-m", "gwlang", "repl", *args], cwd=ROOT, env=environment,
                             stdin=follower, stdout=follower, stderr=follower, close_fds=True,
                             preexec_fn=take_the_terminal)
    os.close(follower)
    return child, leader


def test_tab_completion_and_history_on_a_terminal(tmp_path: Path) -> None:
    child, leader = _on_a_terminal(tmp_path, "sites/tcd.gw")
    seen = bytearray()
    try:
        assert b"loaded sites/tcd.gw" in _read_until(leader, b"gw> ", seen)
        os.write(leader, b"hostI\t")                 # one match: completed in place
        _read_until(leader, b"hostIn", seen)
        os.write(leader, b" 10.0.0.0/8 7\r")
        assert b"10.0.0.7" in _read_until(leader, b"gw> ", seen)
        os.write(leader, b":sh\t")                   # commands complete too
        _read_until(leader, b":show ", seen)
        os.write(leader, b"c\t")                     # after `:show`, the site's nodes
        _read_until(leader, b"ce", seen)
        os.write(leader, b"\r")
        assert b"cpu-weight = 512;" in _read_until(leader, b"gw> ", seen)
        os.write(leader, b":explain ce.vm.mem\t")   # and paths inside one
        _read_until(leader, b"ce.vm.memory", seen)
        os.write(leader, b"\r")
        assert b"tcd.ce.vm.memory = 1GiB" in _read_until(leader, b"gw> ", seen)
        os.write(leader, b"\x04")                    # Ctrl-D leaves
        _read_until(leader, b"\n", seen)
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(leader)
    history = (tmp_path / "gwlang" / "repl_history").read_text()
    assert "hostIn 10.0.0.0/8 7" in history and ":show ce" in history and ":explain ce.vm.memory" in history


def test_ctrl_c_stops_an_evaluation_and_the_session_goes_on(tmp_path: Path) -> None:
    child, leader = _on_a_terminal(tmp_path)
    seen = bytearray()
    try:
        _read_until(leader, b"gw> ", seen)
        # Ten billion additions: it never ends by itself while the test waits.
        os.write(leader, b"foldl (a: x: a + foldl (b: y: b + y) 0 (genList (i: i) 100000)) 0 "
                         b"(genList (i: i) 100000)\r")
        _read_until(leader, b"100000)\r\n", seen)
        os.write(leader, b"\x03")
        after = _read_until(leader, b"gw> ", seen)
        assert b"interrupted" in after
        os.write(leader, b"1 + 1\r")
        assert b"\r\n2\r\n" in _read_until(leader, b"gw> ", seen)
        os.write(leader, b"\x04")
        _read_until(leader, b"\n", seen)
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(leader)


def test_without_the_standard_library() -> None:
    done = subprocess.run([sys.executable, "-m", "gwlang", "repl"], input="1\n", capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={**os.environ, "GWLANG_STDLIB": "/nonexistent"})
    assert done.returncode == 1
    assert done.stderr.startswith("error[E0711]: the standard library is missing")
