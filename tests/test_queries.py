"""The stored query library and `vaultkg query`: every query parsed by two parsers and run on the
example build against golden rows (reviewed by hand), the same rows from a real Oxigraph server,
safe parameters, spec-exact result formats and exit codes."""

from __future__ import annotations

import csv
import http.server
import io
import json
import shutil
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner
from conftest import ROOT
from rdflib.plugins.sparql import prepareQuery

from vaultkg.cli import cli
from vaultkg.querying import STORE_DIR, run_endpoint, run_local, run_local_serialized, serialize
from vaultkg.stored_queries import defaults_of, library

GOLDEN = ROOT / "tests" / "golden" / "queries"
LIBRARY = library()
#: Queries that need the network (SERVICE to Wikidata) are parsed, not run, in the tests.
OFFLINE = sorted(qid for qid, q in LIBRARY.items() if "federated" not in q.tags)


def run(*args: str):
    return CliRunner().invoke(cli, ["query", *args], catch_exceptions=False)


def test_the_library_has_what_users_need() -> None:
    assert len(OFFLINE) >= 15
    assert [q for q in LIBRARY.values() if "SERVICE <https://query.wikidata.org/sparql>" in q.text]
    for q in LIBRARY.values():
        assert q.summary and q.path == f"queries/{q.id}.rq", q.id
        for p in q.params:
            if p.required:
                assert p.name in defaults_of(q), f"{q.id}: no example (#+ defaults) for {p.name}"


@pytest.mark.parametrize("qid", sorted(LIBRARY))
def test_query_parses_with_pyoxigraph_and_rdflib(qid: str) -> None:
    import pyoxigraph as ox

    text = LIBRARY[qid].text
    ox.Store().query(text)
    prepareQuery(text)


@pytest.mark.parametrize("qid", OFFLINE)
def test_query_gives_the_golden_rows_on_the_example_build(qid: str, example_build: Path) -> None:
    q = LIBRARY[qid]
    result = run_local(q, defaults_of(q), example_build)
    assert result.rows, f"{qid} returns nothing on the example vault"
    assert serialize(result, "csv") == (GOLDEN / f"{qid}.csv").read_bytes().decode("utf-8")


@pytest.mark.parametrize("qid", OFFLINE)
def test_the_cli_writes_each_format_straight_from_the_store_with_the_same_bytes(qid: str, example_build: Path) -> None:
    q = LIBRARY[qid]
    result = run_local(q, defaults_of(q), example_build)
    pairs = [f"{k}={v}" for k, v in defaults_of(q).items()]
    for fmt in ("csv", "tsv", "json"):
        cli_run = CliRunner().invoke(cli, ["query", "run", qid, *pairs, "--format", fmt, "-o", str(example_build)])
        assert cli_run.exit_code == 0
        assert cli_run.stdout_bytes == serialize(result, fmt).encode("utf-8"), fmt
    assert run_local_serialized(q, defaults_of(q), example_build, "csv") == (GOLDEN / f"{qid}.csv").read_bytes()


@pytest.mark.parametrize("qid", OFFLINE)
def test_the_in_memory_store_gives_the_golden_rows_too(qid: str, example_build: Path) -> None:
    from vaultkg.querying import open_store

    q = LIBRARY[qid]
    result = run_local(q, defaults_of(q), example_build, memory=True)
    assert serialize(result, "csv") == (GOLDEN / f"{qid}.csv").read_bytes().decode("utf-8")
    assert open_store(example_build, memory=True) is open_store(example_build, memory=True)  # loaded once
    assert open_store(example_build, memory=True) is not open_store(example_build)


@pytest.fixture(scope="module")
def loaded_server(oxigraph_server: str, example_build: Path) -> str:
    req = urllib.request.Request(
        oxigraph_server + "/store", data=(example_build / "graph.nq").read_bytes(), method="POST",
        headers={"Content-Type": "application/n-quads"},
    )  # fmt: skip
    with urllib.request.urlopen(req, timeout=30):
        pass
    return oxigraph_server + "/query?union-default-graph"


