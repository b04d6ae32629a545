"""Validating a vault again after an edit: only what the edit can change is validated again.

``validate``, when it reuses a build cache, keeps beside it (``.vaultkg-cache/validation.pickle``)
every rule's and check's results, placed, each graph's fingerprint, and two indexes of the data.
The next validation compares the graphs with the kept fingerprints; from the triples added or
removed (Δ) it works out what may have changed, exactly:

* **Rules** (the shapes compiled to SPARQL) name every predicate whose triples they read: one that
  reads no predicate of Δ keeps its results. One that does is run again only for the focus nodes
  Δ can reach — those within the shapes' path depth of a Δ triple (walking paths backwards from
  its subject, or its object for inverse paths and ``sh:targetObjectsOf``) — on a store holding
  every triple of every node within that depth of them: all a rule can read about those nodes.
* **Checks** that read a predicate of Δ run again on a store of the triples with the predicates
  they read; a check that can read any predicate (a variable one, or a path that may be empty)
  makes the whole validation run.
* Results are placed again only when new, or when their note or focus node changed.

Shapes with unbounded paths (``*``, ``+``) or anything else :func:`reach_of` cannot bound, and a
state that no longer fits (other shapes, checks, vaultkg, or a graph whose earlier triples are
known neither here nor in the build cache), make the whole validation run. The findings are the
same either way (the test suite compares them edit by edit).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import re
from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from converters import Dataset

from . import __version__
from .fragments import GraphPart
from .resources import code_digest, list_files, read_text
from .sparql_rules import TARGET, Rule, rule_results
from .threads import thread_map
from .validation import ONTOLOGY_GRAPH, Check, Finding, check_rows, ntriples_store, query_predicates
from .writers import graph_ntriples, rdf_bytes

if TYPE_CHECKING:
    import rdflib

STATE_FILE = "validation.pickle"
SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
Row = dict[str, Any]
#: Per graph: the SHA-256 of its N-Triples (as the build notes it), its source lines, its note.
Fingerprint = tuple[str, str, str | None]


@dataclass(frozen=True, slots=True)
class Reach:
    """How far from a focus node the shapes read: ``depth`` path steps, walking ``forward``
    predicates from subject to object and ``inverse`` ones back; ``targeted`` are the
    predicates of ``sh:targetObjectsOf`` (their objects are focus nodes)."""

    depth: int
    forward: frozenset[str]
    inverse: frozenset[str]
    targeted: frozenset[str]


@dataclass(slots=True)
class Unit:
    """A rule or a check: the predicates it reads (``None``: any) and its results, placed."""

    reads: frozenset[str] | None
    rows: list[Row]
    findings: list[Finding]

    def __reduce__(self) -> tuple[Any, ...]:  # findings as tuples: 3× faster to load than dataclasses
        return _unit, (self.reads, self.rows, [tuple(getattr(f, s) for s in Finding.__slots__) for f in self.findings])


def _unit(reads: frozenset[str] | None, rows: list[Row], findings: list[tuple[Any, ...]]) -> Unit:
    return Unit(reads, rows, [Finding(*f) for f in findings])


@dataclass(slots=True)
class State:
    """What one validation keeps for the next."""

    key: str
    graphs: dict[str, Fingerprint]
    content: dict[str, bytes]  # N-Triples of the graphs the build cache does not hold as they are
    index: Index
    units: list[Unit]  # the rules, then the checks
    rules: list[Rule]  # the shapes compiled, how far they read, the rules table of the report
    reach: Reach
    table: dict[str, dict[str, str]]


# -- what the shapes can reach -----------------------------------------------------------------


def reach_of(shapes: rdflib.Graph) -> Reach | None:
    """How far the shapes read from a focus node; ``None`` when unbounded (``*``, ``+``) or not
    known (``sh:sparql``, a shape nesting itself)."""
    import rdflib
    from rdflib.collection import Collection
    from rdflib.namespace import RDF, SH

    if (None, SH.sparql, None) in shapes:
        return None
    forward: set[str] = set()
    inverse: set[str] = set()

    def path_length(node: rdflib.term.Node, flipped: bool) -> int | None:
        if isinstance(node, rdflib.URIRef):
            (inverse if flipped else forward).add(str(node))
            return 1
        if (node, RDF.first, None) in shapes:
            lengths = [path_length(step, flipped) for step in Collection(shapes, node)]
            return None if None in lengths else sum(n for n in lengths if n is not None)
        if (inner := shapes.value(node, SH.inversePath)) is not None:
            return path_length(inner, not flipped)
        if (inner := shapes.value(node, SH.zeroOrOnePath)) is not None:
            return path_length(inner, flipped)
        if (listed := shapes.value(node, SH.alternativePath)) is not None:
            lengths = [path_length(step, flipped) for step in Collection(shapes, listed)]
            return None if None in lengths else max((n for n in lengths if n is not None), default=0)
        return None  # zero-or-more, one-or-more, or unknown

    def depth(shape: rdflib.term.Node, stack: tuple[rdflib.term.Node, ...]) -> int | None:
        if shape in stack:
            return None
        stack = (*stack, shape)
        inner: list[rdflib.term.Node] = []
        for prop in (SH.node, SH["not"], SH.qualifiedValueShape):
            inner += shapes.objects(shape, prop)
        for prop in (SH["and"], SH["or"], SH.xone):
            for listed in shapes.objects(shape, prop):
                inner += Collection(shapes, listed)
        below = [depth(s, stack) for s in inner]
        below += [depth(p, stack) for p in shapes.objects(shape, SH.property)]
        if None in below:
            return None
        deepest = max((n for n in below if n is not None), default=0)
        path = shapes.value(shape, SH.path)
        if path is None:
            return deepest
        length = path_length(path, False)
        return None if length is None else length + deepest

    roots = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    for prop in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
        roots |= set(shapes.subjects(prop, None))
    depths = [depth(shape, ()) for shape in sorted(roots, key=str)]
    if None in depths:
        return None
    targeted = frozenset(str(p) for p in shapes.objects(None, SH.targetObjectsOf))
    return Reach(max((n for n in depths if n is not None), default=0), frozenset(forward), frozenset(inverse), targeted)


def rule_reads(rule: Rule) -> frozenset[str]:
    """The IRIs a compiled rule names (its predicates among them: it has no variable one)."""
    return frozenset(re.findall(r"<([^<>\s]*)>", rule.query))


def check_reads(check: Check) -> frozenset[str] | None:
    """The predicates a check reads (``None``: any); ``rdf:type`` as ``rdf:type <class>`` keys
    when its type patterns all name their class (see :func:`typed_key`)."""
    classes: set[str] = set()
    found = query_predicates(check.query, every_node=True, types=classes)
    if found is None:
        return None
    if RDF_TYPE in found and "" not in classes:
        found = (found - {RDF_TYPE}) | {typed_key(c) for c in classes}
    return frozenset(found)


def typed_key(cls: str) -> str:
    """What stands for the ``rdf:type`` triples naming ``cls`` among the predicates read."""
    return f"{RDF_TYPE} {cls}"


def state_key(vault: Path, checks: list[Check], disabled: Iterable[str]) -> str:
    """What kept results depend on besides the graphs: vaultkg (its version and its code), the
    vault, the shapes and the ontology (their text), the rules turned off, the checks."""
    shapes = [read_text("shapes", name) for name in list_files("shapes", ".ttl")]
    off = sorted(d.lower() for d in disabled)
    ontology = read_text("ontology", "vaultkg.ttl")
    text = repr((__version__, code_digest(), str(vault.resolve()), shapes, ontology, off, checks))
    return hashlib.sha256(text.encode()).hexdigest()


# -- the graphs --------------------------------------------------------------------------------


class Graphs:
    """The dataset's graphs as N-Triples, read one at a time (the build renders each note's)."""

    def __init__(self, dataset: Dataset, parts: Mapping[str, GraphPart]) -> None:
        self.dataset, self.parts = dataset, parts
        self._made: dict[str, bytes] = {}
        self._rows: dict[str, list[bytes]] = {}
        self._subjects: dict[str, list[str]] | None = None

    def names(self) -> Iterable[str]:
        return self.dataset.lines.keys()

    def ntriples(self, graph: str) -> bytes:
        if self.dataset.has_cached("ntriples"):  # all made already (for the store of a whole validation)
            return graph_ntriples(self.dataset)[graph]
        if graph in self.parts:
            return self.parts[graph].ntriples()
        if graph not in self._made:
            self._made[graph] = rdf_bytes(self.dataset.graphs[graph], ox.RdfFormat.N_TRIPLES)
        return self._made[graph]

    def rows(self, graph: str) -> list[bytes]:
        """The graph's N-Triples rows (without their line breaks)."""
        if graph not in self._rows:
            self._rows[graph] = _rows(self.ntriples(graph))
        return self._rows[graph]

    def fingerprints(self) -> dict[str, Fingerprint]:
        prints = {}
        for graph, pairs in self.dataset.lines.items():
            part = self.parts.get(graph)
            if part is not None:
                prints[graph] = (part.hash, part.sourcemap, part.path)
            else:
                digest = hashlib.sha256(self.ntriples(graph)).hexdigest()
                prints[graph] = (digest, repr([line for _, line in pairs]), self.dataset.paths.get(graph))
        return prints

    def holding(self, subject: str) -> list[str]:
        """The graphs with a triple whose subject is ``subject`` (N-Triples form)."""
        if self._subjects is None:
            index: dict[str, list[str]] = {}
            for graph in self.names():
                if graph in self.parts:
                    subjects: Iterable[str] = self.parts[graph].subjects
                else:
                    subjects = dict.fromkeys(row[: row.index(b" ")].decode() for row in self.rows(graph))
                for s in subjects:
                    index.setdefault(s, []).append(graph)
            self._subjects = index
        return self._subjects.get(subject, [])


