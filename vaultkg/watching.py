"""``vaultkg build --watch``: build again whenever something the build reads changes.

The vault is polled (no watcher library, no platform API): every ``interval`` the notes are
listed with their modification times and sizes, as the build itself lists them, together with
the other files a build reads (the config, accepted Wikidata links and facts, Obsidian's template
settings). A change is built once it has settled — the same for one more interval — since editors
and sync tools write a file in several steps. A rebuild is incremental (the build cache), so
after one edit it takes about as long as the edit's notes take to convert.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .config import CONFIG_NAMES, TEMPLATE_SETTINGS, load_config
from .errors import VaultkgError
from .linking import FACTS_FILE, LINK_FILE
from .vault import scan_vault

#: ``(note stamps, other files' stamps)``: equal while nothing the build reads has changed.
Fingerprint = tuple[tuple[tuple[str, tuple[int, int]], ...], tuple[tuple[str, tuple[int, int] | None], ...]]


def fingerprint(vault: Path, output: Path, config: Path | None = None) -> Fingerprint:
    """What the build would read, by modification time and size."""
    extra = [vault / name for name in (*CONFIG_NAMES, LINK_FILE, FACTS_FILE)]
    extra += [vault / name for name, _ in TEMPLATE_SETTINGS]
    if config is not None:
        extra.append(config)
    try:
        cfg, _ = load_config(config, vault=vault)
        paths, _, stamps = scan_vault(vault, cfg, (output,))
        notes = tuple((p, stamps.get(p, (0, 0))) for p in paths)
    except VaultkgError:  # a broken config: its own stamp still tells when it is mended
        notes = ()
    return notes, tuple((str(p), _stamp(p)) for p in extra)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def watch(
    build_once: Callable[[], None],
    current: Callable[[], object],
    *,
    interval: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    rounds: int | None = None,
) -> None:
    """Call ``build_once()`` now and again each time ``current()`` changes and then holds for
    one more ``interval``; until interrupted (or, for tests, after ``rounds`` rebuilds)."""
    last = current()
    build_once()
    done = 0
    while rounds is None or done < rounds:
        sleep(interval)
        now = current()
        if now == last:
            continue
        while True:  # settled: unchanged for one more interval
            sleep(interval)
            again = current()
            if again == now:
                break
            now = again
        last = now
        build_once()
        done += 1
