"""`vaultkg serve`: a real Oxigraph server on the build, answering SPARQL, stopped by Ctrl-C."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from conftest import _free_port


def _serve(example_build: Path, tmp_path: Path, **popen: Any) -> tuple[Path, int, subprocess.Popen[str]]:
    """`vaultkg serve` on a copy of the example build, on a free loopback port."""
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "vaultkg", "serve", "-o", str(out), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)  # fmt: skip
    return out, port, proc


def test_serve_builds_serves_and_stops_cleanly(example_build: Path, tmp_path: Path) -> None:
    out, port, proc = _serve(example_build, tmp_path)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line == f"serving {out} at http://127.0.0.1:{port}/ (Ctrl-C stops)\n"
        query = urllib.parse.urlencode({"query": "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"})
        req = urllib.request.Request(f"http://127.0.0.1:{port}/query?{query}", headers={"Accept": "text/csv"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.read().decode().splitlines() == ["n", "35"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
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
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
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
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    assert load.returncode == 2
    assert load.stderr == (
        f"vaultkg: error: http://127.0.0.1:{port}/store: the store refused PUT: 403 Forbidden: the store takes "
        "no writes from these credentials, or none at all (it says: The server is read-only)\n"
    )
