"""`vaultkg load --store virtuoso` and `vaultkg query --endpoint` against a real Virtuoso server
(Debian's virtuoso-opensource-7, started on loopback ports of its own for each test).

Skipped where Virtuoso is not installed (`apt install virtuoso-opensource-7`): the README's test
command needs nothing but Python. Virtuoso is the store that departs most from SPARQL 1.1 among
those `vaultkg load` knows, and the one its users most often meet next to Oxigraph."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import EXAMPLE_VAULT, _free_port, nquads_of, stop_process

from vaultkg import build
from vaultkg.cli import cli
from vaultkg.querying import display_prefixes, run_endpoint, run_local
from vaultkg.stored_queries import defaults_of, library

BINARY = shutil.which("virtuoso-t")
TEMPLATE = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
pytestmark = pytest.mark.skipif(
    BINARY is None or not TEMPLATE.is_file(), reason="Virtuoso is not installed (apt install virtuoso-opensource-7)"
)
USER = {"VAULTKG_USER": "dba", "VAULTKG_PASSWORD": "dba"}  # the account of a new Virtuoso database


class Virtuoso:
    """A Virtuoso server with a new database in ``folder``, on free loopback ports."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ini, section = [], ""
        for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
            if m := re.match(r"\s*\[(\w+)\]", line):
                section = m.group(1)
            line = line.replace("/var/lib/virtuoso-opensource-7/db/", f"{folder}/")
            if re.match(r"\s*ServerPort\s*=", line) and section in ("Parameters", "HTTPServer"):
                port = _free_port() if section == "Parameters" else f"127.0.0.1:{self.port}"
                line = f"ServerPort = {port}"
            ini.append(line)
        (folder / "virtuoso.ini").write_text("\n".join(ini) + "\n", encoding="utf-8")
        assert BINARY is not None
        self.proc = subprocess.Popen([BINARY, "-f", "-c", str(folder / "virtuoso.ini")], cwd=folder,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/sparql?query=ASK%7B%7D", timeout=1):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = folder / "virtuoso.log"
                    pytest.fail("Virtuoso did not start: " + (log.read_text()[-2000:] if log.exists() else ""))
                time.sleep(0.1)

    def stop(self) -> None:
        stop_process(self.proc, 30)

    def quads(self, base: str) -> set[tuple[str, str, str, str]]:
        """The quads of the graphs under ``base`` (Virtuoso keeps graphs of its own beside them)."""
        query = f'SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{base}")) }}'
        body = urllib.parse.urlencode({"query": query}).encode()
        request = urllib.request.Request(self.url + "/sparql", data=body,
                                         headers={"Accept": "application/sparql-results+json"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            rows = ox.parse_query_results(response.read(), format=ox.QueryResultsFormat.JSON)
        assert isinstance(rows, ox.QuerySolutions)
        return {(str(r["s"]), str(r["p"]), str(r["o"]), str(r["g"])) for r in rows}


@pytest.fixture
def virtuoso(tmp_path: Path) -> Iterator[Virtuoso]:
    folder = tmp_path / "virtuoso"
    folder.mkdir()
    server = Virtuoso(folder)
    try:
        yield server
    finally:
        server.stop()


def load(out: Path, server: Virtuoso, *more: str, password: str = "dba"):
    env = {**USER, "VAULTKG_PASSWORD": password}
    args = ["load", "--endpoint", server.url, "--store", "virtuoso", "-o", str(out), *more]
    return CliRunner(env=env).invoke(cli, args, catch_exceptions=False)


def test_edits_renames_and_deletions_reach_virtuoso_exactly(tmp_path: Path, virtuoso: Virtuoso) -> None:
    vault, out, base = tmp_path / "vault", tmp_path / "out", "https://example.org/vault/"
    shutil.copytree(EXAMPLE_VAULT, vault)
    build(vault, out)
    first = load(out, virtuoso)
    assert first.exit_code == 0 and first.stdout.startswith("sent 35 graphs, deleted 0, 0 unchanged")
    assert virtuoso.quads(base) == nquads_of(out / "graph.nq")  # datatypes, languages, Unicode intact
    assert load(out, virtuoso).stdout.startswith("sent 0 graphs, deleted 0, 35 unchanged")
    note = vault / "Countries" / "Qatar.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nAlso hosts talks with [[Iran]].\n", encoding="utf-8")
    build(vault, out)
    assert load(out, virtuoso).stdout.startswith("sent 1 graph, deleted 0, 34 unchanged")
    (vault / "Countries" / "Lebanon.md").rename(vault / "Countries" / "Lebanese Republic.md")
    (vault / "Countries" / "Qatar.md").unlink()
    build(vault, out)
    result = load(out, virtuoso)
    assert result.exit_code == 0 and ", deleted 2," in result.stdout
    assert virtuoso.quads(base) == nquads_of(out / "graph.nq")


def test_sparql_update_method_into_virtuoso(tmp_path: Path, virtuoso: Virtuoso) -> None:
    vault, out, base = tmp_path / "vault", tmp_path / "out", "https://example.org/vault/"
    shutil.copytree(EXAMPLE_VAULT, vault)
    build(vault, out)
    assert load(out, virtuoso, "--method", "update").exit_code == 0
    assert virtuoso.quads(base) == nquads_of(out / "graph.nq")
    (vault / "Countries" / "Qatar.md").unlink()
    build(vault, out)
    result = load(out, virtuoso, "--method", "update")
    assert result.exit_code == 0 and ", deleted 1," in result.stdout  # and the notes that linked to it
    assert virtuoso.quads(base) == nquads_of(out / "graph.nq")


def test_a_wrong_password_is_refused_by_name(example_build: Path, tmp_path: Path, virtuoso: Virtuoso) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    result = load(out, virtuoso, password="not-the-password")
    assert result.exit_code == 2 and "401" in result.stderr and "not-the-password" not in result.stderr
    assert virtuoso.quads("https://example.org/vault/") == set()


def test_stored_queries_give_the_local_rows_on_virtuoso(example_build: Path, tmp_path: Path, virtuoso) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    assert load(out, virtuoso).exit_code == 0
    endpoint, prefixes = virtuoso.url + "/sparql", display_prefixes(out)
    for qid, query in library().items():
        if "federated" in query.tags:
            continue
        params = defaults_of(query)
        local = [[str(t) for t in row] for row in run_local(query, params, out).rows]
        remote = [[str(t) for t in row] for row in run_endpoint(query, params, endpoint, 30, prefixes).rows]
        if qid == "summary":  # Virtuoso's default graph holds its own system graphs as well
            assert [row for row in remote if row in local] == local, qid
        elif qid == "sources-of-note":  # Virtuoso orders a literal before an IRI (SPARQL 1.1 §15.1: after)
            assert sorted(remote) == sorted(local) and remote != local, qid
        else:
            assert remote == local, qid


def test_construct_and_describe_through_virtuoso(example_build: Path, tmp_path: Path, virtuoso: Virtuoso) -> None:
    """SPARQLWrapper's format=n3 parameter made Virtuoso answer 406 to every CONSTRUCT."""
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    assert load(out, virtuoso).exit_code == 0
    runner = CliRunner()
    construct = "PREFIX vkg: <https://w3id.org/vaultkg#> CONSTRUCT { ?s a vkg:Country } WHERE { ?s a vkg:Country }"
    describe = "DESCRIBE <https://example.org/vault/israel>"
    answers = {}
    for text in (construct, describe):
        local = runner.invoke(cli, ["query", "run", "-e", text, "-o", str(out)])
        remote = runner.invoke(cli, ["query", "run", "-e", text, "--endpoint", virtuoso.url + "/sparql"])
        assert local.exit_code == remote.exit_code == 0, remote.stderr
        answers[text] = set(local.stdout.splitlines()), set(remote.stdout.splitlines())
    assert answers[construct][0] == answers[construct][1] and len(answers[construct][0]) == 6
    local, remote = answers[describe]  # what DESCRIBE gives is the store's choice: Virtuoso adds inbound triples
    assert local and local <= remote
