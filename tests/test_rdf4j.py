"""RDF4J — the framework GraphDB is built on — reads what a build writes and every stored query:
its Rio parsers (Turtle, N-Quads, JSON-LD) give the same quads as pyoxigraph, and its SPARQL
parser takes each stored query with its parameters bound. Debian's ``librdf4j-java``, driven by
``tests/java/Rdf4jCheck.java`` (compiled here); skipped where it or a JDK is not installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from vaultkg.querying import display_prefixes
from vaultkg.stored_queries import bind, defaults_of, library, with_values

JARS = Path("/usr/share/java")
JAVA, JAVAC = shutil.which("java"), shutil.which("javac")
NEEDED = ["slf4j-api", "slf4j-nop", "commons-text", "commons-lang3", "commons-io", "guava", "failureaccess",
          "jackson-core", "jackson-databind", "jackson-annotations", "jsonld-java", "httpclient", "httpcore",
          "httpclient-cache", "commons-codec"]  # fmt: skip
pytestmark = pytest.mark.skipif(
    JAVA is None or JAVAC is None or not (JARS / "rdf4j-rio-turtle.jar").is_file(),
    reason="RDF4J or a JDK is not installed (apt install librdf4j-java default-jdk-headless)",
)
FILES = {"graph.ttl": "turtle", "graph.nq": "nquads", "graph.jsonld": "jsonld", "void.ttl": "turtle"}
FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nquads": ox.RdfFormat.N_QUADS, "jsonld": ox.RdfFormat.JSON_LD}


@pytest.fixture(scope="module")
def rdf4j(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The command that runs the harness: ``[java, -cp, …, Rdf4jCheck]``."""
    folder = tmp_path_factory.mktemp("rdf4j")
    rdf4j = sorted(str(p) for p in JARS.glob("rdf4j-*.jar") if not p.stem[-1].isdigit())  # not the versioned copies
    classpath = ":".join(
        [str(folder), *rdf4j, *(str(JARS / f"{n}.jar") for n in NEEDED if (JARS / f"{n}.jar").is_file())]
    )
    source = Path(__file__).parent / "java" / "Rdf4jCheck.java"
    assert JAVAC is not None and JAVA is not None
    compiled = subprocess.run([JAVAC, "-cp", classpath, "-d", str(folder), str(source)], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    return [JAVA, "-cp", classpath, "Rdf4jCheck"]


@pytest.mark.parametrize("which", ["example", "odd"])
def test_rio_reads_every_file_to_the_same_quads(
    which: str, rdf4j: list[str], example_build: Path, odd_build: Path, tmp_path: Path
) -> None:
    out = example_build if which == "example" else odd_build
    for name, syntax in FILES.items():
        written = tmp_path / f"{name}.nq"
        done = subprocess.run([*rdf4j, "parse", syntax, str(out / name), str(written)], capture_output=True, text=True)
        assert (done.returncode, done.stderr) == (0, ""), name
        theirs = set(ox.parse(path=str(written), format=ox.RdfFormat.N_QUADS))
        ours = set(ox.parse(path=str(out / name), format=FORMATS[syntax]))
        if syntax != "nquads":
            ours = {ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in ours}
        assert theirs == ours and len(ours) > 20, name


def test_rdf4j_parses_every_stored_query_with_its_parameters_bound(
    rdf4j: list[str], example_build: Path, tmp_path: Path
) -> None:
    files = []
    for qid, query in library().items():
        file = tmp_path / f"{qid}.rq"
        file.write_text(with_values(query.text, bind(query, defaults_of(query), display_prefixes(example_build))))
        files.append(str(file))
    done = subprocess.run([*rdf4j, "query", *files], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
    broken = tmp_path / "broken.rq"
    broken.write_text("SELECT ?x WHERE { ?x ?p }")  # the harness does say no
    assert subprocess.run([*rdf4j, "query", str(broken)], capture_output=True).returncode != 0