@pytest.mark.parametrize("qid", OFFLINE)
def test_endpoint_and_embedded_store_give_the_same_rows(qid: str, loaded_server: str, example_build: Path) -> None:
    q = LIBRARY[qid]
    local = run_local(q, defaults_of(q), example_build)
    remote = run_endpoint(q, defaults_of(q), loaded_server)
    assert serialize(remote, "csv") == serialize(local, "csv")


class _Strict(http.server.BaseHTTPRequestHandler):
    """An endpoint that, like Virtuoso, answers a format=… parameter it does not know with 406."""

    bodies: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        _Strict.bodies.append(body)
        self.send_response(406 if "format=" in body else 415)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_an_endpoint_is_asked_by_content_negotiation_and_its_refusal_is_named(example_build: Path) -> None:
    _Strict.bodies = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Strict)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        result = run("run", "-e", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "--endpoint", url)
    finally:
        server.shutdown()
    assert _Strict.bodies and all("format=" not in body for body in _Strict.bodies)
    assert result.exit_code == 2
    assert result.stderr == f"vaultkg: error: {url}: the endpoint refused the query: HTTP 415 Unsupported Media Type\n"


def test_construct_and_describe_through_an_endpoint(loaded_server: str, example_build: Path) -> None:
    for text in ("PREFIX vkg: <https://w3id.org/vaultkg#> CONSTRUCT { ?s a vkg:Country } WHERE { ?s a vkg:Country }",
                 "DESCRIBE <https://example.org/vault/israel>"):  # fmt: skip
        local = run("run", "-e", text, "-o", str(example_build))
        remote = run("run", "-e", text, "--endpoint", loaded_server)
        assert local.exit_code == remote.exit_code == 0
        assert sorted(remote.stdout.splitlines()) == sorted(local.stdout.splitlines()) and local.stdout


def test_an_endpoint_without_the_union_of_the_graphs_is_named_when_the_query_finds_nothing(
    loaded_server: str, example_build: Path
) -> None:
    plain = loaded_server.removesuffix("?union-default-graph")
    empty = run("run", "summary", "--endpoint", plain, "--format", "csv")
    assert empty.exit_code == 0 and empty.stdout_bytes == b"class,count\r\n"
    assert empty.stderr == (
        f"vaultkg: {plain} has named graphs but an empty default graph, so the query saw no data: ask for their "
        "union (Oxigraph: add ?union-default-graph to the URL; Fuseki: unionDefaultGraph; GraphDB and Virtuoso "
        "query their union as it is)\n"
    )
    union = run("run", "summary", "--endpoint", loaded_server, "--format", "csv")
    assert union.exit_code == 0 and union.stderr == "" and union.stdout_bytes.count(b"\r\n") > 5
    nothing = run("run", "find-entity", "name=no such name anywhere", "--endpoint", loaded_server, "--format", "csv")
    assert nothing.exit_code == 0 and nothing.stderr == ""  # no rows, but the store was asked rightly


HOSTILE = ['a "quoted" word', "x > y", "} ; DROP ALL ; {", "line\nbreak", '") } DROP ALL { ("', "\\", "'"]


@pytest.mark.parametrize("value", HOSTILE)
def test_parameter_values_are_data_not_query_text(value: str, loaded_server: str, example_build: Path) -> None:
    q = LIBRARY["find-entity"]
    assert run_local(q, {"name": value}, example_build).rows == []
    assert run_endpoint(q, {"name": value}, loaded_server).rows == []
    still = run_endpoint(LIBRARY["summary"], {}, loaded_server)
    assert serialize(still, "csv") == (GOLDEN / "summary.csv").read_bytes().decode("utf-8")


@pytest.mark.parametrize("value", ["https://example.org/a> } DROP ALL {", "not an iri", "https://x/a b"])
def test_an_iri_parameter_must_be_an_iri(value: str, example_build: Path) -> None:
    result = run("run", "backlinks", "--param", f"entity={value}", "-o", str(example_build))
    assert result.exit_code == 2
    assert result.stderr.startswith("vaultkg: error: parameter 'entity': ")


