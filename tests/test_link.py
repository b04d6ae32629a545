"""`vaultkg link` against a real SPARQL server (Oxigraph on loopback) holding a Wikidata-shaped
fixture: explainable scores, clear matches only when clearly ahead, namesakes left for review,
redirects, alias-only matches, caching and --offline, 429 with Retry-After, and builds that use
accepted links (front matter always wins)."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
import urllib.request
from pathlib import Path
from typing import ClassVar

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, OxigraphServer

from vaultkg import build
from vaultkg.cli import cli
from vaultkg.linking import LINK_FILE, LinkError, link

FIXTURE = ROOT / "tests" / "fixtures" / "wikidata.ttl"
CLASSES = {"https://w3id.org/vaultkg#Person": "Q9000005"}  # the fixture's stand-in for Q5


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory: pytest.TempPathFactory):
    server = OxigraphServer(tmp_path_factory.mktemp("wikidata-store")).start()
    req = urllib.request.Request(server.url + "/store?default", data=FIXTURE.read_bytes(), method="POST",
                                 headers={"Content-Type": "text/turtle"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=30):
        pass
    yield server.url + "/query"
    server.stop()


NOTES = {
    "Israel.md": "---\ntype: country\naliases: [State of Israel]\n---\nAlly of [[United States]]; see [[Iran]].\n",
    "United States.md": "---\ntype: country\naliases: [US]\n---\n",
    "China.md": "---\ntype: country\n---\n",
    "Georgia.md": "---\ntype: country\n---\n",
    "Benjamin Netanyahu.md": "---\ntype: person\n---\nPrime minister of [[Israel]].\n",
    "Mossad.md": "---\ntype: organization\n---\n",
    "Linked.md": "---\ntype: country\nwikidata: Q801\n---\n",
    "Elsewhere.md": "Talks in [[Georgia (state)]] and [[Nowhere Land]].\n",
}


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    for name, text in NOTES.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def entries(vault: Path) -> dict[str, dict]:
    data = yaml.safe_load((vault / LINK_FILE).read_text())
    return {e["label"]: e for e in data["entities"]}


def test_proposals_scores_and_decisions(vault: Path, wikidata: str, tmp_path: Path) -> None:
    result = link(vault, endpoint=wikidata, cache_dir=tmp_path / "cache", classes=CLASSES)
    e = entries(vault)
    assert "Linked" not in e  # front matter already links it
    israel = e["Israel"]
    assert (israel["decision"], israel["qid"], israel["status"]) == ("match", "Q801", "proposed")
    best = israel["candidates"][0]
    assert best["score"] == 100 and best["label"] == "Israel"
    assert best["why"].startswith("exact label match; its class fits")
    assert "via redirect from Q9000201" in best["why"] or len(israel["candidates"]) == 1
    netanyahu = e["Benjamin Netanyahu"]
    assert netanyahu["decision"] == "match" and netanyahu["qid"] == "Q43723"
    assert "description mentions Israel" in netanyahu["candidates"][0]["why"]
    # an alias-only match is proposed for review, never matched outright
    assert (e["China"]["decision"], e["China"]["qid"]) == ("proposed", "Q148")
    assert e["China"]["candidates"][0]["why"].startswith("exact alias match; its class fits")
    us = e["United States"]
    assert us["qid"] == "Q30" and us["decision"] == "proposed"
    # namesakes: the type decides for the country note ...
    georgia = e["Georgia"]
    assert georgia["decision"] == "match" and georgia["qid"] == "Q9000101"
    assert [c["qid"] for c in georgia["candidates"]] == ["Q9000101", "Q9000102"]
    assert "does not fit" in georgia["candidates"][1]["why"]
    # ... an item with no P31 cannot be confirmed
    mossad = e["Mossad"]
    assert mossad["decision"] == "proposed" and "no P31 to check the type against" in mossad["candidates"][0]["why"]
    # linked names without a note are linkable too; no candidates → listed with the reason
    assert e["Iran"]["qid"] == "Q794" and e["Iran"]["note"] is None
    assert e["Nowhere Land"]["decision"] == "none" and e["Nowhere Land"]["why"] == "no item has this name or alias"
    assert result.matches == 3 and result.accepted == 0


def test_an_endpoint_holding_other_data_too_gives_the_same_proposals(
    vault: Path, wikidata: str, tmp_path: Path, fresh_oxigraph
) -> None:
    """A store with the vault's own graph beside the items (Virtuoso's default graph holds every
    graph, and matches "Israel" to "Israel"@en): a vault IRI or a property labelled with the name
    is not a candidate — a vault IRI once made an invalid query (`wd:https://…`) that failed."""
    from conftest import EXAMPLE_VAULT

    out = tmp_path / "out"
    build(EXAMPLE_VAULT, out)
    own = (
        b"<https://example.org/vault/israel#id> <http://www.w3.org/2000/01/rdf-schema#label> 'Israel'@en ;"
        b" <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q801> ."
        b"<http://www.wikidata.org/entity/P9999> <http://www.w3.org/2000/01/rdf-schema#label> 'Mossad'@en ."
    )
    for data in (FIXTURE.read_bytes(), (out / "graph.ttl").read_bytes(), own):
        req = urllib.request.Request(fresh_oxigraph.url + "/store?default", data=data, method="POST",
                                     headers={"Content-Type": "text/turtle"})  # fmt: skip
        with urllib.request.urlopen(req, timeout=30):
            pass
    alone = link(vault, endpoint=wikidata, cache_dir=tmp_path / "c1", classes=CLASSES)
    expected = (vault / LINK_FILE).read_text(encoding="utf-8")
    (vault / LINK_FILE).unlink()
    mixed = link(vault, endpoint=fresh_oxigraph.url + "/query", cache_dir=tmp_path / "c2", classes=CLASSES)
    assert (vault / LINK_FILE).read_text(encoding="utf-8") == expected
    assert (mixed.matches, mixed.proposed, mixed.unmatched) == (alone.matches, alone.proposed, alone.unmatched)


def test_ambiguous_names_stay_unlinked_with_their_candidates(tmp_path: Path, wikidata: str) -> None:
    root = tmp_path / "v"
    root.mkdir()
    (root / "Note.md").write_text("Elections in [[Georgia]].\n")
    link(root, endpoint=wikidata, cache_dir=tmp_path / "cache", classes=CLASSES)
    georgia = entries(root)["Georgia"]
    assert georgia["decision"] == "ambiguous" and georgia["qid"] is None
    assert georgia["why"] == "2 candidates within 10 points: Q9000101, Q9000102"


def test_accept_review_build_and_write_front_matter(vault: Path, wikidata: str, tmp_path: Path) -> None:
    result = link(vault, endpoint=wikidata, cache_dir=tmp_path / "cache", classes=CLASSES, accept_matches=True)
    assert result.accepted == 3
    # a person accepts a proposal and rejects another; a rerun keeps both decisions
    data = yaml.safe_load((vault / LINK_FILE).read_text())
    for entry in data["entities"]:
        if entry["label"] == "China":
            entry["status"] = "accepted"
        if entry["label"] == "Mossad":
            entry["status"] = "rejected"
    (vault / LINK_FILE).write_text(yaml.safe_dump(data, allow_unicode=True))
    link(vault, endpoint=wikidata, cache_dir=tmp_path / "cache", classes=CLASSES)
    e = entries(vault)
    assert e["China"]["status"] == "accepted" and e["Mossad"]["status"] == "rejected"
    out = tmp_path / "out"
    build(vault, out)
    nq = (out / "graph.nq").read_text()
    assert "<https://example.org/vault/china#id> <http://www.w3.org/2002/07/owl#sameAs> " \
           "<http://www.wikidata.org/entity/Q148>" in nq  # fmt: skip
    assert "<https://example.org/vault/mossad#id> <http://www.w3.org/2002/07/owl#sameAs>" not in nq
    report = json.loads((out / "report.json").read_text())
    assert report["wikidata_links"]["by_class"]["Country"] == {"linked": 4, "linkable": 5}
    assert "void:Linkset" in (out / "void.ttl").read_text()
    # front matter always wins over the review file
    before = (vault / "Israel.md").read_text()
    (vault / "Israel.md").write_text(before.replace("type: country\n", "type: country\nwikidata: Q9000201\n"))
    build(vault, out)
    assert "<https://example.org/vault/israel#id> <http://www.w3.org/2002/07/owl#sameAs> " \
           "<http://www.wikidata.org/entity/Q801>" not in (out / "graph.nq").read_text()  # fmt: skip
    (vault / "Israel.md").write_text(before)
    # writing accepted QIDs into notes adds one line and touches nothing else
    link(vault, endpoint=wikidata, cache_dir=tmp_path / "cache", classes=CLASSES, write_front_matter=True)
    after = (vault / "Israel.md").read_text()
    assert after == before.replace("aliases: [State of Israel]\n", "aliases: [State of Israel]\nwikidata: Q801\n")


def test_reruns_come_from_the_cache_and_offline_works(vault: Path, wikidata: str, tmp_path: Path) -> None:
    first = link(vault, endpoint=wikidata, cache_dir=tmp_path / "cache", classes=CLASSES)
    assert first.requests >= 2
    (vault / LINK_FILE).unlink()
    again = link(vault, endpoint=wikidata, cache_dir=tmp_path / "cache", classes=CLASSES)
    assert again.requests == 0
    offline = link(vault, endpoint=wikidata, cache_dir=tmp_path / "cache", classes=CLASSES, offline=True)
    assert offline.requests == 0
    with pytest.raises(LinkError, match=r"--offline: the cache .* has no answer"):
        link(vault, endpoint=wikidata, cache_dir=tmp_path / "empty", classes=CLASSES, offline=True)


class _Busy(http.server.BaseHTTPRequestHandler):
    """Answers 429 with Retry-After to the first request, then passes requests to the fixture."""

    calls: ClassVar[list[float]] = []
    upstream: ClassVar[str] = ""

    def do_POST(self) -> None:
        _Busy.calls.append(time.monotonic())
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if len(_Busy.calls) == 1:
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.end_headers()
            return
        req = urllib.request.Request(_Busy.upstream, data=body, method="POST", headers={
            "Content-Type": self.headers["Content-Type"], "Accept": self.headers.get("Accept", "")})  # fmt: skip
        with urllib.request.urlopen(req, timeout=30) as resp:
            data = resp.read()
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.headers["Content-Type"])
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_429_retry_after_is_honoured(vault: Path, wikidata: str, tmp_path: Path) -> None:
    _Busy.calls, _Busy.upstream = [], wikidata
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        result = link(vault, endpoint=endpoint, cache_dir=tmp_path / "cache", classes=CLASSES)
    finally:
        server.shutdown()
    assert result.matches == 3
    assert _Busy.calls[1] - _Busy.calls[0] >= 1.0  # waited as told


def test_cli_link_summary_and_unreachable_endpoint(vault: Path, wikidata: str, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["link", str(vault), "--endpoint", wikidata, "--cache-dir", str(tmp_path / "c"),
                             "--accept-matches", "--contact", "analyst@example.org"])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert ok.stdout == (
        f"9 entities: 2 clear matches, 0 ambiguous, 5 to review, 2 without candidates; 2 accepted "
        f"→ {vault / LINK_FILE} (2 requests sent)\n"
    )  # person → Q5, which the fixture lacks
    down = runner.invoke(cli, ["link", str(vault), "--endpoint", "http://127.0.0.1:9/sparql",
                               "--cache-dir", str(tmp_path / "d")])  # fmt: skip
    assert down.exit_code == 2
    assert down.stderr.startswith("vaultkg: error: http://127.0.0.1:9/sparql: cannot reach the endpoint")
    shutil.rmtree(tmp_path / "d", ignore_errors=True)


def test_enrich_puts_wikidata_facts_in_a_graph_of_their_own(vault: Path, wikidata: str, tmp_path: Path) -> None:
    from vaultkg.linking import FACTS_FILE, enrich

    path, count = enrich(vault, endpoint=wikidata, cache_dir=tmp_path / "cache")
    assert path == vault / FACTS_FILE and count == 3  # Q801's English label, description and P31
    out = tmp_path / "out"
    build(vault, out)
    nq = (out / "graph.nq").read_text()
    assert ('<http://www.wikidata.org/entity/Q801> <http://schema.org/description> "country in Western Asia"@en '
            "<https://example.org/vault/wikidata> .") in nq  # fmt: skip
    (vault / FACTS_FILE).write_text("wd:Q1 broken turtle .\n")
    result = CliRunner().invoke(cli, ["build", str(vault), "-o", str(out)])
    assert result.exit_code == 1 and f"{vault}/{FACTS_FILE}:1: error: invalid Turtle:" in result.stderr
