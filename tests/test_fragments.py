"""The outputs rendered graph by graph and joined equal the outputs rendered from the union, also
when graphs share subjects (which vaultkg's own notes never do, but the writer must not care)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from conftest import build_notes, ttl
from hypothesis import given, settings
from hypothesis import strategies as st

from converters import Dataset
from converters.assemble import sort_triples
from vaultkg.fragments import Renderer
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


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
_objects = st.one_of(
    st.builds(lambda s: ox.NamedNode("https://example.org/vault/" + quote(s) + "#id"), _text),
    st.builds(ox.Literal, _text),
    st.builds(lambda s, lang: ox.Literal(s, language=lang), _text, st.sampled_from(["en", "de-CH"])),
    st.builds(lambda s: ox.Literal(s, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")), _text),
    st.just(ox.NamedNode("http://www.wikidata.org/entity/Q42")),
    st.just(ox.NamedNode("https://w3id.org/vaultkg#Person")),
)
_predicates = st.sampled_from([
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2002/07/owl#sameAs",
    "http://www.w3.org/2000/01/rdf-schema#label", "https://schema.org/sameAs", "https://w3id.org/vaultkg#linksTo",
])  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c d"]), _predicates, _objects), min_size=1, max_size=12))
def test_any_graph_renders_to_the_bytes_of_the_whole(rows: list[tuple[str, str, ox.NamedNode | ox.Literal]]) -> None:
    """A graph's Turtle blocks joined are pyoxigraph's Turtle of it (whatever its literals hold:
    quotes, " .", line breaks), and its JSON-LD nodes parse back to its triples."""
    triples = sort_triples({
        ox.Triple(ox.NamedNode("https://example.org/vault/" + quote(s) + "#id"), ox.NamedNode(p), o)
        for s, p, o in rows
    })  # fmt: skip
    ds = dataset_of({"https://example.org/vault/g": ""})
    ds.graphs = {"https://example.org/vault/g": triples}
    ds.lines = {"https://example.org/vault/g": [(t, 1) for t in triples]}
    assert render_turtle(ds) == ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=ds.prefixes)
    assert {q.triple for q in ox.parse(render_jsonld(ds), format=ox.RdfFormat.JSON_LD)} == set(triples)
    stats = Renderer(ds.prefixes).node_and_stats([t for t in triples if t.subject == triples[0].subject])[1]
    first = [t for t in triples if t.subject == triples[0].subject]
    assert stats == (
        len(first),
        tuple(t.object.value for t in first if t.predicate.value.endswith("#type")),
        sum(t.predicate.value.endswith("#sameAs") for t in first),
        any(t.predicate.value == "http://www.w3.org/2002/07/owl#sameAs" and isinstance(t.object, ox.NamedNode)
            and t.object.value.startswith("http://www.wikidata.org/entity/") for t in first),
    )  # fmt: skip


@pytest.mark.parametrize(
    "node",
    [
        {},
        {"@id": "vault:a\\#id", "@type": ["vkg:Person", "vkg:Actor"], "rdfs:label": 'say "hi"\\ \n\t\x00\x1f'},
        {"@id": "x", "p": [{"@id": "y"}, {"@value": "é\u2028\ud7ff", "@language": "de"}, "plain"], "q": []},
    ],
)
def test_a_json_ld_node_is_written_as_json_dumps_writes_it(node: dict) -> None:
    from vaultkg.fragments import _json_line

    assert _json_line(node) == json.dumps(node, ensure_ascii=False, separators=(", ", ": "))


def test_a_graph_part_is_made_again_from_its_fields() -> None:
    """Workers send a part's fields; every field is among them, in order."""
    from vaultkg.fragments import GraphPart

    part = GraphPart("g", "p.md", b"nq", "h", "sm", ["<s>"], [b"t"], [b"j"], [(1, ("c",), 0, False)], True, True)
    assert GraphPart(*part.fields()) == part and len(part.fields()) == len(GraphPart.__slots__)
