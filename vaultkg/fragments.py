"""Each graph's share of the output files, rendered once (joined by :mod:`vaultkg.splice`).

``graph.ttl`` and ``graph.jsonld`` are the union graph sorted by subject, one block (Turtle) or
one line (JSON-LD) per subject; ``graph.nq`` and ``sourcemap.json`` are graph after graph. So a
graph's N-Quads, its sourcemap entry and its subjects' blocks and lines can be rendered on their
own and joined in order — byte for byte what rendering the whole dataset gives (tested) — and a
rebuild after one edit renders only the graphs that changed. A subject found in two graphs (rare:
the vault graph and a note's graph never share one in vaultkg's own output) is rendered again
from the union of its triples.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import pyoxigraph as ox

from converters.vocab import OWL_SAME_AS, RDF_TYPE, WD, XSD_STRING

_JSON = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))
# JSONEncoder.encode makes a new C encoder per call; one made once writes a node in 60 % of the
# time (the same text: no indent, no circular check — a node is a fresh tree of dicts and lists)
_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_ENCODE = (
    _C_ENCODER(None, _JSON.default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True)
    if _C_ENCODER is not None
    else None
)


def _json_line(node: dict[str, Any]) -> str:
    return "".join(_ENCODE(node, 0)) if _ENCODE is not None else _JSON.encode(node)


_RDF_TYPE, _OWL_SAME_AS, _XSD_STRING = RDF_TYPE.value, OWL_SAME_AS.value, XSD_STRING.value
#: Per subject: its number of triples, its rdf:type IRIs, how many owl:sameAs it has, and
#: whether one of them names a Wikidata item.
SubjectStats = tuple[int, tuple[str, ...], int, bool]
#: A triple, or its terms as a tuple (read faster: a ``Triple`` makes a new object per access).
Spo = ox.Triple | tuple[Any, Any, Any]


@dataclass(slots=True)
class GraphPart:
    """One graph's share of every output file."""

    graph: str
    path: str | None
    nq: bytes | memoryview  # its N-Quads, as they stand in graph.nq
    hash: str  # sha256 of its N-Triples, shortened (report.json's graph_hashes)
    sourcemap: str  # its entry of sourcemap.json
    subjects: list[str] = field(default_factory=list)  # N-Triples form, sorted (every kind of part)
    ttl: list[bytes] = field(default_factory=list)  # each subject's Turtle block
    jsonld: list[bytes] = field(default_factory=list)  # each subject's JSON-LD node (UTF-8)
    stats: list[SubjectStats] = field(default_factory=list)
    light: bool = False  # only nq, hash and sourcemap: enough to validate, not to write the files
    #: only nq, hash and sourcemap, taken from the previous build's files: its subjects' blocks
    #: and nodes are there too (see :mod:`vaultkg.splice`)
    spliced: bool = False

    def fields(self) -> tuple[Any, ...]:
        """Its fields in order, to make it again with ``GraphPart(*fields)`` (what the workers
        send: pickle makes a dataclass from its state three times slower)."""
        return tuple(getattr(self, name) for name in self.__slots__)  # the fields, in their order

    def ntriples(self) -> bytes:
        """The graph's N-Triples: its N-Quads without the graph name (each line ends with
        `` <graph> .``; N-Triples escape line breaks in literals, so only line ends match)."""
        return bytes(self.nq).replace(f" <{self.graph}> .\n".encode(), b" .\n")


@dataclass(slots=True)
class Union:
    """The union graph, rendered: graph.ttl and graph.jsonld (as pieces, not joined: the files
    are written piece by piece) and what void.ttl and the report count."""

    ttl: list[bytes | memoryview]
    jsonld: list[bytes | memoryview]
    stats: list[SubjectStats]  # each subject's, in order
    triples: int
    subjects: int
    classes: dict[str, int]  # rdf:type IRI → subjects typed with it
    linkable: dict[str, tuple[int, int]]  # vkg class local name → (linked, linkable)
    linked: int
    linkable_total: int
    sameas: int


