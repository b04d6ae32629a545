"""Validating again after an edit (vaultkg.revalidation): edit after edit, the findings are those
of a whole validation, and only what the edit can change ran again (no whole-data store)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import rdflib
from conftest import ROOT

import vaultkg.validation as validation
from vaultkg import build
from vaultkg.buildcache import CACHE_DIR
from vaultkg.revalidation import STATE_FILE, reach_of
from vaultkg.validation import validate

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate, inject_faults


def front(text: str, line: str) -> str:
    """``text`` with ``line`` added to its front matter (which it gets if it has none)."""
    return text.replace("---\n", f"---\n{line}\n", 1) if text.startswith("---\n") else f"---\n{line}\n---\n{text}"


def findings(vault: Path, **options: object) -> list[tuple[object, ...]]:
    report = validate(vault, **options)  # type: ignore[arg-type]
    return [(f.path, f.line, f.severity, f.message, f.rule, f.source, f.focus, f.value) for f in report.findings]


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    vault = tmp_path_factory.mktemp("revalidation") / "vault"
    generate(vault, 240, seed=5)
    inject_faults(vault, 24, seed=5)
    return vault


@pytest.fixture
def whole_stores(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per store of the whole data made (a whole validation) by the test's validations."""
    made: list[int] = []
    real_store = validation.data_store
    monkeypatch.setattr(validation, "data_store", lambda ds: made.append(1) or real_store(ds))
    return made


def test_edit_after_edit_the_findings_are_those_of_a_whole_validation(
    vault: Path, tmp_path: Path, whole_stores: list[int]
) -> None:
    out = tmp_path / "out"
    build(vault, out)
    first = findings(vault, cache_from=out)
    assert whole_stores == [1] and (out / CACHE_DIR / STATE_FILE).is_file()
    assert first == findings(vault)  # kept results come out as they went in

    notes = sorted(vault.rglob("*.md"))
    by_folder = {folder: [n for n in notes if n.parent.name == folder] for folder in ("Relationships", "Organizations")}
    relationship, organisation, country = by_folder["Relationships"][3], by_folder["Organizations"][2], notes[5]
    actor = re.search(r"actors: \[([^,\]]+)", relationship.read_text()).group(1)  # type: ignore[union-attr]
    actor_note = next(n for n in notes if n.stem == actor)
    edits: list[tuple[str, Path, Callable[[str], str]]] = [
        ("prose", notes[10], lambda t: t + "\nMore prose.\n"),
        ("lines shift", relationship, lambda t: t.replace("\n## ", "\n\n\n## ", 1)),
        ("link to a new entity", notes[20], lambda t: t + "\nSee [[Nowhere Land]].\n"),
        ("link to a note", notes[30], lambda t: t + f"\nSee [[{country.stem}]].\n"),
        ("an actor is no actor any more", actor_note, lambda t: re.sub(r"type: \w+", "type: event", t, count=1)),
        ("its own actor", relationship, lambda t: t.replace(f"actors: [{actor}", f"actors: [{actor}, {actor}", 1)),
        ("a new actor", by_folder["Relationships"][5], lambda t: t.replace("actors: [", "actors: [Brand New, ", 1)),
        ("a date that is none", organisation, lambda t: front(t, "start: 2024-13-45")),
        ("ends before it starts", notes[40], lambda t: front(t, "start: 2020-05-01\nend: 2019-01-01")),
        ("a title taken", notes[50], lambda t: re.sub(r"^# .*$", f"# {country.stem}", t, count=1, flags=re.M)),
        ("an alias taken", notes[60], lambda t: front(t, f"aliases: [{country.stem}]")),
        ("links unlinked", notes[70], lambda t: re.sub(r"\[\[([^\]|]*)\]\]", r"\1", t)),
        ("a tag cycle", notes[80], lambda t: front(t, "tags: [zz/yy, yy/zz]")),
        # the new entity is first linked from here now: its result is placed here, not in notes[20]
        ("linked from before", notes[0], lambda t: t + "\nSee [[Nowhere Land]].\n"),
        ("linked from before too", notes[1], lambda t: t + "\nSee [[Nowhere Land]].\n"),
        ("the actor again", actor_note, lambda t: t.replace("type: event", "type: organization", 1)),
    ]
    for name, note, edit in edits:
        note.write_text(edit(note.read_text(encoding="utf-8")), encoding="utf-8")
        whole_stores.clear()
        again = findings(vault, cache_from=out)
        assert not whole_stores, f"{name}: validated whole"
        assert again == findings(vault), name
    whole_stores.clear()
    added = vault / "People" / "Zz Newcomer.md"
    added.write_text(f"---\ntype: person\n---\n# Zz Newcomer\nMet [[{country.stem}]].\n", encoding="utf-8")
    assert findings(vault, cache_from=out) == findings(vault), "a new note"
    notes[90].rename(notes[90].with_name("Renamed " + notes[90].name))
    assert findings(vault, cache_from=out) == findings(vault), "a renamed note"
    notes[100].unlink()
    assert findings(vault, cache_from=out) == findings(vault), "a deleted note"
    assert whole_stores == [1] * 3, "validated whole"  # only those without a cache
    assert first != findings(vault)


