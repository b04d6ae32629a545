"""Run a query where the data is: an embedded pyoxigraph store built from a build folder (kept on
disk next to it and reused while the build is unchanged), or any SPARQL 1.1 endpoint."""

from __future__ import annotations

import fcntl
import io
import itertools
import json
import os
import shutil
import tempfile
import urllib.error
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from .errors import InputError, VaultkgError, not_nquads
from .stored_queries import StoredQuery, bind, check_syntax, strip_comments, with_values
from .threads import thread_map

STORE_DIR = ".vaultkg-store"

#: This process's handle on each store lock file, with the modes it holds, innermost last.
_LOCKS: dict[Path, tuple[BinaryIO, list[int]]] = {}


@contextmanager
def store_lock(output: Path, *, exclusive: bool = False) -> Iterator[None]:
    """Hold ``output``'s query-store lock: shared while a query opens and reads the on-disk store,
    exclusive while a build changes it in place or a new store is put in its place (RocksDB lets
    no process read files another one is changing). A lock file beside the folder, since a build
    swaps the folder itself. Nested holds share one handle: an exclusive hold inside a shared one
    turns it exclusive and back, so a query that has to make the store cannot lock itself out.
    Where no lock file can be made (a read-only place) or there is no folder, nothing is locked."""
    key = output.resolve()
    if key not in _LOCKS:
        if not key.is_dir():  # no build there: nothing to lock (and no lock file left beside it)
            yield
            return
        try:
            _LOCKS[key] = (open(key.parent / f".{key.name}.vaultkg-store.lock", "a+b"), [])  # noqa: SIM115
        except OSError:
            yield
            return
    handle, modes = _LOCKS[key]
    outer = modes[-1] if modes else fcntl.LOCK_UN
    mode = fcntl.LOCK_EX if exclusive or outer == fcntl.LOCK_EX else fcntl.LOCK_SH
    if mode != outer:
        fcntl.flock(handle.fileno(), mode)
    modes.append(mode)
    try:
        yield
    finally:
        modes.pop()
        if mode != outer:
            fcntl.flock(handle.fileno(), outer)


class EndpointError(VaultkgError):
    """The SPARQL endpoint could not be reached or refused the query (exit 2)."""


@dataclass(slots=True)
class QueryResult:
    """A query's answer: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE)."""

    form: str
    variables: list[str]
    rows: list[list[ox.NamedNode | ox.Literal | ox.BlankNode | None]]
    boolean: bool | None = None
    triples: list[ox.Triple] | None = None


def _stamp(output: Path) -> str:
    nq = output / "graph.nq"
    stat = nq.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def build_stamp(output: Path) -> str | None:
    """``graph.nq``'s size and modification time (it changes when a build is published), or
    ``None`` when there is none."""
    try:
        return _stamp(output)
    except OSError:
        return None


_OPEN: dict[Path, tuple[str, ox.Store]] = {}  # stores opened by this process, by folder


_IN_MEMORY: dict[Path, tuple[str, ox.Store]] = {}


def open_store(output: Path, *, memory: bool = False, on_create: Callable[[], None] | None = None) -> ox.Store:
    """A read-only store of ``output/graph.nq``, loaded once and reused while it is unchanged
    (on disk across processes, and kept open within one).

    ``memory=True`` loads the build into an in-memory store instead, once per process (about a
    second per 10,000 notes): queries then run 3-8 times faster than on the on-disk store — for
    notebooks, servers and anything else that runs many queries. ``on_create`` is called before
    the on-disk store is made (the first query after a build: seconds at 10,000 notes)."""
    nq = output / "graph.nq"
    if not nq.is_file():
        raise InputError(f"{output}: no graph.nq here; run 'vaultkg build' first (or give --output-dir)")
    key = output.resolve()
    stamp = _stamp(output)
    opened = _IN_MEMORY if memory else _OPEN
    hit = opened.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    opened.pop(key, None)  # close a store of an older build before its folder is replaced
    if memory:
        store = ox.Store()
        _bulk_load(store, nq)
    else:
        store = _load_store(output, stamp, on_create)
    opened[key] = (stamp, store)
    return store


