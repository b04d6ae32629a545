"""Incremental builds: only edited notes are read and converted again — and, when the vault's
name index changed, the notes naming what resolves differently — and the output is
byte-identical to a clean build after edits, renames, new aliases and deletions."""

from __future__ import annotations

import importlib
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLE_VAULT

from vaultkg import build

ASSEMBLE = importlib.import_module("converters.assemble")  # the module (the package exports the function)

OUTPUTS = ("graph.ttl", "graph.jsonld", "context.jsonld", "graph.nq", "sourcemap.json", "void.ttl", "report.json")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths of the notes converted (not reused) by the builds of a test."""
    converted: list[str] = []
    original = ASSEMBLE.convert_note

    def counting(note, ctx, links=None, **options):  # type: ignore[no-untyped-def]
        converted.append(note.path)
        return original(note, ctx, links, **options)

    monkeypatch.setattr(ASSEMBLE, "convert_note", counting)
    return converted


def settle(*paths: Path) -> None:
    """Date files 10 s back, as if written a while before the next build (not "racy")."""
    for path in paths:
        past = time.time_ns() - 10_000_000_000
        os.utime(path, ns=(past, past))


def same_as_clean_build(vault: Path, out: Path, tmp_path: Path) -> None:
    clean = tmp_path / f"clean-{len(list(tmp_path.iterdir()))}"
    build(vault, clean)
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name


def built_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the example vault, built once (its cache in place): the vault and the output."""
    vault, out = tmp_path / "vault", tmp_path / "out"
    shutil.copytree(EXAMPLE_VAULT, vault)
    build(vault, out)
    return vault, out


def count_inits(monkeypatch: pytest.MonkeyPatch, module: str, name: str) -> list[int]:
    """Count how often ``module.name`` is made (one item per call in the list returned)."""
    cls = getattr(importlib.import_module(module), name)
    made: list[int] = []
    original = cls.__init__

    def counting(self, *args):  # type: ignore[no-untyped-def]
        made.append(1)
        original(self, *args)

    monkeypatch.setattr(cls, "__init__", counting)
    return made


def rewrite(path: Path, text: str) -> None:
    """Edit a note as a person would, a while before the next build."""
    path.write_text(text)
    settle(path)


def test_incremental_builds_equal_clean_builds(tmp_path: Path, counted: list[str]) -> None:
    vault, out = tmp_path / "vault", tmp_path / "out"
    shutil.copytree(EXAMPLE_VAULT, vault)

    def rebuild() -> list[str]:
        counted.clear()
        build(vault, out)
        return list(counted)

    assert len(rebuild()) == 33
    assert rebuild() == []  # nothing changed: nothing converted
    # an edit: only that note is converted again
    note = vault / "Countries" / "Qatar.md"
    rewrite(note, note.read_text() + "\nTalks with [[Iran]] and Iran.\n")
    assert rebuild() == ["Countries/Qatar.md"]
    same_as_clean_build(vault, out, tmp_path)
    # a new alias changes how other notes resolve: those naming an alias gone or come convert again
    iran = vault / "Countries" / "Iran.md"
    rewrite(iran, iran.read_text().replace("aliases: [Islamic Republic of Iran, Persia]", "aliases: [Persia, Tehran]"))
    assert rebuild() == ["Clippings/Gulf diplomacy after the strikes.md", "Countries/Iran.md",
                         "Relationships/Iran-Israel Shadow War.md", "Relationships/US-Israel Relations.md"]  # fmt: skip
    same_as_clean_build(vault, out, tmp_path)
    # a rename and a deletion change the name index too: the notes naming them convert again
    (vault / "Countries" / "Lebanon.md").rename(vault / "Countries" / "Lebanese Republic.md")
    (vault / "People" / "Joe Biden.md").unlink()
    assert rebuild() == ["Clippings/2025/Officials deny any rift between allies.md", "Countries/Iran.md",
                         "Countries/Lebanese Republic.md", "Organizations/Armed Groups/Hezbollah.md",
                         "Regions/Middle East.md", "Relationships/Iran-Israel Shadow War.md",
                         "Relationships/US-Iran Relations.md"]  # fmt: skip
    same_as_clean_build(vault, out, tmp_path)
    # an edit to the body only, again: one note
    rewrite(note, note.read_text() + "More text.\n")
    assert rebuild() == ["Countries/Qatar.md"]
    same_as_clean_build(vault, out, tmp_path)