def test_kept_results_of_other_code_are_not_used(
    vault: Path, tmp_path: Path, whole_stores: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from vaultkg import revalidation

    out = tmp_path / "out"
    build(vault, out)
    findings(vault, cache_from=out)
    findings(vault, cache_from=out)
    assert whole_stores == [1]  # the second validation took the kept results
    monkeypatch.setattr(revalidation, "code_digest", lambda: "another code")
    findings(vault, cache_from=out)
    assert whole_stores == [1, 1]  # validated whole: those results were the other code's


def test_a_damaged_or_foreign_state_is_only_a_slower_validation(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    build(vault, out)
    expected = findings(vault)
    state = out / CACHE_DIR / STATE_FILE
    assert findings(vault, cache_from=out) == expected
    kept = state.read_bytes()
    for damaged in (kept[: len(kept) // 2], b"", b"x" * 64 + kept[64:], kept[:64] + b"not a pickle"):
        state.write_bytes(damaged)
        assert findings(vault, cache_from=out) == expected
        assert state.read_bytes()[:64] == kept[:64]  # a whole validation kept a good state again
    # a state that unpickles but does not fit (its index lost its graphs): validated whole
    from vaultkg.revalidation import load_state, save_state

    kept_state = load_state(state.parent, state.read_bytes()[:64].decode())
    assert kept_state is not None
    kept_state.index.ids.clear()
    save_state(state.parent, kept_state)
    note = sorted(vault.rglob("*.md"))[7]
    note.write_text(note.read_text(encoding="utf-8") + "\nSee [[Elsewhere Entirely]].\n", encoding="utf-8")
    expected = findings(vault)
    damaged = state.read_bytes()
    monkeypatch.setenv("VAULTKG_DEBUG", "1")  # then it says why
    with pytest.raises(KeyError):
        findings(vault, cache_from=out)
    monkeypatch.delenv("VAULTKG_DEBUG")
    state.write_bytes(damaged)
    assert findings(vault, cache_from=out) == expected
    state.unlink()
    state.mkdir()  # a state that cannot be written: kept nowhere, the same findings
    assert findings(vault, cache_from=out) == expected
    assert findings(vault, cache_from=out) == expected


SH = "PREFIX sh: <http://www.w3.org/ns/shacl#> PREFIX ex: <http://ex/> "


@pytest.mark.parametrize(
    ("shapes", "depth", "forward", "inverse"),
    [
        ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:class ex:D ] .", 1, "p", ""),
        ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ( ex:p [ sh:inversePath ex:q ] ) ] .",
         2, "p", "q"),
        ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:node ex:T ] . "
         "ex:T sh:property [ sh:path [ sh:alternativePath ( ex:q ( ex:r ex:s ) ) ] ] .", 3, "pqrs", ""),
        ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:or ( [ sh:path ex:p ; sh:minCount 1 ] [ sh:class ex:D ] ) .",
         1, "p", ""),
        ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path [ sh:zeroOrMorePath ex:p ] ] .",
         None, "", ""),
        ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:node ex:S .", None, "", ""),
    ],
)  # fmt: skip
def test_how_far_shapes_read(shapes: str, depth: int | None, forward: str, inverse: str) -> None:
    reach = reach_of(rdflib.Graph().parse(data=SH + shapes, format="turtle"))
    if depth is None:
        assert reach is None
        return
    assert reach is not None
    assert (reach.depth, reach.forward, reach.inverse) == (
        depth, {f"http://ex/{x}" for x in forward}, {f"http://ex/{x}" for x in inverse})  # fmt: skip


def test_objects_of_targeted_predicates_are_focus_nodes_a_change_reaches() -> None:
    """``sh:targetObjectsOf ex:p``: a triple ``s ex:p o`` added or removed changes whether ``o`` is
    a focus node, though no triple of ``o`` changed."""
    from vaultkg.revalidation import Reach, _Walker

    reach = Reach(0, frozenset(), frozenset(), frozenset({"http://ex/p"}))
    walker = _Walker(None, None, reach)  # type: ignore[arg-type]  # depth 0: reads no graph
    assert walker.affected({("<http://ex/s>", "<http://ex/p>", "<http://ex/o>")}) == {"<http://ex/s>", "<http://ex/o>"}
    assert walker.affected({("<http://ex/s>", "<http://ex/q>", "<http://ex/o>")}) == {"<http://ex/s>"}


