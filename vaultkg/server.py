"""``serve``: a local Oxigraph server (the ``oxigraph`` package's own server and query UI) on a
build, following rebuilds of the folder, stopped cleanly with Ctrl-C.

The server reads a snapshot of the build's query store (a RocksDB checkpoint: hard links to its
immutable files, made in milliseconds) kept beside the build folder, never the store itself: a
rebuild writes that store in place, and a read-only reader of a database another process writes
is undefined behaviour in RocksDB. When a rebuild has been published, the server is started again
on a snapshot of the new build (the port is unanswered for a fraction of a second)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from .errors import InputError, VaultkgError
from .outputdir import OutputBusy, locked
from .querying import STORE_DIR, build_stamp, prepare_store, store_lock


class ServerError(VaultkgError):
    """The server cannot start (no oxigraph binary, port taken …)."""


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        raise ServerError("the 'oxigraph' server is not installed (pip install oxigraph)")
    return found


def snapshots_dir(output: Path) -> Path:
    """Where ``serve`` keeps its snapshots of ``output``'s store: beside the folder (a build swaps
    the folder itself), on the same file system (so that a snapshot is hard links)."""
    return output.parent / f".{output.name}.vaultkg-serve"


def _drop_stale_snapshots(output: Path) -> None:
    """Remove the snapshots of servers that ended without removing theirs (killed)."""
    try:
        entries = list(snapshots_dir(output).iterdir())
    except OSError:
        return
    for entry in entries:
        pid = entry.name.partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _snapshot(output: Path, number: int, stopping: list[int]) -> tuple[Path, str | None]:
    """A snapshot of the store of the build now in ``output`` (made first if need be), taken
    while no build writes the folder; with the build stamp it holds. (Waiting for a build to end,
    it gives up when a stop is requested: the snapshot's folder is then empty.)"""
    tries = 0
    while not stopping:
        try:
            with locked(output), store_lock(output):  # no build, and no query replacing the store
                stamp = build_stamp(output)
                prepare_store(output)
                target = snapshots_dir(output) / f"{os.getpid()}-{number}"
                shutil.rmtree(target, ignore_errors=True)
                target.parent.mkdir(parents=True, exist_ok=True)
                ox.Store.read_only(str(output / STORE_DIR / "data")).backup(str(target))
                return target, stamp
        except OutputBusy:  # a build is writing the folder: take the snapshot once it is done
            time.sleep(0.2)
        except OSError:  # the store could not be read just then: once more
            tries += 1
            if tries == 3:
                raise
            time.sleep(0.2)
    return snapshots_dir(output) / f"{os.getpid()}-{number}", None


def _start(location: Path, bind: str) -> subprocess.Popen[bytes]:
    """``oxigraph serve-read-only`` on ``location``, once it answers."""
    proc = subprocess.Popen(
        [oxigraph_binary(), "serve-read-only", "--location", str(location), "--bind", bind, "--union-default-graph"],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://{bind}/query?query=ASK%7B%7D", timeout=1):
                return proc
        except OSError as exc:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise ServerError(f"oxigraph did not start on {bind}: {_reason(err)}") from exc
            if time.monotonic() > deadline:
                _stop(proc)
                raise ServerError(f"oxigraph did not answer on {bind} within 30 s") from None
            time.sleep(0.05)


def _reason(stderr: str) -> str:
    """What oxigraph said when it would not start: its ``Error:`` line, not the backtrace that
    follows it where ``RUST_BACKTRACE`` is set.

    >>> _reason("Error: Address already in use (os error 98)\\n\\nStack backtrace:\\n   0: main\\n")
    'Address already in use (os error 98) (is another server on that port? give another --bind)'
    """
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said = next((line.removeprefix("Error:").strip() for line in lines if line.startswith("Error:")), None)
    said = said or (lines[0] if lines else "?")
    if "Address already in use" in said:
        said += " (is another server on that port? give another --bind)"
    return said


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()  # not SIGINT: a server started from a background job ignores it
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve(
    output: Path,
    bind: str,
    *,
    on_ready: Callable[[str], None] | None = None,
    on_reload: Callable[[str], None] | None = None,
    interval: float = 1.0,
) -> None:
    """Serve ``output``'s graph read-only at ``bind`` (host:port) until Ctrl-C or SIGTERM,
    serving each later build of the folder once it is published (looked for every ``interval`` s).

    A stop request only sets a flag that the loop looks at (a ``KeyboardInterrupt`` raised at any
    point could leave a lock of ``subprocess`` taken, and the server then waited on it forever)."""
    if not (output / "graph.nq").is_file():
        raise InputError(f"{output}: no graph.nq here; run 'vaultkg build' first")
    url = f"http://{bind}/"
    stopping: list[int] = []
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig, handler in previous.items():
        if handler != signal.SIG_IGN:  # a job started with `&` ignores Ctrl-C: so does its server
            signal.signal(sig, lambda signum, _frame: stopping.append(signum))
    snapshots: list[Path] = []
    proc: subprocess.Popen[bytes] | None = None
    try:
        _drop_stale_snapshots(output)
        location, served = _snapshot(output, 0, stopping)
        snapshots.append(location)
        if stopping:  # Ctrl-C while a build held the folder: nothing was served
            return
        proc = _start(location, bind)
        if on_ready:
            on_ready(url)
        look, taken = time.monotonic() + interval, 1
        while not stopping:
            time.sleep(0.05)
            if time.monotonic() < look:
                continue
            look = time.monotonic() + interval
            if proc.poll() is not None:
                raise ServerError(f"oxigraph on {bind} stopped (exit code {proc.returncode})")
            if build_stamp(output) in (served, None):
                continue
            location, served = _snapshot(output, taken, stopping)  # a new name: the old one is in use
            snapshots.append(location)
            taken += 1
            if stopping:
                break
            _stop(proc)
            proc = _start(location, bind)
            shutil.rmtree(snapshots.pop(0), ignore_errors=True)
            if on_reload:
                on_reload(url)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc is not None:
            _stop(proc)
        for location in snapshots:
            shutil.rmtree(location, ignore_errors=True)
        with contextlib.suppress(OSError):  # removed only when no other server keeps snapshots there
            snapshots_dir(output).rmdir()