def prepare_store(output: Path) -> bool:
    """Create ``output``'s on-disk query store now if it does not hold the build there yet (what
    the first query would otherwise do: ~1 s at 10,000 notes); ``True`` when it was created."""
    if store_is_current(output):
        return False
    _create_store(output, _stamp(output))
    return True


def _load_store(output: Path, stamp: str, on_create: Callable[[], None] | None = None) -> ox.Store:
    if not _holds(output, stamp):
        if on_create is not None:
            on_create()
        _create_store(output, stamp)
    try:
        return ox.Store.read_only(str(output / STORE_DIR / "data"))
    except (OSError, RuntimeError):  # damaged (it is only a cache of graph.nq): made again
        _create_store(output, stamp, damaged=True)
        return ox.Store.read_only(str(output / STORE_DIR / "data"))


def _bulk_load(store: ox.Store, nq: Path) -> None:
    """Load a build's ``graph.nq`` into an in-memory store; a file that is not N-Quads (damaged,
    cut short, edited by hand) is an input error that says where, not a crash."""
    try:
        store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS, lenient=True)  # written by a build: no IRI checks
    except SyntaxError as exc:
        raise not_nquads(nq, exc) from None


def _bulk_load_on_disk(store: ox.Store, nq: Path) -> None:
    """:func:`_bulk_load` into an on-disk store, in pieces loaded side by side: Oxigraph's bulk
    loader parses on one thread and writes on another, one after the other for a build's size,
    so pieces on threads of their own (pyoxigraph lets go of the GIL) overlap both. A line of
    N-Quads is a quad on its own, so the file is cut at line ends; each piece's index files are
    ingested by RocksDB as they come, the same keys in two pieces (a term, a graph name) written
    alike. Each piece leaves an index file of its own in every index, which a query then reads
    together (1.6× slower on disk): they are compacted into one at the end. 10,000 notes on two
    cores: 2.1-2.2 s in one piece; in three 1.0 s, and 1.5-1.65 s with the compaction. Each piece
    is read from the file as it is parsed (the first query's peak at 10,000 notes: 269 MB in one
    piece, 300 MB in three read so, 393 MB when the file was read whole first)."""
    size = nq.stat().st_size
    parts = min(4, (os.cpu_count() or 1) + 1)
    cuts = [0]
    with open(nq, "rb") as handle:
        for i in range(1, parts):  # each cut just after a line end, none before the one before it
            cuts.append(_line_start_from(handle, max(cuts[-1], size * i // parts), size))
    cuts.append(size)
    pieces = [(a, b) for a, b in itertools.pairwise(cuts) if b > a] or [(0, 0)]

    def load(piece: tuple[int, int]) -> None:  # read as it is parsed: the file is never in memory whole
        with open(nq, "rb") as handle:
            handle.seek(piece[0])
            reader = io.BufferedReader(_Span(handle, piece[1] - piece[0]), buffer_size=1 << 20)
            store.bulk_load(reader, format=ox.RdfFormat.N_QUADS, lenient=True)

    try:  # on threads of their own, all at once; on Ctrl-C the pieces being loaded are waited for
        thread_map(load, pieces, workers=len(pieces))
    except SyntaxError:  # to be said with the whole file's lines: parse it again from the start
        for _ in ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS, lenient=True):
            pass
        raise
    if len(pieces) > 1:
        store.optimize()


def _line_start_from(handle: BinaryIO, offset: int, size: int) -> int:
    """The offset just after the first line end at or after ``offset`` (``size`` when none)."""
    handle.seek(offset)
    while True:
        block = handle.read(1 << 16)
        if not block:
            return size
        at = block.find(b"\n")
        if at >= 0:
            return offset + at + 1
        offset += len(block)


class _Span(io.RawIOBase):
    """The next ``length`` bytes of an open file, as a file of their own."""

    def __init__(self, handle: BinaryIO, length: int) -> None:
        self.handle, self.left = handle, length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self.left)
        if count <= 0:
            return 0
        got = self.handle.readinto(memoryview(buffer)[:count])  # type: ignore[attr-defined]
        self.left -= got or 0
        return got or 0


def _create_store(output: Path, stamp: str, *, damaged: bool = False) -> None:
    """Bulk-load ``graph.nq`` into a new on-disk store and put it in place atomically (unless
    another process put one of this build there meanwhile; a ``damaged`` one is replaced)."""
    store_dir = output / STORE_DIR
    tmp = Path(tempfile.mkdtemp(prefix=f"{STORE_DIR}.", dir=output))
    try:
        store = ox.Store(str(tmp / "data"))
        try:
            _bulk_load_on_disk(store, output / "graph.nq")
            store.flush()
        except SyntaxError as exc:  # damaged, cut short, edited by hand: where, and what to do
            raise not_nquads(output / "graph.nq", exc) from None
        finally:
            del store  # closed before its folder is put in place, or removed
        (tmp / "stamp").write_text(stamp)
        with store_lock(output, exclusive=True):  # no query reads the store while it is replaced
            if _holds(output, stamp) and not damaged:  # another query made it meanwhile: that one stays
                return
            _OPEN.pop(output.resolve(), None)
            if store_dir.exists():
                shutil.rmtree(store_dir)
            os.replace(tmp, store_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def store_is_current(output: Path) -> bool:
    """Whether ``output``'s on-disk query store holds the build now in ``output``."""
    try:
        return _holds(output, _stamp(output))
    except OSError:
        return False


def _holds(output: Path, stamp: str) -> bool:
    """Whether the on-disk store was loaded from the graph.nq with this stamp."""
    try:
        return (output / STORE_DIR / "stamp").read_text() == stamp
    except OSError:
        return False


def refresh_store(
    output: Path, previous: Mapping[str, str], current: Mapping[str, tuple[str, bytes | memoryview]]
) -> bool:
    """Bring ``output``'s query store up to a new build by replacing only the graphs that changed.

    Call it after publishing a build, when the store held the build before (``previous``: that
    build's graph hashes; ``current``: each graph's hash and N-Quads now). Returns ``False``,
    leaving the store to be loaded again by the next query, when many graphs changed."""
    changed = {g for g, (h, _) in current.items() if previous.get(g) != h}
    removed = set(previous) - set(current)
    if len(changed) + len(removed) > max(50, len(current) // 10):
        return False
    with store_lock(output, exclusive=True):  # no query reads the store while it changes
        return _refresh(output, changed, removed, current)


def _refresh(
    output: Path, changed: set[str], removed: set[str], current: Mapping[str, tuple[str, bytes | memoryview]]
) -> bool:
    _OPEN.pop(output.resolve(), None)
    try:
        store = ox.Store(str(output / STORE_DIR / "data"))
        for graph in sorted(changed | removed):
            node = ox.NamedNode(graph)
            if store.contains_named_graph(node):
                store.remove_graph(node)
        for graph in sorted(changed):
            store.load(bytes(current[graph][1]), format=ox.RdfFormat.N_QUADS)
        store.flush()
        del store
    except (OSError, RuntimeError, ValueError, SyntaxError):  # busy or damaged: the next query loads it anew
        return False
    (output / STORE_DIR / "stamp").write_text(_stamp(output))  # last: a crash before leaves it stale
    return True


def run_local(
    query: StoredQuery,
    params: dict[str, str],
    output: Path,
    *,
    memory: bool = False,
    on_create: Callable[[], None] | None = None,
) -> QueryResult:
    """Run on the embedded store of a build folder (default graph = union of all graphs; with
    ``memory``, an in-memory copy kept by this process; ``on_create``: see :func:`open_store`).
    The query and its parameters are checked before the store is opened or made."""
    with nullcontext() if memory else store_lock(output):  # read to the end under the lock
        return _result(query.form, _answer(query, params, output, memory=memory, on_create=on_create))


def run_local_serialized(
    query: StoredQuery, params: dict[str, str], output: Path, fmt: str, on_create: Callable[[], None] | None = None
) -> bytes:
    """:func:`run_local` and :func:`serialize` in one: solutions in ``json``, ``csv`` or ``tsv``
    are written by pyoxigraph straight from the store's answer, with no Python term made per
    value (`vaultkg query run timeline` at 10,000 notes, 7,561 rows: 0.79 → 0.70 s); the same bytes."""
    with store_lock(output):  # read to the end under the lock
        answer = _answer(query, params, output, on_create=on_create)
        if isinstance(answer, ox.QuerySolutions) and fmt in _RESULTS_FORMATS:
            buffer = io.BytesIO()
            answer.serialize(buffer, format=_RESULTS_FORMATS[fmt])
            return buffer.getvalue() + (b"\n" if fmt == "json" else b"")
        result = _result(query.form, answer)
    return serialize(result, fmt).encode("utf-8")


def _answer(
    query: StoredQuery,
    params: dict[str, str],
    output: Path,
    *,
    memory: bool = False,
    on_create: Callable[[], None] | None = None,
) -> Any:
    check_syntax(query)
    text = with_values(query.text, bind(query, params, display_prefixes(output)))
    store = open_store(output, memory=memory, on_create=on_create)
    return store.query(text, use_default_graph_as_union=True)


def run_endpoint(
    query: StoredQuery,
    params: dict[str, str],
    endpoint: str,
    timeout: float = 60.0,
    prefixes: Mapping[str, str] | None = None,
) -> QueryResult:
    """Run on a SPARQL 1.1 endpoint through SPARQLWrapper; parameters become a VALUES row
    (IRIs may be prefixed names with ``prefixes``, e.g. :func:`display_prefixes` of a build)."""
    from SPARQLWrapper import POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    check_syntax(query)
    # full-line comments are dropped: SPARQLWrapper guesses the query form from keywords and a
    # word like "updated" in a #+ description makes it send the query as an update
    text = strip_comments(with_values(query.text, bind(query, params, prefixes)))
    client = SPARQLWrapper(endpoint)
    client.setMethod(POST)
    client.setOnlyConneg(True)  # no format=n3 parameter beside Accept: Virtuoso answers that with 406
    client.setTimeout(int(timeout))
    client.setQuery(text)
    form = query.form
    if form in ("SELECT", "ASK"):
        client.setReturnFormat("json")
    else:
        client.setReturnFormat("n3")
        client.addCustomHttpHeader("Accept", "application/n-triples, text/turtle;q=0.9")
    try:
        response = client.query()
        body = response.response.read()
        content_type = response.response.headers.get("Content-Type", "")
    except SPARQLWrapperException as exc:
        raise EndpointError(f"{endpoint}: the endpoint refused the query: {str(exc).splitlines()[0]}") from None
    except urllib.error.HTTPError as exc:  # a status SPARQLWrapper has no exception of its own for
        raise EndpointError(f"{endpoint}: the endpoint refused the query: HTTP {exc.code} {exc.reason}") from None
    except OSError as exc:
        reason = getattr(exc, "reason", exc)
        raise EndpointError(f"{endpoint}: cannot reach the endpoint: {reason}") from None
    if form in ("SELECT", "ASK"):
        try:
            answer = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as exc:
            raise EndpointError(f"{endpoint}: the answer is not SPARQL JSON results: {exc}") from None
        return _result(form, answer)
    fmt = ox.RdfFormat.TURTLE if "turtle" in content_type else ox.RdfFormat.N_TRIPLES
    triples = [q.triple for q in ox.parse(body, format=fmt)]
    return QueryResult(form, [], [], triples=triples)


def empty_default_graph(endpoint: str, timeout: float = 10.0) -> bool:
    """Whether ``endpoint``'s default graph is empty while it holds named graphs: a store loaded
    with ``vaultkg load`` (a graph per note) whose default graph is not their union, where every
    stored query finds nothing. ``False`` when that cannot be told (the endpoint refuses either
    question)."""
    from .stored_queries import parse_query

    def ask(text: str) -> bool | None:
        try:
            return run_endpoint(parse_query(text, "check"), {}, endpoint, timeout).boolean
        except VaultkgError:
            return None

    return ask("ASK { ?s ?p ?o }") is False and ask("ASK { GRAPH ?g { ?s ?p ?o } }") is True


def _result(form: str, answer: Any) -> QueryResult:
    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        rows = [list(solution) for solution in answer]  # values in the order of the variables
        return QueryResult("SELECT", variables, rows)
    if isinstance(answer, ox.QueryBoolean | bool):
        return QueryResult("ASK", [], [], boolean=bool(answer))
    triples = list(answer)  # QueryTriples
    return QueryResult(form, [], [], triples=triples)


# -- rendering ---------------------------------------------------------------------------------


def _solutions(result: QueryResult) -> ox.QuerySolutions:
    """Re-create pyoxigraph solutions so that its spec-exact serializers can write them."""
    data = {
        "head": {"vars": result.variables},
        "results": {"bindings": [
            {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
            for row in result.rows
        ]},
    }  # fmt: skip
    solutions = ox.parse_query_results(json.dumps(data).encode(), format=ox.QueryResultsFormat.JSON)
    assert isinstance(solutions, ox.QuerySolutions)
    return solutions


def _json_term(term: ox.NamedNode | ox.Literal | ox.BlankNode) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


_RESULTS_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def serialize(result: QueryResult, fmt: str, prefixes: dict[str, str] | None = None) -> str:
    """``json``, ``csv`` or ``tsv`` exactly per the SPARQL 1.1 results specs (pyoxigraph's
    writers); ``markdown``; and for CONSTRUCT, Turtle-like N-Triples."""
    if result.triples is not None:
        return (ox.serialize(result.triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
    if result.form == "ASK":
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": result.boolean}) + "\n"
        return ("true" if result.boolean else "false") + "\n"
    if fmt in _RESULTS_FORMATS:
        buffer = io.BytesIO()
        _solutions(result).serialize(buffer, format=_RESULTS_FORMATS[fmt])
        text = buffer.getvalue().decode("utf-8")
        return text if fmt != "json" else text + "\n"
    if fmt == "markdown":
        lines = ["| " + " | ".join(result.variables) + " |", "|" + "---|" * len(result.variables)]
        for row in result.rows:
            cells = [display(t, prefixes).replace("|", "\\|").replace("\n", " ") for t in row]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"
    raise VaultkgError(f"unknown format {fmt}")


def display(term: ox.NamedNode | ox.Literal | ox.BlankNode | None, prefixes: dict[str, str] | None = None) -> str:
    """A term as a person reads it: literal values without syntax, IRIs as prefixed names where
    a prefix fits (``vkg:Event``, ``vault:israel#id``).

    >>> display(ox.NamedNode("https://w3id.org/vaultkg#Event"), {"vkg": "https://w3id.org/vaultkg#"})
    'vkg:Event'
    """
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode) and prefixes:
        best = max((ns for ns in prefixes.values() if term.value.startswith(ns)), key=len, default=None)
        if best is not None and len(term.value) > len(best):
            name = next(p for p, ns in prefixes.items() if ns == best)
            return f"{name}:{term.value[len(best) :]}"
    return term.value


_BASES: dict[Path, tuple[tuple[int, int], str]] = {}  # report.json's base by folder, while unchanged


def display_prefixes(output: Path) -> dict[str, str]:
    """The standard prefixes plus the build's own (``vault:``, ``tag:``, ``prop:``)."""
    from converters.vocab import PREFIXES

    report = output / "report.json"
    try:
        stat = report.stat()
        key, stamp = report.resolve(), (stat.st_size, stat.st_mtime_ns)
        hit = _BASES.get(key)
        if hit is not None and hit[0] == stamp:
            base = hit[1]
        else:  # ~10 ms at 10,000 notes: once per build, not once per query
            base = json.loads(report.read_text(encoding="utf-8"))["base"]
            _BASES[key] = (stamp, base)
    except (OSError, ValueError, KeyError, TypeError):
        return dict(PREFIXES)
    return {**PREFIXES, "vault": base, "tag": base + "tag/", "prop": base + "property/"}


def run_query(
    query: str,
    params: dict[str, str] | None = None,
    *,
    output: str | Path = "output",
    endpoint: str | None = None,
    timeout: float = 60.0,
    memory: bool = False,
) -> QueryResult:
    """Run a stored query (by id), a ``.rq`` file, or SPARQL text (anything with a ``{``) on a
    build folder's embedded store, or on ``endpoint``. ``memory=True``: the build is loaded
    into memory once per process and later queries run several times faster (:func:`open_store`)."""
    from .stored_queries import resolve

    q = resolve(None, text=query) if "{" in query else resolve(query)
    values = params or {}
    if endpoint:
        return run_endpoint(q, values, endpoint, timeout)
    return run_local(q, values, Path(output), memory=memory)