@pytest.mark.parametrize(
    "value",
    ["vault:iran#id", "vault:iran\\#id", " vault:iran#id ", "<https://example.org/vault/iran#id>"],
)
def test_an_iri_parameter_may_be_a_prefixed_name_as_tables_show_it(
    value: str, loaded_server: str, example_build: Path
) -> None:
    full = run("run", "backlinks", "--param", "entity=https://example.org/vault/iran#id", "-o", str(example_build))
    assert full.exit_code == 0 and full.stdout.count("\n") > 2
    given = run("run", "backlinks", "--param", f"entity={value}", "-o", str(example_build))
    assert given.exit_code == 0 and given.stdout == full.stdout
    remote = run("run", "backlinks", "-p", f"entity={value}", "-o", str(example_build), "--endpoint", loaded_server)
    assert remote.exit_code == 0 and remote.stdout == full.stdout


def test_parameters_may_follow_the_query_as_name_value_pairs(example_build: Path) -> None:
    flagged = run("run", "timeline", "-p", "actor=vault:iran#id", "-p", "from=2000", "-o", str(example_build))
    assert flagged.exit_code == 0 and flagged.stdout.count("\n") > 2
    pairs = run("run", "timeline", "actor=vault:iran#id", "from=2000", "-o", str(example_build))
    assert pairs.exit_code == 0 and pairs.stdout == flagged.stdout
    mixed = run("run", "timeline", "from=2000", "-p", "actor=vault:iran#id", "-o", str(example_build))
    assert mixed.stdout == flagged.stdout
    given = run("run", "-e", "SELECT ?x WHERE { BIND(?_x AS ?x) }", "x=3", "-o", str(example_build))
    assert given.exit_code == 0 and given.stdout.splitlines() == ["x", "3"]
    forgot = run("run", "from=2000", "-o", str(example_build))
    assert forgot.exit_code == 2 and forgot.stderr == (
        "vaultkg: error: 'from=2000' is a parameter: give the query first (vaultkg query run QUERY from=2000)\n"
    )
    bare = run("run", "timeline", "2000", "-o", str(example_build))
    assert bare.exit_code == 2 and bare.stderr == "vaultkg: error: '2000': write NAME=VALUE\n"


def test_a_name_given_for_an_iri_parameter_gets_its_usual_iri_as_a_hint(example_build: Path) -> None:
    result = run("run", "backlinks", "entity=Gaza Strip", "-o", str(example_build))
    assert result.exit_code == 2
    assert result.stderr == (
        "vaultkg: error: parameter 'entity': an absolute IRI or a prefixed name is expected (e.g. "
        "vault:israel#id); for the note named 'Gaza Strip' that is usually vault:gaza-strip#id\n"
    )


def test_a_long_lived_process_sees_a_rebuild_with_another_base(tmp_path: Path) -> None:
    """The build's prefixes are kept per folder while report.json is unchanged: a rebuild under
    another base is seen by the next query of the same process (``vault:`` follows the base)."""
    from conftest import EXAMPLE_VAULT

    from vaultkg import build, run_query

    out = tmp_path / "out"
    build(EXAMPLE_VAULT, out)
    first = run_query("backlinks", {"entity": "vault:iran#id"}, output=out, memory=True)
    assert first.rows and all(row[0].value.startswith("https://example.org/vault/") for row in first.rows)
    build(EXAMPLE_VAULT, out, base="https://other.example/kb/")
    again = run_query("backlinks", {"entity": "vault:iran#id"}, output=out, memory=True)
    assert len(again.rows) == len(first.rows)
    assert all(row[0].value.startswith("https://other.example/kb/") for row in again.rows)


def test_an_edited_query_file_is_read_again(tmp_path: Path, example_build: Path) -> None:
    from vaultkg import run_query

    query = tmp_path / "mine.rq"
    query.write_text("SELECT ?s WHERE { ?s a <https://w3id.org/vaultkg#Country> }\n")
    countries = run_query(str(query), output=example_build)
    query.write_text("SELECT ?s WHERE { ?s a <https://w3id.org/vaultkg#Person> }\n")
    people = run_query(str(query), output=example_build)
    assert countries.rows and people.rows and {r[0] for r in countries.rows}.isdisjoint(r[0] for r in people.rows)


def test_a_prefix_the_build_does_not_declare_is_taken_as_an_iri_scheme(example_build: Path) -> None:
    result = run("run", "backlinks", "--param", "entity=urn:x:iran", "-o", str(example_build))
    assert result.exit_code == 0 and result.stdout.splitlines() == ["source,path"]  # no rows, no error


