"""`vaultkg load` against a real Oxigraph server (and httpx's MockTransport for the faults a real
server cannot be made to produce on demand): incremental loads that never drift, a load that
dies half-way and is rerun, clear refusals, credentials that never leak."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import EXAMPLE_VAULT, OxigraphServer, nquads_of

from vaultkg import build
from vaultkg.cli import cli
from vaultkg.loader import MANIFEST_DIR, LoadError, load


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    dest = tmp_path / "vault"
    shutil.copytree(EXAMPLE_VAULT, dest)
    return dest


def rebuild(vault: Path, out: Path) -> Path:
    build(vault, out)
    return out


def test_full_load_then_the_store_holds_exactly_the_build(vault: Path, tmp_path: Path, fresh_oxigraph) -> None:
    out = rebuild(vault, tmp_path / "out")
    result = load(out, fresh_oxigraph.url, store="oxigraph")
    assert len(result.sent) == 35 and result.deleted == [] and result.unchanged == 0
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")
    again = load(out, fresh_oxigraph.url, store="oxigraph")
    assert again.sent == [] and again.deleted == [] and again.unchanged == 35


def test_edits_renames_deletions_and_alias_changes_never_drift(vault: Path, tmp_path: Path, fresh_oxigraph) -> None:
    out = rebuild(vault, tmp_path / "out")
    load(out, fresh_oxigraph.url, store="oxigraph")
    base = "https://example.org/vault/"
    # edit one note
    note = vault / "Countries" / "Qatar.md"
    note.write_text(note.read_text() + "\nAlso hosts talks with [[Iran]].\n")
    result = load(rebuild(vault, out), fresh_oxigraph.url, store="oxigraph")
    assert result.sent == [base + "qatar"] and result.deleted == []
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")
    # rename a note: its old graph goes, the new one comes, and so do notes linking to it by name
    (vault / "Countries" / "Lebanon.md").rename(vault / "Countries" / "Lebanese Republic.md")
    result = load(rebuild(vault, out), fresh_oxigraph.url, store="oxigraph")
    assert base + "lebanese-republic" in result.sent and result.deleted == [base + "lebanon"]
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")
    # a new alias in one note changes how another note resolves: that other note is re-sent
    (vault / "Notes.md").write_text("Talks with [[Persia]] stalled.\n")
    rebuild(vault, out)
    load(out, fresh_oxigraph.url, store="oxigraph")
    iran = vault / "Countries" / "Iran.md"
    iran.write_text(iran.read_text().replace("aliases: [Islamic Republic of Iran, Persia]", "aliases: [Iran]"))
    persia = vault / "Organizations" / "Persia Group.md"
    persia.write_text("---\ntype: organization\naliases: [Persia]\n---\n")
    result = load(rebuild(vault, out), fresh_oxigraph.url, store="oxigraph")
    assert base + "notes" in result.sent  # resolved [[Persia]] differently: re-sent though unedited
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")
    # delete a note
    (vault / "Notes.md").unlink()
    result = load(rebuild(vault, out), fresh_oxigraph.url, store="oxigraph")
    assert base + "notes" in result.deleted
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")


def test_a_load_killed_half_way_can_be_rerun_and_ends_exactly_right(
    vault: Path, tmp_path: Path, fresh_oxigraph: OxigraphServer
) -> None:
    out = rebuild(vault, tmp_path / "out")
    killed = threading.Event()

    def on_event(name: str, done: int = 0, total: int = 0, graph: str = "") -> None:
        if done == 10 and not killed.is_set():
            killed.set()
            fresh_oxigraph.stop(kill=True)

    gsp = fresh_oxigraph.url + "/store"  # the generic profile: one PUT per graph, no bulk upload
    with pytest.raises(LoadError, match="cannot reach the store"):
        load(out, gsp, retries=1, backoff=0.01, workers=1, on_event=on_event)
    manifest = json.loads(next((out / MANIFEST_DIR).glob("*.json")).read_text())
    assert 10 <= len(manifest["graphs"]) < 35  # only what the store acknowledged
    fresh_oxigraph.start()  # same port, same data folder
    result = load(out, gsp)
    assert len(result.sent) == 35 - len(manifest["graphs"])
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")


class Recording(httpx.HTTPTransport):
    """The real transport, noting each request's method and URL path with its query."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.raw_path.decode()}")
        return super().handle_request(request)


