"""`gwc compile` and its output folder: only what changed is rewritten, nothing else is touched, never half-done.

The project is three small sites (`tests/support/project.py`) compiled with
`--no-cache`, so that every compile produces every file and the writer
alone decides what to rewrite (the records of `incremental.py` are tested
in test_incremental.py).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gwlang.cli import main
from gwlang.emit import writer
from tests.support.project import edit_site, make_project, tree

MOVE_ALPHA = ("(20 + index)", "(30 + index)")       # alpha's workers move to other addresses
MOVE_BETA = ("(20 + index)", "(40 + index)")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = make_project(tmp_path / "project")
    monkeypatch.chdir(folder)
    return folder


def compile_(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["compile", "sites", "--no-cache", *arguments])
    out, err = capsys.readouterr()
    return code, out, err


def stats(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file's inode and modification time: what tells a rewritten file from a kept one."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def leftovers(project: Path) -> list[str]:
    return sorted(p.name for p in project.iterdir() if p.name.startswith(writer.STAGING_PREFIX))


def test_a_second_compile_rewrites_only_the_files_whose_content_changed(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    before, contents = stats(project / "generated"), tree(project / "generated")
    edit_site(project, "alpha", *MOVE_ALPHA)
    code, out, err = compile_(capsys)
    assert code == 0, err
    after, new_contents = stats(project / "generated"), tree(project / "generated")
    rewritten = {path for path in after if after[path] != before.get(path)}
    assert rewritten == {path for path in new_contents if new_contents[path] != contents.get(path)}
    assert rewritten and all(path.startswith("alpha/") for path in rewritten), rewritten
    assert f"{len(rewritten)} files written, {len(after) - len(rewritten)} unchanged, 0 removed" in out
    assert compile_(capsys)[1].count(" 0 files written") == 1


def test_files_no_longer_produced_are_removed_and_files_that_are_not_gwcs_are_kept(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    generated = project / "generated"
    mine = {"NOTES.txt": b"top-level notes\n", "alpha/notes.txt": b"beside gwc's files\n",
            "gamma/local/keep.me": b"a folder of my own\n"}
    for relative, data in mine.items():
        (generated / relative).parent.mkdir(parents=True, exist_ok=True)
        (generated / relative).write_bytes(data)
    (generated / "alpha" / "latest").symlink_to("manifest.json")
    edit_site(project, "alpha", "wn[03..04]", "wn[03..03]")
    (project / "sites" / "beta.gw").unlink()
    code, out, err = compile_(capsys)
    assert code == 0, err
    files = tree(generated)
    assert not [path for path in files if "wn04" in path and path.startswith("alpha/")]
    assert not [path for path in files if path.startswith("beta/")] and not (generated / "beta").exists()
    assert {relative: files[relative] for relative in mine} == mine
    assert files["alpha/latest"] == b"-> manifest.json"
    removed = int(out.split(" removed")[0].rsplit(" ", 1)[-1])
    assert removed > 10, out


def test_a_failed_compile_leaves_the_folder_exactly_as_it_was(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    before = stats(project / "generated"), tree(project / "generated")
    edit_site(project, "alpha", *MOVE_ALPHA)                              # a good edit...
    edit_site(project, "beta", "memory = 64GiB;", "memory = 64;")         # ...and a bad one
    code, _, err = compile_(capsys)
    assert code == 1 and "error[E0401]" in err and "sites/beta.gw:7:" in err, err
    assert (stats(project / "generated"), tree(project / "generated")) == before
    assert leftovers(project) == []


def test_check_lists_what_differs_and_fails(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    assert compile_(capsys, "--check")[0] == 0
    edit_site(project, "alpha", *MOVE_ALPHA)
    (project / "generated" / "gamma" / "graph.dot").unlink()
    (project / "sites" / "beta.gw").unlink()
    before = tree(project / "generated")
    code, _, err = compile_(capsys, "--check")
    assert code == 1
    lines = [line.split() for line in err.splitlines() if re.fullmatch(r"  (changed|missing|extra) +\S+", line)]
    statuses = {status for status, _ in lines}
    assert statuses == {"changed", "missing", "extra"}, err
    assert ["missing", "gamma/graph.dot"] in lines
    assert all(path.startswith("alpha/") for status, path in lines if status == "changed")
    assert all(path.startswith("beta/") for status, path in lines if status == "extra")
    assert "run `gwc compile` to update them" in err
    assert tree(project / "generated") == before                      # --check writes nothing
    assert compile_(capsys)[0] == 0 and compile_(capsys, "--check")[0] == 0


def test_one_edited_site_swaps_its_own_folder_and_two_swap_the_tree(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    generated = project / "generated"
    (generated / "alpha" / "notes.txt").write_text("mine\n")
    inode = {name: (generated / name).stat().st_ino for name in ("", "alpha", "beta", "gamma")}
    edit_site(project, "alpha", *MOVE_ALPHA)
    assert compile_(capsys)[0] == 0
    now = {name: (generated / name).stat().st_ino for name in inode}
    assert now[""] == inode[""] and now["beta"] == inode["beta"] and now["gamma"] == inode["gamma"]
    assert now["alpha"] != inode["alpha"]
    assert (generated / "alpha" / "notes.txt").read_text() == "mine\n"
    edit_site(project, "alpha", MOVE_ALPHA[1], MOVE_ALPHA[0])
    edit_site(project, "beta", *MOVE_BETA)
    assert compile_(capsys)[0] == 0
    assert generated.stat().st_ino != now[""]
    assert (generated / "alpha" / "notes.txt").read_text() == "mine\n"
    assert compile_(capsys, "-o", "fresh")[0] == 0
    fresh = tree(project / "fresh")
    assert {path: data for path, data in tree(generated).items() if path != "alpha/notes.txt"} == fresh
    assert leftovers(project) == []


class _Killed(BaseException):
    """A kill, as far as the writer can tell: nothing after it runs, nothing cleans up."""


def _kill_at(step: int, counter: list[int]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*arguments: Any, **keywords: Any) -> Any:
            counter[0] += 1
            if counter[0] == step:
                raise _Killed()
            return function(*arguments, **keywords)
        return counted
    return wrap


@pytest.mark.parametrize("edited", [("alpha",), ("alpha", "beta")], ids=["one site", "two sites"])
def test_a_compile_stopped_at_any_step_leaves_the_old_folder_or_the_new_one(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        edited: tuple[str, ...]) -> None:
    """Sampled file operations of the writer are where the compile dies; then a compile finishes it.

    (`os` is patched for the whole process, so the compile runs in one.)
    """
    assert compile_(capsys)[0] == 0
    old = tree(project / "generated")
    for name in edited:
        edit_site(project, name, *(MOVE_ALPHA if name == "alpha" else MOVE_BETA))
    assert compile_(capsys, "-o", "new")[0] == 0
    new = tree(project / "new")
    saved = project / "saved"
    shutil.copytree(project / "generated", saved, symlinks=True)
    operations = ("link", "rename", "replace", "mkdir", "chmod")
    with monkeypatch.context() as patch:
        counter = [0]
        for name in operations:
            patch.setattr(writer.os, name, _kill_at(-1, counter)(getattr(os, name)))
        patch.setattr(writer, "_exchange", _kill_at(-1, counter)(writer._exchange))
        assert compile_(capsys, "-j", "1")[0] == 0           # one process: the steps counted are the writer's
        steps = counter[0]
    assert steps > 20
    outcomes = []
    for step in sorted({1, 2, steps - 2, steps - 1, steps, *random.Random(steps).sample(range(3, steps), 12)}):
        shutil.rmtree(project / "generated")
        shutil.copytree(saved, project / "generated", symlinks=True)
        with monkeypatch.context() as patch:
            counter = [0]
            for name in operations:
                patch.setattr(writer.os, name, _kill_at(step, counter)(getattr(os, name)))
            patch.setattr(writer, "_exchange", _kill_at(step, counter)(writer._exchange))
            with pytest.raises(_Killed):
                main(["compile", "sites", "--no-cache", "-j", "1"])
        capsys.readouterr()
        state = tree(project / "generated")
        assert state in (old, new), f"killed at step {step} of {steps}: neither the old folder nor the new one"
        outcomes.append(state == new)
        assert compile_(capsys)[0] == 0 and tree(project / "generated") == new
        assert leftovers(project) == []                  # the dead compile's staging tree is cleaned up
    assert outcomes[0] is False and outcomes[-1] is True, outcomes


def test_a_compile_killed_by_a_signal_leaves_the_old_folder_or_the_new_one(project: Path) -> None:
    """The same with real SIGKILLs of a `gwc compile` process, at moments spread over its run."""
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    command = [sys.executable, "-m", "gwlang", "compile", "sites", "--no-cache"]

    def run() -> float:
        started = time.monotonic()
        subprocess.run(command, env=environment, check=True, capture_output=True)
        return time.monotonic() - started

    run()
    old = tree(project / "generated")
    saved = project / "saved"
    shutil.copytree(project / "generated", saved, symlinks=True)
    edit_site(project, "alpha", *MOVE_ALPHA)
    edit_site(project, "beta", *MOVE_BETA)
    duration = run()
    new = tree(project / "generated")
    for delay in _spread(duration):
        shutil.rmtree(project / "generated")
        shutil.copytree(saved, project / "generated", symlinks=True)
        process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert tree(project / "generated") in (old, new), f"killed after {delay:.2f} s of {duration:.2f} s"
    run()
    assert tree(project / "generated") == new and leftovers(project) == []


def _spread(duration: float) -> Iterator[float]:
    """Moments over the run, most of them near its end, where the writer works."""
    yield from (duration * fraction for fraction in (0.3, 0.6, 0.8, 0.9, 0.95, 1.0, 1.05))


def test_worker_processes_give_the_same_folder_and_the_same_diagnostics_as_one_process(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys, "-o", "one", "-j", "1")[0] == 0
    code, out, err = compile_(capsys, "-o", "three", "-j", "3")
    assert code == 0, err
    assert tree(project / "one") == tree(project / "three") and "3 sites, 24 nodes" in out
    edit_site(project, "beta", "memory = 64GiB;", "memory = 64;")
    edit_site(project, "gamma", "cpus = 16;", "cpus = 16; colour = 1;")
    one, three = compile_(capsys, "-o", "one", "-j", "1"), compile_(capsys, "-o", "three", "-j", "3")
    assert one[0] == three[0] == 1 and one[2] == three[2]
    assert "sites/beta.gw:7:" in one[2] and "sites/gamma.gw:7:" in one[2] and "E0404" in one[2]
    assert tree(project / "one") == tree(project / "three")          # both left as they were


def test_a_mac_clash_across_sites_is_found_with_worker_processes(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = ("  node extra : lab-wn { host = gw; ip = hostIn site.network.subnet 40; "
             "network.interfaces.eth0.mac = 00:16:3e:00:00:2a; }\n}")
    for name in ("alpha", "gamma"):
        edit_site(project, name, "\n}", "\n" + extra)
    code, _, err = compile_(capsys, "-j", "2")
    assert code == 1 and err.count("error[E0503]") == 1, err
    assert "node `extra` of site `alpha` and interface `eth0` of node `extra` of site `gamma`" in err, err
    assert not (project / "generated").exists()


def test_a_compile_stopped_early_stops_its_worker_processes(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    def stop(self: writer.TreeWriter, artifact: object) -> None:
        raise _Killed()

    monkeypatch.setattr(writer.TreeWriter, "add", stop)
    with pytest.raises(_Killed):
        main(["compile", "sites", "--no-cache", "-j", "2"])
    assert multiprocessing.active_children() == []
    assert not (project / "generated").exists() and leftovers(project) == []


WORKER_DIES = """
import os, signal, sys
from gwlang import pipeline
from gwlang.cli import main
compile_one = pipeline._compile_one