def test_missing_and_malformed_parameters_name_the_parameter(example_build: Path) -> None:
    missing = run("run", "relationships", "-o", str(example_build))
    assert missing.exit_code == 2
    assert missing.stderr == ("vaultkg: error: missing parameter 'actor' (iri) for relationships, "
                              "e.g. --param actor=https://example.org/vault/israel#id\n")  # fmt: skip
    bad = run("run", "timeline", "-p", "from=abc", "-o", str(example_build))
    assert bad.exit_code == 2 and bad.stderr == "vaultkg: error: parameter 'from': 'abc' is not a valid integer\n"
    unknown = run("run", "timeline", "-p", "colour=red", "-o", str(example_build))
    assert unknown.exit_code == 2 and "unknown parameter 'colour' for timeline" in unknown.stderr
    nosuch = run("run", "timelines", "-o", str(example_build))
    assert nosuch.exit_code == 2 and "no stored query 'timelines' (did you mean timeline?)" in nosuch.stderr


def test_invalid_sparql_names_the_file_and_line(tmp_path: Path, example_build: Path) -> None:
    bad = tmp_path / "bad.rq"
    bad.write_text("PREFIX x: <http://x/>\nSELECT ?s WHERE {\n  ?s ?p \n")
    result = run("run", str(bad), "-o", str(example_build))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"vaultkg: error: {bad}:") and "not valid SPARQL" in result.stderr


