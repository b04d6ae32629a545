"""Conformance with other projects' test data for Obsidian link syntax (../shared/peer-fixtures).

goldmark-wikilink says what is and is not a wikilink; obsidian-export says which note Obsidian
resolves each wikilink to. The data is read from the shared folder, not copied into the repo.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from conftest import PEER_FIXTURES

from converters import assemble
from converters.links import extract_links
from vaultkg.config import default_config
from vaultkg.vault import read_vault

GOLDMARK = PEER_FIXTURES / "goldmark-wikilink" / "tests.yaml"
EXPORT = PEER_FIXTURES / "obsidian-export"

pytestmark = pytest.mark.skipif(not PEER_FIXTURES.is_dir(), reason="../shared/peer-fixtures is absent")


def _goldmark_cases() -> list[dict]:
    return yaml.safe_load(GOLDMARK.read_text(encoding="utf-8")) if GOLDMARK.is_file() else []


@pytest.mark.parametrize("case", _goldmark_cases(), ids=lambda c: c["desc"])
def test_goldmark_wikilink_cases(case: dict) -> None:
    want = case["want"]
    hrefs = [unquote(h) for h in re.findall(r'(?:href|src)="([^"]*)"', want)]
    expected = set()
    for href in hrefs:
        if href.startswith("#"):
            continue  # a link into the note itself: no entity link
        target, _, fragment = href.partition("#")
        expected.add((target.removesuffix(".html"), fragment or None))
    if "[[" not in case["give"]:
        expected = set()  # a plain Markdown link to a web page: not a wikilink
    if case["desc"].startswith(("unresolved", "label/unresolved")):
        expected = {("Does Not Exist", None)}  # a wikilink all the same; goldmark's resolver drops it
    got = {(link.target, link.fragment) for link in extract_links(case["give"]) if not link.markdown}
    assert got == expected


def _export_cases() -> list[str]:
    expected = EXPORT / "expected"
    return sorted(p.name for p in expected.iterdir() if p.is_dir()) if expected.is_dir() else []


_MD_LINK = re.compile(r"\]\(([^)\s]+\.md)(?:#[^)]*)?\)")


@pytest.mark.parametrize("case", _export_cases())
def test_obsidian_export_resolution(case: str) -> None:
    """Every link obsidian-export resolved, vaultkg resolves to the same note."""
    vault = EXPORT / "input" / case
    contents = read_vault(vault, default_config())
    dataset = assemble(contents.notes, default_config())
    path_of = {}
    for triples in dataset.graphs.values():
        for t in triples:
            if t.predicate.value.endswith("#path"):
                path_of[t.subject.value + "#id"] = t.object.value
    ours: dict[str, set[str]] = {}
    for graph, triples in dataset.graphs.items():
        src = next(
            (t.object.value for t in triples if t.subject.value == graph and t.predicate.value.endswith("#path")), None
        )
        if src:
            ours[src] = {path_of.get(t.object.value, "?") for t in triples if t.predicate.value.endswith("#linksTo")}
    checked = 0
    for expected_file in sorted((EXPORT / "expected" / case).rglob("*.md")):
        rel = expected_file.relative_to(EXPORT / "expected" / case).as_posix()
        if rel not in ours:
            continue  # notes the exporter was told to start at or skip
        folder = posixpath.dirname(rel)
        text = expected_file.read_text(encoding="utf-8")
        for href in _MD_LINK.findall(text):
            target = posixpath.normpath(posixpath.join(folder, unquote(href)))
            if not (vault / target).is_file() or target == rel:
                continue
            checked += 1
            # embeds are inlined by the exporter, so their links show up in the embedding note
            reachable = ours[rel].union(*(ours.get(p, set()) for p in ours[rel]))
            assert target in reachable, f"{rel}: link to {target} not resolved (got {sorted(ours[rel])})"
    if case in {"main-samples", "same-filename-different-directories", "non-ascii"}:
        assert checked > 0


def test_peer_fixture_folder_is_present_where_ci_runs() -> None:
    assert Path(GOLDMARK).is_file()
