"""`vaultkg serve`: a real Oxigraph server on the build, answering SPARQL, stopped by Ctrl-C."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import EXAMPLE_VAULT, _free_port

from vaultkg import build
from vaultkg.server import snapshots_dir


def _serve(example_build: Path, tmp_path: Path, **popen: Any) -> tuple[Path, int, subprocess.Popen[str]]:
    """`vaultkg serve` on a copy of the example build, on a free loopback port."""
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "vaultkg", "serve", "-o", str(out), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)  # fmt: skip
    return out, port, proc


def _stopped(proc: subprocess.Popen[str], sig: int) -> int | None:
    """Send ``sig`` and wait for the exit code; a server that does not stop is killed (not left
    running after the test) and gives ``None``."""
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def _graphs(port: int, base: str = "https://example.org/vault/") -> int:
    """How many named graphs the server at ``port`` has under ``base``."""
    sparql = (
        f'SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{base}")) }}'
    )
    query = urllib.parse.urlencode({"query": sparql})
    req = urllib.request.Request(f"http://127.0.0.1:{port}/query?{query}", headers={"Accept": "text/csv"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return int(resp.read().decode().splitlines()[1])


def test_serve_builds_serves_and_stops_cleanly(example_build: Path, tmp_path: Path) -> None:
    out, port, proc = _serve(example_build, tmp_path)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line == f"serving {out} at http://127.0.0.1:{port}/ (Ctrl-C stops)\n"
        assert _graphs(port) == 35
    finally:
        assert _stopped(proc, signal.SIGINT) == 0
    time.sleep(0.2)
    leftover = subprocess.run(["pgrep", "-f", f"127.0.0.1:{port}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""


def test_serve_started_in_the_background_stops_at_once_on_sigterm(example_build: Path, tmp_path: Path) -> None:
    """A job started with `&` from a script ignores SIGINT, and so does the server it starts:
    SIGTERM still stops both at once (not after the grace period)."""
    _, port, proc = _serve(example_build, tmp_path, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("serving ")
    finally:
        started = time.monotonic()
        assert _stopped(proc, signal.SIGTERM) == 0
    assert time.monotonic() - started < 3
    leftover = subprocess.run(["pgrep", "-f", f"127.0.0.1:{port}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""


def test_loading_into_the_read_only_served_store_is_refused_in_its_own_words(
    example_build: Path, tmp_path: Path
) -> None:
    out, port, proc = _serve(example_build, tmp_path)
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("serving ")
        load = subprocess.run([sys.executable, "-m", "vaultkg", "load", "-o", str(out),
                               "--endpoint", f"http://127.0.0.1:{port}", "--store", "oxigraph"],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
    finally:
        assert _stopped(proc, signal.SIGINT) == 0
    assert load.returncode == 2
    assert load.stderr == (
        f"vaultkg: error: http://127.0.0.1:{port}/store: the store refused PUT: 403 Forbidden: the store takes "
        "no writes from these credentials, or none at all (it says: The server is read-only)\n"
    )


def _lines(proc: subprocess.Popen[str]) -> Callable[[], str]:
    """Each call: the process's next line of output, or "" after 30 s without one (no hang)."""
    lines: queue.Queue[str] = queue.Queue()
    stream = proc.stdout
    assert stream is not None

    def pump() -> None:
        for text in stream:
            lines.put(text)

    threading.Thread(target=pump, daemon=True).start()

    def next_line() -> str:
        try:
            return lines.get(timeout=30)
        except queue.Empty:
            return ""

    return next_line


def test_serve_follows_rebuilds_from_a_snapshot_it_removes_at_the_end(tmp_path: Path) -> None:
    """A rebuild writes the query store in place: the server reads a snapshot of it (a reader of a
    RocksDB another process writes is undefined behaviour) and serves each new build once built."""
    vault, out = tmp_path / "vault", tmp_path / "out"
    shutil.copytree(EXAMPLE_VAULT, vault)
    build(vault, out)
    snapshots = snapshots_dir(out)
    stale = snapshots / "999999999-0"  # left by a server that was killed: no such process
    stale.mkdir(parents=True)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "vaultkg", "serve", "-o", str(out), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        line = _lines(proc)
        assert line().startswith("serving ")
        assert _graphs(port) == 35 and not stale.exists()
        [served] = list(snapshots.iterdir())
        (vault / "Kuwait.md").write_text("---\ntype: country\n---\nNear [[Iraq]].\n", encoding="utf-8")
        build(vault, out)  # one more note graph; the build replaces it in the store, in place
        assert line() == f"serving the new build of {out} at http://127.0.0.1:{port}/\n"
        assert _graphs(port) == 36
        [second] = list(snapshots.iterdir())
        assert not served.exists() and second.name != served.name
        build(vault, out, base="https://other.example/kb/")  # every graph changes: the store is made anew
        assert line().startswith("serving the new build of ")
        assert _graphs(port, "https://other.example/kb/") == 36 and _graphs(port) == 0
        [third] = list(snapshots.iterdir())  # the one served: each snapshot has a name of its own
        assert third.name not in (served.name, second.name) and (third / "CURRENT").is_file()
    finally:
        assert _stopped(proc, signal.SIGINT) == 0
    assert not snapshots.exists()


def test_a_port_in_use_is_said_in_one_line(example_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "vaultkg", "serve", "-o", str(out), "--bind", f"127.0.0.1:{port}"]
        environment = {**os.environ, "RUST_BACKTRACE": "1"}  # oxigraph then prints a backtrace after its error
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment)
    assert result.returncode == 2
    assert result.stderr == (f"vaultkg: error: oxigraph did not start on 127.0.0.1:{port}: Address already in use "
                             "(os error 98) (is another server on that port? give another --bind)\n")  # fmt: skip
    assert not snapshots_dir(out).exists()


def test_ctrl_c_while_a_build_holds_the_folder_leaves_at_once(example_build: Path, tmp_path: Path) -> None:
    from vaultkg.outputdir import locked

    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    with locked(out):  # as a build does while it writes the folder: serve waits for it to end
        proc = subprocess.Popen([sys.executable, "-m", "vaultkg", "serve", "-o", str(out), "--bind", "127.0.0.1:9"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        time.sleep(1.5)
        assert proc.poll() is None
        code = _stopped(proc, signal.SIGINT)
    assert code == 0 and proc.stdout is not None and proc.stdout.read() == ""
    assert not snapshots_dir(out).exists()
