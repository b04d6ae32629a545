"""``validate``: SHACL shapes and SPARQL checks over a build, every result at a note's line.

The shapes are compiled to SPARQL and run on pyoxigraph (:mod:`vaultkg.shacl_sparql`) when they
use only what the compiler translates; otherwise — or with ``engine="pyshacl"`` — pySHACL
validates the whole graph once. Both see the ontology, so ``sh:class vkg:Actor`` accepts a
``vkg:Country``, and both give the same results (the test suite checks it). Every
``queries/checks/*.rq`` runs on pyoxigraph. Each result is then placed in the note it came from
through the build's line map: the line of the offending triple, else of the property, else of
the thing, else of the first place that links to it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from converters import Dataset, Severity
from converters.vocab import SCHEMA_MENTIONS, XSD_STRING

from .errors import InputError, VaultkgError, not_nquads
from .fragments import GraphPart
from .gctools import gc_paused
from .parallel import sigint_held
from .resources import data_root, list_files, read_text
from .sparql_rules import Unsupported, run_rules
from .threads import thread_map
from .writers import graph_ntriples, rendered_graphs

if TYPE_CHECKING:  # rdflib is imported where the shapes graph is needed (validating again needs none)
    import rdflib

LEVELS = ("violation", "warning", "info")
ENGINES = ("auto", "sparql", "pyshacl")
ONTOLOGY_GRAPH = ox.NamedNode("urn:vaultkg:ontology")
_FROM_BUILD = {Severity.ERROR: "violation", Severity.WARNING: "warning", Severity.INFO: "info"}
_SH = "http://www.w3.org/ns/shacl#"
_SH_SEVERITY = {f"{_SH}Violation": "violation", f"{_SH}Warning": "warning", f"{_SH}Info": "info"}


class ShapesError(VaultkgError):
    """The shapes or checks cannot be loaded: vaultkg cannot validate (exit 2)."""


def _severity(node: object) -> str:
    """``violation``, ``warning`` or ``info`` for a ``sh:severity`` value (Violation by default)."""
    return _SH_SEVERITY.get(str(node), "violation")


def rank(level: str) -> int:
    """0 for violation, 1 for warning, 2 for info."""
    return LEVELS.index(level)


@dataclass(frozen=True, slots=True)
class Finding:
    """One validation result, placed at a note's line."""

    path: str | None
    line: int
    severity: str  # violation | warning | info
    message: str
    rule: str  # shape or check name, or the build's diagnostic code
    source: str  # shacl | check | build
    focus: str | None = None
    value: str | None = None
    #: of a SHACL result: its constraint component, the shape (an IRI) and the path (an IRI)
    component: str | None = None
    shape: str | None = None
    result_path: str | None = None
    value_term: str | None = None  # ``value`` in N-Triples (a literal keeps its datatype)

    def sort_key(self) -> tuple:
        return (self.path or "", self.line, rank(self.severity), self.rule, self.message, self.focus or "")


_FINDING_FIELDS = tuple(f.name for f in fields(Finding))


@dataclass(slots=True)
class ValidationReport:
    """All findings of one validation, sorted by note and line."""

    findings: list[Finding]
    notes: int
    seconds: float = 0.0
    rules: dict[str, dict[str, str]] = field(default_factory=dict)  # rule id → name, description, level
    vault: str = ""
    paths: list[str] = field(default_factory=list)  # every note validated
    engine: str = ""  # what ran the shapes: sparql or pyshacl (and why, when it fell back)

    def count(self, level: str) -> int:
        return sum(1 for f in self.findings if f.severity == level)

    def at_or_above(self, level: str) -> list[Finding]:
        """Findings at ``level`` or worse (``none``: no finding counts)."""
        if level == "none":
            return []
        return [f for f in self.findings if rank(f.severity) <= rank(level)]

    def summary(self) -> dict[str, Any]:
        return {
            "notes": self.notes,
            "violations": self.count("violation"),
            "warnings": self.count("warning"),
            "infos": self.count("info"),
            "seconds": round(self.seconds, 2),
            "engine": self.engine,
        }

    def as_dict(self) -> dict[str, Any]:
        names = _FINDING_FIELDS  # dataclasses.asdict copies each value deeply: 25 µs a finding
        return {"summary": self.summary(), "findings": [{n: getattr(f, n) for n in names} for f in self.findings]}


# -- input -------------------------------------------------------------------------------------


def is_output_dir(path: Path) -> bool:
    return (path / "graph.nq").is_file() and (path / "sourcemap.json").is_file()


