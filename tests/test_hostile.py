"""A corpus of hostile and broken notes (generated here where binary or large), built as a user
would: every problem is a clear `path:line: message`, the rest of the vault builds, nothing is
read outside the vault and nothing written outside the output folder."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import threading
import unicodedata
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import build_notes, graph_of, ttl

from vaultkg import build
from vaultkg.cli import cli

LINKS_TO = "https://w3id.org/vaultkg#linksTo"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    root = tmp_path_factory.mktemp("hostile")
    vault = root / "vault"
    (vault / "sub").mkdir(parents=True)
    outside = root / "secret.md"
    outside.write_text("---\ntype: country\n---\nOutside the vault.\n")
    write = lambda name, text: (vault / name).write_text(text, encoding="utf-8")  # noqa: E731
    write("Good.md", "---\ntype: country\n---\nA normal note.\n")
    (vault / "Huge.md").write_bytes(b"x" * (50 * 1024 * 1024))
    write("Many links.md", " ".join(f"[[Target {i % 1000}]]" for i in range(100_000)))
    write(
        "Big table.md",
        "| Year | Event |\n|---|---|\n" + "".join(f"| {1000 + i % 1000} | row {i} |\n" for i in range(10_000)),
    )
    write("Nested.md", "".join("  " * depth + f"- level {depth}\n" for depth in range(2_000)))
    write("Escape.md", "[[../../etc/passwd]] and [x](../../../etc/passwd.md) and ![[../../secret.md]]\n")
    write("إسرائيل.md", "---\naliases: [ישראל]\n---\nSee [[إسرائيل]] and [[Good]].\n")
    write("Self.md", "[[Self]] links to itself.\n")
    write("Long tag.md", "---\ntags: [" + "t" * 10_000 + "]\n---\n")
    write("\x07bell\x1bname.md", "control characters in the name\n")
    write("🚀🚀.md", "emoji only\n")
    write('<>"{}|\\^`.md', 'IRI-breaking characters in the name [[<>"{}|\\^`]]\n')
    write(".md", "a note with an empty name\n")
    write("Traversal.md", "---\nslug: ../../etc/passwd\ntitle: ../../etc/passwd\n---\n")
    write(
        "Bomb.md",
        "---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n---\n",
    )
    write("Objects.md", "---\nx: !!python/object/apply:os.system ['touch /tmp/pwned']\n---\n")
    os.symlink(outside, vault / "sub" / "leak.md")
    os.symlink(vault / "sub", vault / "sub" / "loop")
    os.mkfifo(vault / "Pipe.md")  # opening it would wait for a writer forever
    before = sorted(p.name for p in root.iterdir())
    unblock = threading.Timer(20, _open_for_writing, [vault / "Pipe.md"])  # a reader waiting: fail, not hang
    unblock.start()
    try:
        result = CliRunner().invoke(cli, ["build", str(vault), "-o", str(root / "out")])
    finally:
        unblock.cancel()
    after = sorted(p.name for p in root.iterdir())
    assert set(after) - set(before) == {"out", ".out.vaultkg.lock"}  # nothing written elsewhere
    return vault, root / "out", result


def _open_for_writing(fifo: Path) -> None:
    """End the wait of a reader of ``fifo`` (with no reader there is nothing to end)."""
    with contextlib.suppress(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def test_problems_are_reported_with_lines_and_no_traceback(hostile) -> None:
    vault, _out, result = hostile
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    v = vault.as_posix()
    assert f"{v}/Huge.md:1: error: file is 52,428,800 bytes, over the 20,971,520-byte limit " \
           "(limits.max_note_bytes); skipped" in lines  # fmt: skip
    assert (
        f"{v}/Bomb.md:2: error: front matter expands to over 100,000 values (YAML alias bomb?); it is ignored" in lines
    )
    assert f"{v}/Objects.md:2: error: invalid YAML in front matter: YAML tag that would build an object is not " \
           "allowed; the front matter is ignored" in lines  # fmt: skip
    assert f"{v}/sub/leak.md:1: warning: symlink leads outside the vault; not read" in lines
    assert f"{v}/.md:1: warning: a note with an empty name (only '.md'); not read" in lines
    assert f"{v}/Pipe.md:1: warning: not a regular file (a FIFO, socket or device); not read" in lines
    assert not Path("/tmp/pwned").exists()


def test_the_rest_of_the_vault_builds(hostile) -> None:
    _vault, out, _result = hostile
    report = json.loads((out / "report.json").read_text())
    quads = list(ox.parse(path=str(out / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    paths = {q.object.value for q in quads if q.predicate.value.endswith("#path")}
    assert {"Good.md", "Many links.md", "Big table.md", "Nested.md", "Escape.md", "إسرائيل.md", "Self.md",
            "Long tag.md", "\x07bell\x1bname.md", "🚀🚀.md", "Bomb.md", "Objects.md",
            '<>"{}|\\^`.md', "Traversal.md"} == paths  # fmt: skip
    assert report["notes"] == 14
    many = {q.object.value for q in quads if q.predicate.value == LINKS_TO
            and q.subject.value == "https://example.org/vault/many-links#id"}  # fmt: skip
    assert len(many) == 1000
    events = sum(1 for q in quads if q.predicate.value.endswith("#milestone"))
    assert events == 10_000


def test_nothing_outside_the_vault_becomes_part_of_the_graph(hostile) -> None:
    _vault, out, _result = hostile
    text = (out / "graph.nq").read_text()
    quads = list(ox.parse(path=str(out / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    escape = {q.object.value for q in quads if q.predicate.value == LINKS_TO
              and q.subject.value == "https://example.org/vault/escape#id"}  # fmt: skip
    # the targets become names of entities without notes; no file is ever opened for a link
    assert escape == {"https://example.org/vault/passwd#id", "https://example.org/vault/secret#id"}
    assert "Outside the vault" not in text
    attachments = json.loads((out / "report.json").read_text())["attachments"]
    assert attachments == []


def test_names_of_any_script_and_shape_get_valid_iris(hostile) -> None:
    _vault, out, _result = hostile
    quads = list(ox.parse(path=str(out / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    subjects = {q.subject.value for q in quads}
    assert "https://example.org/vault/إسرائيل#id" in subjects
    assert "https://example.org/vault/bell-name#id" in subjects
    assert "https://example.org/vault/etc-passwd#id" in subjects  # a pinned slug is a slug too
    assert all(s.startswith("https://example.org/vault/") or not s.startswith("https://example.org/") for s in subjects)
    assert any(s.startswith("https://example.org/vault/n-") for s in subjects)  # emoji-only name: stable hash
    self_links = [q for q in quads if q.predicate.value == LINKS_TO and q.subject.value.endswith("/self#id")]
    assert self_links == []
    long_tag = [q for q in quads if q.object.value == "https://example.org/vault/tag/" + "t" * 10_000]
    assert long_tag


def test_a_rebuild_that_scans_in_a_child_reports_the_same(hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    """The vault listed by a forked process (a big cache loading beside it) gives the same
    warnings — symlinks, empty names — and files as listed here."""
    vault, out, first = hostile
    building = importlib.import_module("vaultkg.building")
    monkeypatch.setattr(building, "_BIG_CACHE", 0)
    before = {name: (out / name).read_bytes() for name in ("graph.nq", "report.json")}
    again = CliRunner().invoke(cli, ["build", str(vault), "-o", str(out)])
    assert (again.exit_code, again.stderr) == (first.exit_code, first.stderr)
    assert {name: (out / name).read_bytes() for name in before} == before


def test_a_decomposed_file_name_from_macos_gives_the_composed_name(tmp_path: Path) -> None:
    """macOS can store "Café" as "Cafe" + U+0301: the label, links, folder defaults and exclusions
    see the name as typed; ``vkg:path`` keeps the file's own bytes, which open it."""
    folder, name = unicodedata.normalize("NFD", "Équipe"), unicodedata.normalize("NFD", "Café Zürich")
    (tmp_path / folder).mkdir()
    (tmp_path / folder / f"{name}.md").write_text("A place.\n", encoding="utf-8")
    (tmp_path / folder / f"{unicodedata.normalize('NFD', 'Brouillon é')}.md").write_text("x\n", encoding="utf-8")
    (tmp_path / "Trip.md").write_text("Went to [[Café Zürich]].\n", encoding="utf-8")
    (tmp_path / "vaultkg.yaml").write_text("folders: {Équipe: person}\nexclude: ['Équipe/Brouillon*']\n",
                                           encoding="utf-8")  # fmt: skip
    ds = build(tmp_path, None).dataset
    thing = "https://example.org/vault/café-zürich#id"
    assert ttl(f'<{thing}> a vkg:Person ; rdfs:label "Café Zürich" .') <= graph_of(ds, "café-zürich")
    assert ttl(f"vault:trip\\#id vkg:linksTo <{thing}> .") <= graph_of(ds, "trip")
    paths = {t.object.value for g in ds.graphs.values() for t in g if t.predicate.value.endswith("#path")}
    assert paths == {f"{folder}/{name}.md", "Trip.md"}


