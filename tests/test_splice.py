"""Files joined from the previous build's files and the changed graphs equal files joined anew."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from conftest import build_notes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from converters.assemble import sort_triples
from vaultkg.fragments import GraphPart, Renderer, graph_part
from vaultkg.splice import JSONLD, LAYOUT_FILES, NQ, SOURCEMAP, TTL, Joined, Layout, join

V = "https://example.org/vault/"
PREFIXES = build_notes({"A.md": "# A\n"}).prefixes
START = b'{\n "@graph": [\n  '

_subjects = st.sampled_from(["a", "b", "c", "d", "e", "f"])  # few: graphs often share one
_objects = st.one_of(
    st.sampled_from(["x", "y", 'z\n"w"']).map(ox.Literal), _subjects.map(lambda s: ox.NamedNode(V + s))
)
_graph = st.lists(st.tuples(_subjects, st.sampled_from(["p", "q"]), _objects), max_size=6)
_dataset = st.dictionaries(st.sampled_from(["g1", "g2", "g3", "g4", "g5"]), _graph, min_size=1)


def part(graph: str, rows: list[tuple[str, str, ox.Term]], r: Renderer, line: int = 1) -> GraphPart:
    triples = sort_triples({ox.Triple(ox.NamedNode(V + s), ox.NamedNode(V + p), o) for s, p, o in rows})
    return graph_part(V + graph, triples, [line] * len(triples), f"{graph}.md", r)


def joined_anew(dataset: dict[str, list], r: Renderer, lines: dict[str, int] | None = None) -> Joined:
    parts = [part(g, rows, r, (lines or {}).get(g, 1)) for g, rows in sorted(dataset.items())]
    return join(parts, r, START, None)


def files(j: Joined) -> dict[str, bytes]:
    return {NQ: b"".join(j.nq), SOURCEMAP: b"".join(j.sourcemap), TTL: b"".join(j.union.ttl),
            JSONLD: b"".join(j.union.jsonld)}  # fmt: skip


def fields(layout: Layout) -> tuple:
    return (layout.graphs, layout.owned, layout.subjects, layout.owners, layout.ttl_at, layout.ttl_len,
            layout.jsonld_at, layout.jsonld_len, layout.stats)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    before=_dataset,
    after=_dataset,
    same=st.sets(st.sampled_from(["g1", "g2", "g3", "g4", "g5"])),
    again=st.dictionaries(st.sampled_from(["g1", "g2", "g3", "g4", "g5"]), st.sampled_from([1, 2])),
)
def test_spliced_files_equal_files_joined_anew(
    tmp_path: Path, before: dict, after: dict, same: set[str], again: dict[str, int]
) -> None:
    """``same``: graphs left as they were (taken from the files); ``again``: graphs rendered
    again with the same triples, from the same lines (1) or others (2)."""
    r = Renderer(PREFIXES)
    for g in (same | again.keys()) & before.keys():
        after[g] = before[g]
    first = joined_anew(before, r)
    for name, data in files(first).items():
        (tmp_path / name).write_bytes(data)
    first.layout.stamp(tmp_path)
    assert first.layout.open(tmp_path)
    lines = {g: again.get(g, 1) for g in after}
    parts = [
        first.layout.hollow(V + g, f"{g}.md", "h") if g in same & before.keys() else part(g, rows, r, lines[g])
        for g, rows in sorted(after.items())
    ]
    assert all(p is not None for p in parts)
    spliced = join([p for p in parts if p is not None], r, START, first.layout)
    anew = joined_anew(after, r, {g: 1 if g in same & before.keys() else n for g, n in lines.items()})
    assert files(spliced) == files(anew)
    assert fields(spliced.layout) == fields(anew.layout)
    assert spliced.union.triples == anew.union.triples and spliced.union.classes == anew.union.classes
    union = sort_triples({q.triple for q in ox.parse(files(anew)[NQ], format=ox.RdfFormat.N_QUADS)})
    if union:  # (with no triples at all the file still has its prefixes)
        assert files(anew)[TTL] == ox.serialize(union, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)


def test_a_layout_refuses_files_changed_since(tmp_path: Path) -> None:
    r = Renderer(PREFIXES)
    first = joined_anew({"g1": [("a", "p", ox.Literal("x"))]}, r)
    for name, data in files(first).items():
        (tmp_path / name).write_bytes(data)
    first.layout.stamp(tmp_path)
    assert first.layout.open(tmp_path)
    (tmp_path / TTL).write_bytes(files(first)[TTL].replace(b"x", b"y"))  # same size, new inode or time
    assert not first.layout.open(tmp_path)
    (tmp_path / TTL).unlink()
    assert not first.layout.open(tmp_path)
    assert set(LAYOUT_FILES) == {NQ, SOURCEMAP, TTL, JSONLD}