class Renderer:
    """Renders triples with the build's prefixes: Turtle blocks and compact JSON-LD nodes."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes = dict(prefixes)
        dummy = ox.Triple(ox.NamedNode("urn:x"), ox.NamedNode("urn:x"), ox.NamedNode("urn:x"))
        sample = _serialize([dummy], ox.RdfFormat.TURTLE, self.prefixes)
        self.header = sample[: sample.rindex(b"\n", 0, len(sample) - 1) + 1] if sample.count(b"\n") > 1 else b""
        self.compact = _Compactor(self.prefixes)

    def turtle_blocks(self, triples: Sequence[ox.Triple]) -> list[bytes]:
        """The Turtle of sorted triples, split into one block per subject (a block's further
        lines are indented with a tab; literals never hold a raw line break)."""
        if not triples:
            return []
        body = _serialize(triples, ox.RdfFormat.TURTLE, self.prefixes)[len(self.header) :]
        return [block + b" .\n" for block in body.split(b" .\n")[:-1]]  # " .\n" ends a statement only

    def node_and_stats(self, triples: Sequence[Spo]) -> tuple[str, SubjectStats]:
        """One subject's compact JSON-LD node (one line) and its :data:`SubjectStats`, in one pass
        (each term is taken out of its triple once: pyoxigraph makes a new object per access)."""
        compact = self.compact
        known = compact.known  # compacted IRIs: looked up here, saving a call per term
        subject: Any = triples[0][0]  # IRIs and literals only: vaultkg makes no blank node
        node: dict[str, Any] = {"@id": compact(subject.value)}
        types: list[str] = []
        same = 0
        wikidata = False
        for _, predicate, obj in triples:
            p = predicate.value
            v = obj.value
            iri = type(obj) is ox.NamedNode
            if p == _RDF_TYPE:
                types.append(v)
                if iri:
                    _add(node, "@type", known.get(v) or compact(v))
                    continue
            elif p.endswith("#sameAs"):
                same += 1
                wikidata = wikidata or (p == _OWL_SAME_AS and iri and v.startswith(WD))
            value: Any
            if iri:
                value = {"@id": known.get(v) or compact(v)}
            elif language := obj.language:
                value = {"@value": v, "@language": language}
            elif (datatype := obj.datatype.value) == _XSD_STRING:
                value = v
            else:
                value = {"@value": v, "@type": known.get(datatype) or compact(datatype)}
            _add(node, known.get(p) or compact(p), value)
        return _json_line(node), (len(triples), tuple(types), same, wikidata)


def graph_part(
    graph: str,
    triples: Sequence[ox.Triple],
    lines: list[int],
    path: str | None,
    r: Renderer,
    *,
    light: bool = False,
    nt: bytes | None = None,
    terms: Sequence[tuple[Any, Any, Any]] | None = None,
) -> GraphPart:
    """Render one graph's share of the outputs (``triples`` sorted, ``lines`` their source lines);
    ``light``: only its N-Quads, hash and sourcemap entry. ``nt``: the triples' N-Triples, if
    made; ``terms``: the triples as (subject, predicate, object) tuples, if made."""
    nt = nt if nt is not None else _serialize(triples, ox.RdfFormat.N_TRIPLES)
    entry = {"path": path, "lines": lines}
    part = GraphPart(
        graph=graph,
        path=path,
        nq=nt.replace(b" .\n", f" <{graph}> .\n".encode()),
        hash=hashlib.sha256(nt).hexdigest()[:16],
        sourcemap=f"  {json.dumps(graph)}: {json.dumps(entry, separators=(',', ':'))}",
        light=light,
    )
    if light:  # its subjects still: the locator skips the graphs holding none it looks for
        rows = nt.split(b"\n")[:-1]
        part.subjects = [s.decode() for s in dict.fromkeys([row[: row.find(b" ")] for row in rows])]
        return part
    groups = list(_by_subject(terms if terms is not None else triples))
    part.subjects = [str(group[0][0]) for group in groups]
    part.ttl = r.turtle_blocks(triples)
    if len(part.ttl) != len(groups):  # pyoxigraph's layout changed: refuse rather than write wrong bytes
        raise RuntimeError(f"Turtle of {graph} has {len(part.ttl)} subject blocks for {len(groups)} subjects")
    for group in groups:
        node, stats = r.node_and_stats(group)
        part.jsonld.append(node.encode())
        part.stats.append(stats)
    return part


_VKG = "https://w3id.org/vaultkg#"
LINKABLE = ("Country", "Organization", "Person", "Place")


def summarise(ttl: list[bytes | memoryview], nodes: list[bytes | memoryview], stats: list[SubjectStats]) -> Union:
    """The union's files and its counts (from each subject's stats)."""
    classes: dict[str, int] = {}
    by_class = {name: [0, 0] for name in LINKABLE}
    linked = linkable = 0
    triples, sameas = sum(map(itemgetter(0), stats)), sum(map(itemgetter(2), stats))
    kinds_of = map(itemgetter(1, 3), stats)  # (types, has a Wikidata link), counted once per distinct pair
    for (types, wikidata), n in Counter(kinds_of).items():
        for cls in types:
            classes[cls] = classes.get(cls, 0) + n
        kinds = {c.removeprefix(_VKG) for c in types if c.startswith(_VKG)} & set(LINKABLE)
        for name in kinds:
            by_class[name][0] += wikidata * n
            by_class[name][1] += n
        if kinds:
            linkable += n
            linked += wikidata * n
    return Union(
        ttl=ttl,
        jsonld=nodes,
        stats=stats,
        triples=triples,
        subjects=len(stats),
        classes=classes,
        linkable={k: (v[0], v[1]) for k, v in by_class.items() if v[1]},
        linked=linked,
        linkable_total=linkable,
        sameas=sameas,
    )


def _by_subject(triples: Sequence[Spo]) -> Iterator[list[Spo]]:
    group: list[Spo] = []
    for t in triples:
        if group and t[0] != group[0][0]:
            yield group
            group = []
        group.append(t)
    if group:
        yield group


def _serialize(triples: Sequence[ox.Triple], fmt: ox.RdfFormat, prefixes: dict[str, str] | None = None) -> bytes:
    data = ox.serialize(triples, format=fmt, prefixes=prefixes)
    assert data is not None
    return data


class _Compactor:
    """Compacts IRIs to prefixed names with the longest matching namespace."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self._namespaces = sorted(((ns, p) for p, ns in prefixes.items()), key=lambda x: -len(x[0]))
        self.known: dict[str, str] = {}  # IRI → its compact form, for those compacted so far

    def __call__(self, iri: str) -> str:
        hit = self.known.get(iri)
        if hit is None:
            hit = iri
            for ns, prefix in self._namespaces:
                if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns) :].startswith("//"):
                    hit = f"{prefix}:{iri[len(ns) :]}"
                    break
            self.known[iri] = hit
        return hit


def _add(node: dict[str, Any], key: str, value: Any) -> None:
    existing = node.get(key)
    if existing is None:
        node[key] = value
    elif isinstance(existing, list):
        existing.append(value)
    else:
        node[key] = [existing, value]