def test_bulk_upload_only_into_a_store_without_our_graphs(vault: Path, tmp_path: Path, fresh_oxigraph) -> None:
    out = rebuild(vault, tmp_path / "out")
    recorded = Recording()
    load(out, fresh_oxigraph.url, store="oxigraph", transport=recorded)  # empty store: one upload of graph.nq
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")
    # the graphs asked for, then graph.nq through Oxigraph's bulk loader (no transaction)
    assert recorded.seen == ["POST /query", "POST /store?no_transaction"]
    shutil.rmtree(out / MANIFEST_DIR)  # a manifest lost, and the vault changed meanwhile
    note = vault / "Countries" / "Qatar.md"
    note.write_text(note.read_text().replace("Hosts a large US air base.", "Hosts talks."))
    result = load(rebuild(vault, out), fresh_oxigraph.url, store="oxigraph")
    assert len(result.sent) == 35  # graph by graph: adding graph.nq would have kept Qatar's old triples
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")


def test_a_bulk_upload_refused_half_way_is_mended_by_the_next_load(vault: Path, tmp_path: Path, fresh_oxigraph) -> None:
    """Oxigraph's bulk loader is not atomic: what it wrote before the bad line stays in the store
    (here, with few quads, nothing: it parses a batch before writing it). No manifest is written,
    so the next load sends every graph again: in bulk into a store holding none of them, else
    graph by graph (a PUT replaces a graph whole)."""
    out = rebuild(vault, tmp_path / "out")
    good = (out / "graph.nq").read_bytes()
    rows = good.splitlines(keepends=True)
    damaged = b"".join(rows[: len(rows) // 2]) + b"<http://a.example/s> <not an iri> <http://a.example/o> .\n"
    (out / "graph.nq").write_bytes(damaged + b"".join(rows[len(rows) // 2 :]))
    with pytest.raises(LoadError, match=r"the store refused POST: 400"):
        load(out, fresh_oxigraph.url, store="oxigraph", retries=0)
    assert len(fresh_oxigraph.quads()) < len(rows)
    assert not (out / MANIFEST_DIR).exists() or not list((out / MANIFEST_DIR).glob("*.json"))
    (out / "graph.nq").write_bytes(good)
    result = load(out, fresh_oxigraph.url, store="oxigraph")
    assert len(result.sent) == 35
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")


@pytest.mark.parametrize(
    "wipe", [b"DROP ALL", b"CLEAR ALL", b"DROP ALL ; CREATE GRAPH <https://example.org/vault/qatar>"]
)  # the last leaves a graph that exists but is empty: it counts as lost too
def test_a_wiped_store_is_noticed_and_filled_again(vault: Path, tmp_path: Path, fresh_oxigraph, wipe: bytes) -> None:
    out = rebuild(vault, tmp_path / "out")
    load(out, fresh_oxigraph.url, store="oxigraph")
    httpx.post(fresh_oxigraph.url + "/update", content=wipe, headers={"Content-Type": "application/sparql-update"})
    result = load(out, fresh_oxigraph.url, store="oxigraph")
    assert len(result.sent) == 35
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")


def test_sparql_update_method(vault: Path, tmp_path: Path, fresh_oxigraph) -> None:
    out = rebuild(vault, tmp_path / "out")
    load(out, fresh_oxigraph.url, store="oxigraph", method="update")
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")
    (vault / "Countries" / "Qatar.md").unlink()
    result = load(rebuild(vault, out), fresh_oxigraph.url, store="oxigraph", method="update")
    assert result.deleted == ["https://example.org/vault/qatar"]
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")


def test_sparql_update_method_on_an_update_url_that_answers_no_queries(
    vault: Path, tmp_path: Path, fresh_oxigraph
) -> None:
    # no --store: the update URL is all vaultkg knows; Oxigraph's /update refuses the query asking
    # which graphs the store holds (400), which must not stop the load
    out = rebuild(vault, tmp_path / "out")
    load(out, fresh_oxigraph.url + "/update", method="update")
    (vault / "Countries" / "Qatar.md").unlink()
    result = load(rebuild(vault, out), fresh_oxigraph.url + "/update", method="update")
    assert result.deleted == ["https://example.org/vault/qatar"]
    assert fresh_oxigraph.quads() == nquads_of(out / "graph.nq")


def test_cli_load_dry_run_and_summary(vault: Path, tmp_path: Path, fresh_oxigraph) -> None:
    out = rebuild(vault, tmp_path / "out")
    runner = CliRunner()
    dry = runner.invoke(cli, ["load", "--endpoint", fresh_oxigraph.url, "--store", "oxigraph", "-o", str(out),
                              "--dry-run"])  # fmt: skip
    assert dry.exit_code == 0
    assert dry.stdout.splitlines()[0] == "send   https://example.org/vault/"
    assert fresh_oxigraph.quads() == set()
    real = runner.invoke(cli, ["load", "--endpoint", fresh_oxigraph.url, "--store", "oxigraph", "-o", str(out)])
    assert real.exit_code == 0
    assert real.stdout.startswith(f"sent 35 graphs, deleted 0, 0 unchanged → {fresh_oxigraph.url} in ")


def test_unreachable_store_is_exit_2(tmp_path: Path, example_build: Path) -> None:
    result = CliRunner().invoke(cli, ["load", "--endpoint", "http://127.0.0.1:9/store", "-o", str(example_build),
                                      "--retries", "0"])  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("vaultkg: error: http://127.0.0.1:9/store: cannot reach the store")


# -- faults a real server will not produce on demand: httpx MockTransport --------------------


def mock(handler) -> httpx.MockTransport:  # type: ignore[no-untyped-def]
    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("status", "words"),
    [(401, "401 Unauthorized: the store wants credentials"), (403, "403 Forbidden"), (404, "404 Not Found")],
)
def test_refusals_are_named(status: int, words: str, example_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    with pytest.raises(LoadError) as info:
        load(out, "http://store.test/gsp", transport=mock(lambda request: httpx.Response(status)), retries=0)
    assert str(info.value) == f"http://store.test/gsp: the store refused PUT: {words}" or words in str(info.value)
    assert not json.loads(next((out / MANIFEST_DIR).glob("*.json")).read_text())["graphs"]


def test_retries_5xx_and_429_with_retry_after(example_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    calls: dict[str, int] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        graph = request.url.params["graph"]
        calls[graph] = calls.get(graph, 0) + 1
        if calls[graph] == 1:
            return httpx.Response(503)
        if calls[graph] == 2:
            return httpx.Response(429, headers={"Retry-After": "0"})
        return httpx.Response(204)

    result = load(out, "http://store.test/gsp", transport=mock(handler), backoff=0.001)
    assert len(result.sent) == 35 and set(calls.values()) == {3}


def test_credentials_come_from_the_environment_and_never_leak(
    example_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    monkeypatch.setenv("VAULTKG_USER", "analyst")
    monkeypatch.setenv("VAULTKG_PASSWORD", "s3cret-pa55")
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization", ""))
        return httpx.Response(500, text="boom s3cret-pa55?")  # even a store echoing it back

    with pytest.raises(LoadError) as info:
        load(out, "https://store.test/gsp", transport=mock(handler), retries=0)
    assert seen[0].startswith("Basic ")
    manifest_text = next((out / MANIFEST_DIR).glob("*.json")).read_text()
    assert "s3cret" not in manifest_text and "analyst" not in manifest_text
    assert "s3cret-pa55" not in str(info.value).replace("boom s3cret-pa55?", "")
    with pytest.raises(LoadError, match="not in the URL"):
        load(out, "https://analyst:s3cret-pa55@store.test/gsp", transport=mock(handler))


def test_redirects_are_not_followed(example_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    handler = lambda request: httpx.Response(302, headers={"Location": "https://elsewhere.test/steal"})  # noqa: E731
    with pytest.raises(LoadError, match=r"302 redirect to https://elsewhere\.test/steal: not followed"):
        load(out, "https://store.test/gsp", transport=mock(handler), retries=0)


def test_a_few_graphs_are_cut_from_graph_nq_as_blocks(example_build: Path, tmp_path: Path) -> None:
    """An incremental load reads the changed graphs as blocks of graph.nq (found by their line
    ending), the same bytes as reading every line; a graph.nq whose graphs are interleaved (not
    written by vaultkg) is read line by line."""
    import vaultkg.loader as loader

    everything = loader.read_graphs(example_build)
    some = set(sorted(everything)[::6])
    assert 1 < len(some) <= 8  # few enough for the block search
    assert loader.read_graphs(example_build, some) == {g: everything[g] for g in some}
    assert loader._graph_blocks((example_build / "graph.nq").read_bytes(), some) is not None  # the fast path
    (tmp_path / "graph.nq").write_bytes(
        b"<urn:s> <urn:p> <urn:a> <urn:g1> .\n<urn:s> <urn:p> <urn:g1> <urn:g2> .\n<urn:s> <urn:p> <urn:b> <urn:g1> .\n"
    )  # g1's lines are not one block; the object <urn:g1> in g2 is no line of g1
    assert loader._graph_blocks((tmp_path / "graph.nq").read_bytes(), {"urn:g1"}) is None
    assert loader.read_graphs(tmp_path, {"urn:g1", "urn:g2"}) == {
        "urn:g1": b"<urn:s> <urn:p> <urn:a> .\n<urn:s> <urn:p> <urn:b> .\n",
        "urn:g2": b"<urn:s> <urn:p> <urn:g1> .\n",
    }
