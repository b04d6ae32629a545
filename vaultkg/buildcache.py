"""The build cache: what the last build of a folder read and converted, so the next build reads
only changed files and converts only changed notes (when the vault's name index, the config and
the accepted links are unchanged). Kept in ``output/.vaultkg-cache/``; safe to delete."""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from converters.assemble import NoteResult

from . import __version__
from .vault import ReadNote
from .writers import rdf_bytes

CACHE_DIR = ".vaultkg-cache"
CACHE_FILE = "build.pickle"
RACY_NS = 2_000_000_000


def pack(r: NoteResult) -> tuple[Any, ...]:
    """A note's result in a form that pickles fast (its triples as N-Triples)."""
    return (r.path, r.graph, *_pack(r.triples), *_pack(r.vault), r.diagnostics, r.unresolved, r.attachments,
            r.notices, r.claims)  # fmt: skip


def unpack(packed: tuple[Any, ...]) -> NoteResult:
    path, graph, nt, lines, vnt, vlines, diagnostics, unresolved, attachments, notices, claims = packed
    return NoteResult(path, graph, _unpack(nt, lines), _unpack(vnt, vlines), diagnostics, unresolved, attachments,
                      notices, claims)  # fmt: skip


def _pack(triples: list[tuple[ox.Triple, int]]) -> tuple[bytes, list[int]]:
    return rdf_bytes([t for t, _ in triples], ox.RdfFormat.N_TRIPLES), [line for _, line in triples]


def _unpack(data: bytes, lines: list[int]) -> list[tuple[ox.Triple, int]]:
    triples = [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)] if data else []
    return list(zip(triples, lines, strict=True))


@dataclass(slots=True)
class BuildCache:
    """Notes as read (by path, with the file's time and size) and their packed results."""

    version: str = __version__
    vault: str = ""
    digest: str = ""
    read: dict[str, ReadNote] = field(default_factory=dict)
    results: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    saved_ns: int = 0  # when the cache was written

    def earlier_results(self, unchanged: set[str]) -> Mapping[str, NoteResult]:
        """Results of notes whose files are unchanged, unpacked only when used."""
        return _Lazy({p: self.results[p] for p in unchanged if p in self.results})


class _Lazy(Mapping[str, NoteResult]):
    """Unpacks all the earlier results at once (one N-Triples parse for all), on first use."""

    def __init__(self, packed: dict[str, tuple[Any, ...]]) -> None:
        self._packed = packed
        self._results: dict[str, NoteResult] | None = None

    def _all(self) -> dict[str, NoteResult]:
        if self._results is None:
            self._results = unpack_many(self._packed)
        return self._results

    def __getitem__(self, path: str) -> NoteResult:
        return self._all()[path]

    def __contains__(self, path: object) -> bool:
        return path in self._packed

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)


def unpack_many(packed: Mapping[str, tuple[Any, ...]]) -> dict[str, NoteResult]:
    """Unpack many results with a single parse of all their N-Triples (much faster than one
    parse per note)."""
    chunks = [part for p in packed.values() for part in (p[2], p[4])]
    triples = [q.triple for q in ox.parse(b"".join(chunks), format=ox.RdfFormat.N_TRIPLES)] if chunks else []
    out: dict[str, NoteResult] = {}
    at = 0
    for path, (
        p_path,
        graph,
        _nt,
        lines,
        _vnt,
        vlines,
        diagnostics,
        unresolved,
        attachments,
        notices,
        claims,
    ) in packed.items():
        own = list(zip(triples[at : at + len(lines)], lines, strict=True))
        at += len(lines)
        shared = list(zip(triples[at : at + len(vlines)], vlines, strict=True))
        at += len(vlines)
        out[path] = NoteResult(p_path, graph, own, shared, diagnostics, unresolved, attachments, notices, claims)
    return out


def load_cache(output: Path, vault: Path) -> BuildCache:
    """The cache of the last build into ``output`` from ``vault``; empty when absent or unusable."""
    try:
        with open(output / CACHE_DIR / CACHE_FILE, "rb") as handle:
            cache = pickle.load(handle)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return BuildCache(vault=str(vault.resolve()))
    if not isinstance(cache, BuildCache) or cache.version != __version__ or cache.vault != str(vault.resolve()):
        return BuildCache(vault=str(vault.resolve()))
    # "racy" entries: a file changed within RACY_NS of the cache being written could change again
    # without its time or size showing it (coarse file-system clocks) — read those again
    racy = {p for p, r in cache.read.items() if r.stamp[0] >= cache.saved_ns - RACY_NS}
    for path in racy:
        cache.read.pop(path, None)
        cache.results.pop(path, None)
    return cache


def save_cache(output: Path, cache: BuildCache) -> None:
    folder = output / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    cache.saved_ns = time.time_ns()
    tmp = folder / f".{CACHE_FILE}.{os.getpid()}.tmp"
    with open(tmp, "wb") as handle:
        pickle.dump(cache, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, folder / CACHE_FILE)
