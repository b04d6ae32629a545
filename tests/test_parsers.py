"""Other RDF parsers read what a build writes to the same triples as pyoxigraph: Raptor's
``rapper`` and Serd's ``serdi`` (C, from Debian's ``raptor2-utils`` and ``serdi``; skipped where
they are not installed) and PyLD (JSON-LD 1.1), on the example build and on a vault of odd names
and text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

RAPPER, SERDI = shutil.which("rapper"), shutil.which("serdi")
FILES = {"graph.ttl": ox.RdfFormat.TURTLE, "graph.nq": ox.RdfFormat.N_QUADS, "void.ttl": ox.RdfFormat.TURTLE}


def _rapper(path: Path, fmt: ox.RdfFormat) -> subprocess.CompletedProcess[bytes]:
    assert RAPPER is not None
    syntax, out = ("nquads", "nquads") if fmt == ox.RdfFormat.N_QUADS else ("turtle", "ntriples")
    return subprocess.run([RAPPER, "-q", "-i", syntax, "-o", out, str(path)], capture_output=True, timeout=60)


def _serdi(path: Path, fmt: ox.RdfFormat) -> subprocess.CompletedProcess[bytes]:
    assert SERDI is not None
    syntax, out = ("nquads", "nquads") if fmt == ox.RdfFormat.N_QUADS else ("turtle", "ntriples")
    return subprocess.run([SERDI, "-i", syntax, "-o", out, str(path)], capture_output=True, timeout=60)


PARSERS = [
    pytest.param(_rapper, marks=pytest.mark.skipif(RAPPER is None, reason="no rapper (apt install raptor2-utils)")),
    pytest.param(_serdi, marks=pytest.mark.skipif(SERDI is None, reason="no serdi (apt install serdi)")),
]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("which", ["example", "odd"])
def test_other_parsers_read_every_file_to_the_same_triples(
    parse, which: str, example_build: Path, odd_build: Path, tmp_path: Path
) -> None:
    out = example_build if which == "example" else odd_build
    for name, fmt in FILES.items():
        done = parse(out / name, fmt)
        assert (done.returncode, done.stderr) == (0, b""), name
        written = tmp_path / f"{name}.{'nq' if fmt == ox.RdfFormat.N_QUADS else 'nt'}"
        written.write_bytes(done.stdout)
        theirs = set(ox.parse(path=str(written), format=ox.RdfFormat.N_QUADS))
        ours = set(ox.parse(path=str(out / name), format=fmt))
        if fmt == ox.RdfFormat.TURTLE:
            ours = {ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in ours}
        assert theirs == ours and len(ours) > 20, name


@pytest.mark.parametrize("which", ["example", "odd"])
def test_pyld_reads_graph_jsonld_to_the_turtles_triples(which: str, example_build: Path, odd_build: Path) -> None:
    """PyLD, a JSON-LD 1.1 processor of its own (not rdflib's, not pyoxigraph's), expands the
    compact graph.jsonld — context embedded — to exactly graph.ttl's triples."""
    import json

    from pyld import jsonld

    out = example_build if which == "example" else odd_build
    nquads = jsonld.to_rdf(
        json.loads((out / "graph.jsonld").read_text(encoding="utf-8")), {"format": "application/n-quads"}
    )
    theirs = set(ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS))
    ours = {ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
            for t in ox.parse(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE)}  # fmt: skip
    assert theirs == ours and len(ours) > 20
