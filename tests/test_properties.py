"""Property-based: whatever names, keys, values, tags and links a vault holds, every output
parses with pyoxigraph and rdflib, the formats agree, and no text injects triples."""

from __future__ import annotations

import pyoxigraph as ox
import rdflib
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic

from converters import assemble
from vaultkg.config import default_config
from vaultkg.reader import decode, parse_note
from vaultkg.writers import render_all

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30
)
INJECTION = '"> . <http://evil.example/x> <http://evil.example/y> <http://evil.example/z> .'


@st.composite
def vaults(draw) -> dict[str, str]:
    notes: dict[str, str] = {}
    for i in range(draw(st.integers(1, 4))):
        name = draw(text).replace("/", "-").replace("\\", "-").strip() or f"n{i}"
        front = {
            "type": draw(st.sampled_from(["country", "person", "relationship", "spaceship", 7])),
            "aliases": draw(st.lists(text, max_size=3)),
            "tags": draw(st.lists(text, max_size=3)),
            "actors": draw(st.lists(text, max_size=2)),
            draw(text): draw(
                st.one_of(text, st.integers(), st.floats(), st.booleans(), st.dates(), st.just(INJECTION))
            ),
        }
        body = " ".join(f"[[{draw(text)}]] #{draw(text)}" for _ in range(draw(st.integers(0, 3))))
        cells = [(draw(text), draw(text)) for _ in range(draw(st.integers(0, 3)))]
        if cells:  # a milestone table with arbitrary cells (newlines would end the table)
            body += "\n\n| Year | Event |\n|---|---|\n" + "".join(
                f"| {a.replace(chr(10), ' ')} | {b.replace(chr(10), ' ')} |\n" for a, b in cells
            )
        body += f"\n\n## Sources\n- [{draw(text)}](https://example.org/{draw(text).replace(' ', '')})\n"
        body += f"\n{draw(text).replace(':', '')}:: {draw(text)}\n"
        notes[f"F{i % 2}/{name}.md"] = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body + "\n"
    return notes


def _ox(data: bytes, fmt: ox.RdfFormat) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(data, format=fmt)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vaults())
def test_any_vault_gives_valid_agreeing_outputs(notes: dict[str, str]) -> None:
    parsed = []
    for path, body in notes.items():
        decoded, _ = decode(body.encode("utf-8"), path)
        note, _ = parse_note(path, decoded)
        parsed.append(note)
    dataset = assemble(parsed, default_config())
    files = render_all(dataset, version="test")
    ttl = _ox(files["graph.ttl"], ox.RdfFormat.TURTLE)
    nq = _ox(files["graph.nq"], ox.RdfFormat.N_QUADS)
    jsonld = _ox(files["graph.jsonld"], ox.RdfFormat.JSON_LD)
    assert ttl == nq == jsonld
    g_ttl = rdflib.Graph().parse(data=files["graph.ttl"], format="turtle")
    g_jsonld = rdflib.Graph().parse(data=files["graph.jsonld"], format="json-ld")
    assert isomorphic(g_ttl, g_jsonld)
    # injected text never becomes an IRI of its own (inside one of ours it is percent-encoded:
    # a front-matter tag '<http://evil.example/x>' is <{base}tag/%3Chttp%3A/evil.example/x%3E>)
    evil = "http://evil.example"
    assert not any(t.subject.value.startswith(evil) or t.predicate.value.startswith(evil) for t in ttl)
    assert not any(isinstance(t.object, ox.NamedNode) and t.object.value.startswith(evil) for t in ttl)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vaults())
def test_a_light_conversion_gives_the_same_ntriples_and_lines(notes: dict[str, str]) -> None:
    """Workers that need only N-Triples and lines (validation) skip making triples: same text."""
    from converters.assemble import convert_note
    from converters.context import Context

    parsed = [parse_note(path, decode(body.encode("utf-8"), path)[0])[0] for path, body in notes.items()]
    ctx = Context(parsed, default_config())
    for note in parsed:
        full, light = convert_note(note, ctx), convert_note(note, ctx, light=True)
        assert light.triples == [] and light.lines == [line for _, line in full.triples]
        assert (
            light.ntriples == full.ntriples == ox.serialize([t for t, _ in full.triples], format=ox.RdfFormat.N_TRIPLES)
        )
        assert (light.claims, light.vault, light.diagnostics) == (full.claims, full.vault, full.diagnostics)
