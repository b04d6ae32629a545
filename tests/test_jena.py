"""The build, its validation and the stored queries against Apache Jena (Debian's
libapache-jena-java): RIOT parses the files strictly to the same quads, Jena's SHACL engine finds
what `vaultkg validate` finds, and ARQ answers every stored query with the rows vaultkg gives.

Skipped where Jena is not installed (`apt install libapache-jena-java`): the README's test command
needs nothing but Python. Jena is the RDF toolkit most users of Java stores (Fuseki, GraphDB's
tooling, TopBraid) meet; it is a second implementation of every standard vaultkg relies on."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from conftest import EXAMPLE_VAULT, ROOT

from vaultkg import build
from vaultkg.cli import cli
from vaultkg.querying import display_prefixes, run_local
from vaultkg.stored_queries import bind, defaults_of, library, with_values

JARS = Path("/usr/share/java")
JAVA = shutil.which("java")
NEEDED = ("jena-arq jena-base jena-cmds jena-core jena-iri jena-shacl jena-shex jena-dboe-base jena-dboe-index "
          "jena-dboe-storage jena-dboe-trans-data jena-dboe-transaction jena-tdb jena-tdb2 jena-rdfconnection "
          "commons-cli commons-codec commons-compress commons-csv commons-io commons-lang3 dexx.collection gson "
          "guava failureaccess httpclient httpclient-cache httpcore jackson-core jackson-databind jackson-annotations "
          "jsonld-java jakarta.json-api titanium-json-ld protobuf thrift caffeine "
          "slf4j-api slf4j-nop").split()  # fmt: skip
pytestmark = pytest.mark.skipif(
    JAVA is None or not (JARS / "jena-shacl.jar").is_file(),
    reason="Apache Jena is not installed (apt install libapache-jena-java)",
)
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
VKG_RULE = rdflib.URIRef("https://w3id.org/vaultkg#rule")
_MOVED = "org/apache/jena/ext/xerces/"


class Jena:
    """Jena's command-line tools (``riotcmd.riot``, ``shacl.shacl``, ``arq.sparql``) in a JVM each."""

    def __init__(self, folder: Path) -> None:
        # Debian's jena-core moved Jena's copy of Xerces to the package `xerces` but left its
        # message files under org/apache/jena/ext/xerces, and XSD datatypes fail to start
        # without them ("internal error"): put a copy where the classes look.
        with zipfile.ZipFile(JARS / "jena-core.jar") as jar:
            for name in jar.namelist():
                if name.startswith(_MOVED) and name.endswith(".properties"):
                    target = folder / "xerces" / name.removeprefix(_MOVED)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(jar.read(name))
        jars = [str(JARS / f"{name}.jar") for name in NEEDED if (JARS / f"{name}.jar").is_file()]
        self.classpath = ":".join([str(folder), *jars])

    def run(self, main: str, *args: str) -> subprocess.CompletedProcess[str]:
        assert JAVA is not None
        return subprocess.run([JAVA, "-cp", self.classpath, main, *args], capture_output=True, text=True,
                              timeout=120)  # fmt: skip


@pytest.fixture(scope="module")
def jena(tmp_path_factory: pytest.TempPathFactory) -> Jena:
    return Jena(tmp_path_factory.mktemp("jena"))


