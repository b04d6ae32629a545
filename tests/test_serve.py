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

from conftest import _free_port


def test_serve_builds_serves_and_stops_cleanly(example_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "vaultkg", "serve", "-o", str(out), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
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
