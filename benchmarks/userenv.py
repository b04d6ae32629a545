"""Run the measured processes as on a user's machine."""

from __future__ import annotations

import compileall
import os
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
