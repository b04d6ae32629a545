"""``serve``: a local Oxigraph server (the ``oxigraph`` package's own server and query UI) on a
build, stopped cleanly with Ctrl-C."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .errors import InputError, VaultkgError
from .querying import STORE_DIR, open_store


class ServerError(VaultkgError):
    """The server cannot start (no oxigraph binary, port taken …)."""


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        raise ServerError("the 'oxigraph' server is not installed (pip install oxigraph)")
    return found


def serve(output: Path, bind: str, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``output``'s graph read-only at ``bind`` (host:port) until interrupted."""
    if not (output / "graph.nq").is_file():
        raise InputError(f"{output}: no graph.nq here; run 'vaultkg build' first")
    open_store(output)  # builds (or reuses) output/.vaultkg-store from graph.nq
    location = output / STORE_DIR / "data"
    proc = subprocess.Popen(
        [oxigraph_binary(), "serve-read-only", "--location", str(location), "--bind", bind, "--union-default-graph"],
        stderr=subprocess.PIPE,
    )
    url = f"http://{bind}/"
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)  # stop the child on SIGTERM too
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "query?query=ASK%7B%7D", timeout=1):
                    break
            except OSError as exc:
                if proc.poll() is not None:
                    err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
                    last = err.splitlines()[-1] if err else "?"
                    raise ServerError(f"oxigraph did not start on {bind}: {last}") from exc
                if time.monotonic() > deadline:
                    raise ServerError(f"oxigraph did not answer on {bind} within 30 s") from None
                time.sleep(0.1)
        if on_ready:
            on_ready(url)
        proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.terminate()  # not SIGINT: a server started from a background job ignores it
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
