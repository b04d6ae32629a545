"""The outputs rendered graph by graph and joined equal the outputs rendered from the union, also
when graphs share subjects (which vaultkg's own notes never do, but the writer must not care)."""

from __future__ import annotations

import json

import pyoxigraph as ox
from conftest import build_notes, ttl

from converters import Dataset
from converters.assemble import sort_triples
from vaultkg.writers import render_jsonld, render_nquads, render_turtle


def dataset_of(graphs: dict[str, str]) -> Dataset:
    base = build_notes({"A.md": "# A\n"})  # for the prefixes
    triples = {g: sort_triples(ttl(text)) for g, text in graphs.items()}
    ds = Dataset(graphs=triples, vault_graph="https://example.org/vault/", prefixes=base.prefixes, notes=2)
    ds.lines = {g: [(t, 1) for t in ts] for g, ts in triples.items()}
    return ds


def test_subjects_shared_by_graphs_are_merged() -> None:
    ds = dataset_of({
        "https://example.org/vault/a": r'vault:a\#id a vkg:Person ; rdfs:label "A" . vault:z\#id rdfs:label "Z" .',
        "https://example.org/vault/b": r'vault:a\#id rdfs:label "A" , "Alpha"@en ; vkg:linksTo vault:z\#id . '
                                       r'vault:b\#id rdfs:label "B\nline" .',
    })  # fmt: skip
    union = sort_triples({t for ts in ds.graphs.values() for t in ts})
    expected = ox.serialize(union, format=ox.RdfFormat.TURTLE, prefixes=ds.prefixes)
    assert render_turtle(ds) == expected
    nodes = json.loads(render_jsonld(ds))["@graph"]
    assert [n["@id"] for n in nodes] == ["vault:a#id", "vault:b#id", "vault:z#id"]
    assert nodes[0]["rdfs:label"] == ["A", {"@value": "Alpha", "@language": "en"}]
    parsed = {q.triple for q in ox.parse(render_jsonld(ds), format=ox.RdfFormat.JSON_LD)}
    assert parsed == set(union)
    assert {q.triple for q in ox.parse(render_nquads(ds), format=ox.RdfFormat.N_QUADS)} == set(union)