def test_names_without_a_note_that_come_or_go_reconvert_the_notes_naming_them(
    tmp_path: Path, counted: list[str]
) -> None:
    """A link to a thing with no note makes it a name other notes mention: an edit that adds or
    drops the only link converts the edited note and the notes whose text names it again."""
    vault, out = tmp_path / "vault", tmp_path / "out"
    shutil.copytree(EXAMPLE_VAULT, vault)
    clip = vault / "Clippings" / "Talks in Amman.md"
    clip.write_text("Jordan hosted the talks; the Hashemite Kingdom said little.\n")
    settle(clip)
    build(vault, out)
    doc, thing = b"<https://example.org/vault/talks-in-amman>", b"<https://example.org/vault/jordan#id>"
    mention = doc + b" <https://schema.org/mentions> " + thing
    assert mention not in (out / "graph.nq").read_bytes()
    qatar = vault / "Countries" / "Qatar.md"
    text = qatar.read_text()
    for edited, present in ((text + "\nTalks with [[Jordan]].\n", True), (text, False)):
        rewrite(qatar, edited)
        counted.clear()
        build(vault, out)
        assert sorted(counted) == ["Clippings/Talks in Amman.md", "Countries/Qatar.md"]
        assert (mention in (out / "graph.nq").read_bytes()) is present
        same_as_clean_build(vault, out, tmp_path)
    rewrite(qatar, text + "\nMore on Qatar.\n")  # names stay the same: the edited note alone
    counted.clear()
    build(vault, out)
    assert counted == ["Countries/Qatar.md"]


def test_a_changed_config_converts_everything(tmp_path: Path, counted: list[str]) -> None:
    vault, out = built_copy(tmp_path)
    counted.clear()
    build(vault, out, base="https://kg.example.net/")
    assert len(counted) == 33
    same = tmp_path / "same"
    build(vault, same, base="https://kg.example.net/")
    assert (out / "graph.nq").read_bytes() == (same / "graph.nq").read_bytes()


def test_a_broken_cache_is_ignored(tmp_path: Path, counted: list[str]) -> None:
    vault, out = built_copy(tmp_path)
    (out / ".vaultkg-cache" / "build.pickle").write_bytes(b"not a pickle")
    counted.clear()
    build(vault, out)
    assert len(counted) == 33
    same_as_clean_build(vault, out, tmp_path)


