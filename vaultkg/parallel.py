"""Convert notes on several cores: forked workers share the vault-wide context (names, slugs,
the mention index) built once in the parent, convert their share of the notes in two steps (the
parent gathers what the first steps found unresolved, for the mentions the second step looks
for: :class:`converters.assemble.Conversion`) and render each note's graph (its N-Quads, Turtle
blocks, JSON-LD nodes: :mod:`vaultkg.fragments`). The parent gets each result packed (its
triples as N-Triples — pickling pyoxigraph terms one by one is ten times slower) with its
rendered graph, and unpacks the triples only if someone asks for them."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, BinaryIO, Generic, TypeVar

from converters import Note
from converters.assemble import Conversion, NoteResult

from .buildcache import light, pack, unpack
from .fragments import GraphPart, Renderer, graph_part

T = TypeVar("T")
R = TypeVar("R")
#: Below this many notes, one process converts faster than two workers can start and share the
#: work (500 notes: 0.92–1.00 s in one process, 0.78–0.80 s on two; 300 notes: about even).
MIN_NOTES = 400
#: Below this many files, one process reads them faster (reading a file costs ~0.1 ms).
MIN_FILES = 1500
_WORK: tuple[Conversion, Sequence[Note], Renderer | None, bool] | None = None


def _finished(conversion: Conversion, result: NoteResult, note: Note, renderer: Renderer | None, light: bool) -> Done:
    """A note's result finished, packed, and its graph rendered (with a ``renderer``)."""
    if renderer is None:
        return pack(conversion.finish(result, note)), None
    result = conversion.finish(result, note, light=light)  # light: no triples made, N-Triples and lines only
    if result.lines is not None:
        part = graph_part(result.graph, [], result.lines, result.path, renderer, light=True, nt=result.ntriples)
    else:
        triples = [t for t, _ in result.triples]
        lines = [line for _, line in result.triples]
        part = graph_part(result.graph, triples, lines, result.path, renderer, light=light, nt=result.ntriples,
                          terms=result.terms)  # fmt: skip
    return pack(result, rendered=True), part.fields()  # plain values pickle 3× faster


Done = tuple[tuple[Any, ...], tuple[Any, ...] | None]


class _Worker:
    """A forked process that runs both steps of a :class:`Conversion` over its share of chunks,
    holding its first steps' results between the two (they stay in the process that made them:
    shipping pyoxigraph terms costs more than making them)."""

    up: BinaryIO
    down: BinaryIO

    def __init__(self, number: int, count: int, chunks: list[tuple[int, int]], others: list[_Worker]) -> None:
        up_read, up_write = os.pipe()
        down_read, down_write = os.pipe()
        for fd in (up_write, down_write):
            _widen(fd)
        parent = os.getpid()
        with sigint_held():  # the child is born with Ctrl-C blocked: it is the parent's to handle
            self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                for other in others:
                    other.up.close()
                    other.down.close()
                os.close(up_read)
                os.close(down_write)
                _die_with_parent(parent)
                with os.fdopen(up_write, "wb") as up, os.fdopen(down_read, "rb") as down:
                    _work(chunks[number::count], up, down)
                code = 0
            finally:
                os._exit(code)
        os.close(up_write)
        os.close(down_read)
        self.up = os.fdopen(up_read, "rb")
        self.down = os.fdopen(down_write, "wb")

    def receive(self, conversion: Conversion) -> Any:
        """The worker's next answer (its first steps done are told to ``conversion`` meanwhile)."""
        while True:
            try:
                kind, value, trace = pickle.load(self.up)
            except (EOFError, pickle.UnpicklingError, OSError) as e:
                raise RuntimeError(
                    f"a worker process converting notes ended unexpectedly ({e or type(e).__name__})"
                ) from e
            if kind == "steps":
                conversion.stepped(value)
                continue
            if kind == "error":
                raise value from _RemoteTraceback(trace)
            return value

    def send(self, value: Any) -> None:
        pickle.dump(value, self.down, protocol=pickle.HIGHEST_PROTOCOL)
        self.down.flush()

    def close(self) -> None:
        for stream in (self.down, self.up):
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)  # done already, or not needed any more
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


class _RemoteTraceback(Exception):
    """The traceback of an error in a worker process, as text (shown as the error's cause)."""

    def __str__(self) -> str:
        return str(self.args[0])


def _widen(fd: int) -> None:
    """Give a pipe 1 MiB of buffer (Linux), so a worker seldom waits for the parent to read."""
    try:
        import fcntl

        fcntl.fcntl(fd, 1031, 1 << 20)  # F_SETPIPE_SZ
    except (ImportError, OSError):
        pass


def _work(chunks: list[tuple[int, int]], up: BinaryIO, down: BinaryIO) -> None:
    """A worker's part: the first step of its notes, their unresolved names up to the parent,
    the names of things without a note back, then each chunk finished, packed and rendered."""
    assert _WORK is not None
    conversion, notes, renderer, light = _WORK

    def send(kind: str, value: Any, trace: str = "") -> None:
        pickle.dump((kind, value, trace), up, protocol=pickle.HIGHEST_PROTOCOL)
        up.flush()

    try:
        firsts: list[NoteResult] = []
        for a, b in chunks:
            firsts.extend(conversion.first(note) for note in notes[a:b])
            send("steps", b - a)  # for a progress bar
        send("ok", [u for r in firsts for u in conversion.found(r)])
        conversion.then(pickle.load(down))
        firsts.reverse()  # popped in order: a finished result is let go once sent
        for a, b in chunks:
            send("ok", [_finished(conversion, firsts.pop(), note, renderer, light) for note in notes[a:b]])
    except Exception as e:  # the parent raises it
        import traceback

        trace = traceback.format_exc()
        try:
            send("error", e, trace)
        except Exception:  # the error does not pickle
            send("error", RuntimeError(f"{type(e).__name__}: {e}"), trace)


