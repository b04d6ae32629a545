"""The build loaded into a real Oxigraph server (started on loopback by the fixture), queried
over the SPARQL protocol exactly as the README shows."""

from __future__ import annotations

import csv
import io
import urllib.parse
import urllib.request
from pathlib import Path

from conftest import ROOT

FIRST_QUERY = (ROOT / "examples" / "first-query.rq").read_text(encoding="utf-8")


def _post(url: str, data: bytes, content_type: str) -> int:
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status


def _select_csv(url: str, query: str) -> list[dict[str, str]]:
    body = urllib.parse.urlencode({"query": query}).encode()
    req = urllib.request.Request(
        url + "/query?union-default-graph",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return list(csv.DictReader(io.StringIO(resp.read().decode("utf-8"))))


def test_readme_query_on_a_real_oxigraph_server(oxigraph_server: str, example_build: Path) -> None:
    status = _post(oxigraph_server + "/store", (example_build / "graph.nq").read_bytes(), "application/n-quads")
    assert status in (200, 201, 204)
    rows = _select_csv(oxigraph_server, FIRST_QUERY)
    assert rows[:4] == [
        {"relationship": "Iran-Israel Shadow War", "actor": "Hezbollah", "status": "open conflict"},
        {"relationship": "Iran-Israel Shadow War", "actor": "IRGC", "status": "open conflict"},
        {"relationship": "Iran-Israel Shadow War", "actor": "Iran", "status": "open conflict"},
        {"relationship": "Iran-Israel Shadow War", "actor": "Israel", "status": "open conflict"},
    ]
    assert {"relationship": "US-Israel Relations", "actor": "United States", "status": "close alliance"} in rows
    assert {"relationship": "US-Iran Relations", "actor": "United States", "status": "hostile"} in rows
    graphs = _select_csv(oxigraph_server, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert graphs == [{"n": "35"}]  # 33 notes + the vault graph + the Wikidata facts graph


def test_readme_shows_the_query_it_tests() -> None:
    assert FIRST_QUERY.strip() in (ROOT / "README.md").read_text(encoding="utf-8")
