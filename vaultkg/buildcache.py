"""The build cache: what the last build of a folder read and converted, so the next build reads
only changed files and converts only changed notes (when the vault's name index, the config and
the accepted links are unchanged), and where each graph stands in the files it wrote (their
bytes are taken from the files themselves, while they are unchanged: :mod:`vaultkg.splice`).
Kept in ``output/.vaultkg-cache/``; safe to delete."""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from converters import Diagnostic
from converters.assemble import NoteResult

from . import __version__
from .fragments import GraphPart
from .gctools import gc_paused
from .resources import code_digest
from .splice import Layout
from .vault import ReadNote, note_fields, note_from
from .writers import rdf_bytes

CACHE_DIR = ".vaultkg-cache"
CACHE_FILE = "build.pickle"
DELTA_FILE = "build.delta.pickle"
LAYOUT_FILE = "layout.pickle"  # written after the files it describes, with the token of its cache
RACY_NS = 2_000_000_000
_CHUNK = 1000  # notes per pickled chunk
FORMAT = 20  # bump when what the cache holds changes: an older cache is then ignored
#: The cache is used only by the code that wrote it (see :func:`~vaultkg.resources.code_digest`)
#: and the pyoxigraph that rendered its graphs: a conversion or a serializer that changed makes
#: every note convert again, not keep its old results
_HEADER = (FORMAT, __version__, code_digest(), ox.__version__)


def pack(r: NoteResult, *, rendered: bool = False) -> tuple[Any, ...]:
    """A note's result in a form that pickles fast (its triples as N-Triples). With ``rendered``
    its graph's N-Triples are left out (``None``): they are in its rendered graph's N-Quads."""
    if r.lines is not None:  # converted light: N-Triples and lines only
        nt, lines = None if rendered else r.ntriples, r.lines
    else:
        nt = None if rendered else rdf_bytes([t for t, _ in r.triples], ox.RdfFormat.N_TRIPLES)
        lines = [line for _, line in r.triples]
    return (r.path, r.graph, nt, lines, *_pack(r.vault), r.diagnostics, r.unresolved,
            r.attachments, r.notices, r.claims)  # fmt: skip


def unpack(packed: tuple[Any, ...]) -> NoteResult:
    path, graph, nt, lines, vnt, vlines, diagnostics, unresolved, attachments, notices, claims = packed
    return NoteResult(path, graph, _unpack(nt, lines), _unpack(vnt, vlines), diagnostics, unresolved, attachments,
                      notices, claims)  # fmt: skip


def light(packed: tuple[Any, ...]) -> NoteResult:
    """A packed result without its triples (:attr:`NoteResult.rendered`): its graph is rendered."""
    path, graph, _nt, _lines, _vnt, _vlines, diagnostics, unresolved, attachments, notices, claims = packed
    return NoteResult(path, graph, [], [], diagnostics, unresolved, attachments, notices, claims, rendered=True)


def vault_triples(packed: Iterable[tuple[Any, ...]]) -> list[ox.Triple]:
    """The vault-graph triples of packed results, each once (one parse of the distinct lines)."""
    lines: set[bytes] = set()
    for one in packed:
        lines.update(one[4].splitlines(keepends=True))
    data = b"".join(sorted(lines))
    return [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)] if data else []


def _pack(triples: list[tuple[ox.Triple, int]]) -> tuple[bytes, list[int]]:
    return rdf_bytes([t for t, _ in triples], ox.RdfFormat.N_TRIPLES), [line for _, line in triples]


def _unpack(data: bytes, lines: list[int]) -> list[tuple[ox.Triple, int]]:
    triples = [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)] if data else []
    return list(zip(triples, lines, strict=True))


@dataclass(slots=True)
class BuildCache:
    """Notes as read (by path, with the file's time and size) and their packed results."""

    vault: str = ""
    digest: str = ""
    read: dict[str, ReadNote] = field(default_factory=dict)
    results: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    parts: dict[str, GraphPart] = field(default_factory=dict)  # by note path: its graph, rendered
    prefixes: dict[str, str] = field(default_factory=dict)  # what the parts were rendered with
    layout: Layout | None = None  # where the graphs stand in the build's files (saved on its own)
    mentions: Any = None  # the build's mention index (converters.mentions), valid for its digest
    base_mentions: Any = None  # the one in the full cache file (not saved: a delta need not repeat it)
    names: Any = None  # the build's name index (Resolver.state)
    unwritten: tuple[tuple[str, str], ...] | None = None  # names of things without a note (Dataset.unwritten)
    base_names: Any = None  # the one in the full cache file (not saved)
    saved_ns: int = 0  # when the cache was written
    base_ns: int = 0  # when the full cache file was written (the rest is in the delta file)
    since_base: set[str] = field(default_factory=set)  # paths the delta file holds

    def earlier_results(self, unchanged: set[str]) -> Earlier:
        """Results of notes whose files are unchanged (and whose rendered graph is cached)."""
        return Earlier({p: self.results[p] for p in unchanged if p in self.results and p in self.parts})


