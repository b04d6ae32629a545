"""Join the output files from the graphs' rendered pieces — and, after an edit, mostly from the
previous build's files.

``graph.nq`` and ``sourcemap.json`` stand graph after graph; ``graph.ttl`` and ``graph.jsonld``
subject after subject (one Turtle block, one JSON-LD node each). A :class:`Layout`, kept in the
build cache, says where each graph and each subject stands in the files it describes. A rebuild
then takes every graph that did not change as a span of the previous file (spans next to each
other as one piece), and renders only what changed: the files of a 10,000-note vault are joined
from a handful of pieces instead of tens of thousands, and the cache needs none of their bytes.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from converters.assemble import sort_triples

from .fragments import GraphPart, Renderer, SubjectStats, Union, summarise

#: The files a layout describes, with what stands between their items.
NQ, SOURCEMAP, TTL, JSONLD = "graph.nq", "sourcemap.json", "graph.ttl", "graph.jsonld"
LAYOUT_FILES = (NQ, SOURCEMAP, TTL, JSONLD)
SOURCEMAP_START, SOURCEMAP_SEP, SOURCEMAP_END = b"{\n", b",\n", b"\n}\n"
JSONLD_SEP, JSONLD_END = b",\n  ", b"\n ]\n}\n"

Stamp = tuple[int, int, int]  # size, modification time (ns), inode


@dataclass(slots=True)
class Layout:
    """Where each graph and subject stands in a build's ``graph.nq``, ``sourcemap.json``,
    ``graph.ttl`` and ``graph.jsonld`` (offsets and lengths in bytes)."""

    graphs: dict[str, tuple[int, int, int, int]]  # graph → N-Quads offset, length; sourcemap entry's
    owned: dict[str, list[str]]  # graph → the subjects it holds
    subjects: list[str]  # N-Triples form, sorted
    owners: list[str | tuple[str, ...]]  # the graph holding each subject (a sorted tuple when shared)
    ttl_at: array[int]  # (arrays: four ints per subject, ~170,000 subjects at 40,000 notes)
    ttl_len: array[int]
    jsonld_at: array[int]
    jsonld_len: array[int]
    stats: list[SubjectStats]
    stamps: dict[str, Stamp] = field(default_factory=dict)  # the files as written
    digests: dict[str, str] = field(default_factory=dict)  # their SHA-256 (a copy of them is good too)
    data: dict[str, memoryview] = field(default_factory=dict)  # the files' bytes, once opened (not saved)

    def stamp(self, folder: Path) -> None:
        """Note the files as they stand in ``folder`` now (just written)."""
        self.stamps = {name: _stamp(folder / name) for name in LAYOUT_FILES}

    def open(self, folder: Path) -> bool:
        """Map the files of ``folder`` into memory if they are still the ones this layout
        describes: the same size, time and inode as written, or else (a copied or restored
        output folder) the same SHA-256; ``False`` when any is not.

        Mapped, not read: nothing is copied until a span is written out. vaultkg replaces these
        files by renaming new ones over them, never in place, so a mapping stays whole even after
        the next build has replaced the file."""
        data: dict[str, memoryview] = {}
        for name in LAYOUT_FILES:
            try:
                with open(folder / name, "rb") as handle:
                    stamp = _stamp_of(os.fstat(handle.fileno()))
                    if stamp[0] != self.stamps.get(name, (-1,))[0]:
                        return False
                    view = memoryview(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if stamp[0] else b"")
            except (OSError, ValueError):
                return False
            if stamp != self.stamps[name] and hashlib.sha256(view).hexdigest() != self.digests.get(name):
                return False
            data[name] = view
        self.data = data
        return True

    def holds(self, folder: Path, digests: dict[str, str]) -> bool:
        """Whether ``folder``'s files are the very ones this layout noted (the same size, time
        and inode) and their SHA-256 are ``digests``: files of these bytes need not be written."""
        try:
            return all(
                _stamp(folder / name) == self.stamps.get(name) and self.digests.get(name) == digests[name]
                for name in LAYOUT_FILES
            )
        except OSError:
            return False

    def hollow(self, graph: str, path: str | None, digest: str) -> GraphPart | None:
        """A graph kept in the previous files: its N-Quads and sourcemap entry (views of the
        files), the rest left in the files (:attr:`GraphPart.spliced`)."""
        span = self.graphs.get(graph)
        if span is None or not self.data:
            return None
        nq_at, nq_len, sm_at, sm_len = span
        nq = self.data[NQ][nq_at : nq_at + nq_len]
        sourcemap = str(self.data[SOURCEMAP][sm_at : sm_at + sm_len], "utf-8")
        subjects = self.owned.get(graph, [])
        return GraphPart(
            graph=graph, path=path, nq=nq, hash=digest, sourcemap=sourcemap, subjects=subjects, spliced=True
        )

    def without_data(self) -> Layout:
        return Layout(self.graphs, self.owned, self.subjects, self.owners, self.ttl_at, self.ttl_len,
                      self.jsonld_at, self.jsonld_len, self.stats, self.stamps, self.digests)  # fmt: skip

    def index(self, subject: str) -> int:
        """The subject's place in :attr:`subjects`, or -1."""
        k = bisect_left(self.subjects, subject)
        return k if k < len(self.subjects) and self.subjects[k] == subject else -1


