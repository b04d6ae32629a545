"""Render a dataset as Turtle, compact JSON-LD, N-Quads and a JSON report; write atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from converters import Dataset
from converters.assemble import sort_triples
from converters.vocab import RDF_TYPE

from .fragments import GraphPart, Renderer, Union, graph_part
from .jsontext import json_bytes
from .splice import Joined, Layout, join
from .threads import thread_map


class Format(Enum):
    """The RDF formats vaultkg writes, with their file name and media type."""

    TURTLE = ("graph.ttl", "text/turtle", ox.RdfFormat.TURTLE)
    JSON_LD = ("graph.jsonld", "application/ld+json", ox.RdfFormat.JSON_LD)
    N_QUADS = ("graph.nq", "application/n-quads", ox.RdfFormat.N_QUADS)

    @property
    def file_name(self) -> str:
        return self.value[0]

    @property
    def media_type(self) -> str:
        return self.value[1]

    @property
    def rdf_format(self) -> ox.RdfFormat:
        return self.value[2]


def rdf_bytes(
    triples: Iterable[ox.Triple], rdf_format: ox.RdfFormat, prefixes: Mapping[str, str] | None = None
) -> bytes:
    """pyoxigraph's serializer into bytes (it returns ``None`` only when given an output)."""
    data = ox.serialize(triples, format=rdf_format, prefixes=dict(prefixes) if prefixes else None)
    assert data is not None
    return data


