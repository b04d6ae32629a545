"""Run queries side by side: pyoxigraph lets go of the GIL while it evaluates a query, so two
threads answer two queries on two cores (SHACL rules on a 10,000-note graph: 2.1 s → 1.2 s)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def thread_map(fn: Callable[[T], R], items: Sequence[T], workers: int | None = None) -> list[R]:
    """``list(map(fn, items))`` on up to ``workers`` threads (default: the cores, at most 4), in order;
    the first exception raised by ``fn`` is raised here."""
    count = min(workers or min(4, os.cpu_count() or 1), len(items))
    if count <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(fn, items))
