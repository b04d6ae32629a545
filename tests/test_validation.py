"""Validation: every shape and check with a note that passes and one that fails (exact line and
message), the CLI's exit codes, every report format parsed back, and identity with plain pySHACL."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote, unquote
from xml.etree import ElementTree as ET

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from click.testing import CliRunner
from conftest import EXAMPLE_VAULT, ROOT, build_notes
from hypothesis import given, settings
from hypothesis import strategies as st

from converters import Dataset
from vaultkg.cli import cli
from vaultkg.resources import read_text
from vaultkg.validation import check_results, findings_from, load_checks, load_shapes, shacl_results, validate


def lines_of(ds: Dataset, rules: set[str] | None = None) -> list[str]:
    """``path:line: severity: message [rule]`` for the SHACL and check results of a dataset."""
    results, engine = shacl_results(ds, load_shapes())
    reference, _ = shacl_results(ds, load_shapes(), engine="pyshacl")
    assert engine == "sparql"
    assert sorted(map(str, results)) == sorted(map(str, reference))  # every case: both engines agree
    found = findings_from(ds, results, "shacl")
    found += findings_from(ds, check_results(ds, load_checks()), "check")
    return sorted(f"{f.path}:{f.line}: {f.severity}: {f.message} [{f.rule}]" for f in found
                  if rules is None or f.rule in rules)  # fmt: skip


def add(ds: Dataset, graph_slug: str, turtle: str, line: int) -> None:
    """Add triples (Turtle with the usual prefixes) to a note graph at a given line."""
    from conftest import ttl

    graph = "https://example.org/vault/" + graph_slug
    for t in ttl(turtle):
        ds.graphs[graph].append(t)
        ds.lines[graph].append((t, line))
    ds._union = None


REL = "---\ntype: relationship\nactors: [A, B]\nstatus: open\n---\n"
COUNTRIES = {"A.md": "---\ntype: country\n---\n", "B.md": "---\ntype: country\n---\n"}


CLEAN = {
    "R.md": "---\ntype: relationship\nactors: [A, B]\nstatus: open\ntags: [alliance/old]\n---\n"
    "| Year | Event |\n|---|---|\n| 1990 | Treaty with [[P]] |\n- June 2025: talks\n"
    "## Sources\n- [Pub - A title](https://example.org/a)\n- a book without a link\n",
    "A.md": "---\ntype: country\nwikidata: Q801\n---\n",
    "B.md": "---\ntype: organization\n---\n",
    "P.md": "---\ntype: person\nborn: 1946-06-14\n---\n",
    "Pub.md": "---\ntype: organization\n---\n",
    "E.md": "---\ntype: event\ndate: 2017-05\nend: 2017\nparticipants: [A, B]\n---\n",
}


def test_a_clean_vault_passes_every_shape_and_check() -> None:
    ds = build_notes(CLEAN)
    predicates = {t.predicate.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1] for t in ds.triples()}
    assert {
        "actor",
        "status",
        "milestone",
        "citation",
        "publisher",
        "birthDate",
        "startDate",
        "endDate",
        "sameAs",
        "broader",
        "involves",
    } <= predicates  # every shape has something to check
    assert lines_of(ds) == []


@pytest.mark.parametrize(
    ("notes", "expected"),
    [
        (
            {"X.md": "body"},
            "X.md:1: info: the note gives no type that maps to a class (add `type:` with country, organization, "
            "person, relationship, event …, or map yours under 'types' in vaultkg.yaml) [NoteTypeShape]",
        ),
        (
            {"X.md": "---\ntags: [a]\ntype: topic\n---\n"},
            "X.md:3: info: the note gives no type that maps to a class (add `type:` with country, organization, "
            "person, relationship, event …, or map yours under 'types' in vaultkg.yaml) [NoteTypeShape]",
        ),
        (
            {"R.md": "---\ntype: relationship\nstatus: open\nactors: [A]\n---\n", "A.md": "---\ntype: country\n---\n"},
            "R.md:4: violation: a relationship needs at least two actors (actors: [A, B]) [RelationshipShape]",
        ),
        (
            {
                "R.md": "---\ntype: relationship\nstatus: open\nactors: [A, Summit]\n---\n",
                "A.md": "---\ntype: country\n---\n",
                "Summit.md": "---\ntype: event\ndate: 2020\n---\n",
            },
            "R.md:4: warning: an actor of a relationship should be a country, organization or person "
            "(value: https://example.org/vault/summit#id) [RelationshipActorShape]",
        ),
        (
            {"R.md": "---\ntype: relationship\nactors: [A, B]\n---\n", **COUNTRIES},
            "R.md:2: warning: a relationship should have a status (status: …) [RelationshipStatusShape]",
        ),
        (
            {"X.md": "---\ntype: country\n---\nSee [[Nowhere Land]].\n"},
            "X.md:4: warning: 'Nowhere Land' is linked but has no note [UnwrittenEntityShape]",
        ),
        (  # at the first line linking to it, not where its first triple sorts (the event's)
            {
                "X.md": "---\ntype: country\n---\nvia:: [[Nowhere Land]]\n\n| Year | Event |\n|---|---|\n"
                "| 1990 | To [[Nowhere Land]] |\n"
            },
            "X.md:4: warning: 'Nowhere Land' is linked but has no note [UnwrittenEntityShape]",
        ),
        (  # where it is linked, not where a note that sorts first only mentions it
            {"A clip.md": "Talks about Nowhere Land.\n", "X.md": "---\ntype: country\n---\nSee [[Nowhere Land]].\n"},
            "X.md:4: warning: 'Nowhere Land' is linked but has no note [UnwrittenEntityShape]",
        ),
        (
            {"P.md": "---\ntype: person\nborn: 1946\n---\n"},
            "P.md:3: violation: a birth date must be one date (YYYY-MM-DD) (value: 1946) [PersonShape]",
        ),
        (
            {"E.md": "---\ntype: event\ndate: 2020-05-01\nend: 2019\n---\n"},
            "E.md:3: violation: the event ends before it starts (2020-05-01 … 2019) [event-ends-before-start]",
        ),
        (
            {"E.md": "---\ntype: event\ndate: soon\n---\n"},
            "E.md:3: violation: an event starts once, at a year, a year-month or a date (value: soon) [EventDateShape]",
        ),
        ({"E.md": "---\ntype: event\n---\n"}, "E.md:2: warning: the event has no date [EventStartShape]"),
        (
            {"X.md": "---\ntype: country\n---\n| Year | Event |\n|---|---|\n| 1990 | |\n"},
            "X.md:6: warning: the milestone says nothing about what happened [MilestoneShape]",
        ),
        (
            {"X.md": "---\ntype: country\n---\n## Sources\n- <https://example.org/a>\n"},
            "X.md:5: warning: the source has no name (write it as [Publisher - Title](url)) [SourceShape]",
        ),
        (
            {"A/Overview.md": "---\ntype: topic\n---\n", "B/Overview.md": "---\ntype: topic\n---\n"},
            "A/Overview.md:1: warning: the label 'Overview' is also the label of another note's entity "
            "[duplicate-labels]",
        ),
        (
            {
                "United States.md": "---\ntype: country\naliases: [US]\n---\n",
                "Us.md": "---\ntype: person\naliases: [US]\n---\n",
            },
            "United States.md:3: warning: the alias 'US' also names another entity [shared-alias]",
        ),
        (
            {
                "R.md": "---\ntype: relationship\nstatus: odd\nactors: [R, A]\n---\n",
                "A.md": "---\ntype: country\n---\n",
            },
            "R.md:4: violation: the relationship names itself as an actor [self-actor]",
        ),
    ],
)
def test_each_shape_and_check_fails_at_the_line(notes: dict[str, str], expected: str) -> None:
    assert expected in lines_of(build_notes(notes))


@pytest.mark.parametrize(
    ("turtle", "expected"),
    [
        ('vault:r rdfs:label "second label" .', "R.md:1: violation: a note needs exactly one label [NoteShape]"),
        (
            "vault:r schema:citation <ftp://example.org/x> .",
            "R.md:9: violation: a citation must be an http(s) URL or text (value: ftp://example.org/x) [CitationShape]",
        ),
        (
            'vault:r\\#id rdfs:label "Other name" .',
            "R.md:1: violation: an entity needs exactly one label [EntityLabelShape]",
        ),
        (
            "vault:r\\#id owl:sameAs <http://www.wikidata.org/entity/P31> .",
            "R.md:9: violation: a Wikidata link must be http://www.wikidata.org/entity/Q… "
            "(value: http://www.wikidata.org/entity/P31) [WikidataShape]",
        ),
        (
            "vault:r\\#id vkg:milestone vault:r\\#event-x . vault:r\\#event-x a vkg:Event ; schema:description 'x' ; "
            "schema:startDate '2020'^^xsd:gYear ; schema:endDate '2019-05'^^xsd:gYearMonth .",
            "R.md:9: violation: the event ends before it starts (2020 … 2019-05) [event-ends-before-start]",
        ),
        (
            "vault:r dcterms:subject tag:a . tag:a a skos:Concept ; skos:prefLabel 'a', 'b' .",
            "R.md:9: violation: a tag needs exactly one preferred label [TagShape]",
        ),
        (
            "vault:r dcterms:subject tag:a . tag:a a skos:Concept ; skos:prefLabel 'a' ; skos:broader tag:b . "
            "tag:b a skos:Concept ; skos:prefLabel 'b' ; skos:broader tag:a .",
            "R.md:9: violation: the tag is its own broader tag (a cycle through "
            "https://example.org/vault/tag/b) [broader-cycle]",
        ),
        (
            "vault:r dcterms:subject tag:a . tag:a a skos:Concept ; skos:prefLabel 'a' ; skos:broader tag:a .",
            "R.md:9: violation: the tag is its own broader tag (a cycle through "
            "https://example.org/vault/tag/a) [broader-cycle]",
        ),
    ],
)
def test_shapes_the_converters_cannot_break_still_catch_bad_data(turtle: str, expected: str) -> None:
    ds = build_notes({"R.md": REL, **COUNTRIES})
    add(ds, "r", turtle, 9)
    assert expected in lines_of(ds)


def test_end_in_the_start_year_at_a_coarser_granularity_is_fine() -> None:
    ds = build_notes({"E.md": "---\ntype: event\ndate: 2017-05-01\nend: 2017\n---\nx"})
    assert lines_of(ds) == []


def test_disabled_shapes_and_checks_are_left_out(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "R.md").write_text("---\ntype: relationship\nactors: [A, B]\n---\n[[Missing]]\n")
    (vault / "A.md").write_text("---\ntype: country\n---\n")
    (vault / "B.md").write_text("---\ntype: country\n---\n")
    rules = {f.rule for f in validate(vault).findings}
    assert rules == {"RelationshipStatusShape", "UnwrittenEntityShape"}
    (vault / "vaultkg.yaml").write_text("validation:\n  disable: [relationship status, UnwrittenEntityShape]\n")
    assert validate(vault).findings == []


def test_results_are_those_of_one_plain_pyshacl_run(example_build: Path) -> None:
    data = rdflib.Graph().parse(example_build / "graph.ttl", format="turtle")
    shapes = rdflib.Graph().parse(data=read_text("shapes", "vaultkg.ttl"), format="turtle")
    ontology = rdflib.Graph().parse(data=read_text("ontology", "vaultkg.ttl"), format="turtle")
    _c, graph, _t = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, advanced=True)
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    plain = sorted(
        (str(graph.value(r, sh.focusNode)), str(graph.value(r, sh.resultSeverity)).rsplit("#")[-1].lower())
        for r in graph.subjects(rdflib.RDF.type, sh.ValidationResult)
    )
    ours = sorted((f.focus, f.severity) for f in validate(EXAMPLE_VAULT).findings if f.source == "shacl")
    assert ours == plain and len(ours) > 5


# -- the command line --------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)


def test_cli_example_vault_text_and_exit_codes() -> None:
    result = run(str(EXAMPLE_VAULT))
    assert result.exit_code == 0
    out = result.stdout.splitlines()
    assert f"{EXAMPLE_VAULT}/Events/Abraham Accords.md:4: warning: 'Bahrain' is linked but has no note " \
           "[UnwrittenEntityShape]" in out  # fmt: skip
    assert out[-1].startswith("validated 33 notes: 0 violations, 14 warnings, 4 infos in ")
    assert run(str(EXAMPLE_VAULT), "--fail-on", "warning", "-q").exit_code == 1
    assert run(str(EXAMPLE_VAULT), "--fail-on", "none", "-q").exit_code == 0
    assert run(str(EXAMPLE_VAULT), "--max-warnings", "14", "-q").exit_code == 0
    over = run(str(EXAMPLE_VAULT), "--max-warnings", "13", "-q")
    assert over.exit_code == 1 and "14 warnings, more than --max-warnings 13" in over.stderr


def test_cli_build_errors_are_findings_with_lines(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tests" / "vaults" / "broken", tmp_path / "v")
    result = run(str(tmp_path / "v"))
    assert result.exit_code == 1
    assert (f"{tmp_path / 'v'}/Broken YAML.md:4: violation: invalid YAML in front matter: did not find expected ',' "
            "or ']' (while parsing a flow sequence that began on line 3); the front matter is ignored [yaml]"
            ) in result.stdout.splitlines()  # fmt: skip


def test_cli_exit_2_when_it_cannot_validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = run(str(tmp_path / "nope"))
    assert missing.exit_code == 2 and missing.stderr == f"vaultkg: error: {tmp_path / 'nope'}: no such directory\n"
    (tmp_path / "empty").mkdir()
    assert run(str(tmp_path / "empty")).exit_code == 2
    bad = run(str(EXAMPLE_VAULT), "--output", str(tmp_path / "report.pdf"))
    assert bad.exit_code == 2 and "unknown report format" in bad.stderr
    import vaultkg.revalidation
    import vaultkg.validation

    for module in (vaultkg.validation, vaultkg.revalidation):  # what loads the shapes, what keys kept results
        monkeypatch.setattr(module, "read_text", lambda folder, name: "this is not turtle")
    broken = run(str(EXAMPLE_VAULT))
    assert broken.exit_code == 2 and broken.stderr.startswith("vaultkg: error: shapes/vaultkg.ttl: does not load")


def test_the_turtle_report_names_each_shacl_result_s_shape_component_and_path_as_pyshacl_does(
    tmp_path: Path,
) -> None:
    sh = "http://www.w3.org/ns/shacl#"
    vault = tmp_path / "vault"
    shutil.copytree(EXAMPLE_VAULT, vault)
    (vault / "Broken.md").write_text("---\ntype: person\nborn: 1950\nwikidata: Q0x\n---\n", encoding="utf-8")
    described = {}
    for engine in ("sparql", "pyshacl"):
        out = tmp_path / f"{engine}.ttl"
        run(str(vault), "--engine", engine, "--output", str(out), "--no-cache", "-q")
        graph = rdflib.Graph().parse(out)  # rdflib and pyoxigraph both read it
        assert len(list(ox.parse(path=str(out), format=ox.RdfFormat.TURTLE))) == len(graph)
        rows = set()
        for result in graph.subjects(rdflib.RDF.type, rdflib.URIRef(sh + "ValidationResult")):
            components = list(graph.objects(result, rdflib.URIRef(sh + "sourceConstraintComponent")))
            shapes = list(graph.objects(result, rdflib.URIRef(sh + "sourceShape")))
            rule = str(graph.value(result, rdflib.URIRef("https://w3id.org/vaultkg#rule")))
            if rule.endswith("Shape"):  # a shape's result: SHACL's words for it, once each
                assert len(components) == 1 and len(shapes) == 1, rule
                assert str(shapes[0]).startswith("https://w3id.org/vaultkg/shapes#")
            else:  # a SPARQL check or the build's own finding: no shape behind it
                assert not components and not shapes
            path = graph.value(result, rdflib.URIRef(sh + "resultPath"))
            rows.add((str(graph.value(result, rdflib.URIRef(sh + "focusNode"))), rule, *map(str, components),
                      *map(str, shapes), str(path)))  # fmt: skip
        described[engine] = rows
    assert described["sparql"] == described["pyshacl"]
    # sh:value is the value itself: a birth year (not a date) keeps its datatype
    values = set(rdflib.Graph().parse(tmp_path / "sparql.ttl").objects(None, rdflib.URIRef(sh + "value")))
    assert rdflib.Literal("1950", datatype=rdflib.XSD.gYear) in values
    components = {row[2] for row in described["sparql"] if row[1].endswith("Shape")}
    kinds = ("MinCount", "QualifiedMinCount", "Datatype", "Or")  # counts, a qualified count, value types, logic
    assert {f"{sh}{kind}ConstraintComponent" for kind in kinds} <= components


def test_cli_validates_a_build_folder_with_the_same_findings(example_build: Path) -> None:
    from_vault = run(str(EXAMPLE_VAULT), "--format", "json", "--prefix", "")
    from_output = run(str(example_build), "--format", "json")
    assert json.loads(from_output.stdout)["findings"] == json.loads(from_vault.stdout)["findings"]


def test_a_build_folder_whose_graph_nq_is_damaged_is_an_input_error_at_its_line(
    example_build: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    lines = (out / "graph.nq").read_bytes().count(b"\n")
    with open(out / "graph.nq", "ab") as handle:
        handle.write(b"<http://a.example/s> <not an iri> <http://a.example/o> .\n")
    result = run(str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"vaultkg: error: {out}/graph.nq:{lines + 1}: not valid N-Quads (")
    assert result.stderr.rstrip().endswith("); run 'vaultkg build' again")


def test_a_build_folder_without_its_sourcemap_says_so(example_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    (out / "sourcemap.json").unlink()
    result = run(str(out))
    assert result.exit_code == 2
    assert result.stderr == (f"vaultkg: error: {out}: a build folder without sourcemap.json (findings are placed at "
                             "source lines with it); run 'vaultkg build' again\n")  # fmt: skip


def test_sarif_locations_are_uri_references(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    (vault / "Dir with space").mkdir(parents=True)
    (vault / "Dir with space" / "Ünï <odd> #1%.md").write_text("---\ntype: person\nborn: 1946\n---\n", encoding="utf-8")
    result = run(str(vault), "--format", "sarif", "--prefix", "notes")
    assert result.exit_code == 1
    (found,) = json.loads(result.stdout)["runs"][0]["results"]
    uri = found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "notes/Dir%20with%20space/%C3%9Cn%C3%AF%20%3Codd%3E%20%231%25.md"  # "#" would start a fragment
    assert unquote(uri) == "notes/Dir with space/Ünï <odd> #1%.md"


def test_every_report_format_parses_back(tmp_path: Path) -> None:
    outs = {name: tmp_path / name for name in ("r.json", "r.xml", "r.sarif", "r.ttl", "r.txt")}
    result = run(str(EXAMPLE_VAULT), *[a for p in outs.values() for a in ("--output", str(p))], "--fail-on", "warning")
    assert result.exit_code == 1
    data = json.loads(outs["r.json"].read_text())
    assert data["summary"] == {"notes": 33, "violations": 0, "warnings": 14, "infos": 4, "engine": "sparql"}
    assert {"path", "line", "severity", "message", "rule"} <= set(data["findings"][0])

    suites = ET.parse(outs["r.xml"]).getroot()
    cases = suites.findall("testsuite/testcase")
    assert suites.tag == "testsuites" and len(cases) == int(suites.get("tests")) == 33  # one per note
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert "Events/Abraham Accords.md" in failed and "Clippings/Gulf diplomacy after the strikes.md" not in failed

    sarif = json.loads(outs["r.sarif"].read_text())
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    run0 = sarif["runs"][0]
    rule_ids = [r["id"] for r in run0["tool"]["driver"]["rules"]]
    assert run0["tool"]["driver"]["name"] == "vaultkg" and "UnwrittenEntityShape" in rule_ids
    for res in run0["results"]:
        assert rule_ids[res["ruleIndex"]] == res["ruleId"] and res["level"] in ("error", "warning", "note")
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"].startswith(str(EXAMPLE_VAULT)) and loc["region"]["startLine"] >= 1
        assert res["message"]["text"]

    quads = list(ox.parse(path=str(outs["r.ttl"]), format=ox.RdfFormat.TURTLE))
    assert sum(1 for q in quads if q.object.value == "http://www.w3.org/ns/shacl#ValidationResult") == 18
    for name in ("r.json", "r.sarif"):  # written as json.dumps(indent=1) writes them, byte for byte
        text = outs[name].read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=1) + "\n"
    assert outs["r.txt"].read_text().splitlines()[-1].startswith("validated 33 notes")


def test_github_format_is_workflow_commands() -> None:
    result = run(str(EXAMPLE_VAULT), "--format", "github")
    lines = result.stdout.splitlines()
    pattern = re.compile(r"^::(error|warning|notice) file=[^,]+,line=\d+,title=[\w-]+::.+$")
    assert all(pattern.match(line) for line in lines[:-1]) and len(lines) == 19
    assert "::warning file=" + str(EXAMPLE_VAULT) + "/Events/Abraham Accords.md,line=4,title=UnwrittenEntityShape::" \
           "'Bahrain' is linked but has no note" in lines  # fmt: skip


def test_cli_engines_agree_on_the_example_vault() -> None:
    outputs = {engine: run(str(EXAMPLE_VAULT), "--engine", engine, "--format", "json") for engine in
               ("auto", "sparql", "pyshacl")}  # fmt: skip
    assert {r.exit_code for r in outputs.values()} == {0}
    findings = {engine: json.loads(r.stdout)["findings"] for engine, r in outputs.items()}
    assert findings["auto"] == findings["sparql"] == findings["pyshacl"] and len(findings["auto"]) == 18
    assert json.loads(outputs["pyshacl"].stdout)["summary"]["engine"] == "pyshacl (asked for)"
    assert "note:" not in outputs["auto"].stderr


def test_validation_reuses_a_build_cache_with_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`validate --cache-from DIR` converts only the notes changed since that build; what it finds
    is what a validation from scratch finds (here after an edit that adds a violation)."""
    import importlib

    from vaultkg import build

    assemble_module = importlib.import_module("converters.assemble")  # the package exports a function by that name

    vault = tmp_path / "vault"
    shutil.copytree(EXAMPLE_VAULT, vault)
    build(vault, tmp_path / "out")
    note = vault / "People" / "Benjamin Netanyahu.md"
    note.write_text(note.read_text(encoding="utf-8").replace("born: 1949-10-21", "born: 1949"), encoding="utf-8")
    converted: list[str] = []
    real = assemble_module.convert_note
    monkeypatch.setattr(
        assemble_module, "convert_note", lambda n, *a, **k: converted.append(n.path) or real(n, *a, **k)
    )
    cached = run(str(vault), "--cache-from", str(tmp_path / "out"), "--format", "json")
    assert converted == ["People/Benjamin Netanyahu.md"]
    fresh = run(str(vault), "--no-cache", "--format", "json")
    assert len(converted) == 1 + 33
    assert json.loads(cached.stdout)["findings"] == json.loads(fresh.stdout)["findings"]
    assert cached.exit_code == fresh.exit_code
    assert "a birth date must be one date (YYYY-MM-DD) (value: 1949)" in cached.stdout and cached.exit_code == 1
    missing = run(str(vault), "--cache-from", str(tmp_path / "nothing"))
    assert missing.exit_code == 2
    assert missing.stderr == f"vaultkg: error: --cache-from {tmp_path / 'nothing'}: no build cache there " \
                             f"(vaultkg build TARGET -o {tmp_path / 'nothing'})\n"  # fmt: skip