class Files(Mapping[str, bytes]):
    """A build's files by name, each kept as the pieces it is joined from (the large ones are
    mostly pieces of the rendered graphs, so they are not held twice): written piece by piece,
    hashed piece by piece, joined only when someone asks for a file's bytes."""

    def __init__(self) -> None:
        self._pieces: dict[str, list[bytes | memoryview]] = {}
        self._sha256: dict[str, str] = {}

    def add(self, name: str, pieces: list[bytes | memoryview]) -> None:
        self._pieces[name] = pieces

    def pieces(self, name: str) -> list[bytes | memoryview]:
        return self._pieces[name]

    def sha256(self, name: str) -> str:
        """The file's SHA-256 (computed once)."""
        import hashlib

        if name not in self._sha256:
            h = hashlib.sha256()
            for chunk in batched(self._pieces[name]):
                h.update(chunk)  # lets go of the GIL: files hash side by side (see render_all)
            self._sha256[name] = h.hexdigest()
        return self._sha256[name]

    def __getitem__(self, name: str) -> bytes:
        return b"".join(self._pieces[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._pieces)

    def __contains__(self, name: object) -> bool:  # Mapping's own would join the file to find out
        return name in self._pieces

    def __len__(self) -> int:
        return len(self._pieces)


def pieces_of(files: Mapping[str, bytes], name: str) -> Iterator[bytes | memoryview]:
    """A file's bytes as chunks of about a megabyte or more, to write or hash one after the other."""
    return batched(files.pieces(name)) if isinstance(files, Files) else iter([files[name]])


def batched(pieces: Iterable[bytes | memoryview], size: int = 1 << 20) -> Iterator[bytes | memoryview]:
    """Small pieces joined into chunks of about ``size`` bytes (one write or hash update per
    piece of a few hundred bytes costs more than the joining); large pieces as they are."""
    batch: list[bytes | memoryview] = []
    length = 0
    for piece in pieces:
        if len(piece) >= size:
            if batch:
                yield b"".join(batch)
                batch, length = [], 0
            yield piece
            continue
        batch.append(piece)
        length += len(piece)
        if length >= size:
            yield b"".join(batch)
            batch, length = [], 0
    if batch:
        yield b"".join(batch)


def render_turtle(dataset: Dataset) -> bytes:
    """Pretty Turtle of the union of all graphs, subjects sorted (pyoxigraph's serializer)."""
    return b"".join(union_of(dataset).ttl)


def graph_ntriples(dataset: Dataset) -> dict[str, bytes]:
    """Each graph as N-Triples (pyoxigraph's serializer; taken from the graph's N-Quads where it
    is rendered already), computed once per dataset."""

    def make() -> dict[str, bytes]:
        parts = rendered_graphs(dataset)
        return {
            g: parts[g].ntriples() if g in parts else rdf_bytes(ts, ox.RdfFormat.N_TRIPLES)
            for g, ts in dataset.graphs.items()
        }

    return dataset.cached("ntriples", make)


def graph_parts(dataset: Dataset) -> dict[str, GraphPart]:
    """Every graph's share of the output files (computed once per dataset; an incremental build
    puts the cached parts of unchanged graphs here first)."""
    return dataset.cached("parts", lambda: _render_parts(dataset))


def use_parts(dataset: Dataset, ready: Mapping[str, GraphPart]) -> None:
    """Take the rendered graphs in ``ready`` (from the build cache) instead of rendering them."""
    dataset.cached("parts", lambda: _render_parts(dataset, ready))


def use_light_parts(dataset: Dataset, ready: Mapping[str, GraphPart]) -> None:
    """Keep graphs rendered only as far as validation needs (:attr:`GraphPart.light`): their
    N-Quads and source lines stand in for their triples until the dataset is completed."""
    dataset.cached("light parts", lambda: dict(ready))


def rendered_graphs(dataset: Dataset) -> Mapping[str, GraphPart]:
    """The graphs rendered so far, at least as far as their N-Quads and source lines (every
    graph named in :attr:`Dataset.reused` is among them)."""
    if dataset.has_cached("parts"):
        return graph_parts(dataset)
    return dataset.cached("light parts", dict)


def _render_parts(dataset: Dataset, ready: Mapping[str, GraphPart] | None = None) -> dict[str, GraphPart]:
    ready = {g: part for g, part in (ready or {}).items() if not part.light}
    if any(g in dataset.reused and g not in ready for g in dataset.lines):
        dataset.complete()  # graphs known only as light parts: unpack them to render them in full
    r = renderer(dataset)
    return {
        graph: ready.get(graph)
        or graph_part(graph, [t for t, _ in pairs], [line for _, line in pairs], dataset.paths.get(graph), r)
        for graph, pairs in sorted(dataset.lines.items())
    }


def renderer(dataset: Dataset) -> Renderer:
    return dataset.cached("renderer", lambda: Renderer(dataset.prefixes))


def union_of(dataset: Dataset) -> Union:
    """The rendered union graph and its counts."""
    return joined(dataset).union


def joined(dataset: Dataset) -> Joined:
    """The files joined from the graphs' parts (and from the previous build's files, where
    :func:`use_layout` gave them), computed once per dataset."""

    def make() -> Joined:
        parts = graph_parts(dataset)
        previous = dataset.cached("previous layout", lambda: None)
        return join([parts[g] for g in sorted(parts)], renderer(dataset), _jsonld_start(dataset), previous)

    return dataset.cached("joined", make)


def use_layout(dataset: Dataset, layout: Layout) -> None:
    """Take the graphs given as :attr:`GraphPart.spliced` parts from the files ``layout``
    describes (opened)."""
    dataset.cached("previous layout", lambda: layout)


def layout_of(dataset: Dataset) -> Layout:
    """Where each graph and subject stands in the files of this build."""
    return joined(dataset).layout


def render_nquads(dataset: Dataset) -> bytes:
    """N-Quads, graph by graph: one named graph per note, the vault graph among them."""
    return b"".join(_nquads_pieces(dataset))


def _nquads_pieces(dataset: Dataset) -> list[bytes | memoryview]:
    return joined(dataset).nq


def jsonld_context(dataset: Dataset) -> dict[str, Any]:
    """The JSON-LD context: the prefixes of the build."""
    return {"@context": dict(sorted(dataset.prefixes.items()))}


def render_jsonld(dataset: Dataset) -> bytes:
    """Compact JSON-LD of the union graph, one node per line (small diffs, and the C JSON
    encoder), written straight from the sorted triples.

    The context is embedded (it is also written as ``context.jsonld``) so that the file parses
    offline with any JSON-LD processor.
    """
    return b"".join(union_of(dataset).jsonld)


def _jsonld_start(dataset: Dataset) -> bytes:
    context = json.dumps(jsonld_context(dataset)["@context"], ensure_ascii=False, indent=1).replace("\n", "\n ")
    return f'{{\n "@context": {context},\n "@graph": [\n  '.encode()


def render_report(dataset: Dataset, *, version: str, files: Mapping[str, bytes]) -> bytes:
    """``report.json``: what was built, every diagnostic, unresolved links and attachments."""

    counts = {s: sum(1 for d in dataset.diagnostics if d.severity.value == s) for s in ("error", "warning", "info")}
    parts = graph_parts(dataset)
    report = {
        "vaultkg": version,
        "base": dataset.prefixes["vault"],
        "notes": dataset.notes,
        "triples": union_of(dataset).triples,
        "graphs": len(parts),
        "errors": counts["error"],
        "warnings": counts["warning"],
        "infos": counts["info"],
        "files": {name: sha256_of(files, name) for name in sorted(files)},
        "graph_hashes": {graph: parts[graph].hash for graph in sorted(parts)},
        "diagnostics": [d.as_dict() for d in dataset.diagnostics],
        "unresolved_links": [
            {"entity": iri, "label": info["label"], "links": info["links"]} for iri, info in dataset.unresolved.items()
        ],
        "wikidata_links": link_coverage(dataset),
        "attachments": dataset.attachments,
        "tables": [_without_kind(n) for n in dataset.notices if n["kind"] == "table"],
        "ambiguous_mentions": [_without_kind(n) for n in dataset.notices if n["kind"] == "ambiguous-mention"],
    }
    return json_bytes(report)


def sha256_of(files: Mapping[str, bytes], name: str) -> str:
    """A file's SHA-256 (once per :class:`Files`)."""
    import hashlib

    return files.sha256(name) if isinstance(files, Files) else hashlib.sha256(files[name]).hexdigest()


def link_coverage(dataset: Dataset) -> dict[str, Any]:
    """How many linkable entities (countries, organisations, people, places) have a Wikidata link."""
    union = union_of(dataset)
    by_class = {name: {"linked": linked, "linkable": total} for name, (linked, total) in union.linkable.items()}
    return {"linked": union.linked, "linkable": union.linkable_total, "by_class": by_class,
            "sameas_triples": union.sameas}  # fmt: skip


def render_void(dataset: Dataset) -> bytes:
    """``void.ttl``: a VoID/DCAT description of the build, with a Linkset to Wikidata."""
    void, dcat, dcterms = "http://rdfs.org/ns/void#", "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
    base = dataset.prefixes.get("vault", dataset.vault_graph)
    ds, linkset = ox.NamedNode(base), ox.NamedNode(base + "void#wikidata-links")
    n = ox.NamedNode
    integer = n("http://www.w3.org/2001/XMLSchema#integer")
    union = union_of(dataset)
    out = [
        ox.Triple(ds, RDF_TYPE, n(void + "Dataset")),
        ox.Triple(ds, RDF_TYPE, n(dcat + "Dataset")),
        ox.Triple(ds, n(dcterms + "title"), ox.Literal("vaultkg build of a Markdown vault")),
        ox.Triple(ds, n(void + "triples"), ox.Literal(str(union.triples), datatype=integer)),
        ox.Triple(ds, n(void + "distinctSubjects"), ox.Literal(str(union.subjects), datatype=integer)),
        ox.Triple(ds, n(void + "uriSpace"), ox.Literal(base)),
        ox.Triple(ds, n(void + "subset"), linkset),
        ox.Triple(linkset, RDF_TYPE, n(void + "Linkset")),
        ox.Triple(linkset, n(void + "linkPredicate"), n("http://www.w3.org/2002/07/owl#sameAs")),
        ox.Triple(linkset, n(void + "subjectsTarget"), ds),
        ox.Triple(linkset, n(void + "objectsTarget"), n("http://www.wikidata.org/entity/")),
        ox.Triple(linkset, n(void + "triples"), ox.Literal(str(union.sameas), datatype=integer)),
    ]
    for vocab in ("https://w3id.org/vaultkg#", "https://schema.org/", "http://www.w3.org/2004/02/skos/core#",
                  "http://purl.org/dc/terms/"):  # fmt: skip
        out.append(ox.Triple(ds, n(void + "vocabulary"), n(vocab)))
    for cls, count in sorted(union.classes.items()):
        part = n(base + "void#class-" + _slug_of(cls))
        out += [
            ox.Triple(ds, n(void + "classPartition"), part),
            ox.Triple(part, n(void + "class"), n(cls)),
            ox.Triple(part, n(void + "entities"), ox.Literal(str(count), datatype=integer)),
        ]
    prefixes = {"void": void, "dcat": dcat, "dcterms": dcterms, "vault": base, "owl": "http://www.w3.org/2002/07/owl#"}
    return rdf_bytes(sort_triples(out), ox.RdfFormat.TURTLE, prefixes)


def _slug_of(iri: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", iri.split("://", 1)[-1]).strip("-")


def _without_kind(notice: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in notice.items() if k != "kind"}


def render_all(dataset: Dataset, *, version: str) -> Files:
    """Every output file of a build, by file name."""
    files = Files()
    files.add(Format.TURTLE.file_name, union_of(dataset).ttl)
    files.add(Format.JSON_LD.file_name, union_of(dataset).jsonld)
    files.add("context.jsonld", [json_bytes(jsonld_context(dataset))])
    files.add(Format.N_QUADS.file_name, _nquads_pieces(dataset))
    # for each graph of graph.nq, the note's path and the source line of every quad, in the order
    # the quads stand there (0: no line, e.g. the vault graph)
    files.add("sourcemap.json", joined(dataset).sourcemap)
    files.add("void.ttl", [render_void(dataset)])
    thread_map(files.sha256, sorted(files, key=lambda name: -sum(map(len, files.pieces(name)))), workers=2)
    files.add("report.json", [render_report(dataset, version=version, files=files)])
    return files


def write_atomically(directory: Path, files: Mapping[str, bytes]) -> None:
    """Write files into a folder, each one atomically (temporary file, then rename); all are
    written before any is renamed, so a failure before the renames leaves the folder as it was."""
    directory.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, data in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
            staged.append((name, Path(tmp)))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        for _, staged_path in staged:
            staged_path.unlink(missing_ok=True)
        raise
    for name, staged_path in staged:
        os.replace(staged_path, directory / name)


def write_text_atomically(path: Path, text: str) -> None:
    """Write one text file atomically (a report, say): temporary file, then rename."""
    write_atomically(path.parent if str(path.parent) else Path("."), {path.name: text.encode("utf-8")})


def differing_files(directory: Path, files: Mapping[str, bytes]) -> list[str]:
    """Names of files in ``files`` whose bytes on disk differ (or are missing)."""
    return [name for name, data in files.items() if _read(directory / name) != data]


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


__all__ = ["Format", "differing_files", "render_all", "write_atomically"]