def test_a_cache_written_by_other_code_is_not_used(
    tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another release or checkout of vaultkg may convert a note otherwise: its results are not
    taken, even when it forgot to bump the cache format."""
    from vaultkg import buildcache

    vault, out = built_copy(tmp_path)
    format_, version, code, oxigraph = buildcache._HEADER
    monkeypatch.setattr(buildcache, "_HEADER", (format_, version, "another code", oxigraph))
    counted.clear()
    build(vault, out)
    assert len(counted) == 33
    monkeypatch.setattr(buildcache, "_HEADER", (format_, version, code, oxigraph))
    counted.clear()
    build(vault, out)  # the cache the build before wrote is now the other code's
    assert len(counted) == 33
    counted.clear()
    build(vault, out)
    assert counted == []


def test_a_same_size_edit_right_after_a_build_is_not_missed(tmp_path: Path, counted: list[str]) -> None:
    vault, out = tmp_path / "vault", tmp_path / "out"
    shutil.copytree(EXAMPLE_VAULT, vault)
    note = vault / "Countries" / "Qatar.md"
    note.write_text(note.read_text() + "\nA fresh edit.\n")  # written just before the build
    build(vault, out)
    stamp = note.stat()
    note.write_text(note.read_text().replace("A fresh edit.", "A fresh idea."))
    os.utime(note, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # a coarse clock: same time, same size
    counted.clear()
    build(vault, out)
    assert counted == ["Countries/Qatar.md"]  # changed within 2 s of the cache being written: read again
    same_as_clean_build(vault, out, tmp_path)


def test_the_dataset_of_an_incremental_build_has_every_graph(tmp_path: Path, counted: list[str]) -> None:
    vault, out = built_copy(tmp_path)
    note = vault / "Countries" / "Qatar.md"
    rewrite(note, note.read_text() + "\nMore on [[Iran]].\n")
    counted.clear()
    again = build(vault, out)
    assert counted == ["Countries/Qatar.md"]
    clean = build(vault, tmp_path / "clean")
    assert again.summary() | {"seconds": 0} == clean.summary() | {"seconds": 0}
    assert again.dataset.graphs == clean.dataset.graphs  # the reused graphs are unpacked on access
    assert again.dataset.lines == clean.dataset.lines


def test_few_changes_are_saved_as_a_delta_and_a_lost_delta_costs_only_time(tmp_path: Path, counted: list[str]) -> None:
    vault, out = built_copy(tmp_path)
    cache = out / ".vaultkg-cache"
    assert (cache / "build.pickle").is_file() and not (cache / "build.delta.pickle").exists()
    note = vault / "Countries" / "Qatar.md"
    for n in range(3):  # each edit adds to the delta; the full cache file is left as it was
        full = (cache / "build.pickle").read_bytes()
        rewrite(note, note.read_text() + f"\nEdit {n}.\n")
        counted.clear()
        build(vault, out)
        assert counted == ["Countries/Qatar.md"]
        assert (cache / "build.pickle").read_bytes() == full and (cache / "build.delta.pickle").is_file()
        same_as_clean_build(vault, out, tmp_path)
    (cache / "build.delta.pickle").unlink()
    counted.clear()
    build(vault, out)
    # the full cache describes the files of its own build, rewritten since: everything is converted again
    assert len(counted) == 33
    same_as_clean_build(vault, out, tmp_path)


def test_the_cache_of_another_vault_is_turned_down_before_it_is_read(tmp_path: Path, counted: list[str]) -> None:
    from vaultkg.buildcache import CACHE_DIR, CACHE_FILE, _load

    vault, other, out = tmp_path / "vault", tmp_path / "other", tmp_path / "out"
    shutil.copytree(EXAMPLE_VAULT, vault)
    shutil.copytree(EXAMPLE_VAULT, other)
    settle(*vault.rglob("*.md"), *other.rglob("*.md"))
    build(vault, out)
    cache_file = out / CACHE_DIR / CACHE_FILE
    assert _load(cache_file, str(vault.resolve())) is not None
    assert _load(cache_file, str(other.resolve())) is None
    counted.clear()
    build(other, out)
    assert len(counted) == 33  # same notes, same times, but another vault: nothing reused
    same_as_clean_build(other, out, tmp_path)


def test_a_layout_that_is_lost_stale_or_describes_other_files_is_not_used(tmp_path: Path, counted: list[str]) -> None:
    vault, out = built_copy(tmp_path)
    layout = out / ".vaultkg-cache" / "layout.pickle"
    old = layout.read_bytes()
    note = vault / "Countries" / "Qatar.md"

    def edit_and_rebuild(n: int) -> list[str]:
        rewrite(note, note.read_text() + f"\nEdit {n}.\n")
        counted.clear()
        build(vault, out)
        converted = list(counted)
        same_as_clean_build(vault, out, tmp_path)
        return converted

    assert edit_and_rebuild(1) == ["Countries/Qatar.md"]
    layout.write_bytes(old)  # the layout of the build before: no longer the cache's
    assert len(edit_and_rebuild(2)) == 33
    layout.unlink()  # as if the build had stopped between saving the cache and the layout
    assert len(edit_and_rebuild(3)) == 33
    assert edit_and_rebuild(4) == ["Countries/Qatar.md"]
    graph = out / "graph.ttl"
    graph.write_bytes(graph.read_bytes().replace(b"Qatar", b"Qatah"))  # someone edited an output file
    assert len(edit_and_rebuild(5)) == 33


def test_a_copied_output_folder_still_spares_the_conversions(tmp_path: Path, counted: list[str]) -> None:
    """A CI cache restores the output folder as new files (other inodes and times): their
    content is checked instead."""
    vault, out = built_copy(tmp_path)
    copy = tmp_path / "restored"
    shutil.copytree(out, copy)
    note = vault / "Countries" / "Qatar.md"
    rewrite(note, note.read_text() + "\nEdited after the restore.\n")
    counted.clear()
    build(vault, copy)
    assert counted == ["Countries/Qatar.md"]
    same_as_clean_build(vault, copy, tmp_path)


def test_the_name_and_mention_indexes_are_kept_while_no_note_is_added_renamed_or_renamed_by_its_front_matter(
    tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both indexes are made anew exactly when the names change (each step also equals a clean
    build, which makes its own indexes: they are counted before it)."""
    resolvers = count_inits(monkeypatch, "converters.resolve", "Resolver")
    mentions = count_inits(monkeypatch, "converters.mentions", "MentionIndex")
    vault, out = built_copy(tmp_path)
    assert (resolvers, mentions) == ([1], [1])

    def edit(note: Path, change: Callable[[str], str]) -> tuple[int, int]:
        rewrite(note, change(note.read_text()))
        resolvers.clear()
        mentions.clear()
        build(vault, out)
        made = (len(resolvers), len(mentions))
        same_as_clean_build(vault, out, tmp_path)
        return made

    qatar, iran = vault / "Countries" / "Qatar.md", vault / "Countries" / "Iran.md"
    assert edit(qatar, lambda text: text + "\nTalks with Iran and Persia.\n") == (0, 0)  # the body only
    assert edit(qatar, lambda text: text.replace("type: nation", "type: nation\nstatus: active")) == (0, 0)
    old, new = "aliases: [Islamic Republic of Iran, Persia]", "aliases: [Tehran]"
    # other aliases: the name index is patched (its alias part made again), not made anew
    assert edit(iran, lambda text: text.replace(old, new)) == (0, 1)  # "Persia" names nothing now
    assert edit(qatar, lambda text: text.replace("type: nation", "type: nation\naliases: [State of Qatar]")) == (0, 1)
    assert edit(qatar, lambda text: text + "\nMore.\n") == (0, 0)
    assert edit(qatar, lambda text: text.replace("type: nation", "type: nation\nslug: qatar-state")) == (1, 1)
    (vault / "Countries" / "Oman.md").write_text("---\ntype: country\n---\n# Oman\n")  # a new note
    settle(vault / "Countries" / "Oman.md")
    assert edit(qatar, lambda text: text + "\nAnd [[Oman]].\n") == (1, 1)


def test_with_a_big_cache_the_vault_is_scanned_in_a_child_and_the_rebuild_still_equals_a_clean_build(
    tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    building = importlib.import_module("vaultkg.building")
    monkeypatch.setattr(building, "_BIG_CACHE", 0)  # every cache is big: the scan goes beside its load
    scans = tmp_path / "scans"
    original = building.scan_vault

    def spying(*args, **options):  # type: ignore[no-untyped-def]
        with open(scans, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        return original(*args, **options)

    monkeypatch.setattr(building, "scan_vault", spying)
    vault, out = built_copy(tmp_path)  # no cache yet: scanned here
    note = vault / "Countries" / "Qatar.md"
    rewrite(note, note.read_text() + "\nTalks with [[Iran]].\n")
    counted.clear()
    build(vault, out)
    assert counted == ["Countries/Qatar.md"]
    assert [int(pid) != os.getpid() for pid in scans.read_text().split()] == [False, True]
    same_as_clean_build(vault, out, tmp_path)


def test_a_build_that_makes_the_same_bytes_leaves_the_files_alone(tmp_path: Path, counted: list[str]) -> None:
    """Nothing changed: the output files keep their inode and time (watchers, make and loaders see
    no change); an edit, or an output file changed by hand, has them written again."""
    vault, out = built_copy(tmp_path)

    def stamps() -> dict[str, tuple[int, int]]:
        return {name: ((out / name).stat().st_ino, (out / name).stat().st_mtime_ns) for name in OUTPUTS}

    before = stamps()
    build(vault, out)
    assert stamps() == before and counted.count("Countries/Qatar.md") == 1  # converted by the first build only
    note = vault / "Countries" / "Qatar.md"
    rewrite(note, note.read_text() + "\nMore text.\n")
    build(vault, out)
    after = stamps()
    assert all(after[name] != before[name] for name in ("graph.ttl", "graph.nq", "sourcemap.json", "report.json"))
    same_as_clean_build(vault, out, tmp_path)
    (out / "void.ttl").write_text("edited by hand\n")  # a small file: compared byte for byte
    build(vault, out)
    same_as_clean_build(vault, out, tmp_path)
    (out / "graph.ttl").write_bytes((out / "graph.ttl").read_bytes() + b"# a comment\n")  # no longer as noted
    build(vault, out)
    same_as_clean_build(vault, out, tmp_path)
    kept = stamps()
    build(vault, out)
    assert stamps() == kept


@pytest.mark.parametrize("seed", [1, 2])
def test_name_changes_edit_after_edit_equal_clean_builds(tmp_path: Path, counted: list[str], seed: int) -> None:
    """Edits that change what names resolve to — aliases taken from other notes (ambiguity),
    aliases dropped, renames onto another note's slug, names without letters, cased and accented
    names, new and deleted notes — each rebuilt from the last build and compared with a clean one;
    and some of them leave most notes alone."""
    import random
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    vault, out = tmp_path / "vault", tmp_path / "out"
    generate(vault, 160, seed=seed)
    settle(*vault.rglob("*.md"))
    build(vault, out)
    rng = random.Random(seed)
    notes = sorted(vault.rglob("*.md"))

    def front(path: Path, line: str) -> None:
        text = path.read_text(encoding="utf-8")
        text = text.replace("---\n", f"---\n{line}\n", 1) if text.startswith("---\n") else f"---\n{line}\n---\n{text}"
        rewrite(path, text)

    linking, pinned, naming = notes[-1], notes[-2], notes[-3]

    def pick() -> Path:
        return rng.choice([n for n in notes[:-3] if n.exists()])

    steps: list[Callable[[], None]] = [
        lambda: front(pick(), f"aliases: [{pick().stem}]"),  # another note's name: now ambiguous
        lambda: front(pick(), "aliases: [Straße Größe, ÉCOLE Française]"),
        lambda: rewrite(n := pick(), n.read_text(encoding="utf-8") + "\nSee [[straße größe]] and école française.\n"),
        lambda: front(pick(), "aliases: []"),
        lambda: pick().rename(vault / "People" / f"{pick().stem.upper()}.md"),  # onto another's slug
        lambda: (vault / "People" / "???.md").write_text("---\ntype: person\n---\n# ???\n", encoding="utf-8"),
        lambda: rewrite(n := pick(), n.read_text(encoding="utf-8") + "\nWith [[???]].\n"),
        lambda: pick().unlink(),
        lambda: (vault / "Countries" / "Zed Land.md").write_text("---\ntype: country\n---\n", encoding="utf-8"),
        lambda: rewrite(n := pick(), n.read_text(encoding="utf-8") + "\nZed Land and zed land.\n"),
        lambda: (vault / "Countries" / "Zed Land.md").rename(vault / "Countries" / "Zedland.md"),
        # a note that does not name itself loses its slug to a note nearer the top: it converts again
        lambda: (vault / "People" / "Qq Solo.md").write_text("---\ntype: person\n---\nNothing.\n", encoding="utf-8"),
        lambda: (vault / "Qq Solo.md").write_text("---\ntype: country\n---\nAt the top.\n", encoding="utf-8"),
        # a link by a slug's words, then the slug pinned by a note: the link resolves to it now
        lambda: rewrite(linking, linking.read_text(encoding="utf-8") + "\nSee [[custom thing]].\n"),
        lambda: front(pinned, "slug: custom-thing"),
        # a link by the pinned note's name, then its slug taken by a note nearer the top
        lambda: rewrite(naming, naming.read_text(encoding="utf-8") + f"\nSee [[{pinned.stem}]].\n"),
        lambda: (vault / "Pin.md").write_text("---\nslug: custom-thing\n---\nPinned.\n", encoding="utf-8"),
    ]
    fewer = 0
    for i, step in enumerate(steps):
        before = {n: n.stat().st_mtime_ns for n in vault.rglob("*.md")}
        step()
        settle(*(n for n in vault.rglob("*.md") if before.get(n) != n.stat().st_mtime_ns))
        counted.clear()
        build(vault, out)
        fewer += len(counted) < len(list(vault.rglob("*.md"))) // 2
        clean = tmp_path / f"clean-{i}"
        build(vault, clean)
        for name in OUTPUTS:
            assert (out / name).read_bytes() == (clean / name).read_bytes(), (i, name)
    assert fewer >= 15  # all but the name without letters convert only the notes they concern


IRAN_ALIASES = "aliases: [Islamic Republic of Iran, Persia]"


@pytest.mark.parametrize(
    "edits",
    [
        {"Countries/Iran.md": (IRAN_ALIASES, "aliases: [Tehran, Persia, persia]")},
        {"Countries/Iran.md": (IRAN_ALIASES, "aliases: [Persia, Islamic Republic of Iran]")},  # the same set
        {"Countries/Iran.md": (IRAN_ALIASES, "title: Qatar")},  # another note's name
        {
            "Countries/Qatar.md": ("type: nation", "type: nation\naliases: [Persia, Doha]"),
            "Countries/Iran.md": (IRAN_ALIASES, ""),
        },
    ],
)
def test_a_name_index_kept_from_an_earlier_build_takes_in_other_aliases_as_a_new_one_would(
    edits: dict[str, tuple[str, str]],
) -> None:
    from conftest import make_note

    from converters.context import Context
    from converters.mentions import MentionIndex
    from converters.resolve import Resolver
    from vaultkg.config import default_config

    config = default_config()
    texts = {str(p.relative_to(EXAMPLE_VAULT)): p.read_text(encoding="utf-8") for p in EXAMPLE_VAULT.rglob("*.md")}
    before = Resolver([make_note(p, t) for p, t in texts.items()], config)
    kept = before.state()
    for path, (old, new) in edits.items():
        assert old in texts[path]
        texts[path] = texts[path].replace(old, new)
    notes = [make_note(p, t) for p, t in texts.items()]
    changed = [n for n in notes if n.path in edits]
    reused = Resolver.reused(kept, notes, config, changed)
    fresh = Resolver(notes, config)
    assert reused is not None and reused.state() is not kept
    assert reused.state() == fresh.state() and reused.digest() == fresh.digest()
    for key in ("by_alias", "aliases", "by_name", "slugs"):  # the same order too (the cache pickles them)
        assert list(reused.state()[key].items()) == list(fresh.state()[key].items())
    for note in notes:
        for name in ("Persia", "persia", "Tehran", "Doha", "Islamic Republic of Iran", "Qatar"):
            assert reused.name(name, note) == fresh.name(name, note)
    # the mention index made with the earlier one's tokens: the same as one made anew
    earlier = MentionIndex(Context([make_note(p, EXAMPLE_VAULT.joinpath(p).read_text(encoding="utf-8"))
                                    for p in texts], config))  # fmt: skip
    again, anew = MentionIndex(Context(notes, config, reused), earlier), MentionIndex(Context(notes, config))
    assert list(again._forms.items()) == list(anew._forms.items()) and again._longest == anew._longest
    same = Resolver.reused(kept, [make_note(p, t) for p, t in texts.items() if p not in edits]
                           + [make_note(p, EXAMPLE_VAULT.joinpath(p).read_text(encoding="utf-8")) for p in edits],
                           config, [])  # fmt: skip
    assert same is not None and same.state() is kept  # nothing changed: the very state kept
    pinned = [make_note(p, t.replace("---\n", "---\nslug: elsewhere\n", 1)) if p in edits else make_note(p, t)
              for p, t in texts.items()]  # fmt: skip
    assert Resolver.reused(kept, pinned, config, [n for n in pinned if n.path in edits]) is None