def test_decomposed_text_gives_the_triples_of_composed_text() -> None:
    """Text pasted from a PDF or written on macOS may hold "e" + U+0301 for "é": as RDF asks of
    literals and IRIs, vaultkg writes it composed — one property, tag and entity however it was
    typed, and a combining accent does not end an inline tag or a field's key."""
    text = ("---\nAnnée: 2001\ntags: [Été]\nlieu: Zoë\n---\nUn café #café/crème et [[Zoë]].\n"
            "Département:: [[Lyon]]\n")  # fmt: skip
    composed = build_notes({"N.md": unicodedata.normalize("NFC", text)})
    decomposed = build_notes({"N.md": unicodedata.normalize("NFD", text)})
    assert composed.graphs == decomposed.graphs
    triples = {str(t) for g in decomposed.graphs.values() for t in g}
    assert all(unicodedata.is_normalized("NFC", t) for t in triples)
    assert ttl('vault:n\\#id prop:Année 2001 ; prop:lieu "Zoë" ; prop:Département vault:lyon\\#id .') <= graph_of(
        decomposed, "n"
    )
    assert ttl("vault:n dcterms:subject tag:été , tag:café\\/crème .") <= graph_of(decomposed, "n")


def test_a_decomposed_key_in_the_config_maps_the_composed_key_of_a_note(tmp_path: Path) -> None:
    (tmp_path / "vaultkg.yaml").write_text(unicodedata.normalize("NFD", "keys:\n  siège: {kind: entity}\n"),
                                           encoding="utf-8")  # fmt: skip
    (tmp_path / "Firm.md").write_text("---\nsiège: Genève\n---\n", encoding="utf-8")
    ds = build(tmp_path, None).dataset
    assert ttl("vault:firm\\#id prop:siège vault:genève\\#id .") <= graph_of(ds, "firm")