class Earlier(Mapping[str, NoteResult]):
    """Earlier results without their triples: each graph is already rendered."""

    def __init__(self, packed: dict[str, tuple[Any, ...]]) -> None:
        self.packed = packed

    def __getitem__(self, path: str) -> NoteResult:
        return light(self.packed[path])

    def __contains__(self, path: object) -> bool:
        return path in self.packed

    def __iter__(self) -> Iterator[str]:
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)


def unpack_many(
    packed: Mapping[str, tuple[Any, ...]], parts: Mapping[str, GraphPart] | None = None
) -> dict[str, NoteResult]:
    """Unpack many results with a single parse of all their N-Triples (much faster than one
    parse per note); ``parts`` (by path) give the N-Triples of results packed without them."""
    chunks = [
        chunk
        for path, p in packed.items()
        for chunk in (p[2] if p[2] is not None else (parts or {})[path].ntriples(), p[4])
    ]
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
    fresh = BuildCache(vault=str(vault.resolve()))
    cache = _load(output / CACHE_DIR / CACHE_FILE, fresh.vault)
    if not isinstance(cache, BuildCache) or cache.vault != fresh.vault:
        return fresh
    cache.base_ns, cache.since_base, cache.base_mentions = cache.saved_ns, set(), cache.mentions
    cache.base_names = cache.names
    delta = _load(output / CACHE_DIR / DELTA_FILE, fresh.vault)
    if isinstance(delta, Delta) and delta.base_ns == cache.saved_ns:
        for path in delta.removed:
            for table in (cache.read, cache.results, cache.parts):
                table.pop(path, None)
        cache.read.update(delta.read)
        cache.results.update(delta.results)
        cache.parts.update(delta.parts)
        cache.digest, cache.saved_ns = delta.digest, delta.saved_ns
        if delta.mentions is not None:
            cache.mentions = delta.mentions
        if delta.names is not None:
            cache.names = delta.names
        cache.unwritten = delta.unwritten
        cache.since_base = set(delta.read) | delta.removed
    # "racy" entries: a file changed within RACY_NS of the cache being written could change again
    # without its time or size showing it (coarse file-system clocks) — read those again
    racy = {p for p, r in cache.read.items() if r.stamp[0] >= cache.saved_ns - RACY_NS}
    for path in racy:
        for table in (cache.read, cache.results, cache.parts):
            table.pop(path, None)
    # the rendered graphs are in the files the build wrote: usable while those are unchanged
    saved = _load(output / CACHE_DIR / LAYOUT_FILE, fresh.vault)
    layout = saved[1] if isinstance(saved, tuple) and saved[0] == cache.saved_ns else None
    cache.layout = layout if isinstance(layout, Layout) else None
    if cache.layout is None or not cache.layout.open(output):
        cache.parts = {}
        return cache
    hollow = {p: cache.layout.hollow(part.graph, part.path, part.hash) for p, part in cache.parts.items()}
    cache.parts = {p: part for p, part in hollow.items() if part is not None}
    return cache


def has_cache(output: Path, vault: Path) -> bool:
    """Whether ``output`` holds a build cache of ``vault`` written by this version (only its
    header is read)."""
    try:
        with open(output / CACHE_DIR / CACHE_FILE, "rb") as handle:
            return _ours(handle, str(vault.resolve()))
    except _UNREADABLE:
        return False


def _ours(handle: BinaryIO, vault: str) -> bool:
    """Whether the file's header says this version wrote it for ``vault``."""
    return bool(pickle.load(handle) == (*_HEADER, vault))


#: What reading a cache file that is damaged, or another version's, can raise.
_UNREADABLE = (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError)


def _load(path: Path, vault: str) -> object:
    """What :func:`_dump` wrote, if it was written by this version for ``vault`` (the header says
    so before the bulk is read: another vault's cache costs nothing to turn down)."""
    try:
        with open(path, "rb") as handle, gc_paused():
            if not _ours(handle, vault):
                return None
            value = pickle.load(handle)
            if isinstance(value, BuildCache | Delta):
                data = memoryview(handle.read())  # pickle.load(handle) reads in small pieces: slow
                at = 0
                while at < len(data):
                    size = int.from_bytes(data[at : at + 8], "little")
                    read, results, parts = pickle.loads(data[at + 8 : at + 8 + size])
                    value.read.update((p, _read_note(*one)) for p, one in read.items())
                    value.results.update(results)
                    value.parts.update((p, GraphPart(g, path, b"", h, "")) for p, (g, path, h) in parts.items())
                    at += 8 + size
            return value
    except _UNREADABLE:
        return None