def _rows(nt: bytes) -> list[bytes]:
    return nt.split(b"\n")[:-1]  # not splitlines(): literals may hold U+2028, U+0085


def _split(row: bytes) -> tuple[str, str, str]:
    """``(subject, predicate, object)`` of an N-Triples row, in N-Triples form (IRIs in ``<>``)."""
    s, p, o = row[:-2].decode().split(" ", 2)
    return s, p, o


class Index:
    """Two indexes of the data, kept up to date graph by graph: which graphs hold a triple with a
    given object (IRIs, and literals of the predicates in ``literal``), and every triple with a
    predicate in ``predicates`` (what the checks read)."""

    def __init__(self, predicates: frozenset[str], literal: frozenset[str]) -> None:
        self.predicates, self.literal = predicates, literal
        self._predicates = {p.encode() for p in predicates}
        self._literal = {p.encode() for p in literal}
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self.linked: dict[bytes, bytearray] = {}  # object → ids of the graphs (array "I"), once per triple
        self.lines: dict[bytes, bytearray] = {p: bytearray(b"\n") for p in self._predicates}  # "\n" + rows + "\n"

    def add(self, graph: str, rows: Iterable[bytes]) -> None:
        gid = self.ids.setdefault(graph, len(self.ids))
        if gid == len(self.names):
            self.names.append(graph)
        mark = array("I", [gid]).tobytes()
        linked, lines, literal, predicates = self.linked, self.lines, self._literal, self._predicates
        for row in rows:
            p, o = _predicate_object(row)
            if o[:1] == b"<" or p in literal:
                if (ids := linked.get(o)) is None:
                    linked[o] = ids = bytearray()
                ids += mark
            if p in predicates:
                lines[p] += row + b"\n"
            if p == _RDF_TYPE and (key := p + b" " + o[1:-1]) in predicates:  # rdf:type <class>
                lines[key] += row + b"\n"

    def remove(self, graph: str, rows: Iterable[bytes]) -> None:
        gid = self.ids[graph]
        for row in rows:
            p, o = _predicate_object(row)
            if (o[:1] == b"<" or p in self._literal) and o in self.linked:
                ids = array("I", self.linked[o])
                if gid in ids:
                    ids.remove(gid)
                if ids:
                    self.linked[o] = bytearray(ids.tobytes())
                else:
                    del self.linked[o]
            for key in (p, p + b" " + o[1:-1]) if p == _RDF_TYPE else (p,):  # rdf:type <class> too
                if key in self._predicates:
                    blob, line = self.lines[key], b"\n" + row + b"\n"
                    at = blob.find(line)
                    if at >= 0:
                        del blob[at + 1 : at + len(line)]

    def linking(self, obj: str) -> list[str]:
        """The graphs with a triple whose object is ``obj`` (N-Triples form)."""
        return sorted({self.names[i] for i in array("I", self.linked.get(obj.encode(), b""))})

    def rows_of(self, predicates: Iterable[str]) -> list[bytes]:
        found = (self.lines.get(p.encode()) for p in sorted(predicates))
        return [bytes(blob[1:]) for blob in found if blob is not None]


