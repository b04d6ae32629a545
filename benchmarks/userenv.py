"""Run the measured processes as on a user's machine."""

from __future__ import annotations

import atexit
import compileall
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def like_a_user() -> None:
    """Let Python keep the modules' bytecode, as it does by default (pip compiles it on install, or
    the first run writes it): with ``PYTHONDONTWRITEBYTECODE`` set and stale caches — as on the
    machine these benchmarks were first run on — every ``vaultkg`` process would compile the
    changed modules again (~0.05 s each). The processes the benchmark starts inherit this."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    for package in ("vaultkg", "converters"):
        compileall.compile_dir(str(ROOT / package), quiet=1)
    atexit.register(_same_sources, _digest())


def _digest() -> str:
    from vaultkg.resources import code_digest

    return code_digest()


def _same_sources(before: str) -> None:
    """Say so when vaultkg's sources changed while the benchmark ran: build caches are kept only
    for the code that wrote them, so every incremental figure then measured a whole conversion."""
    now = _digest()
    if now != before:
        print(f"benchmark: vaultkg's sources changed while it ran (code digest {before} -> {now}): the "
              "build caches written before were turned down since; run it again", file=sys.stderr)  # fmt: skip