def load_output(path: Path) -> tuple[Dataset, list[Finding]]:
    """The dataset of a build folder (graph.nq + sourcemap.json + report.json)."""
    try:
        sourcemap = json.loads((path / "sourcemap.json").read_text(encoding="utf-8"))
        report = json.loads((path / "report.json").read_text(encoding="utf-8"))
        quads = list(ox.parse(path=str(path / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    except SyntaxError as exc:  # where graph.nq breaks, as the other commands say it
        raise not_nquads(path / "graph.nq", exc) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the build ({exc}); run 'vaultkg build' again") from None
    graphs: dict[str, list[ox.Triple]] = {}
    for q in quads:
        graphs.setdefault(q.graph_name.value, []).append(q.triple)
    lines: dict[str, list[tuple[ox.Triple, int]]] = {}
    paths: dict[str, str] = {}
    for graph, triples in graphs.items():
        entry = sourcemap.get(graph)
        if entry is None or len(entry["lines"]) != len(triples):
            raise InputError(f"{path}: sourcemap.json does not match graph.nq; run 'vaultkg build' again")
        lines[graph] = list(zip(triples, entry["lines"], strict=True))
        if entry.get("path"):
            paths[graph] = entry["path"]
    dataset = Dataset(graphs=graphs, vault_graph=report.get("base", ""), prefixes={}, notes=report.get("notes", 0))
    dataset.lines, dataset.paths = lines, paths
    build_findings = [
        Finding(d["path"], d["line"], _FROM_BUILD[Severity(d["severity"])], d["message"], d["code"], "build")
        for d in report.get("diagnostics", [])
    ]
    return dataset, build_findings


# -- shapes and checks -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """A stored SPARQL check: a SELECT of ?entity ?property ?value that must return nothing."""

    name: str
    query: str
    severity: str
    message: str
    summary: str


def load_checks(disabled: Iterable[str] = ()) -> list[Check]:
    checks = []
    off = {d.lower() for d in disabled}
    for name in list_files_under("queries/checks", ".rq"):
        check_id = name.removesuffix(".rq")
        if check_id.lower() in off:
            continue
        text = (data_root("queries") / "checks" / name).read_text(encoding="utf-8")
        meta = dict(re.findall(r"^#\+\s*(\w+):\s*(.*)$", text, re.M))
        severity = meta.get("severity", "warning").strip().lower()
        if severity not in LEVELS:
            raise ShapesError(f"queries/checks/{name}: severity '{severity}' is not one of {', '.join(LEVELS)}")
        try:
            ox.Store().query(text)
        except SyntaxError as exc:
            raise ShapesError(f"queries/checks/{name}: not valid SPARQL: {exc}") from None
        message, summary = str(meta.get("message", meta.get("summary", check_id))), str(meta.get("summary", check_id))
        checks.append(Check(check_id, text, severity, message, summary))
    return checks


def list_files_under(folder: str, suffix: str) -> list[str]:
    top, _, sub = folder.partition("/")
    root = data_root(top) / sub if sub else data_root(top)
    return sorted(p.name for p in root.iterdir() if p.is_file() and p.name.endswith(suffix)) if root.is_dir() else []


def load_shapes(disabled: Iterable[str] = ()) -> rdflib.Graph:
    """All bundled shapes, minus the node shapes named in ``disabled`` (local or sh:name)."""
    import rdflib
    from rdflib.namespace import SH

    from .shacl_sparql import local_name

    graph = rdflib.Graph()
    for name in list_files("shapes", ".ttl"):
        try:
            graph.parse(data=read_text("shapes", name), format="turtle")
        except Exception as exc:  # rdflib raises many kinds of parse errors
            raise ShapesError(f"shapes/{name}: does not load: {exc}") from None
    off = {d.lower() for d in disabled}
    if off:
        for shape in set(graph.subjects(rdflib.RDF.type, SH.NodeShape)):
            names = {local_name(shape).lower()} | {str(n).lower() for n in graph.objects(shape, SH.name)}
            if names & off:
                graph.remove((shape, None, None))
    return graph


def _ontology() -> rdflib.Graph:
    import rdflib

    return rdflib.Graph().parse(data=read_text("ontology", "vaultkg.ttl"), format="turtle")


# -- locating results --------------------------------------------------------------------------


class Locator:
    """Finds the note and line a focus node, property and value came from.

    Every lookup is by a focus node (as subject, or as object for the inverse fallback), so
    given the ``focus`` nodes of the results to locate, only their triples are indexed: first
    the graphs holding a focus node as subject (each rendered graph names its subjects), then,
    for focus nodes no note holds as subject, the graphs linking to them (those holding a
    subject that ``store``, the union graph, says links to one, or ``linking`` names; every graph
    without either)."""

    def __init__(
        self,
        dataset: Dataset,
        focus: set[str] | None = None,
        store: ox.Store | None = None,
        linking: Callable[[set[str]], set[str] | None] | None = None,
    ) -> None:
        self.spo: dict[tuple[str, str, str], tuple[str, int]] = {}
        self.sp: dict[tuple[str, str], tuple[str, int]] = {}
        self.s: dict[str, tuple[str, int]] = {}
        self.typed: dict[str, tuple[str, int]] = {}
        self.o: dict[str, tuple[str, int]] = {}
        self.mentioned: dict[str, tuple[str, int]] = {}  # as self.o, by schema:mentions only
        self.labels: dict[str, str] = {}
        self._parts = rendered_graphs(dataset) if dataset.reused else {}
        self._nts = graph_ntriples(dataset) if dataset.has_cached("ntriples") else {}  # the store's, if loaded
        if focus is None:
            for graph in dataset.lines:
                self._scan(dataset, graph, None, None)
            return
        self._scan_all(dataset, focus, None, holders=focus)
        # the rest are located only through what links to them: the first such triple of all
        # (not of those just read, which hold a focus node as subject)
        missing = {f for f in focus if f not in self.s}
        self.o, self.mentioned = {}, {}
        if missing:
            holders = linking(missing) if linking is not None else _linking(store, missing)
            self._scan_all(dataset, None, missing, holders=holders)

    def _scan_all(
        self,
        dataset: Dataset,
        subjects: set[str] | None,
        objects: set[str] | None,
        *,
        holders: set[str] | None,
    ) -> None:
        """Index the rows of every graph with a subject in ``subjects`` or an IRI object in
        ``objects``; rendered graphs holding none of ``holders`` as subject are not read (those
        rows can only stand in graphs holding one; ``None``: read every graph)."""
        wanted = _bracketed(holders)
        keys = (_bracketed(subjects), _bracketed(objects))  # as rendered graphs' N-Triples write them
        for graph in dataset.lines:
            if graph in dataset.reused and wanted is not None and wanted.isdisjoint(self._parts[graph].subjects):
                continue
            self._scan(dataset, graph, subjects, objects, keys)
            if objects is not None and len(self.o) == len(objects):  # each found where it is first linked
                return

    def _scan(
        self,
        dataset: Dataset,
        graph: str,
        subjects: set[str] | None,
        objects: set[str] | None,
        keys: tuple[set[str] | None, set[str] | None] = (None, None),
    ) -> None:
        path = dataset.paths.get(graph)
        if graph in dataset.reused:  # rendered, not unpacked: read its N-Triples and source lines
            self._add(path, _terms_of(self._parts[graph], *keys, self._nts.get(graph)))
            return
        rows: Iterable[tuple[str, str, str, bool, int]] = (
            (t.subject.value, t.predicate.value, t.object.value, isinstance(t.object, ox.NamedNode), line)
            for t, line in dataset.lines[graph]
        )
        if subjects is not None or objects is not None:
            rows = (row for row in rows if _wanted(row, subjects, objects))
        self._add(path, rows)

    def _add(self, path: str | None, rows: Iterable[tuple[str, str, str, bool, int]]) -> None:
        for s, p, o, iri, line in rows:
            if p == "http://www.w3.org/2000/01/rdf-schema#label":
                self.labels.setdefault(s, o)
            if path is None:
                continue
            here = (path, line)
            self.spo.setdefault((s, p, o), here)
            self.sp.setdefault((s, p), here)
            self.s.setdefault(s, here)
            if p == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type":
                self.typed.setdefault(s, here)
            if not iri:
                continue
            # the first note linking to it, at its first such line; a mention only where nothing
            # links to it (a name without a note is linked somewhere, and mentioned anywhere)
            seen = self.mentioned if p == MENTIONS else self.o
            if (hit := seen.get(o)) is None or (hit[0] == path and line < hit[1]):
                seen[o] = here

    def locate(self, focus: str | None, path: str | None, value: str | None) -> tuple[str | None, int, bool]:
        """``(note path, line, found only through a link to the focus)``."""
        if focus is not None:
            if path and value is not None and (hit := self.spo.get((focus, path, value))):
                return (*hit, False)
            if path and (hit := self.sp.get((focus, path))):
                return (*hit, False)
            if hit := self.typed.get(focus) or self.s.get(focus):
                return (*hit, False)
            if hit := self.o.get(focus) or self.mentioned.get(focus):
                return (*hit, True)
        return None, 0, False


# -- validation --------------------------------------------------------------------------------


def _rdflib_graph(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    import rdflib

    graph = rdflib.Graph()
    add = graph.add
    for t in triples:
        o = t.object
        if isinstance(o, ox.NamedNode):
            obj: rdflib.term.Node = rdflib.URIRef(o.value)
        elif o.language:
            obj = rdflib.Literal(o.value, lang=o.language)
        elif o.datatype == XSD_STRING:  # as rdflib parses "x" (it tells "x" from "x"^^xsd:string)
            obj = rdflib.Literal(o.value)
        else:
            obj = rdflib.Literal(o.value, datatype=rdflib.URIRef(o.datatype.value))
        add((rdflib.URIRef(t.subject.value), rdflib.URIRef(t.predicate.value), obj))
    return graph


def relevant_triples(triples: list[ox.Triple], shapes: rdflib.Graph) -> Iterable[ox.Triple]:
    """The triples SHACL Core shapes can look at (:func:`shape_predicates`): their results cannot
    depend on any other triple, so they stay exactly those of the whole graph — and loading a
    third fewer triples into rdflib is the largest saving in validation."""
    named = shape_predicates(shapes)
    return triples if named is None else [t for t in triples if t.predicate.value in named]


MENTIONS = SCHEMA_MENTIONS.value
#: From this many notes, validation looks whether it can leave unlinked mentions out (1,000 notes:
#: about even; 10,000: 7.7 → 6.7–6.8 s).
MENTIONS_SKIPPED_FROM = 2000


def _reads(shapes: rdflib.Graph, checks: list[Check], predicate: str) -> bool:
    """Whether the shapes or a check can see triples with ``predicate``."""
    seen = shape_predicates(shapes)
    if seen is None or predicate in seen:
        return True
    return any((reads := query_predicates(check.query)) is None or predicate in reads for check in checks)


def shape_predicates(shapes: rdflib.Graph) -> set[str] | None:
    """The predicates of the triples SHACL Core shapes can look at: those the shapes name (in a
    path or a target), plus ``rdf:type`` and ``rdfs:subClassOf``; ``None`` (any) with
    ``sh:sparql`` or ``sh:closed``."""
    import rdflib
    from rdflib.namespace import SH

    if (None, SH.sparql, None) in shapes or (None, SH.closed, None) in shapes:
        return None
    named = {str(t) for triple in shapes for t in triple if isinstance(t, rdflib.URIRef)}
    named.update((str(rdflib.RDF.type), str(rdflib.RDFS.subClassOf)))  # targets and sh:class follow both
    return named


def query_predicates(query: str, *, every_node: bool = False, types: set[str] | None = None) -> set[str] | None:
    """The predicates of the triples a SPARQL query can read (every IRI it names in a triple
    pattern or property path); ``None`` when it can read any — a variable or negated predicate,
    or a ``SERVICE``. With ``every_node``, also when a path may be empty (``*``, ``?``): with both
    ends unbound it matches every node of the graph, so triples of any predicate change it.
    ``types`` gets the classes its ``rdf:type`` patterns name — and ``""`` if one names none (a
    variable, or ``rdf:type`` in a path): it reads only the ``rdf:type`` triples of those."""
    import rdflib
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    found: set[str] = set()
    classes: set[str] = set() if types is None else types

    def predicate(p: object, in_path: bool = False) -> bool:  # False: it can be any predicate
        if isinstance(p, rdflib.URIRef):
            found.add(str(p))
            if in_path and p == rdflib.RDF.type:
                classes.add("")
            return True
        if isinstance(p, SequencePath | AlternativePath):
            return all(predicate(x, True) for x in p.args)
        if isinstance(p, InvPath):
            return predicate(p.arg, True)
        if isinstance(p, MulPath):
            return not (every_node and p.zero) and predicate(p.path, True)
        return False  # a variable, a negated property set, anything else

    def typed(p: object, o: object) -> None:
        if p == rdflib.RDF.type:
            classes.add(str(o) if isinstance(o, rdflib.URIRef) else "")

    def walk(node: object) -> bool:
        if isinstance(node, CompValue):
            if node.name.startswith("Service"):
                return False
            if node.name in ("BGP", "TriplesBlock"):  # translated: (s, p, o) tuples; not yet: s p o s p o …
                for group in node.get("triples") or ():
                    terms = list(group)
                    if len(terms) % 3 or not all(predicate(terms[i]) for i in range(1, len(terms), 3)):
                        return False
                    for i in range(1, len(terms), 3):
                        typed(terms[i], terms[i + 1])
            return all(walk(value) for key, value in node.items() if key != "triples")
        if isinstance(node, list | tuple):
            return all(walk(x) for x in node)
        return True

    return found if walk(translateQuery(parseQuery(query)).algebra) else None


def data_store(dataset: Dataset) -> ox.Store:
    """An in-memory store with the union graph as its default graph and the ontology in the
    graph ``urn:vaultkg:ontology`` (shapes see both, checks only the data)."""
    return ntriples_store(b"".join(graph_ntriples(dataset).values()))


def ntriples_store(data: bytes) -> ox.Store:
    """An in-memory store of N-Triples ``data`` (the default graph) and the ontology (its graph)."""
    store = ox.Store()
    # lenient: no second check of IRIs and language tags pyoxigraph wrote from valid terms (the
    # graphs' N-Triples are its serialization, or spans of a build's graph.nq that the build
    # cache's layout vouches for, by stamp or SHA-256; 10k: 1.5 → 1.1–1.2 s)
    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, lenient=True)
    store.bulk_load(read_text("ontology", "vaultkg.ttl").encode(), format=ox.RdfFormat.TURTLE, to_graph=ONTOLOGY_GRAPH)
    return store


def shacl_results(
    dataset: Dataset,
    shapes: rdflib.Graph,
    *,
    workers: int | None = None,
    engine: str = "auto",
    store: ox.Store | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """The SHACL results and the engine that gave them (``sparql``, or ``pyshacl`` and why).

    ``auto`` compiles the shapes to SPARQL and falls back to pySHACL when they use something the
    compiler does not translate (or Oxigraph refuses a query, e.g. a regex it does not support);
    ``sparql`` raises :class:`ShapesError` instead of falling back; ``pyshacl`` is the reference.
    """
    from .shacl_sparql import compile_shapes

    if engine not in ENGINES:
        raise ShapesError(f"unknown validation engine '{engine}' (use {', '.join(ENGINES)})")
    reason = "asked for"
    if engine != "pyshacl":
        try:
            rules = compile_shapes(shapes)
            store = store or data_store(dataset)
            return run_rules(store, rules, [ox.DefaultGraph(), ONTOLOGY_GRAPH]), "sparql"
        except (Unsupported, SyntaxError, OSError) as exc:
            if engine == "sparql":
                raise ShapesError(f"the shapes cannot run as SPARQL: {exc}") from None
            reason = str(exc)
    return pyshacl_results(dataset, shapes, workers=workers), f"pyshacl ({reason})"


def pyshacl_results(dataset: Dataset, shapes: rdflib.Graph, *, workers: int | None = None) -> list[dict[str, Any]]:
    """pySHACL over the whole union graph plus the ontology: the reference results.

    Node shapes are independent, so on a large graph they are split across worker processes
    (forked, so the data graph is built once), each validating the whole graph with its share of
    the shapes; the union of their results is exactly the result of one run with all shapes.
    """
    data = _rdflib_graph(relevant_triples(dataset.triples(), shapes))
    data += _ontology()  # what pySHACL's ont_graph does, without cloning the data graph first
    workers = workers if workers is not None else (min(2, os.cpu_count() or 1) if len(data) > 50_000 else 1)
    groups = _partition(shapes, data, workers)
    if len(groups) <= 1:
        return _run_pyshacl(data, shapes)[0]
    ctx = multiprocessing.get_context("fork")
    global _FORK_DATA
    _FORK_DATA = data
    try:
        with ProcessPoolExecutor(max_workers=len(groups), mp_context=ctx) as pool:
            with sigint_held():  # the workers are forked on the first submission
                running = pool.map(_run_group, [_subset(shapes, g) for g in groups])
            parts = list(running)
    finally:
        _FORK_DATA = None
    return sorted((r for part in parts for r in part), key=lambda r: tuple(str(v) for v in r.values()))


_FORK_DATA: rdflib.Graph | None = None


def _run_group(shapes_ttl: str) -> list[dict[str, Any]]:
    import rdflib

    assert _FORK_DATA is not None
    shapes = rdflib.Graph().parse(data=shapes_ttl, format="turtle")
    return _run_pyshacl(_FORK_DATA, shapes)[0]


def _subset(shapes: rdflib.Graph, keep: list[rdflib.term.Node]) -> str:
    import rdflib
    from rdflib.namespace import SH

    sub = rdflib.Graph()
    for triple in shapes:
        sub.add(triple)
    for shape in set(shapes.subjects(rdflib.RDF.type, SH.NodeShape)) - set(keep):
        sub.remove((shape, None, None))
    return sub.serialize(format="turtle")


def _partition(shapes: rdflib.Graph, data: rdflib.Graph, workers: int) -> list[list[rdflib.term.Node]]:
    """Node shapes in ``workers`` groups of about equal cost (focus nodes × constraints)."""
    import rdflib
    from rdflib.namespace import SH

    node_shapes = sorted(shapes.subjects(rdflib.RDF.type, SH.NodeShape), key=str)
    if workers <= 1 or len(node_shapes) < 2:
        return [node_shapes]
    costs = []
    for shape in node_shapes:
        focus = sum(1 for c in shapes.objects(shape, SH.targetClass) for _ in data.subjects(rdflib.RDF.type, c))
        for attr in (SH.targetObjectsOf, SH.targetSubjectsOf):
            focus += sum(1 for p in shapes.objects(shape, attr) for _ in data.triples((None, p, None)))
        weight = (
            1
            + sum(1 for _ in shapes.objects(shape, SH.property))
            + 3 * sum(1 for _ in shapes.transitive_objects(shape, None) if (_, SH["or"], None) in shapes)
        )
        costs.append((focus * weight, shape))
    groups: list[tuple[int, list[rdflib.term.Node]]] = [(0, []) for _ in range(workers)]
    for cost, shape in sorted(costs, key=lambda c: (-c[0], str(c[1]))):
        groups.sort(key=lambda g: g[0])
        groups[0] = (groups[0][0] + cost, [*groups[0][1], shape])
    return [g for _, g in groups if g]


def _run_pyshacl(data: rdflib.Graph, shapes: rdflib.Graph) -> tuple[list[dict[str, Any]], rdflib.Graph]:
    import pyshacl
    import rdflib
    from rdflib.namespace import SH

    from .shacl_sparql import local_name

    _conforms, results_graph, _text = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    parents = {obj: subj for subj, obj in shapes.subject_objects(SH.property)}
    results = []
    # the report's own results: those nested under sh:detail (sh:node) are not results of the graph
    for result in results_graph.objects(None, SH.result):
        shape = results_graph.value(result, SH.sourceShape)
        node_shape = parents.get(shape, shape)
        messages = sorted(str(m) for m in results_graph.objects(result, SH.resultMessage))
        value = results_graph.value(result, SH.value)
        path = results_graph.value(result, SH.resultPath)
        results.append({
            "focus": str(results_graph.value(result, SH.focusNode)),
            "path": str(path) if isinstance(path, rdflib.URIRef) else None,
            "value": str(value) if value is not None else None,
            "severity": _severity(results_graph.value(result, SH.resultSeverity)),
            "shape": local_name(node_shape) if isinstance(node_shape, rdflib.URIRef) else "shape",
            "message": messages[0] if messages else "does not conform",
            "component": _iri_or_none(results_graph.value(result, SH.sourceConstraintComponent)),
            "source": _iri_or_none(shape),
            "value_term": _ntriples(value),
        })  # fmt: skip
    return results, results_graph


def _iri_or_none(node: object) -> str | None:
    import rdflib

    return str(node) if isinstance(node, rdflib.URIRef) else None


def _ntriples(node: object) -> str | None:
    """An rdflib IRI or literal in N-Triples, written by pyoxigraph as the compiled engine's are."""
    import rdflib

    if isinstance(node, rdflib.URIRef):
        return str(ox.NamedNode(str(node)))
    if isinstance(node, rdflib.Literal):
        if node.language:
            return str(ox.Literal(str(node), language=node.language))
        return str(ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)) if node.datatype else None))
    return None


def check_results(dataset: Dataset, checks: list[Check], store: ox.Store | None = None) -> list[dict[str, Any]]:
    """Rows of every SPARQL check, run on the data alone (the default graph of ``store``)."""
    store = store or data_store(dataset)
    return [row for rows in thread_map(lambda check: check_rows(store, check), checks) for row in rows]


def check_rows(store: ox.Store, check: Check) -> list[dict[str, Any]]:
    """The rows of one check on the default graph of ``store``."""
    rows = []
    for solution in store.query(check.query):
        entity, prop, value = (solution[v] for v in ("entity", "property", "value"))
        rows.append({
            "focus": entity.value if entity is not None else None,
            "path": prop.value if prop is not None else None,
            "value": value.value if value is not None else None,
            "severity": check.severity,
            "shape": check.name,
            "message": check.message.replace("{value}", value.value if value is not None else ""),
            "value_term": str(value) if value is not None else None,
        })  # fmt: skip
    return rows


def rules_table(shapes: rdflib.Graph, checks: list[Check]) -> dict[str, dict[str, str]]:
    """Rule id → name, description and default level, for SARIF and the README."""
    import rdflib
    from rdflib.namespace import SH

    from .shacl_sparql import local_name

    rules: dict[str, dict[str, str]] = {}
    for shape in shapes.subjects(rdflib.RDF.type, SH.NodeShape):
        if isinstance(shape, rdflib.URIRef):
            rules[local_name(shape)] = {
                "name": str(shapes.value(shape, SH.name) or local_name(shape)),
                "description": str(shapes.value(shape, SH.description) or ""),
                "level": _severity(shapes.value(shape, SH.severity)),
            }
    for check in checks:
        rules[check.name] = {"name": check.name, "description": check.summary, "level": check.severity}
    return dict(sorted(rules.items()))


def _bracketed(iris: set[str] | None) -> set[str] | None:
    return {f"<{x}>" for x in iris} if iris is not None else None


def _wanted(row: tuple[str, str, str, bool, int], subjects: set[str] | None, objects: set[str] | None) -> bool:
    return (subjects is not None and row[0] in subjects) or (objects is not None and row[3] and row[2] in objects)


def _linking(store: ox.Store | None, objects: set[str]) -> set[str] | None:
    """The subjects of the union graph in ``store`` with one of ``objects`` as object (``None``
    without a store: any subject may). A focus node may be a literal (its text is all a result
    gives): what is no IRI links to nothing."""
    if store is None:
        return None
    iris = []
    for text in sorted(objects):
        try:
            iris.append(str(ox.NamedNode(text)))
        except ValueError:
            continue
    if not iris:
        return set()
    query = f"SELECT DISTINCT ?s WHERE {{ VALUES ?o {{ {' '.join(iris)} }} ?s ?p ?o }}"
    return {row[0].value for row in store.query(query)}


def _terms_of(
    part: GraphPart, subjects: set[str] | None = None, objects: set[str] | None = None, nt: bytes | None = None
) -> Iterator[tuple[str, str, str, bool, int]]:
    """``(subject, predicate, object, object is an IRI, line)`` of a rendered graph, read from its
    N-Triples as pyoxigraph writes them (IRIs in ``<>``, no blank nodes) and its sourcemap entry;
    with ``subjects`` or ``objects`` (IRIs written ``<iri>``), only triples with one of those as
    subject, or (IRI) object. ``nt``: the graph's N-Triples, if they are at hand already."""
    text = (nt if nt is not None else part.ntriples()).decode()
    rows = text.split("\n")[:-1]  # not splitlines(): literals may hold U+2028, U+0085
    if subjects is not None or objects is not None:  # a subject ends at the first space, an IRI object is last
        first, last = subjects or _NONE, objects or _NONE
        hits = [i for i, row in enumerate(rows)
                if row[: row.find(" ")] in first
                or (last and row[-3] == ">" and row[row.rfind(" ", 0, -2) + 1 : -2] in last)]  # fmt: skip
        if not hits:
            return
    else:
        hits = list(range(len(rows)))
    lines = json.loads("{" + part.sourcemap + "}")[part.graph]["lines"]
    if len(lines) != len(rows):
        raise AssertionError(f"{part.graph}: {len(rows)} triples but {len(lines)} source lines")
    for i in hits:
        s, p, o = rows[i][:-2].split(" ", 2)
        if o.startswith("<"):
            yield s[1:-1], p[1:-1], o[1:-1], True, lines[i]
        else:
            lexical = o[1 : o.rindex('"')]
            yield s[1:-1], p[1:-1], _ECHAR.sub(_unescape, lexical) if "\\" in lexical else lexical, False, lines[i]


_NONE: frozenset[str] = frozenset()
_ECHAR = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ESCAPED = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(m: re.Match[str]) -> str:
    code = m.group(1) or m.group(2)
    return chr(int(code, 16)) if code else _ESCAPED[m.group(3)]


def findings_from(
    dataset: Dataset, results: Iterable[dict[str, Any]], source: str, locator: Locator | None = None
) -> list[Finding]:
    """Findings with the note and line of each result (``locator``: one built for them all)."""
    results = list(results)
    locator = locator or Locator(dataset, {r["focus"] for r in results if r["focus"] is not None})
    findings = []
    for r in results:
        path, line, inverse = locator.locate(r["focus"], r["path"], r["value"])
        message = r["message"]
        if inverse or path is None:
            label = locator.labels.get(r["focus"] or "", r["focus"])
            message = f"'{label}' {message}" if message[:1].islower() else f"{label}: {message}"
        if r["value"] is not None and r["value"] != r["focus"] and r["value"] not in message:
            message += f" (value: {r['value']})"
        shacl = source == "shacl"  # a shape's result: SHACL's words for where it comes from
        findings.append(Finding(path, line, r["severity"], message, r["shape"], source, r["focus"], r["value"],
                                component=r.get("component") if shacl else None,
                                shape=r.get("source") if shacl else None,
                                result_path=r["path"] if shacl else None, value_term=r.get("value_term")))  # fmt: skip
    return findings


def validate(
    target: str | Path,
    *,
    config: str | Path | None = None,
    base: str | None = None,
    on_event: Callable[..., None] | None = None,
    engine: str = "auto",
    cache_from: str | Path | None = None,
) -> ValidationReport:
    """Validate a vault (built in memory) or a build folder (``graph.nq`` + ``sourcemap.json``).

    ``engine`` chooses what runs the shapes: see :func:`shacl_results`. ``cache_from`` names a
    build folder of the vault whose build cache is reused: notes unchanged since that build are
    not converted again, and (with the compiled shapes) the results are kept beside the cache,
    so that the next validation runs again only what the edits since can change
    (:mod:`vaultkg.revalidation`; the findings are the same either way)."""
    with gc_paused():  # the locator and the results make millions of small objects (10k: −0.5 s)
        return _validate(target, config=config, base=base, on_event=on_event, engine=engine, cache_from=cache_from)


def _validate(
    target: str | Path,
    *,
    config: str | Path | None,
    base: str | None,
    on_event: Callable[..., None] | None,
    engine: str,
    cache_from: str | Path | None,
) -> ValidationReport:
    from .buildcache import has_cache
    from .building import build
    from .config import load_config

    started = time.perf_counter()
    root = Path(target)
    shown = str(root)
    root_is_build = is_output_dir(root) and not any(root.glob("*.md"))
    if not root_is_build and (root / "graph.nq").is_file() and not any(root.rglob("*.md")):
        raise InputError(f"{root}: a build folder without sourcemap.json (findings are placed at source "
                         "lines with it); run 'vaultkg build' again")  # fmt: skip
    cfg, _ = load_config(Path(config) if config else None, vault=None if root_is_build else root, base=base)
    checks = load_checks(cfg.disabled_checks)
    loaded: list[rdflib.Graph] = []

    def shapes() -> rdflib.Graph:
        """The shapes graph, loaded when first needed (validating again needs none: ~0.1 s)."""
        if not loaded:
            loaded.append(load_shapes(cfg.disabled_checks))
        return loaded[0]

    reused = not root_is_build and cache_from is not None and has_cache(Path(cache_from), root)
    if not reused or engine == "pyshacl":
        shapes()  # shapes that do not load are an error before any work (kept results need none)
    if root_is_build:
        shown = ""  # paths in a build folder are relative to a vault we do not know
        dataset, findings = load_output(root)
    else:

        def mentions(notes: int) -> bool | None:
            """Unlinked mentions are ~15 % of converting a note: left out of a large vault when no
            shape and no check can see them (finding that out parses the checks: ~0.3 s), unless a
            build cache is reused (made with them, it would not fit)."""
            if notes < MENTIONS_SKIPPED_FROM or not cfg.mentions or reused:
                return None
            return None if _reads(shapes(), checks, MENTIONS) else False

        result = build(root, None, config=config, base=base, render=False, on_event=on_event, cache_from=cache_from,
                       mentions=mentions)  # fmt: skip
        dataset = result.lazy_dataset  # graphs stay packed unless pySHACL needs the triples
        findings = [
            Finding(d.path, d.line, _FROM_BUILD[d.severity], d.message, d.code, "build") for d in result.diagnostics
        ]
    if on_event:
        on_event("validate")
    kept = None
    if not root_is_build and reused and engine != "pyshacl":
        assert cache_from is not None
        kept = _validate_kept(dataset, root, Path(cache_from), shapes, checks, cfg.disabled_checks)
    if kept is not None:
        findings += kept[0]
        table, used = kept[1], "sparql"
    else:
        store = data_store(dataset)
        with ThreadPoolExecutor(max_workers=1) as beside:  # the checks fill the gaps the rules leave
            checked = beside.submit(check_results, dataset, checks, store)
            results, used = shacl_results(dataset, shapes(), engine=engine, store=store)
            rows = checked.result()
        locator = Locator(dataset, {r["focus"] for r in results + rows if r["focus"] is not None}, store)
        findings += findings_from(dataset, results, "shacl", locator)
        findings += findings_from(dataset, rows, "check", locator)
        table = rules_table(shapes(), checks)
    off = {d.lower() for d in cfg.disabled_checks}
    findings = sorted((f for f in findings if f.rule.lower() not in off), key=Finding.sort_key)
    notes = len(dataset.paths)
    return ValidationReport(
        findings,
        notes,
        time.perf_counter() - started,
        table,
        shown,
        sorted(dataset.paths.values()),
        used,
    )


def _validate_kept(
    dataset: Dataset,
    vault: Path,
    build_folder: Path,
    shapes: Callable[[], rdflib.Graph],
    checks: list[Check],
    disabled: Iterable[str],
) -> tuple[list[Finding], dict[str, dict[str, str]]] | None:
    """The findings of the compiled shapes and the checks, and the rules table, validating again
    only what changed since the last validation of ``vault`` (:mod:`vaultkg.revalidation`), and
    keeping what the next one needs beside the build cache in ``build_folder``; ``None`` when
    the shapes cannot be validated so (unbounded paths, not compiled, a query fails): the caller
    validates as without a build cache."""
    from .buildcache import CACHE_DIR
    from .revalidation import (
        Graphs,
        Unit,
        check_reads,
        load_state,
        new_state,
        reach_of,
        revalidate,
        rule_reads,
        save_state,
        state_key,
    )
    from .sparql_rules import rule_results

    folder = build_folder / CACHE_DIR
    try:
        key = state_key(vault, checks, disabled)
        state = load_state(folder, key)
        graphs = Graphs(dataset, rendered_graphs(dataset))
        earlier = dataset.cached("earlier parts", dict)
        kept = None
        if state is not None:  # its rules, reach and table are those of these shapes (the key says)
            sources = ["shacl"] * len(state.rules) + ["check"] * len(checks)

            def place(rows: list[tuple[int, dict[str, Any]]], linking: Callable[[set[str]], set[str]]) -> list[Finding]:
                locator = Locator(dataset, {r["focus"] for _, r in rows if r["focus"] is not None}, linking=linking)
                return [findings_from(dataset, [row], sources[i], locator)[0] for i, row in rows]

            try:
                kept = revalidate(state, graphs, earlier, checks, place)
            except Exception:  # kept results that do not fit are only a slower validation
                if os.environ.get("VAULTKG_DEBUG"):
                    raise
                kept = None
            if kept is state:  # nothing changed: nothing to keep again
                return [finding for unit in kept.units for finding in unit.findings], kept.table
        if kept is None:
            from .shacl_sparql import compile_shapes

            reach = reach_of(shapes())
            if reach is None:
                return None
            rules = compile_shapes(shapes())
            sources = ["shacl"] * len(rules) + ["check"] * len(checks)
            store = data_store(dataset)
            with ThreadPoolExecutor(max_workers=1) as beside:
                checked = beside.submit(lambda: [check_rows(store, check) for check in checks])
                every = rule_results(store, rules, [ox.DefaultGraph(), ONTOLOGY_GRAPH], terms=True)
                reads = [*map(rule_reads, rules), *map(check_reads, checks)]
                every += checked.result()
            focus = {r["focus"] for rows in every for r in rows if r["focus"] is not None}
            locator = Locator(dataset, focus, store)
            units = [
                Unit(reads[i], rows, findings_from(dataset, rows, sources[i], locator)) for i, rows in enumerate(every)
            ]
            checks_read = frozenset().union(*(r for r in reads[len(rules) :] if r is not None))
            table = rules_table(shapes(), checks)
            kept = new_state(key, graphs, earlier, units, checks_read, reach, rules, table)
    except (Unsupported, SyntaxError, OSError):
        return None
    save_state(folder, kept)
    return [finding for unit in kept.units for finding in unit.findings], kept.table