@pytest.fixture(scope="module")
def faulty_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A vault that sets off most shapes: bad and repeated birth dates, a lonely relationship, an
    event as an actor, no status, an empty milestone, an unnamed source, an event with no date."""
    vault = tmp_path_factory.mktemp("faulty")
    notes = {
        "Ada.md": "---\ntype: person\nborn: [1815-12-10, 1816]\n---\n",
        "Bob.md": "---\ntype: person\nborn: sometime\n---\n",
        "Ada-Summit.md": "---\ntype: relationship\nactors: [Ada, Summit]\n---\n| Year | Event |\n|---|---|\n"
        "| 1990 | |\n| 1991 | Talks |\n\n## Sources\n- https://example.org/a\n",
        "Summit.md": "---\ntype: event\n---\nA summit.\n",
        "Lonely.md": "---\ntype: relationship\nactors: [Bob]\nstatus: open\n---\n",
        "Late.md": "---\ntype: event\ndate: 1990\nend: 1989-13-01\n---\n",
        "Clip.md": "Ada met Bob at the Summit.\n",
    }
    for name, text in notes.items():
        (vault / name).write_text(text, encoding="utf-8")
    out = vault.parent / (vault.name + "-out")
    build(vault, out)
    return vault, out


@pytest.mark.parametrize("which", ["example", "odd"])
def test_riot_reads_every_file_strictly_to_the_same_quads(
    which: str, example_build: Path, odd_build: Path, jena: Jena
) -> None:
    out = example_build if which == "example" else odd_build
    files = [str(out / name) for name in ("graph.ttl", "graph.nq", "void.ttl")]
    checked = jena.run("riotcmd.riot", "--validate", "--strict", *files)
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", "")
    for name, fmt in (
        ("graph.nq", ox.RdfFormat.N_QUADS), ("graph.ttl", ox.RdfFormat.TURTLE), ("graph.jsonld", ox.RdfFormat.JSON_LD)
    ):  # fmt: skip
        # JSON-LD through jsonld-java (JSON-LD 1.0): Debian's Jena has Titanium (1.1) without a JSON-P provider
        syntax = ["--syntax=jsonld10"] if fmt == ox.RdfFormat.JSON_LD else []
        written = jena.run("riotcmd.riot", *syntax, "--output=nq", str(out / name))
        assert written.returncode == 0, written.stderr
        by_jena = set(ox.parse(written.stdout.encode(), format=ox.RdfFormat.N_QUADS))
        ours = {ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) if fmt != ox.RdfFormat.N_QUADS else q
                for q in ox.parse(path=str(out / name), format=fmt)}  # fmt: skip
        assert by_jena == ours, name
        assert len(ours) == json.loads((out / "report.json").read_text(encoding="utf-8"))["triples"]


def _shacl_results(report: rdflib.Graph, shapes: rdflib.Graph) -> Counter[tuple[str, str, str]]:
    """(focus node, severity, node shape) of each result of a SHACL validation report: vaultkg's
    report names the shape (``vkg:rule``); for a SHACL engine's, the shape is found by its message
    (each shape of vaultkg's has messages of its own)."""
    by_message = {
        str(message): str(node).rpartition("#")[2]
        for node in shapes.subjects(rdflib.RDF.type, SH.NodeShape)
        for shape in (node, *shapes.objects(node, SH.property))
        for message in shapes.objects(shape, SH.message)
    }
    found: Counter[tuple[str, str, str]] = Counter()
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        name = report.value(result, VKG_RULE) or by_message[str(report.value(result, SH.resultMessage))]
        found[(str(report.value(result, SH.focusNode)), str(report.value(result, SH.resultSeverity)), str(name))] += 1
    return found


@pytest.mark.parametrize("which", ["example", "faulty"])
def test_jena_shacl_finds_what_vaultkg_validate_finds(
    which: str, example_build: Path, faulty_build: tuple[Path, Path], jena: Jena, tmp_path: Path
) -> None:
    vault, out = (EXAMPLE_VAULT, example_build) if which == "example" else faulty_build
    data = tmp_path / "data.nt"  # the build with the ontology, whose subclasses the shapes rely on
    graph = rdflib.Graph().parse(out / "graph.ttl").parse(ROOT / "ontology" / "vaultkg.ttl")
    graph.serialize(data, format="nt", encoding="utf-8")
    answer = jena.run("shacl.shacl", "validate", "--shapes", str(ROOT / "shapes" / "vaultkg.ttl"), "--data", str(data))
    assert answer.returncode == 0, answer.stderr
    shapes = rdflib.Graph().parse(ROOT / "shapes" / "vaultkg.ttl")
    by_jena = _shacl_results(rdflib.Graph().parse(data=answer.stdout, format="turtle"), shapes)
    ran = CliRunner().invoke(cli, ["validate", str(vault), "--format", "turtle", "--fail-on", "none"])
    assert ran.exit_code == 0, ran.output
    report = rdflib.Graph().parse(data=ran.stdout, format="turtle")
    shapes_only = rdflib.Graph()  # vaultkg's report adds its SPARQL checks and the build's findings
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        if str(report.value(result, VKG_RULE)).endswith("Shape"):
            shapes_only += report.triples((result, None, None))
    ours = _shacl_results(shapes_only, shapes)
    assert by_jena == ours
    assert sum(ours.values()) == (13 if which == "example" else 11)
    if which == "faulty":
        assert {shape for _, severity, shape in ours if severity.endswith("Violation")} == {
            "PersonShape", "RelationshipShape", "EventDateShape",
        }  # fmt: skip


def test_arq_answers_every_stored_query_with_the_same_rows(example_build: Path, jena: Jena, tmp_path: Path) -> None:
    def term(value: dict | None) -> str:
        if value is None:
            return ""
        if value["type"] == "uri":
            return f"<{value['value']}>"
        text = json.dumps(value["value"], ensure_ascii=False)
        if "xml:lang" in value:
            return f"{text}@{value['xml:lang']}"
        datatype = value.get("datatype", "http://www.w3.org/2001/XMLSchema#string")
        return text if datatype.endswith("#string") else f"{text}^^<{datatype}>"

    def plain(t: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str:
        if isinstance(t, ox.Literal) and t.datatype.value.endswith("#string") and not t.language:
            return json.dumps(t.value, ensure_ascii=False)
        return "" if t is None else str(t)

    def compare(out: Path, qid: str) -> tuple[str, list[list[str]], list[list[str]]]:
        query = library()[qid]
        params = defaults_of(query)
        file = tmp_path / f"{out.name}-{qid}.rq"
        file.write_text(with_values(query.text, bind(query, params, display_prefixes(out))), encoding="utf-8")
        answer = jena.run("arq.sparql", "--data", str(out / "graph.ttl"), "--query", str(file), "--results=json")
        assert answer.returncode == 0, (qid, answer.stderr)
        solutions = json.loads(answer.stdout)
        columns = solutions["head"]["vars"]
        remote = [[term(row.get(v)) for v in columns] for row in solutions["results"]["bindings"]]
        local = [[plain(t) for t in row] for row in run_local(query, params, out).rows]
        return qid, local, remote

    ids = [qid for qid, q in library().items() if "federated" not in q.tags]  # SERVICE needs Wikidata
    jobs = [(example_build, qid) for qid in ids]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda job: compare(*job), jobs))
    for qid, local, remote in answers:
        assert remote == local, qid
    assert all(local for _, local, _ in answers)  # each query finds something in the example vault