def test_validating_again_does_not_load_rdflib(vault: Path, tmp_path: Path) -> None:
    """The kept state holds the compiled shapes: a validation after an edit that no typed value
    changed needs neither the shapes graph nor rdflib (~0.1 s of a ~0.7 s command)."""
    import subprocess

    out = tmp_path / "out"
    build(vault, out)
    script = (
        "import sys; from vaultkg.validation import validate; "
        f"r = validate({str(vault)!r}, cache_from={str(out)!r}); print(len(r.findings), 'rdflib' in sys.modules)"
    )

    def run() -> str:
        return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()

    _count, loaded = run()
    assert loaded == "True"  # the first validation compiles the shapes
    note = sorted(vault.rglob("*.md"))[3]
    note.write_text(note.read_text(encoding="utf-8") + "\nSee [[Somewhere Else]].\n", encoding="utf-8")
    count_after, loaded = run()
    assert loaded == "False" and int(count_after) == len(findings(vault))


COUNTRIES = "PREFIX vkg: <https://w3id.org/vaultkg#> SELECT ?entity ?property ?value { ?entity a vkg:Country }"
COUNTRY_SHAPE = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix vkg: <https://w3id.org/vaultkg#> .
@prefix ex: <http://example.org/shapes#> . @prefix schema: <https://schema.org/> .
ex:CountryInRelationship a sh:NodeShape ; sh:targetClass vkg:Country ;
    sh:property [ sh:path ( [ sh:inversePath vkg:actor ] vkg:status ) ; sh:minCount 1 ;
                  sh:message "is an actor of no relationship with a status" ] ;
    sh:property [ sh:path ( [ sh:inversePath vkg:actor ] schema:subjectOf ) ; sh:class vkg:Note ;
                  sh:message "is an actor of a relationship without a note" ] .
"""


def test_shapes_reading_two_steps_back_along_an_inverse_path(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole_stores: list[int]
) -> None:
    """A country is checked through the relationships naming it (an inverse step) and their
    status (a step on): editing a relationship changes the results of the countries it names,
    though no triple of theirs changed."""
    monkeypatch.setattr(validation, "load_shapes", lambda disabled=(): rdflib.Graph().parse(data=COUNTRY_SHAPE))
    real_checks = validation.load_checks
    countries = validation.Check("countries", COUNTRIES, "info", "a country", "every country")  # reads only their type
    monkeypatch.setattr(validation, "load_checks", lambda disabled=(): [*real_checks(disabled), countries])
    lonely = [f for f in findings(vault) if f[4] == "CountryInRelationship"]
    a, b = (Path(f[0]).stem for f in lonely[:2])  # type: ignore[arg-type]  # in no relationship with a status
    ours = vault / "Relationships" / "Zz Test Relations.md"
    ours.write_text(f"---\ntype: relationship\nactors: [{a}]\nstatus: hostile\n---\n# Zz\n", encoding="utf-8")
    out = tmp_path / "out"
    build(vault, out)
    whole_stores.clear()
    first = findings(vault, cache_from=out)
    person = sorted((vault / "People").glob("*.md"))[0]
    edits: list[tuple[Path, Callable[[str], str]]] = [
        (ours, lambda t: t.replace("status: hostile\n", "")),  # a: in a relationship without a status
        (ours, lambda t: t.replace("---\n#", "status: thawing\n---\n#")),  # and with one again
        (ours, lambda t: t.replace(f"actors: [{a}]", f"actors: [{b}]")),  # b instead of a
        (ours, lambda t: t.replace(f"actors: [{b}]", f"actors: [{b}, {person.stem}]")),
        # a person becomes a country: a focus node now, read two steps on (its relationship's note)
        (person, lambda t: re.sub(r"^type: \w+", "type: country", t, count=1, flags=re.M)),
    ]
    for i, (note, edit) in enumerate(edits):
        note.write_text(edit(note.read_text(encoding="utf-8")), encoding="utf-8")
        whole_stores.clear()
        again = findings(vault, cache_from=out)
        assert not whole_stores, i
        assert again == findings(vault), i
        lonely_now = {Path(f[0]).stem for f in again if f[4] == "CountryInRelationship"}  # type: ignore[arg-type]
        assert (a in lonely_now, b in lonely_now) == [(True, True), (False, True), (True, False)][min(i, 2)], i
    assert any(f[4] == "countries" and f[0] == person.relative_to(vault).as_posix() for f in again)
    assert first != again
    ours.unlink()
    assert findings(vault, cache_from=out) == findings(vault)