def _stamp(path: Path) -> Stamp:
    return _stamp_of(os.stat(path))


def _stamp_of(st: os.stat_result) -> Stamp:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


class Joiner:
    """One file's pieces: new items and runs of items of the previous file (next to each other
    there: one piece), ``sep`` between items; :attr:`at` and :attr:`lengths` say where each item
    now stands."""

    def __init__(self, old: memoryview | None, start: bytes, sep: bytes, end: bytes) -> None:
        self.old, self.sep, self.end = old, sep, end
        self.pieces: list[bytes | memoryview] = [start] if start else []
        self.pos = len(start)
        self.at = array("q")
        self.lengths = array("q")
        self.count = 0
        self._run = -1  # where the previous file's span being extended starts there (-1: none)
        self._run_end = self._run_at = 0  # where it ends there, where it starts in the new file

    def add(self, data: bytes) -> None:
        self._flush()
        if self.count:
            self._put(self.sep)
        self.at.append(self.pos)
        self.lengths.append(len(data))
        self._put(data)
        self.count += 1

    def add_old(self, starts: Sequence[int], lengths: Sequence[int]) -> None:
        """Items standing one after the other in the previous file, at ``starts``."""
        if not starts:
            return
        if self._run >= 0 and self._run_end + len(self.sep) == starts[0]:  # they follow the current span
            shift = self._run_at - self._run
        else:
            self._flush()
            if self.count:
                self._put(self.sep)
            self._run, self._run_at = starts[0], self.pos
            shift = self.pos - starts[0]
        self.at.extend([s + shift for s in starts] if shift else starts)
        self.lengths.extend(lengths)
        self._run_end = starts[-1] + lengths[-1]
        self.count += len(starts)

    def finish(self) -> list[bytes | memoryview]:
        self._flush()
        if self.end:
            self._put(self.end)
        return self.pieces

    def _flush(self) -> None:
        if self._run >= 0:
            assert self.old is not None
            self._put(self.old[self._run : self._run_end])
            self._run = -1

    def _put(self, data: bytes | memoryview) -> None:
        self.pieces.append(data)
        self.pos += len(data)


@dataclass(slots=True)
class Joined:
    """The four files' pieces and the layout they make."""

    nq: list[bytes | memoryview]
    sourcemap: list[bytes | memoryview]
    union: Union
    layout: Layout


def join(parts: Sequence[GraphPart], r: Renderer, jsonld_start: bytes, previous: Layout | None) -> Joined:
    """Join the files from ``parts`` (sorted by graph). Parts :attr:`~GraphPart.spliced` are
    taken from ``previous``, whose files must be open (:meth:`Layout.open`), and so are graphs
    rendered again whose N-Quads came out the same (the vault graph after most edits; every note
    after a new alias made them all convert again)."""
    old = previous.data if previous is not None else {}
    same: set[str] = set()  # rendered again, the same as before
    if previous is not None:
        for part in parts:
            span = previous.graphs.get(part.graph)
            if not part.spliced and span is not None and old[NQ][span[0] : span[0] + span[1]] == part.nq:
                same.add(part.graph)
        if not same and not any(p.spliced for p in parts):
            previous, old = None, {}
    nq = Joiner(old.get(NQ), b"", b"", b"")
    sm = Joiner(old.get(SOURCEMAP), SOURCEMAP_START, SOURCEMAP_SEP, SOURCEMAP_END)
    owned: dict[str, list[str]] = {}
    for part in parts:
        if part.spliced or part.graph in same:
            if previous is None or part.graph not in previous.graphs:
                raise RuntimeError(f"{part.graph}: taken from the previous build, which does not hold it")
            nq_at, nq_len, sm_at, sm_len = previous.graphs[part.graph]
            nq.add_old([nq_at], [nq_len])
            entry = part.sourcemap.encode()
            if part.spliced or old[SOURCEMAP][sm_at : sm_at + sm_len] == entry:
                sm.add_old([sm_at], [sm_len])
            else:  # the same triples from other lines
                sm.add(entry)
            owned[part.graph] = previous.owned[part.graph]
        else:
            nq.add(part.nq if isinstance(part.nq, bytes) else bytes(part.nq))
            sm.add(part.sourcemap.encode())
            owned[part.graph] = part.subjects
    graphs = {part.graph: (nq.at[i], nq.lengths[i], sm.at[i], sm.lengths[i]) for i, part in enumerate(parts)}
    union = _Union(parts, r, jsonld_start, previous, same)
    layout = Layout(graphs, owned, union.subjects, union.owners, union.ttl.at, union.ttl.lengths,
                    union.jsonld.at, union.jsonld.lengths, union.stats)  # fmt: skip
    done = summarise(union.ttl.finish(), union.jsonld.finish(), union.stats)
    return Joined(nq.finish(), sm.finish(), done, layout)