_RDF_TYPE = RDF_TYPE.encode()


def _predicate_object(row: bytes) -> tuple[bytes, bytes]:
    """The predicate (its IRI) and the object (N-Triples form) of an N-Triples row: neither a
    subject nor a predicate (IRIs) holds a space."""
    a = row.index(b" ")
    b = row.index(b" ", a + 1)
    return row[a + 2 : b - 1], row[b + 1 : -2]


# -- keeping -----------------------------------------------------------------------------------


def load_state(folder: Path, key: str) -> State | None:
    """The state kept in ``folder`` for ``key``, or ``None`` (none, another key, unreadable)."""
    try:
        with open(folder / STATE_FILE, "rb") as handle:
            if handle.read(64) != key.encode("ascii"):
                return None
            state = pickle.load(handle)
    except Exception:  # missing, cut short or foreign: only a slower validation
        return None
    return state if isinstance(state, State) and state.key == key else None


def save_state(folder: Path, state: State) -> None:
    """Write ``state`` atomically; a folder that cannot be written to keeps none (it is a cache)."""
    tmp = folder / f".{STATE_FILE}.{os.getpid()}.tmp"
    try:
        try:
            with open(tmp, "wb") as out:
                out.write(state.key.encode("ascii"))
                pickle.dump(state, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / STATE_FILE)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError:
        pass