@dataclass(slots=True)
class Delta:
    """What changed since the cache file was written in full: written instead of the whole
    cache when few notes changed (rewriting 10,000 notes' entries for one edit costs a second)."""

    base_ns: int  # the saved_ns of the full cache it applies to
    digest: str
    read: dict[str, ReadNote]
    results: dict[str, tuple[Any, ...]]
    parts: dict[str, GraphPart]
    removed: set[str]
    saved_ns: int
    mentions: Any = None
    names: Any = None
    unwritten: tuple[tuple[str, str], ...] | None = None


def save_cache(
    output: Path, cache: BuildCache, previous: BuildCache | None = None, changed: AbstractSet[str] = frozenset()
) -> int:
    """Write the cache: only the entries that differ from the last full cache (``previous`` is
    the cache this build started from, ``changed`` the paths read or converted again), or all of
    it when that is many. Returns its token for :func:`save_layout`."""
    folder = output / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time_ns()
    if previous is not None and previous.base_ns:
        since = previous.since_base | set(changed) | (set(previous.read) - set(cache.read))
        if len(since) <= max(200, len(cache.read) // 20):
            kept = since & set(cache.read)
            delta = Delta(
                base_ns=previous.base_ns,
                digest=cache.digest,
                read={p: cache.read[p] for p in kept},
                results={p: cache.results[p] for p in kept if p in cache.results},
                parts={p: cache.parts[p] for p in kept if p in cache.parts},
                removed=since - kept,
                saved_ns=now,
                mentions=None if cache.mentions is previous.base_mentions else cache.mentions,  # None: the base's
                names=None if cache.names is previous.base_names else cache.names,
                unwritten=cache.unwritten,
            )
            _dump(folder / DELTA_FILE, delta, cache.vault)
            return now
    cache.saved_ns = now
    _dump(folder / CACHE_FILE, cache, cache.vault)
    (folder / DELTA_FILE).unlink(missing_ok=True)
    return now


def save_layout(output: Path, layout: Layout, token: int, vault: str, digests: dict[str, str]) -> None:
    """Write where the graphs stand in the files just written into ``output`` (noting their size,
    time and inode now), for the cache saved as ``token`` (apart from the cache, which is saved
    before the files are rendered: the two are never in memory at once, and a build that stops
    between the two leaves a layout no cache matches). ``digests``: the files' SHA-256."""
    layout.stamp(output)
    layout.digests = digests
    _dump(output / CACHE_DIR / LAYOUT_FILE, (token, layout.without_data()), vault)


def _dump(path: Path, value: BuildCache | Delta | tuple[int, Layout], vault: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if isinstance(value, tuple):
        with open(tmp, "wb") as handle:
            pickle.dump((*_HEADER, vault), handle, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        return
    parts, read, results = value.parts, value.read, value.results
    layout = value.layout if isinstance(value, BuildCache) else None
    value.parts, value.read, value.results = {}, {}, {}
    if isinstance(value, BuildCache):
        value.layout = None
    try:
        with open(tmp, "wb") as handle:
            pickle.dump((*_HEADER, vault), handle, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            # the notes in chunks: pickle remembers every object it wrote until the end of a dump,
            # ~100 MB at 40,000 notes in one piece (the build's peak memory); notes as read and
            # rendered graphs as plain values (see _read_fields)
            paths = list(dict.fromkeys([*read, *results, *parts]))
            for i in range(0, len(paths), _CHUNK):
                chunk = paths[i : i + _CHUNK]
                blob = pickle.dumps(
                    (
                        {p: _read_fields(read[p]) for p in chunk if p in read},
                        {p: results[p] for p in chunk if p in results},
                        {p: _fields(parts[p]) for p in chunk if p in parts},
                    ),
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
                handle.write(len(blob).to_bytes(8, "little"))
                handle.write(blob)
    finally:
        value.parts, value.read, value.results = parts, read, results
        if isinstance(value, BuildCache):
            value.layout = layout
    os.replace(tmp, path)


def _read_fields(r: ReadNote) -> tuple[Any, ...]:
    """A note as read, as plain values: pickle makes 10,000 dataclasses from their state five
    times slower than calling them (0.18 s against 0.04 s at 10,000 notes)."""
    return (r.stamp, r.diagnostics) if r.note is None else (r.stamp, r.diagnostics, *note_fields(r.note))


def _read_note(stamp: tuple[int, int], diagnostics: tuple[Diagnostic, ...], *note: Any) -> ReadNote:
    return ReadNote(stamp, note_from(*note) if note else None, diagnostics)


def _fields(part: GraphPart) -> tuple[Any, ...]:
    """What the cache keeps of a rendered graph: the rest is in the build's files."""
    return (part.graph, part.path, part.hash)