def dying(program, site, keep_model=False):
    if site.name == "beta":
        os.kill(os.getpid(), signal.SIGKILL)          # as the kernel's OOM killer would
    return compile_one(program, site, keep_model)

pipeline._compile_one = dying
sys.exit(main(["compile", "sites", "--no-cache", "-j", "2"]))
"""


def test_a_worker_process_that_dies_fails_the_compile_instead_of_hanging(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_(capsys)[0] == 0
    before = tree(project / "generated")
    edit_site(project, "alpha", *MOVE_ALPHA)
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run([sys.executable, "-c", WORKER_DIES], env=environment, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("gwc: error: a worker process died") and "`-j 1`" in done.stderr, done.stderr
    assert tree(project / "generated") == before and leftovers(project) == []


# ---------------------------------------------------------------- file modes

NETPLAN_CASE = Path(__file__).resolve().parent / "cases/guest/netplan.gw"
NETPLAN_FILE = "netplan/nodes/wn01/overlay/etc/netplan/50-gwlang.yaml"


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_netplan_files_are_written_readable_by_their_owner_only(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """netplan warns "Permissions for /etc/netplan/... are too open" of a file others can read."""
    output = tmp_path / "out"
    assert main(["compile", str(NETPLAN_CASE), "-o", str(output), "--no-cache"]) == 0
    assert mode(output / NETPLAN_FILE) == 0o600
    assert mode(output / "netplan/nodes/wn01/overlay/etc/hosts") == 0o644
    assert mode(output / "netplan/nodes/wn01/reconfigure.sh") == 0o755


def test_cloud_init_files_are_compiled_and_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A NoCloud node's `user-data` carries its netplan file, so it is as private; `--check` sees a change to it."""
    output = tmp_path / "out"
    assert main(["compile", str(NETPLAN_CASE), "-o", str(output), "--no-cache"]) == 0
    user_data = output / "netplan/nodes/se/cloud-init/user-data"
    assert user_data.read_text().startswith("#cloud-config\nwrite_files:\n")
    assert mode(user_data) == 0o600
    assert (output / "netplan/nodes/se/cloud-init/meta-data").read_text().endswith('local-hostname: "se"\n')
    assert not (output / "netplan/nodes/wn01/cloud-init").exists()      # an ext4 config disk has no cloud-init
    user_data.write_text(user_data.read_text().replace("permissions: '0o600'", "permissions: '0o644'"))
    capsys.readouterr()
    assert main(["compile", str(NETPLAN_CASE), "-o", str(output), "--check"]) == 1
    assert re.search(r"  changed +netplan/nodes/se/cloud-init/user-data\n", capsys.readouterr().err)


def test_a_checked_out_netplan_file_is_current_for_check_and_put_right_by_compile(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Git keeps only the executable bit: a clone has the file at 0644, which `--check` accepts and compile fixes."""
    output = tmp_path / "out"
    assert main(["compile", str(NETPLAN_CASE), "-o", str(output), "--no-cache"]) == 0
    (output / NETPLAN_FILE).chmod(0o644)
    assert main(["compile", str(NETPLAN_CASE), "-o", str(output), "--check"]) == 0
    capsys.readouterr()
    assert main(["compile", str(NETPLAN_CASE), "-o", str(output), "--no-cache"]) == 0
    assert ": 1 files written" in capsys.readouterr().out
    assert mode(output / NETPLAN_FILE) == 0o600
