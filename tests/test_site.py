"""`vaultkg site`: one page per note and entity, every link leading somewhere, nothing unescaped."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from vaultkg import build
from vaultkg.cli import cli

BASE = "https://example.org/vault/"


class Page(HTMLParser):
    """What a page holds: its links, the ids of its elements, its tags, its text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and ("type", "application/ld+json") in attrs:
            tag = "data"  # JSON-LD: data, not a program
        self.tags.append(tag)
        for name, value in attrs:
            if name == "href" and value is not None:
                self.hrefs.append(value)
            if name == "id" and value is not None:
                self.ids.add(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def site(output: Path, target: Path, *more: str):
    return CliRunner().invoke(cli, ["site", "-o", str(output), "--to", str(target), *more], catch_exceptions=False)


def pages(folder: Path) -> dict[str, Page]:
    return {p.relative_to(folder).as_posix(): Page(p.read_text(encoding="utf-8")) for p in folder.rglob("*.html")}


def test_every_note_and_thing_has_a_page_and_every_link_leads_somewhere(example_build: Path, tmp_path: Path) -> None:
    result = site(example_build, tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("wrote ") and result.output.rstrip().endswith("s")
    found = pages(tmp_path / "site")
    subjects = {
        q.subject.value
        for q in ox.parse(path=str(example_build / "graph.nq"), format=ox.RdfFormat.N_QUADS)
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(BASE) and q.subject.value != BASE
    }
    for iri in subjects:  # served at the base, every IRI the graph describes leads to its section
        page, _, fragment = iri[len(BASE) :].partition("#")
        assert f"{unquote(page)}.html" in found, iri
        assert not fragment or fragment in found[f"{unquote(page)}.html"].ids, iri
    for name, page in found.items():
        for href in page.hrefs:
            if href.startswith(("http://", "https://")):
                continue
            path, fragment = urldefrag(href)
            target = (tmp_path / "site" / name).parent / unquote(path)
            assert target.resolve().is_file(), (name, href)
            if fragment and target.suffix == ".html":
                assert fragment in Page(target.read_text(encoding="utf-8")).ids, (name, href)
    index = found["index.html"]
    assert {h for h in index.hrefs if h.endswith(".html")} >= {"israel.html", "tag/alliance.html", "united-states.html"}
    assert (tmp_path / "site" / "style.css").is_file()


def test_a_page_shows_the_thing_its_note_milestones_and_referrers(example_build: Path, tmp_path: Path) -> None:
    site(example_build, tmp_path / "site")
    israel = (tmp_path / "site" / "israel.html").read_text(encoding="utf-8")
    assert "<title>Israel</title>" in israel and "<h1>Israel</h1>" in israel
    assert '<p class="types"><span>vkg:Country</span></p>' in israel
    assert '<a class="external" href="http://www.wikidata.org/entity/Q801">' in israel  # owl:sameAs
    # the note's [[links]] lead to the pages of what the build resolved them to
    assert 'Prime minister:\n<a href="benjamin-netanyahu.html#id">Benjamin Netanyahu</a>' in israel
    assert '<a href="united-states.html#id">American</a> funding' in israel  # [[United States|American]]
    assert '<a href="us-israel-relations.html#id">US-Israel Relations</a> <span class="via">vkg:actor</span>' in israel
    shadow = Page((tmp_path / "site" / "iran-israel-shadow-war.html").read_text(encoding="utf-8"))
    assert "Milestones" in shadow.text and any(i.startswith("event-") for i in shadow.ids)
    unwritten = [p for p in pages(tmp_path / "site").values() if "no note describes it yet" in "".join(p.text)]
    assert unwritten  # entities named without a note have a page saying so


def test_same_build_same_bytes_and_a_rerun_replaces_the_folder(example_build: Path, tmp_path: Path) -> None:
    site(example_build, tmp_path / "a")
    site(example_build, tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    (tmp_path / "a" / "stale.html").write_text("old")
    assert site(example_build, tmp_path / "a").exit_code == 0
    assert not (tmp_path / "a" / "stale.html").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_a_folder_vaultkg_did_not_write_is_never_replaced(example_build: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("precious")
    result = site(example_build, mine)
    assert result.exit_code == 2
    assert result.output == (
        f"vaultkg: error: {mine}: holds files vaultkg did not write (no .vaultkg-site); "
        "give another --to, or empty it first\n"
    )
    assert (mine / "thesis.txt").read_text() == "precious" and len(list(mine.iterdir())) == 1
    nothing = site(tmp_path / "no-build", tmp_path / "site")
    assert nothing.exit_code == 2
    assert nothing.output == (
        f"vaultkg: error: {tmp_path / 'no-build'}: no graph.nq here; run 'vaultkg build' first (or give --output-dir)\n"
    )
    damaged = tmp_path / "damaged"
    shutil.copytree(example_build, damaged)
    lines = (damaged / "graph.nq").read_bytes().count(b"\n")
    with open(damaged / "graph.nq", "ab") as handle:
        handle.write(b"<http://a.example/s> <not an iri> <http://a.example/o> .\n")
    broken = site(damaged, tmp_path / "site")
    assert broken.exit_code == 2 and not (tmp_path / "site").exists()
    assert broken.output.startswith(f"vaultkg: error: {damaged}/graph.nq:{lines + 1}: not valid N-Quads (")
    (damaged / "report.json").write_text('{"broken', encoding="utf-8")  # the base IRI is in it
    unreadable = site(damaged, tmp_path / "site")
    assert unreadable.exit_code == 2 and not (tmp_path / "site").exists()
    assert unreadable.output == (f"vaultkg: error: {damaged}/report.json: missing or unreadable (it gives the "
                                 "vault's base IRI); run 'vaultkg build' again\n")  # fmt: skip


def test_hostile_names_and_text_are_escaped_and_an_index_note_keeps_its_page(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / 'Evil <b>"x" & co<script>.md').write_text(
        "---\naliases: ['\"><script>alert(1)</script>']\n---\n"
        "<script>alert(2)</script> [click](javascript:alert(3)) <img src=x onerror=alert(4)>\n[[Index]]\n",
        encoding="utf-8",
    )
    (vault / "Index.md").write_text("---\ntype: country\n---\nA note called Index.\n", encoding="utf-8")
    build(vault, tmp_path / "out")
    assert site(tmp_path / "out", tmp_path / "site").exit_code == 0
    found = pages(tmp_path / "site")
    evil = next(p for name, p in found.items() if name.startswith("evil"))
    assert "script" not in evil.tags and "img" not in evil.tags and "b" not in evil.tags
    assert evil.tags.count("data") == 1
    assert not [h for h in evil.hrefs if h.startswith("javascript:")]
    assert '"><script>alert(1)</script>' in "".join(evil.text)  # shown as text, not run
    assert "index.note.html#id" in evil.hrefs  # [[Index]]: the note's page beside the site's index
    assert "A note called Index." in "".join(found["index.note.html"].text)
    assert "index.note.html" in found["index.html"].hrefs


@pytest.mark.parametrize("folder", ["", "sub/deeper"])
def test_pages_link_relatively_from_any_depth(example_build: Path, tmp_path: Path, folder: str) -> None:
    target = tmp_path / folder / "site" if folder else tmp_path / "site"
    site(example_build, target)
    tag = Page((target / "tag" / "region" / "middle-east.html").read_text(encoding="utf-8"))
    assert "../../index.html" in tag.hrefs and "../../style.css" in tag.hrefs


def test_each_page_carries_its_things_triples_as_json_ld(example_build: Path, tmp_path: Path) -> None:
    import re

    site(example_build, tmp_path / "site")
    union = {q.triple for q in ox.parse(path=str(example_build / "graph.nq"), format=ox.RdfFormat.N_QUADS)}
    for name in ["israel.html", "iran-israel-shadow-war.html", "tag/region.html", "gaza-strip.html"]:
        text = (tmp_path / "site" / name).read_text(encoding="utf-8")
        data = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
        assert data is not None and "<" not in data.group(1)
        carried = {q.triple for q in ox.parse(data.group(1).encode(), format=ox.RdfFormat.JSON_LD)}
        page = name.removesuffix(".html")
        mine = {t for t in union if t.subject.value.split("#")[0] == BASE + page}
        assert carried == mine and mine, name


def test_names_too_long_for_a_file_get_a_shortened_file_and_links_follow(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    vault.mkdir()
    long_name = "é" * 126  # 252 bytes: a note's file name fits, its page's name with .html does not
    (vault / f"{long_name}.md").write_text(f"---\ntags: [{'t' * 300}]\n---\nlong\n", encoding="utf-8")
    (vault / "Short.md").write_text(f"See [[{long_name}]].\n", encoding="utf-8")
    build(vault, tmp_path / "out")
    assert site(tmp_path / "out", tmp_path / "site").exit_code == 0
    found = pages(tmp_path / "site")
    assert all(len(part.encode()) <= 255 for name in found for part in name.split("/"))
    assert sorted(name[:5] for name in found) == ["index", "short", "tag/t", long_name[:5]]  # nothing lost
    short = found["short.html"]
    long_page = next(h for h in short.hrefs if h.startswith("%C3%A9"))
    assert (tmp_path / "site" / unquote(urldefrag(long_page)[0])).is_file()
    assert urldefrag(long_page)[1] == "id"


def test_a_site_that_cannot_be_written_is_an_error_not_a_crash(example_build: Path, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("in the way")
    result = site(example_build, tmp_path / "a-file" / "site")
    assert result.exit_code == 2
    assert result.output.startswith("vaultkg: error: ") and "internal error" not in result.output


def test_the_index_puts_the_vaults_classes_first_and_milestones_show_dates_as_written(
    example_build: Path, tmp_path: Path
) -> None:
    import re

    site(example_build, tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    headings = [re.sub(r" \(\d+\)$", "", h) for h in re.findall(r"<h2>([^<]*)</h2>", index)]
    assert headings[0] == "vkg:Country" and headings[-2:] == ["Tags", "Named in notes, no note of their own"]
    war = (tmp_path / "site" / "iran-israel-shadow-war.html").read_text(encoding="utf-8")
    assert "<tr><td>1980s</td>" in war and "<tr><td>c. 1992</td>" in war  # vkg:dateText, not 1980 / 1992
    assert "<th>vkg:milestone</th>" not in war  # the milestones table says it already


def test_links_by_path_and_markdown_links_to_notes_lead_to_their_pages(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    for path, text in {
        "A/Note.md": "---\ntype: person\n---\n",
        "B/Note.md": "---\ntype: organization\n---\n",
        "B/Deep/Other Note.md": "Back up: [up](../Note.md), [root](A/Note.md), [[B/Note|b]].\n",
        "Hub.md": "[[A/Note]], [[B/Note.md]], [x](<B/Note.md>), [y](A/Note.md#sec), [z](B/Deep/Other%20Note.md),"
        " [web](https://example.com/a.md), `[c](A/Note.md)`, [gone](Nowhere.md)\n",
    }.items():
        (vault / path).parent.mkdir(parents=True, exist_ok=True)
        (vault / path).write_text(text, encoding="utf-8")
    build(vault, tmp_path / "out")
    assert site(tmp_path / "out", tmp_path / "site").exit_code == 0
    found = pages(tmp_path / "site")
    assert found["hub.html"].hrefs[-7:] == [
        "note.html#id", "note-b.html#id", "note-b.html#id", "note.html#id", "other-note.html#id",
        "https://example.com/a.md", "nowhere.html#id",  # the page of a thing named without a note
    ]  # fmt: skip
    up_root_b = ["note-b.html#id", "note.html#id", "note-b.html#id"]  # ../Note.md from B/Deep is B/Note.md
    hrefs = found["other-note.html"].hrefs
    assert any(hrefs[i : i + 3] == up_root_b for i in range(len(hrefs))), hrefs
    assert "[c](A/Note.md)" in "".join(found["hub.html"].text)  # code stays code


def test_a_name_two_linked_notes_share_leads_where_the_build_resolved_it(tmp_path: Path) -> None:
    """`[[Topic]]` from B/ is B/Topic (same folder) when the note links A/Topic too, as the build
    resolves it; `[t](Topic.md)` is read next to the note first; a target may hold parentheses."""
    vault = tmp_path / "v"
    for path, text in {
        "A/Topic.md": "", "B/Topic.md": "", "Note (draft).md": "",
        "B/Hub.md": "[[A/Topic]] then [[Topic]] and [t](Topic.md), [d](../Note%20(draft).md)\n",
    }.items():  # fmt: skip
        (vault / path).parent.mkdir(parents=True, exist_ok=True)
        (vault / path).write_text(text, encoding="utf-8")
    ds = build(vault, tmp_path / "out").dataset
    linked = {t.object.value for g in ds.graphs.values() for t in g if t.predicate.value.endswith("linksTo")}
    assert linked == {"https://example.org/vault/topic#id", "https://example.org/vault/topic-b#id",
                      "https://example.org/vault/note-draft#id"}  # fmt: skip
    assert site(tmp_path / "out", tmp_path / "site").exit_code == 0
    assert pages(tmp_path / "site")["hub.html"].hrefs[-4:] == [
        "topic.html#id", "topic-b.html#id", "topic-b.html#id", "note-draft.html#id",
    ]  # fmt: skip


def test_the_events_of_a_note_follow_its_milestones_in_date_order(tmp_path: Path) -> None:
    import re

    vault = tmp_path / "v"
    vault.mkdir()
    table = "| Year | Event |\n|---|---|\n| 1843 | Published |\n| c. 1833 | Met |\n| 1852-11-27 | Died |\n"
    table += "| later | Undated |\n"
    (vault / "Ada.md").write_text(f"---\ntype: person\n---\n{table}", encoding="utf-8")
    build(vault, tmp_path / "out")
    assert site(tmp_path / "out", tmp_path / "site").exit_code == 0
    page = (tmp_path / "site" / "ada.html").read_text(encoding="utf-8")
    listed = re.findall(r'<td><a href="ada.html#(event-[^"]+)">', page)
    sections = re.findall(r'<section id="(event-[^"]+)">', page)
    assert [e.split("-")[1] for e in listed] == ["c", "1843", "1852", "later"]  # c. 1833, 1843, 1852-11-27, undated
    assert sections == listed


def test_a_page_shows_no_obsidian_comment(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "Note.md").write_text(
        "Shown. %%a private remark%% Also shown.\n\n%%\nhidden block\n%%\n", encoding="utf-8"
    )
    build(vault, tmp_path / "out")
    assert site(tmp_path / "out", tmp_path / "site").exit_code == 0
    page = (tmp_path / "site" / "note.html").read_text(encoding="utf-8")
    assert "Shown." in page and "Also shown." in page
    assert "private remark" not in page and "hidden block" not in page and "%%" not in page


def test_a_page_leaves_out_html_comments_and_shows_raw_html_as_text(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    vault.mkdir()
    text = "Before <!-- a remark --> after.\n\n<!--\nblock\n-->\n\n`<!-- code -->` and <script>alert(1)</script>\n"
    (vault / "Note.md").write_text(text, encoding="utf-8")
    build(vault, tmp_path / "out")
    assert site(tmp_path / "out", tmp_path / "site").exit_code == 0
    page = (tmp_path / "site" / "note.html").read_text(encoding="utf-8")
    shown = page.split('<div class="note-text">', 1)[1].split("</div>", 1)[0]  # the JSON-LD keeps the text as is
    assert shown.startswith("<p>Before  after.</p>") and "a remark" not in shown and "block" not in shown
    assert "<code>&lt;!-- code --&gt;</code>" in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
