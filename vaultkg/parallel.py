"""Convert notes on several cores: forked workers share the vault-wide context (names, slugs,
the mention index) built once in the parent, and send each note's triples back as N-Triples
(pickling pyoxigraph terms one by one is ten times slower than serializing and parsing them)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from converters import Note
from converters.assemble import NoteResult

from .buildcache import pack, unpack

#: Below this many notes, one process is faster than starting workers.
MIN_NOTES = 1500
_WORK: tuple[Callable[[Note], NoteResult], Sequence[Note]] | None = None


def _convert_chunk(bounds: tuple[int, int]) -> list[tuple[Any, ...]]:
    assert _WORK is not None
    fn, notes = _WORK
    packed = []
    for note in notes[bounds[0] : bounds[1]]:
        packed.append(pack(fn(note)))
    return packed


def fork_mapper(
    workers: int | None = None,
) -> Callable[[Callable[[Note], NoteResult], Sequence[Note]], Iterator[NoteResult]]:
    """A ``mapper`` for :func:`converters.assemble` that uses forked worker processes."""
    count = workers or min(2, os.cpu_count() or 1)

    def mapper(fn: Callable[[Note], NoteResult], notes: Sequence[Note]) -> Iterator[NoteResult]:
        global _WORK
        if count <= 1 or len(notes) < MIN_NOTES or "fork" not in multiprocessing.get_all_start_methods():
            yield from map(fn, notes)
            return
        size = max(1, len(notes) // (count * 4))
        chunks = [(i, min(i + size, len(notes))) for i in range(0, len(notes), size)]
        _WORK = (fn, notes)
        try:
            with ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("fork")) as pool:
                for packed in pool.map(_convert_chunk, chunks):  # in order: the output stays the same
                    yield from map(unpack, packed)
        finally:
            _WORK = None

    return mapper