def new_state(
    key: str,
    graphs: Graphs,
    earlier: Mapping[str, GraphPart],
    units: list[Unit],
    checks_read: frozenset[str],
    reach: Reach,
    rules: list[Rule],
    table: dict[str, dict[str, str]],
) -> State:
    """The state of a whole validation (indexing every graph: ~0.3 s at 10,000 notes)."""
    prints = graphs.fingerprints()
    index = Index(checks_read | {SUBCLASS_OF}, reach.inverse | reach.targeted)
    for graph in graphs.names():
        index.add(graph, graphs.rows(graph))
    content = {g: graphs.ntriples(g) for g, fp in prints.items() if not _in_cache(g, fp, earlier)}
    return State(key, prints, content, index, units, rules, reach, table)


def _in_cache(graph: str, fingerprint: Fingerprint, earlier: Mapping[str, GraphPart]) -> bool:
    """Whether the build cache holds ``graph`` as it is now (else the state keeps its triples)."""
    part = earlier.get(graph)
    return part is not None and part.hash == fingerprint[0]


# -- validating again --------------------------------------------------------------------------


def revalidate(
    state: State,
    graphs: Graphs,
    earlier: Mapping[str, GraphPart],
    checks: list[Check],
    place: Callable[[list[tuple[int, Row]], Callable[[set[str]], set[str]]], list[Finding]],
) -> State | None:
    """``state`` brought up to ``graphs``; ``None`` when the whole validation must run. ``place``
    locates rows ``(unit, row)`` given a function naming the subjects that link to objects."""
    prints = graphs.fingerprints()
    changed = {g for g in prints.keys() | state.graphs.keys() if state.graphs.get(g) != prints.get(g)}
    if not changed:
        return state
    before: dict[str, bytes] = {}
    for g in changed:
        if g not in state.graphs:
            before[g] = b""
        elif g in state.content:
            before[g] = state.content[g]
        elif _in_cache(g, state.graphs[g], earlier):
            before[g] = earlier[g].ntriples()
        else:
            return None  # its earlier triples are known neither here nor in the build cache
    after = {g: graphs.ntriples(g) if g in prints else b"" for g in changed}
    delta: set[tuple[str, str, str]] = set()
    touched: set[str] = set()
    none: Fingerprint = ("", "", None)
    paths = {p for g in changed for p in (state.graphs.get(g, none)[2], prints.get(g, none)[2]) if p}
    gone: dict[str, set[bytes]] = {}
    came: dict[str, set[bytes]] = {}
    for g in changed:
        old, new = set(_rows(before[g])), set(_rows(after[g]))
        gone[g], came[g] = old - new, new - old
        delta.update(_split(line) for line in old ^ new)
    for s, _p, o in delta:  # where a result is placed changes only with these (or its note's lines)
        touched.update((s, o))
    predicates = {p[1:-1] for _s, p, _o in delta}
    predicates |= {typed_key(o[1:-1]) for _s, p, o in delta if p[1:-1] == RDF_TYPE}
    if SUBCLASS_OF in predicates:  # it can change the classes of any number of nodes
        return None
    rules, reach, index = state.rules, state.reach, state.index
    rerun = [i for i, unit in enumerate(state.units) if unit.reads is None or not unit.reads.isdisjoint(predicates)]
    if any(state.units[i].reads is None for i in rerun) or any(
        not (state.units[i].reads or frozenset()) <= index.predicates for i in rerun if i >= len(rules)
    ):
        return None
    # the indexes, brought up to the graphs now
    for g in sorted(changed):  # a graph's rows are a set: what it lost, what it gained
        if g in state.graphs:
            index.remove(g, gone[g])
        if g in prints:
            index.add(g, sorted(came[g]))
    units = list(state.units)
    walker = _Walker(graphs, index, reach)
    ran_rules = [i for i in rerun if i < len(rules)]
    if ran_rules:
        focus = walker.affected(delta)
        kept = {i: [r for r in units[i].rows if r["term"] not in focus] for i in ran_rules}
        if focus:
            store = walker.store(focus, index.rows_of([SUBCLASS_OF]))
            values = "VALUES ?focus { " + " ".join(sorted(focus)) + " } "
            restricted = [_restricted(rules[i], values) for i in ran_rules]
            if None in restricted:
                return None
            found = rule_results(
                store, [r for r in restricted if r is not None], [ox.DefaultGraph(), ONTOLOGY_GRAPH], terms=True
            )
            for i, rows in zip(ran_rules, found, strict=True):
                kept[i] += rows
        for i in ran_rules:
            units[i] = Unit(units[i].reads, kept[i], [])
    ran_checks = [i for i in rerun if i >= len(rules)]
    if ran_checks:
        wanted = frozenset().union(*(state.units[i].reads or () for i in ran_checks))
        store = ntriples_store(b"".join(index.rows_of(wanted)))
        found = thread_map(lambda i: check_rows(store, checks[i - len(rules)]), ran_checks)
        for i, rows in zip(ran_checks, found, strict=True):
            units[i] = Unit(units[i].reads, rows, [])
    # place again what is new, and what was placed in a changed note or at a changed node
    still: dict[tuple[int, tuple[Any, ...]], Finding] = {}
    for i, unit in enumerate(state.units):
        for row, finding in zip(unit.rows, unit.findings, strict=True):
            if finding.path not in paths and f"<{row['focus']}>" not in touched:
                still[(i, _row_key(row))] = finding
    todo = [(i, row) for i, unit in enumerate(units) for row in unit.rows if (i, _row_key(row)) not in still]
    placed = iter(place(todo, walker.linking)) if todo else iter(())
    result = []
    for i, unit in enumerate(units):
        findings = [still.get((i, _row_key(row))) or next(placed) for row in unit.rows]
        result.append(Unit(unit.reads, unit.rows, findings))
    content = _content(graphs, prints, earlier, state, changed)
    return dataclasses.replace(state, graphs=prints, content=content, index=index, units=result)


