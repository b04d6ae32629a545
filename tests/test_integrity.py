"""Output integrity: a build killed at any moment leaves the old build or the new one, never a mix;
two builds of one folder do not run at once; what else lives in the folder survives a build."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from vaultkg import build
from vaultkg.cli import cli
from vaultkg.outputdir import locked

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate

OUTPUTS = ("graph.ttl", "graph.jsonld", "context.jsonld", "graph.nq", "sourcemap.json", "void.ttl", "report.json")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS if (folder / name).exists()}


@pytest.mark.slow
def test_a_build_killed_at_any_moment_leaves_old_or_new_never_a_mix(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    generate(vault, 600, seed=3)
    out = tmp_path / "out"
    build(vault, out)
    old = snapshot(out)
    (vault / "Countries" / "Added.md").write_text("---\ntype: country\n---\nNew note.\n")
    build(vault, tmp_path / "expected")
    new = snapshot(tmp_path / "expected")
    assert old != new
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vaultkg", "build", str(vault), "-o", str(tmp_path / "timing"), "-q"],
                   check=True)  # fmt: skip
    duration = time.perf_counter() - started
    outcomes = set()
    for i in range(12):
        proc = subprocess.Popen([sys.executable, "-m", "vaultkg", "build", str(vault), "-o", str(out), "-q"])
        time.sleep(duration * (0.3 + 0.7 * i / 11))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = snapshot(out)
        assert state in (old, new), f"kill {i}: the folder holds a mix of two builds"
        outcomes.add("new" if state == new else "old")
        if state == new:  # go back to the old build for the next round
            (vault / "Countries" / "Added.md").rename(tmp_path / "Added.md")
            build(vault, out)
            (tmp_path / "Added.md").rename(vault / "Countries" / "Added.md")
    assert "old" in outcomes  # some kills did land in the middle of a build
    build(vault, out)  # and a later build recovers whatever a kill left behind
    assert snapshot(out) == new
    assert not list(tmp_path.glob(".out.vaultkg-staging-*"))


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found.update(int(c) for c in text.split())
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has ended; only its parent's wait is missing


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_killed_build_takes_its_workers_and_its_lock_with_it(tmp_path: Path) -> None:
    """Worker processes end with the build that forked them and never hold the folder's lock."""
    vault = tmp_path / "vault"
    generate(vault, 800, seed=5)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "vaultkg", "build", str(vault), "-o", str(out), "-q"])
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers |= _children(proc.pid)
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert workers, "the build never started its workers"
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if _alive(w)], "workers outlived the killed build"
    with locked(out):  # free at once: no worker kept the lock
        pass
    build(vault, out)  # and a new build of the folder goes through
    assert (out / "graph.nq").is_file()


def test_two_builds_of_one_folder_do_not_run_at_once(tmp_path: Path, example_build: Path) -> None:
    out = tmp_path / "out"
    with locked(out):
        result = CliRunner().invoke(cli, ["build", str(ROOT / "tests" / "vaults" / "minimal"), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"vaultkg: error: {out}: another vaultkg build is writing this folder "
        f"({tmp_path / '.out.vaultkg.lock'} is locked); wait for it to finish and run again\n"
    )
    assert not out.exists()


def test_what_else_lives_in_the_folder_survives_a_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    minimal = tmp_path / "minimal"
    shutil.copytree(ROOT / "tests" / "vaults" / "minimal", minimal)
    build(minimal, out)
    (out / ".vaultkg-load").mkdir()
    (out / ".vaultkg-load" / "abc.json").write_text("{}")
    (out / "NOTES.txt").write_text("mine")
    inode = os.stat(out).st_ino
    (minimal / "Another.md").write_text("# Another\n\nA new note.\n")  # new bytes: the folder is written
    build(minimal, out)
    assert (out / ".vaultkg-load" / "abc.json").read_text() == "{}"
    assert (out / "NOTES.txt").read_text() == "mine"
    assert os.stat(out).st_ino != inode  # the folder was swapped as a whole
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.vaultkg.lock", "minimal", "out"]