class _Union:
    """The union graph's subjects in order, each one's Turtle block and JSON-LD node: runs of
    the previous files' where the graphs holding them are unchanged, rendered anew elsewhere."""

    def __init__(
        self, parts: Sequence[GraphPart], r: Renderer, jsonld_start: bytes, previous: Layout | None, same: set[str]
    ) -> None:
        self.r, self.previous = r, previous
        self.by_graph = {part.graph: part for part in parts}
        self.fresh = [part for part in parts if not part.spliced and part.graph not in same]
        old = previous.data if previous is not None else {}
        self.ttl = Joiner(old.get(TTL), r.header, b"", b"")
        self.jsonld = Joiner(old.get(JSONLD), jsonld_start, JSONLD_SEP, JSONLD_END)
        self.subjects: list[str] = []
        self.owners: list[str | tuple[str, ...]] = []
        self.stats: list[SubjectStats] = []
        self._parsed: dict[str, list[ox.Triple]] = {}
        # a few dozen distinct stats among tens of thousands of subjects: kept once each, the
        # layout loads twice as fast
        self._distinct: dict[SubjectStats, SubjectStats] = {}
        # subject → where it is: index in fresh << 32 | index in its part (a list when in several)
        new: dict[str, int | list[int]] = {}
        for i, part in enumerate(self.fresh):
            for j, subject in enumerate(part.subjects, i << 32):
                places = new.setdefault(subject, j)
                if places != j:
                    new[subject] = [*places, j] if isinstance(places, list) else [places, j]
        dropped: set[int] = set()  # the previous subjects not taken as they were
        kept: dict[str, tuple[str, ...]] = {}  # subject → unchanged graphs holding it, if it changed
        if previous is not None:
            dirty = {part.graph for part in self.fresh} | (previous.owned.keys() - self.by_graph.keys())
            for graph in dirty:
                for subject in previous.owned.get(graph, ()):
                    k = previous.index(subject)
                    dropped.add(k)
                    owner = previous.owners[k]
                    clean = tuple(g for g in owner if g not in dirty) if type(owner) is tuple else ()
                    if clean:
                        kept[subject] = clean
            for subject in new:
                k = previous.index(subject)
                if k >= 0 and k not in dropped:  # now also held by a changed graph
                    dropped.add(k)
                    owner = previous.owners[k]
                    kept[subject] = owner if isinstance(owner, tuple) else (owner,)
        cuts = sorted(dropped)
        cursor = 0
        for subject in sorted(new.keys() | kept.keys()):
            if previous is not None:
                at = bisect_left(previous.subjects, subject)
                self._runs(cursor, at, cuts)
                cursor = at
            self._render(subject, new.get(subject, []), kept.get(subject, ()))
        if previous is not None:
            self._runs(cursor, len(previous.subjects), cuts)

    def _runs(self, start: int, end: int, cuts: list[int]) -> None:
        """The previous subjects ``start:end``, but those in ``cuts``."""
        assert self.previous is not None
        at = bisect_left(cuts, start)
        while start < end:
            stop = min(end, cuts[at]) if at < len(cuts) else end
            if start < stop:
                self._old(start, stop)
            start = stop + 1 if stop < end else stop
            at += 1

    def _old(self, a: int, b: int) -> None:
        p = self.previous
        assert p is not None
        self.ttl.add_old(p.ttl_at[a:b], p.ttl_len[a:b])
        self.jsonld.add_old(p.jsonld_at[a:b], p.jsonld_len[a:b])
        self.subjects += p.subjects[a:b]
        self.owners += p.owners[a:b]
        self.stats += p.stats[a:b]

    def _render(self, subject: str, places: int | list[int], kept: tuple[str, ...]) -> None:
        if isinstance(places, int) and not kept:
            part, j = self.fresh[places >> 32], places & 0xFFFFFFFF
            self.ttl.add(part.ttl[j])
            self.jsonld.add(part.jsonld[j])
            self.subjects.append(subject)
            self.owners.append(part.graph)
            self.stats.append(self._distinct.setdefault(part.stats[j], part.stats[j]))
            return
        held = [places] if isinstance(places, int) else places
        graphs = sorted({self.fresh[at >> 32].graph for at in held} | set(kept))
        merged: set[ox.Triple] = set()
        for graph in graphs:  # a subject several graphs hold: rendered from all their triples
            if graph not in self._parsed:
                data = bytes(self.by_graph[graph].nq)
                self._parsed[graph] = [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_QUADS)]
            merged.update(t for t in self._parsed[graph] if str(t.subject) == subject)
        ordered = sort_triples(merged)
        blocks = self.r.turtle_blocks(ordered)
        if len(blocks) != 1:
            raise RuntimeError(f"Turtle of {subject} has {len(blocks)} subject blocks")
        node, stats = self.r.node_and_stats(ordered)
        self.ttl.add(blocks[0])
        self.jsonld.add(node.encode())
        self.subjects.append(subject)
        self.owners.append(graphs[0] if len(graphs) == 1 else tuple(graphs))
        self.stats.append(self._distinct.setdefault(stats, stats))