class ForkMapper:
    """A ``mapper`` for :func:`converters.assemble` that uses forked worker processes.

    With a ``renderer``, the workers also render each note's graph: the results come back
    :attr:`~converters.assemble.NoteResult.rendered` (without triples), their packed form in
    :attr:`packed` and their rendered graph in :attr:`parts`, both by note path. ``light``
    parts hold only what validation reads (N-Quads and source lines), not Turtle or JSON-LD.
    """

    def __init__(self, workers: int | None = None, renderer: Renderer | None = None, *, light: bool = False) -> None:
        self.count = workers or min(2, os.cpu_count() or 1)
        self.renderer = renderer
        self.light = light
        self.packed: dict[str, tuple[Any, ...]] = {}
        self.parts: dict[str, GraphPart] = {}

    def __call__(self, conversion: Conversion, notes: Sequence[Note]) -> Iterator[NoteResult]:
        global _WORK
        if self.count <= 1 or len(notes) < MIN_NOTES or not hasattr(os, "fork"):
            yield from conversion.run(notes)
            return
        size = max(1, len(notes) // (self.count * 16))  # small chunks, dealt in turn: long notes cluster by path
        chunks = [(i, min(i + size, len(notes))) for i in range(0, len(notes), size)]
        _WORK = (conversion, notes, self.renderer, self.light)
        workers: list[_Worker] = []
        try:
            try:
                for number in range(self.count):
                    workers.append(_Worker(number, self.count, chunks, workers))
            except OSError:  # no process to be had (or no pipe): convert here
                for w in workers:
                    w.close()
                workers = []
                yield from conversion.run(notes)
                return
            conversion.meet([w.receive(conversion) for w in workers])  # every note's first step is done
            for w in workers:
                w.send(conversion.names)
            for k in range(len(chunks)):  # in order: the output stays the same
                for packed, part in workers[k % self.count].receive(conversion):
                    if part is None:
                        yield unpack(packed)
                        continue
                    self.packed[packed[0]] = packed
                    self.parts[packed[0]] = GraphPart(*part)
                    yield light(packed)
        finally:
            _WORK = None
            for w in workers:
                w.close()


_MAP: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back while worker processes are forked: they are born with it blocked,
    so that a Ctrl-C on a terminal — sent to every process of the group — stops only the build,
    which ends its workers (they printed a traceback each, and one landing in a fork could be seen
    by the new worker and not by the build); the build gets it once the forks are done."""
    try:
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    except (AttributeError, ValueError, OSError):  # no such call here, or not the main thread
        yield
        return
    parent = os.getpid()
    try:
        yield
    finally:
        if os.getpid() == parent:  # a child forked inside keeps it blocked for good
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _die_with_parent(parent: int) -> None:
    """Worker initializer: on Linux, end the worker when the build that forked it is killed
    (otherwise it would finish its share for nobody)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the call above took effect
        os._exit(1)


def _map_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _MAP is not None
    fn, items = _MAP
    return [fn(item) for item in items[bounds[0] : bounds[1]]]


def fork_map(fn: Callable[[T], R], items: Sequence[T], workers: int | None = None) -> Iterator[R]:
    """``map(fn, items)`` on forked worker processes (in order; ``fn`` need not pickle, its
    results must), or in this process below :data:`MIN_FILES` items."""
    global _MAP
    count = workers or min(2, os.cpu_count() or 1)
    if count <= 1 or len(items) < MIN_FILES or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(fn, items)
        return
    size = max(1, len(items) // (count * 8))
    chunks = [(i, min(i + size, len(items))) for i in range(0, len(items), size)]
    _MAP = (fn, items)
    try:
        with ProcessPoolExecutor(
            max_workers=count,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            with sigint_held():  # the workers are forked on the first submission
                results = pool.map(_map_chunk, chunks)
            for done in results:
                yield from done
    finally:
        _MAP = None


def fork_mapper(workers: int | None = None, renderer: Renderer | None = None, *, light: bool = False) -> ForkMapper:
    """A :class:`ForkMapper` (``workers`` defaults to two, or one on a single core)."""
    return ForkMapper(workers, renderer, light=light)


class Forked(Generic[R]):
    """``fn()`` run in a forked process while this one does something else; :meth:`result`
    waits for it (and runs ``fn()`` here if the fork failed or the child did; and with
    ``fork=False``, or on one core, only ever here). Use it as a
    context manager: leaving the block ends a child whose result was not asked for."""

    def __init__(self, fn: Callable[[], R], *, fork: bool = True) -> None:
        self.fn = fn
        self.pid = 0
        self.fd = -1
        if not fork or not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
            return
        parent = os.getpid()
        try:
            read_end, write_end = os.pipe()
            with sigint_held():
                pid = os.fork()
        except OSError:
            return
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.close(read_end)
                _die_with_parent(parent)
                data = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid, self.fd = pid, read_end

    def result(self) -> R:
        if self.fd < 0:
            return self.fn()
        try:
            with os.fdopen(self.fd, "rb") as pipe:
                data = pipe.read()
        finally:
            self.fd = -1
            try:
                status = os.waitpid(self.pid, 0)[1]
            except ChildProcessError:  # reaped already (a host process that ignores SIGCHLD)
                status = 0
            self.pid = 0
        try:
            value: R = pickle.loads(data) if status == 0 and data else self.fn()
        except (pickle.UnpicklingError, EOFError, ValueError):  # cut short: do it here
            value = self.fn()
        return value

    def __enter__(self) -> Forked[R]:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # a child still writing gets EPIPE and ends
            self.fd = -1
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = 0
