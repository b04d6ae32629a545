"""Network hygiene for `load`, `link` and `query --endpoint`: certificates are always checked,
answers are bounded in size, and vaultkg talks only to the endpoint it was given."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest
from conftest import ROOT

import vaultkg.linking
import vaultkg.loader
from vaultkg.linking import LinkError, WikidataClient
from vaultkg.loader import LoadError, load


def test_no_code_turns_certificate_checks_off() -> None:
    pattern = re.compile(r"verify\s*=\s*False|CERT_NONE|_create_unverified_context|check_hostname\s*=\s*False")
    for path in list((ROOT / "vaultkg").rglob("*.py")) + list((ROOT / "converters").rglob("*.py")):
        assert not pattern.search(path.read_text(encoding="utf-8")), path


def test_an_oversized_store_answer_is_refused(example_build: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    monkeypatch.setattr(vaultkg.loader, "MAX_RESPONSE_BYTES", 1000)
    hosts = set()

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.add(request.url.host)
        return httpx.Response(200, content=b"x" * 5000)

    with pytest.raises(LoadError, match=r"the answer is larger than 1,000 bytes; refused"):
        load(out, "https://store.test/gsp", transport=httpx.MockTransport(handler), retries=0)
    assert hosts == {"store.test"}  # only the endpoint that was named


def test_an_oversized_sparql_answer_is_refused(monkeypatch, tmp_path: Path, oxigraph_server: str) -> None:
    monkeypatch.setattr(vaultkg.linking, "MAX_RESPONSE_BYTES", 10)
    client = WikidataClient(oxigraph_server + "/query", cache_dir=tmp_path)
    with pytest.raises(LinkError, match=r"larger than 10 bytes; refused"):
        client.select("SELECT ?s WHERE { VALUES ?s { <http://example.org/a> } }")