def _content(
    graphs: Graphs, prints: dict[str, Fingerprint], earlier: Mapping[str, GraphPart], state: State, changed: set[str]
) -> dict[str, bytes]:
    content = {g: nt for g, nt in state.content.items() if g in prints and g not in changed}
    for g in changed & prints.keys():
        if not _in_cache(g, prints[g], earlier):
            content[g] = graphs.ntriples(g)
    return content


def _row_key(row: Row) -> tuple[Any, ...]:
    return (row["focus"], row["path"], row["value"], row["severity"], row["shape"], row["message"],
            row.get("component"))  # fmt: skip


def _restricted(rule: Rule, values: str) -> Rule | None:
    """``rule`` run only for the focus nodes ``values`` names (``None``: it has no target subquery)."""
    at = rule.query.find(TARGET)
    if at < 0:
        return None
    at += len(TARGET)
    return dataclasses.replace(rule, query=rule.query[:at] + values + rule.query[at:])


class _Walker:
    """Walks the graphs along the shapes' paths (nodes in N-Triples form)."""

    def __init__(self, graphs: Graphs, index: Index, reach: Reach) -> None:
        self.graphs, self.index, self.reach = graphs, index, reach

    def rows_from(self, node: str) -> list[tuple[str, str, str]]:
        """The triples with ``node`` as subject."""
        prefix = node.encode() + b" "
        return [_split(r) for g in self.graphs.holding(node) for r in self.graphs.rows(g) if r.startswith(prefix)]

    def rows_to(self, node: str) -> list[tuple[str, str, str]]:
        """The triples with ``node`` as object."""
        suffix = b" " + node.encode() + b" ."
        return [_split(r) for g in self.index.linking(node) for r in self.graphs.rows(g)
                if r.endswith(suffix)]  # fmt: skip

    def step_back(self, node: str) -> set[str]:
        """The nodes a path step leads from to ``node``."""
        back = {s for s, p, _o in self.rows_to(node) if p[1:-1] in self.reach.forward}
        if self.reach.inverse and node.startswith("<"):
            back |= {o for _s, p, o in self.rows_from(node) if p[1:-1] in self.reach.inverse}
        return back

    def step(self, node: str) -> set[str]:
        """The nodes a path step leads to from ``node``."""
        ahead = set()
        if node.startswith("<"):
            ahead = {o for _s, p, o in self.rows_from(node) if p[1:-1] in self.reach.forward}
        if self.reach.inverse:
            ahead |= {s for s, p, _o in self.rows_to(node) if p[1:-1] in self.reach.inverse}
        return ahead

    def affected(self, delta: set[tuple[str, str, str]]) -> set[str]:
        """The focus nodes whose results Δ can change: within the depth of a node Δ reads at."""
        seeds = {s for s, _p, _o in delta}
        seeds |= {o for _s, p, o in delta if p[1:-1] in self.reach.inverse | self.reach.targeted}
        found, frontier = set(seeds), seeds
        for _ in range(self.reach.depth):
            frontier = {n for node in frontier for n in self.step_back(node)} - found
            found |= frontier
        return found

    def store(self, focus: set[str], extra: Iterable[bytes]) -> ox.Store:
        """A store of every triple of every node within the depth of ``focus``, of every triple
        making one of them a target through ``sh:targetObjectsOf``, and ``extra``."""
        nodes, frontier = set(focus), set(focus)
        for _ in range(self.reach.depth):
            frontier = {n for node in frontier for n in self.step(node)} - nodes
            nodes |= frontier
        rows = [b" ".join(x.encode() for x in t) + b" .\n" for node in focus for t in self.rows_to(node)
                if t[1][1:-1] in self.reach.targeted]  # fmt: skip
        rows += [b" ".join(x.encode() for x in t) + b" .\n" for node in sorted(nodes) if node.startswith("<")
                 for t in self.rows_from(node)]  # fmt: skip
        return ntriples_store(b"".join([*rows, *extra]))

    def linking(self, objects: set[str]) -> set[str]:
        """The subjects (IRIs) of the graphs holding a triple with one of ``objects`` (IRIs) as object."""
        holders: set[str] = set()
        for o in objects:
            for g in self.index.linking(f"<{o}>"):
                holders.update(s for s, _p, x in map(_split, self.graphs.rows(g)) if x == f"<{o}>")
        return {s[1:-1] for s in holders}


__all__ = ["Reach", "State", "Unit", "reach_of", "revalidate"]