def test_formats_follow_the_specs(example_build: Path) -> None:
    args = ("run", "relationships", "-p", "actor=https://example.org/vault/israel#id", "-o", str(example_build))
    data = json.loads(run(*args, "--format", "json").stdout)
    assert data["head"]["vars"] == ["relationship", "label", "other", "status"]
    first = data["results"]["bindings"][0]
    assert first["relationship"] == {"type": "uri", "value": "https://example.org/vault/iran-israel-shadow-war#id"}
    assert first["label"] == {"type": "literal", "value": "Iran-Israel Shadow War"}
    text = run(*args, "--format", "csv").stdout_bytes.decode("utf-8")
    assert text.startswith("relationship,label,other,status\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 7
    tsv = run(*args, "--format", "tsv").stdout.splitlines()
    assert tsv[0] == "?relationship\t?label\t?other\t?status"
    assert tsv[1].startswith('<https://example.org/vault/iran-israel-shadow-war#id>\t"Iran-Israel Shadow War"\t')
    md = run(*args, "--format", "markdown").stdout.splitlines()
    assert md[0] == "| relationship | label | other | status |" and len(md) == 8
    ask = run("run", "-e", "ASK { ?s a <https://w3id.org/vaultkg#Relationship> }", "-o", str(example_build),
              "--format", "json")  # fmt: skip
    assert json.loads(ask.stdout) == {"head": {}, "boolean": True}
    construct = run("run", "-e", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3", "-o", str(example_build))
    assert len(construct.stdout.strip().splitlines()) == 3


def test_list_and_show(example_build: Path) -> None:
    listed = run("list", "--format", "json")
    ids = [q["id"] for q in json.loads(listed.stdout)]
    assert ids == sorted(LIBRARY)
    timeline = next(q for q in json.loads(listed.stdout) if q["id"] == "timeline")
    assert {"name": "from", "type": "integer", "required": False, "variable": "?__from_integer"} in timeline[
        "parameters"
    ]
    md = run("list", "--format", "markdown").stdout.splitlines()
    assert md[0] == "| id | summary | parameters |" and len(md) == len(LIBRARY) + 2
    shown = run("show", "relationships").stdout
    assert shown.startswith("# relationships: Relationships of an actor")
    assert "# parameter actor (iri) — e.g. https://example.org/vault/israel#id" in shown
    assert "SELECT ?relationship ?label ?other ?status WHERE {" in shown


def test_the_store_is_built_once_and_reused(example_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out, ignore=shutil.ignore_patterns(STORE_DIR))
    assert run("run", "summary", "-o", str(out), "--format", "csv").exit_code == 0
    stamp = (out / STORE_DIR / "stamp").stat().st_mtime_ns
    assert run("run", "summary", "-o", str(out), "--format", "csv").exit_code == 0
    assert (out / STORE_DIR / "stamp").stat().st_mtime_ns == stamp  # not rebuilt
    (out / "graph.nq").write_text((out / "graph.nq").read_text() + "\n")  # the build changed
    assert run("run", "summary", "-o", str(out), "--format", "csv").exit_code == 0
    assert (out / STORE_DIR / "stamp").stat().st_mtime_ns != stamp


def test_no_build_and_unreachable_endpoint_are_exit_2(tmp_path: Path) -> None:
    nobuild = run("run", "summary", "-o", str(tmp_path))
    assert nobuild.exit_code == 2 and "no graph.nq here; run 'vaultkg build' first" in nobuild.stderr
    down = run("run", "summary", "--endpoint", "http://127.0.0.1:9/query", "--timeout", "2")
    assert down.exit_code == 2 and down.stderr.startswith("vaultkg: error: http://127.0.0.1:9/query: cannot reach")


@pytest.mark.parametrize("gap", ["\n", "\n\n", "\n  \n", "\n\t# another\n"])
def test_parameters_bind_below_comments_and_blank_lines(gap: str) -> None:
    """A full-line comment right above SELECT, after a blank line, once put the VALUES block
    inside the comment (the comment pattern ate line breaks)."""
    import pyoxigraph as ox

    from vaultkg.stored_queries import with_values

    query = (
        f"PREFIX schema: <https://schema.org/>{gap}# which notes mention it\n"
        "SELECT ?n WHERE {\n  ?n schema:mentions ?x .\n}\n"
    )
    bound = with_values(query, {"x": ox.NamedNode("urn:a")})
    assert "# which notes mention it\nSELECT ?n WHERE {\n  VALUES (?x) { (<urn:a>) }\n" in bound
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:n"), ox.NamedNode("https://schema.org/mentions"), ox.NamedNode("urn:a")))
    store.add(ox.Quad(ox.NamedNode("urn:m"), ox.NamedNode("https://schema.org/mentions"), ox.NamedNode("urn:b")))
    assert [row["n"].value for row in store.query(bound)] == ["urn:n"]


def test_a_build_keeps_a_query_store_in_step(tmp_path: Path) -> None:
    """Once a folder has a query store, a rebuild replaces the changed graphs in it: the next
    query opens it at once, and it holds exactly the new graph.nq."""
    import pyoxigraph as ox
    from conftest import EXAMPLE_VAULT

    from vaultkg import build
    from vaultkg.querying import open_store, store_is_current

    vault, out = tmp_path / "vault", tmp_path / "out"
    shutil.copytree(EXAMPLE_VAULT, vault)
    build(vault, out)
    assert not (out / STORE_DIR).exists()  # no store until someone queries
    assert run("run", "summary", "-o", str(out), "--format", "csv").exit_code == 0
    (out / STORE_DIR / "marker").write_text("the same store")
    note = vault / "People" / "Benjamin Netanyahu.md"
    note.write_text(note.read_text(encoding="utf-8").replace("party: Likud", "party: Likud\nnickname: Bibi"))
    (vault / "Countries" / "Iran.md").unlink()
    build(vault, out)
    assert store_is_current(out) and (out / STORE_DIR / "marker").read_text() == "the same store"
    store = open_store(out)
    quads = {str(q) for q in store.quads_for_pattern(None, None, None, None)}
    expected = {str(q) for q in ox.parse(path=str(out / "graph.nq"), format=ox.RdfFormat.N_QUADS)}
    assert quads == expected and any('"Bibi"' in q and "nickname" in q for q in quads)
    assert not any(q.startswith("<https://example.org/vault/iran>") for q in quads)


def test_a_damaged_query_store_does_not_fail_the_build(tmp_path: Path) -> None:
    from conftest import EXAMPLE_VAULT

    from vaultkg import build
    from vaultkg.querying import store_is_current

    out, vault = tmp_path / "out", tmp_path / "vault"
    shutil.copytree(EXAMPLE_VAULT, vault)
    build(vault, out)
    expected = run("run", "summary", "-o", str(out), "--format", "csv")
    assert expected.exit_code == 0
    made = f"vaultkg: making the query store of {out} (once a build; 'vaultkg build --store' makes it during the build)"
    assert expected.stderr == made + "\n"
    (out / STORE_DIR / "data" / "CURRENT").write_text("garbage\n")
    build(vault, out)  # nothing changed: the files, and the store, are left as they are
    again = run("run", "summary", "-o", str(out), "--format", "csv")  # the damaged store is made again
    assert (again.exit_code, again.stdout) == (0, expected.stdout) and store_is_current(out)
    assert run("run", "summary", "-o", str(out)).stderr == ""  # made: it is only opened
    (out / STORE_DIR / "data" / "CURRENT").write_text("garbage\n")
    note = vault / "Countries" / "Qatar.md"
    note.write_text(note.read_text() + "\nMore text.\n")
    assert build(vault, out).written and not store_is_current(out)  # not kept in step: left to the next query
    again = run("run", "summary", "-o", str(out), "--format", "csv")
    assert again.exit_code == 0 and store_is_current(out)


def test_build_store_prepares_the_query_store_for_the_first_query(tmp_path: Path) -> None:
    """`vaultkg build --store` creates the query store at once: the first query only opens it."""
    import pyoxigraph as ox
    from conftest import EXAMPLE_VAULT

    from vaultkg.querying import open_store, store_is_current

    out = tmp_path / "out"
    first = CliRunner().invoke(cli, ["build", str(EXAMPLE_VAULT), "-o", str(out), "--store"])
    assert first.exit_code == 0 and f"query store ready → {out}/{STORE_DIR}/ in " in first.output
    assert store_is_current(out)
    made = (out / STORE_DIR / "stamp").stat().st_mtime_ns
    assert run("run", "summary", "-o", str(out), "--format", "csv").exit_code == 0
    assert (out / STORE_DIR / "stamp").stat().st_mtime_ns == made  # opened, not made again
    quads = {str(q) for q in open_store(out).quads_for_pattern(None, None, None, None)}
    assert quads == {str(q) for q in ox.parse(path=str(out / "graph.nq"), format=ox.RdfFormat.N_QUADS)}
    again = CliRunner().invoke(cli, ["build", str(EXAMPLE_VAULT), "-o", str(out), "--store"])
    assert again.exit_code == 0 and "query store ready" not in again.output  # already in step
    plain = CliRunner().invoke(cli, ["build", str(EXAMPLE_VAULT), "-o", str(tmp_path / "plain")])
    assert plain.exit_code == 0 and not (tmp_path / "plain" / STORE_DIR).exists()


def _still_running(process: subprocess.Popen[str], seconds: float) -> bool:
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return True
    return False


def test_queries_and_a_build_that_changes_the_store_take_turns(tmp_path: Path) -> None:
    """RocksDB lets no process read a store another one is changing: a query waits while a build
    brings the store up to date in place, and the build waits for a query still reading."""
    import sys

    from conftest import EXAMPLE_VAULT

    from vaultkg.querying import store_is_current, store_lock

    vault, out = tmp_path / "vault", tmp_path / "out"
    shutil.copytree(EXAMPLE_VAULT, vault)
    assert CliRunner().invoke(cli, ["build", str(vault), "-o", str(out), "--store"]).exit_code == 0
    vaultkg = [sys.executable, "-m", "vaultkg"]
    query = [*vaultkg, "query", "run", "find-entity", "name=Lusail", "-o", str(out), "--format", "csv"]
    with store_lock(out, exclusive=True):  # as a build does while it publishes and refreshes
        waiting = subprocess.Popen(query, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert _still_running(waiting, 1.5)
    answer, errors = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, errors
    assert "lusail" not in answer and "making the query store" not in errors
    (vault / "Countries" / "Lusail.md").write_text("---\ntype: place\n---\nA city of [[Qatar]].\n")
    with store_lock(out):  # as a query does while it reads
        build_command = [*vaultkg, "build", str(vault), "-o", str(out), "-q"]
        building = subprocess.Popen(build_command, stderr=subprocess.PIPE, text=True)
        assert _still_running(building, 1.5)
    assert building.wait(timeout=60) == 0, building.stderr.read() if building.stderr else ""
    assert store_is_current(out)  # brought up to date in place, not left to be made again
    again = subprocess.run(query, capture_output=True, text=True, check=True)
    assert "https://example.org/vault/lusail#id" in again.stdout and "making the query store" not in again.stderr


def test_an_actor_of_two_classes_is_ranked_once(tmp_path: Path) -> None:
    from vaultkg import build

    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "Hamas.md").write_text("---\ntype: [organization, country]\n---\nA movement.\n", encoding="utf-8")
    (vault / "Gaza.md").write_text("---\ntype: place\n---\nRuled by [[Hamas]].\n", encoding="utf-8")
    (vault / "Talks.md").write_text("---\ntype: relationship\nactors: [Hamas, Egypt]\n---\n[[Hamas]] again.\n",
                                    encoding="utf-8")  # fmt: skip
    build(vault, tmp_path / "out")
    rows = run_local(LIBRARY["actors-by-degree"], {}, tmp_path / "out").rows
    assert [(r[1].value, r[2].value) for r in rows] == [("Hamas", "2")]  # Gaza and Talks; Egypt has no class


@pytest.mark.parametrize("lines", [0, 1, 2, 3, 7])
@pytest.mark.parametrize("newline_at_end", [True, False])
def test_the_on_disk_store_is_loaded_in_pieces_that_hold_every_quad_once(
    lines: int, newline_at_end: bool, tmp_path: Path
) -> None:
    """graph.nq is cut at line ends and the pieces loaded side by side: whatever the number of
    lines (fewer than pieces, one, none) and whether the last one ends, the store holds the file."""
    import pyoxigraph as ox

    from vaultkg.querying import _bulk_load_on_disk

    text = "".join(
        f'<http://a.example/s{i}> <http://a.example/p> "{i}" <http://a.example/g{i % 2}> .\n' for i in range(lines)
    )
    nq = tmp_path / "graph.nq"
    nq.write_text(text if newline_at_end else text.removesuffix("\n"))
    store = ox.Store(str(tmp_path / "store"))
    _bulk_load_on_disk(store, nq)
    expected = {str(q) for q in ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS)}
    assert {str(q) for q in store} == expected and len(store) == lines
    assert {g.value for g in store.named_graphs()} == {f"http://a.example/g{i}" for i in range(min(lines, 2))}


def test_a_line_longer_than_a_read_is_never_cut(tmp_path: Path) -> None:
    """A cut is looked for at a line end after its place, reading on past 64 KiB blocks: a
    200 KB literal (a long clipped article's text) stays whole."""
    import pyoxigraph as ox

    from vaultkg.querying import _bulk_load_on_disk

    long = "x" * 200_000
    nq = tmp_path / "graph.nq"
    nq.write_text(
        '<http://a.example/s0> <http://a.example/p> "short" <http://a.example/g> .\n'
        f'<http://a.example/s1> <http://a.example/p> "{long}" <http://a.example/g> .\n'
        '<http://a.example/s2> <http://a.example/p> "short" <http://a.example/g> .\n'
    )
    store = ox.Store(str(tmp_path / "store"))
    _bulk_load_on_disk(store, nq)
    assert sorted(len(q.object.value) for q in store) == [5, 5, 200_000]


def test_a_query_of_a_folder_that_is_not_there_leaves_no_lock_file(tmp_path: Path) -> None:
    result = run("run", "summary", "-o", str(tmp_path / "missing"))
    assert result.exit_code == 2 and "no graph.nq here" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_the_store_is_made_in_pieces_leaves_nothing_half_made(tmp_path: Path) -> None:
    """Ctrl-C on a terminal while the first query makes the store on several threads: the pieces
    being loaded are waited for (they cannot be stopped), then their folder goes; exit 130 with one
    line, no thread's traceback, no half-made store left."""
    import os
    import signal
    import sys
    import time

    out = tmp_path / "out"
    out.mkdir()
    with open(out / "graph.nq", "w", encoding="utf-8") as handle:  # ~1.5 s of loading
        for i in range(300_000):
            subject, graph = f"<https://example.org/vault/n{i}>", f"<https://example.org/vault/g{i // 20}>"
            handle.write(f'{subject} <https://example.org/vault/property/p{i % 50}> "value {i}, a while" {graph} .\n')
    proc = subprocess.Popen([sys.executable, "-m", "vaultkg", "query", "run", "summary", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    assert proc.stderr is not None
    assert "making the query store" in proc.stderr.readline()
    time.sleep(0.3)  # well into the loading
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert proc.stderr.read().strip() == "vaultkg: interrupted"
    assert [p.name for p in out.iterdir()] == ["graph.nq"]


def test_a_store_another_query_made_meanwhile_is_kept(example_build: Path, tmp_path: Path) -> None:
    """Two first queries at once both make the store: the second to finish keeps the first's
    (it holds the same build) instead of replacing it under its readers; a damaged one is replaced."""
    from vaultkg.querying import _create_store, _stamp, store_is_current

    out = tmp_path / "out"
    shutil.copytree(example_build, out, ignore=shutil.ignore_patterns(STORE_DIR))
    _create_store(out, _stamp(out))
    made = (out / STORE_DIR / "stamp").stat().st_ino
    _create_store(out, _stamp(out))
    assert (out / STORE_DIR / "stamp").stat().st_ino == made and store_is_current(out)
    assert [p.name for p in out.iterdir() if p.name.startswith(STORE_DIR)] == [STORE_DIR]  # no copy left
    _create_store(out, _stamp(out), damaged=True)
    assert (out / STORE_DIR / "stamp").stat().st_ino != made and store_is_current(out)


def test_a_damaged_graph_nq_is_an_input_error_that_says_where(example_build: Path, tmp_path: Path) -> None:
    from vaultkg.errors import InputError

    out = tmp_path / "out"
    shutil.copytree(example_build, out, ignore=shutil.ignore_patterns(STORE_DIR))
    lines = (out / "graph.nq").read_bytes().count(b"\n")
    with open(out / "graph.nq", "ab") as handle:
        handle.write(b'<http://a.example/s> <http://a.example/p> "cut short .\n')
    result = run("run", "summary", "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"vaultkg: error: {out}/graph.nq:{lines + 1}: not valid N-Quads (Parser error between line {lines + 1} "
        f"column 43 and line {lines + 2} column 1: Unexpected end of file); run 'vaultkg build' again"
    )
    assert not [p for p in out.iterdir() if p.name.startswith(STORE_DIR)]  # no half-made store left
    with pytest.raises(InputError, match=r"graph\.nq:\d+: not valid N-Quads"):
        run_local(LIBRARY["summary"], {}, out, memory=True)


def test_a_table_of_many_rows_is_laid_out_plainly_within_the_terminal(
    example_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vaultkg.cli

    csv_rows = list(csv.reader(io.StringIO(run("run", "timeline", "-o", str(example_build), "--format", "csv").stdout)))
    monkeypatch.setenv("COLUMNS", "72")
    rich = run("run", "timeline", "-o", str(example_build), "--format", "table")
    monkeypatch.setattr(vaultkg.cli, "RICH_ROWS", 3)  # as for thousands of rows: rich takes ~0.3 ms a row
    plain = run("run", "timeline", "-o", str(example_build), "--format", "table")
    assert plain.exit_code == 0 and plain.stdout != rich.stdout
    lines = plain.stdout.splitlines()
    assert lines[0].split() == ["start", "end", "event", "label", "subject"]
    assert set(lines[1]) == {"-", " "} and len(lines) == len(csv_rows) + 1  # header, rule, every row
    assert max(len(line) for line in lines) <= 72 and any(line.endswith("…") or "… " in line for line in lines)
    starts = [line[: len(lines[1].split()[0])].strip() for line in lines[2:]]
    assert starts == [row[0] for row in csv_rows[1:]]  # each row in order, its first column whole


def test_a_plain_table_counts_wide_characters_as_two_columns() -> None:
    import unicodedata

    from vaultkg.cli import _plain_table

    def columns(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    rows = [["東京都の報告書と長い名前", "x"], ["ascii text that is long", "y"], ["短い", "z"]]
    lines = _plain_table(["name", "v"], rows, 24).splitlines()
    assert [columns(line) for line in lines] == [24] * 5
    assert lines[2] == "東京都の報告書と長い…  x" and lines[3] == "ascii text that is l…  y"
    assert columns(lines[4][: lines[4].index("z")]) == columns(lines[0][: lines[0].index("v")])  # aligned