def test_a_rendered_graph_gives_the_locator_the_same_terms_and_lines() -> None:
    """Graphs a validation does not unpack are located from their N-Triples and sourcemap entry."""
    from vaultkg.fragments import Renderer, graph_part
    from vaultkg.validation import _terms_of

    s, p = ox.NamedNode("https://example.org/v/a#id"), ox.NamedNode("https://schema.org/name")
    objects = [ox.Literal('say "hi"\\ \n\t\r done'), ox.Literal("Ünïcode \u2028 \x01", language="de"),
               ox.Literal("1949", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")),
               ox.NamedNode("https://example.org/v/b#id"), ox.Literal("")]  # fmt: skip
    triples = sorted((ox.Triple(s, p, o) for o in objects), key=str)
    part = graph_part("https://example.org/v/a", triples, [3, 4, 5, 6, 7], "a.md", Renderer({}))
    expected = [(s.value, p.value, t.object.value, isinstance(t.object, ox.NamedNode), line)
                for t, line in zip(triples, [3, 4, 5, 6, 7], strict=True)]  # fmt: skip
    assert list(_terms_of(part)) == expected


def test_rules_and_checks_on_threads_give_what_one_thread_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queries run side by side (pyoxigraph lets go of the GIL); the rows and their order do not change."""
    import vaultkg.threads
    from vaultkg.threads import thread_map

    threaded = validate(EXAMPLE_VAULT)
    monkeypatch.setattr(vaultkg.threads.os, "cpu_count", lambda: 1)
    single = validate(EXAMPLE_VAULT)
    assert threaded.findings == single.findings and len(threaded.findings) > 5
    assert thread_map(lambda x: x * x, range(9), workers=3) == [x * x for x in range(9)]

    def fail(x: int) -> int:
        if x == 4:
            raise ValueError("four")
        return x

    with pytest.raises(ValueError, match="four"):
        thread_map(fail, range(8), workers=2)


_iris = st.sampled_from(["a", "b", "c d", "e>f", "b2"]).map(lambda s: ox.NamedNode("https://example.org/v/" + quote(s)))
_lits = st.sampled_from(["x", "> <https://example.org/v/a> .", 'q"\n> <https://example.org/v/b> .', "\\", "é\u2028"])


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(_iris, st.sampled_from(["p", "q"]), st.one_of(_iris, _lits.map(ox.Literal))), min_size=1),
    wanted=st.sets(_iris),
)
def test_the_locator_finds_the_rows_of_its_focus_nodes_as_a_row_by_row_filter_does(
    rows: list[tuple[ox.NamedNode, str, ox.NamedNode | ox.Literal]], wanted: set[ox.NamedNode]
) -> None:
    from vaultkg.fragments import Renderer, graph_part
    from vaultkg.validation import _terms_of

    triples = sorted({ox.Triple(s, ox.NamedNode("https://example.org/v/" + p), o) for s, p, o in rows}, key=str)
    lines = list(range(1, len(triples) + 1))
    part = graph_part("https://example.org/v/g", triples, lines, "g.md", Renderer({}), light=True)
    keys = {f"<{w.value}>" for w in wanted}
    rows_of = [
        (t.subject.value, t.predicate.value, t.object.value, isinstance(t.object, ox.NamedNode), line)
        for t, line in zip(triples, lines, strict=True)
    ]
    plain = {w.value for w in wanted}
    assert list(_terms_of(part, keys, keys)) == [r for r in rows_of if r[0] in plain or (r[3] and r[2] in plain)]
    assert list(_terms_of(part, keys)) == [r for r in rows_of if r[0] in plain]
    assert list(_terms_of(part, None, keys)) == [r for r in rows_of if r[3] and r[2] in plain]
    assert part.subjects == sorted({f"<{t.subject.value}>" for t in triples})  # what a light part names


@pytest.mark.parametrize("forked", [False, True])
def test_the_locator_of_some_focus_nodes_places_them_as_the_full_index_does(
    forked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The locator reads only the graphs holding its focus nodes as subjects, and for the rest
    those holding a subject that links to them (from the store, or every graph without one):
    each node is placed where an index of every triple places it."""
    import vaultkg.parallel
    from vaultkg import build
    from vaultkg.validation import Locator, data_store

    if forked:  # rendered by workers, located from their N-Triples (no triples unpacked)
        monkeypatch.setattr(vaultkg.parallel, "MIN_NOTES", 1)
    dataset = build(EXAMPLE_VAULT, None, render=False).lazy_dataset
    triples = build(EXAMPLE_VAULT, None, render=False).dataset.triples()  # (this one's graphs unpacked)
    full = Locator(dataset)
    iris = {t.subject.value for t in triples} | {t.object.value for t in triples if isinstance(t.object, ox.NamedNode)}
    linked_only = iris - full.s.keys()  # located through what links to them
    assert len(linked_only) > 10 and len(iris) > 100
    probes = [(t.subject.value, t.predicate.value, t.object.value) for t in triples[::7]]
    odd = ["https://example.org/nowhere", 'a literal focus > with "spaces" }', "Benjamin Netanyahu"]
    probes += [(iri, None, None) for iri in sorted(iris)] + [(text, None, None) for text in odd]
    for store in (data_store(dataset), None):
        some = {f for f, _, _ in probes[::3]} | set(sorted(linked_only)[::2]) | set(odd)
        for focus in (some, iris | set(odd)):  # a focus node may be a literal: only its text is known
            located = Locator(dataset, focus, store)
            for f, p, v in probes:
                if f in focus:
                    assert located.locate(f, p, v) == full.locate(f, p, v), (f, p, v)
                    assert located.labels.get(f) == full.labels.get(f)
    assert len(dataset.reused) == (33 if forked else 0)  # still located from the workers' N-Triples


def test_predicates_a_query_can_read() -> None:
    from vaultkg.validation import query_predicates

    s = "PREFIX s: <http://s/>\n"
    assert query_predicates(s + "SELECT ?a { ?a a s:C ; s:p/s:q ?b , ?c . ?b ^s:r* ?d "
                                "FILTER EXISTS { ?d s:x ?e } OPTIONAL { ?a s:y ?f } "
                                "{ SELECT ?a { ?a (s:z|s:w)+ ?g } } MINUS { ?a s:m ?h } }") == {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", *(f"http://s/{x}" for x in "pqrxyzwm")}  # fmt: skip
    for any_predicate in ("SELECT ?a { ?a ?p ?b }", "SELECT ?a { ?a s:p ?b FILTER NOT EXISTS { ?b ?q ?c } }",
                          "SELECT ?a { ?a !s:p ?b }", "SELECT ?a { VALUES ?p { s:p } ?a ?p ?b }",
                          "SELECT ?a { SERVICE <http://e/> { ?a s:p ?b } }"):  # fmt: skip
        assert query_predicates(s + any_predicate) is None, any_predicate
    for may_be_empty in ("SELECT ?a { ?a s:p* ?b }", "SELECT ?a { ?a (s:p/s:q)? ?b }"):  # may match every node
        assert query_predicates(s + may_be_empty) is not None
        assert query_predicates(s + may_be_empty, every_node=True) is None, may_be_empty
    assert query_predicates(s + "SELECT ?a { ?a s:p+ ?b }", every_node=True) == {"http://s/p"}
    for query, classes in (("SELECT ?a { ?a a s:C . ?b a s:D }", {"http://s/C", "http://s/D"}),
                           ("SELECT ?a { ?a a s:C . ?b a ?t }", {"http://s/C", ""}),
                           ("SELECT ?a { ?a a/s:p s:C }", {""}), ("SELECT ?a { ?a s:p s:C }", set())):  # fmt: skip
        types: set[str] = set()
        query_predicates(s + query, types=types)
        assert types == classes, query


def test_unlinked_mentions_are_left_out_only_where_nothing_validation_runs_can_see_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No bundled shape or check reads schema:mentions: a validation that reuses no build cache
    builds without them, and finds exactly what it finds with them. A check that reads them
    keeps them."""
    import importlib
    import sys

    from vaultkg import validation

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate, inject_faults

    vault = tmp_path / "vault"
    generate(vault, 300, seed=11)
    inject_faults(vault, 20, seed=11)
    building = importlib.import_module("vaultkg.building")
    asked: list[bool | None] = []  # what validation told each build about mentions
    real_build = building.build

    def spying(*args, **options):  # type: ignore[no-untyped-def]
        decide = options["mentions"]
        options["mentions"] = lambda notes: asked.append(decide(notes)) or asked[-1]
        return real_build(*args, **options)

    monkeypatch.setattr(building, "build", spying)
    small = run(str(vault), "--no-cache", "--format", "json")  # 320 notes: not worth parsing the checks
    monkeypatch.setattr(validation, "MENTIONS_SKIPPED_FROM", 0)
    without = run(str(vault), "--no-cache", "--format", "json")
    monkeypatch.setattr(validation, "_reads", lambda *_a: True)  # as if something read them
    kept = run(str(vault), "--no-cache", "--format", "json")
    assert asked == [None, False, None]
    assert json.loads(small.stdout)["findings"] == json.loads(kept.stdout)["findings"]
    assert json.loads(without.stdout)["findings"] == json.loads(kept.stdout)["findings"]
    assert len(json.loads(kept.stdout)["findings"]) > 40 and without.exit_code == kept.exit_code == 1
    monkeypatch.undo()
    monkeypatch.setattr(validation, "MENTIONS_SKIPPED_FROM", 0)
    query = (
        "PREFIX schema: <https://schema.org/>\n"
        "SELECT ?entity ?property ?value { ?entity schema:mentions ?value BIND(schema:mentions AS ?property) }"
    )
    mentioning = validation.Check("mentioned", query, "info", "mentions {value}", "mentions")
    real_checks = validation.load_checks
    monkeypatch.setattr(validation, "load_checks", lambda disabled=(): [*real_checks(disabled), mentioning])
    seen = json.loads(run(str(vault), "--no-cache", "--format", "json").stdout)["findings"]
    assert sum(f["rule"] == "mentioned" for f in seen) > 10
