"""End to end: `vaultkg build` on real folders — outputs, cross-parser agreement, determinism,
atomic writes, bad input and exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from conftest import EXAMPLE_VAULT, ROOT
from rdflib.compare import isomorphic

from vaultkg import InputError, build
from vaultkg.cli import cli
from vaultkg.writers import write_atomically

OUTPUT_FILES = {"graph.ttl", "graph.jsonld", "context.jsonld", "graph.nq", "sourcemap.json", "void.ttl", "report.json"}


def run(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


# -- outputs ---------------------------------------------------------------------------------


def test_build_writes_every_output(example_build: Path) -> None:
    assert {p.name for p in example_build.iterdir() if not p.name.startswith(".")} == OUTPUT_FILES
    assert (example_build / ".vaultkg-cache" / "build.pickle").is_file()  # for the next build


def _oxi_triples(path: Path, fmt: ox.RdfFormat) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(path=str(path), format=fmt)}


def test_every_output_parses_with_pyoxigraph_and_all_hold_the_same_graph(example_build: Path) -> None:
    ttl = _oxi_triples(example_build / "graph.ttl", ox.RdfFormat.TURTLE)
    nq = _oxi_triples(example_build / "graph.nq", ox.RdfFormat.N_QUADS)
    jsonld = _oxi_triples(example_build / "graph.jsonld", ox.RdfFormat.JSON_LD)
    assert len(ttl) > 500
    assert ttl == nq == jsonld
    report = json.loads((example_build / "report.json").read_text())
    assert report["triples"] == len(ttl)


def test_every_output_parses_with_rdflib_and_graphs_are_isomorphic(example_build: Path) -> None:
    ttl = rdflib.Graph().parse(example_build / "graph.ttl", format="turtle")
    jsonld = rdflib.Graph().parse(example_build / "graph.jsonld", format="json-ld")
    ds = rdflib.Dataset()
    ds.parse(example_build / "graph.nq", format="nquads")
    union = rdflib.Graph()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        union.add((s, p, o))
    assert len(ttl) == len(jsonld) == len(union) > 500
    assert isomorphic(ttl, jsonld)
    assert isomorphic(ttl, union)


def test_no_blank_nodes_anywhere(example_build: Path) -> None:
    for name, fmt in (
        ("graph.ttl", ox.RdfFormat.TURTLE),
        ("graph.nq", ox.RdfFormat.N_QUADS),
        ("graph.jsonld", ox.RdfFormat.JSON_LD),
    ):
        for q in ox.parse(path=str(example_build / name), format=fmt):
            assert not any(isinstance(term, ox.BlankNode) for term in (q.subject, q.object, q.graph_name)), name


def test_nquads_has_one_named_graph_per_note_plus_the_vault_graph(example_build: Path) -> None:
    quads = list(ox.parse(path=str(example_build / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in quads}
    paths = {
        q.graph_name.value: q.object.value
        for q in quads
        if q.predicate.value == "https://w3id.org/vaultkg#path" and q.subject == q.graph_name
    }
    notes = sorted(
        p.relative_to(EXAMPLE_VAULT).as_posix()
        for p in EXAMPLE_VAULT.rglob("*.md")
        if not p.relative_to(EXAMPLE_VAULT).as_posix().startswith("Templates/")
    )
    assert sorted(paths.values()) == notes
    assert graphs == set(paths) | {"https://example.org/vault/", "https://example.org/vault/wikidata"}


def test_example_vault_shows_the_design_cases(example_build: Path) -> None:
    store = ox.Store()
    store.load(path=str(example_build / "graph.nq"), format=ox.RdfFormat.N_QUADS)

    def ask(q: str) -> bool:
        return bool(
            store.query(
                "PREFIX vkg: <https://w3id.org/vaultkg#> PREFIX schema: <https://schema.org/> "
                "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                "PREFIX owl: <http://www.w3.org/2002/07/owl#> "
                "PREFIX v: <https://example.org/vault/> " + q,
                use_default_graph_as_union=True,
            )
        )

    assert ask(
        "ASK { <https://example.org/vault/us-israel-relations#id> a vkg:Relationship ; "
        "vkg:actor <https://example.org/vault/united-states#id>, <https://example.org/vault/israel#id> ; "
        "vkg:status 'close alliance' }"
    )
    assert ask(
        "ASK { <https://example.org/vault/us-iran-relations#id> vkg:actor "
        "<https://example.org/vault/united-states#id> }"
    )
    assert ask("ASK { <https://example.org/vault/israel#id> owl:sameAs <http://www.wikidata.org/entity/Q801> }")
    assert ask("ASK { <https://example.org/vault/iran#id> owl:sameAs <http://www.wikidata.org/entity/Q794> }")
    assert ask("ASK { <https://example.org/vault/benjamin-netanyahu#id> a vkg:Person }")  # folder default
    assert ask(
        "ASK { <https://example.org/vault/tag/region/middle-east/levant> skos:broader "
        "<https://example.org/vault/tag/region/middle-east> }"
    )
    assert ask("ASK { <https://example.org/vault/overview-relationships> vkg:path 'Relationships/Overview.md' }")
    assert not ask("ASK { ?s vkg:linksTo <https://example.org/vault/not-a-note#id> }")
    assert not ask("ASK { ?s vkg:linksTo <https://example.org/vault/hidden-note#id> }")
    assert not ask("ASK { ?s vkg:path ?p FILTER(STRSTARTS(?p, 'Templates/')) }")  # excluded by config
    # the structured seed format: milestone table, dated bullets, sources with publishers
    assert ask(
        "ASK { v:us-israel-relations\\#id vkg:milestone ?e . ?e a vkg:Event ; "
        "schema:startDate '1973'^^<http://www.w3.org/2001/XMLSchema#gYear> ; "
        "schema:description 'Emergency US airlift during the October war' }"
    )
    assert ask(
        "ASK { v:us-israel-relations\\#id vkg:milestone ?e . "
        "?e schema:startDate '2017'^^<http://www.w3.org/2001/XMLSchema#gYear> ; "
        "schema:endDate '2020'^^<http://www.w3.org/2001/XMLSchema#gYear> ; vkg:involves v:abraham-accords\\#id }"
    )
    assert ask(
        "ASK { v:us-israel-relations\\#id vkg:milestone ?e . ?e schema:startDate "
        "'2025-04'^^<http://www.w3.org/2001/XMLSchema#gYearMonth> ; vkg:involves v:iran\\#id }"
    )
    assert ask(
        "ASK { v:us-israel-relations schema:citation ?w . ?w schema:publisher v:carnegie-endowment\\#id ; "
        "schema:name 'A Partnership in Transition' }"
    )
    assert ask(
        "ASK { v:us-israel-relations schema:citation 'Interview notes with a former embassy official, "
        "March 2025 (no link)' }"
    )
    assert ask(
        "ASK { v:saudi-israel-normalization\\#id <https://example.org/vault/property/mediator> v:united-states\\#id }"
    )
    # the clipped-article seed format: no front matter, entities found by name and alias
    clip = "v:officials-deny-any-rift-between-allies"
    for entity in (
        "benjamin-netanyahu",
        "israel-katz",
        "united-states",
        "iran",
        "hezbollah",
        "houthis",
        "lebanon",
        "irgc",
        "knesset",
        "october-7-attack",
        "twelve-day-war",
        "israel",
    ):
        assert ask(f"ASK {{ {clip} schema:mentions v:{entity}\\#id }}"), entity


def test_report_lists_unresolved_links_attachments_and_warnings(example_build: Path) -> None:
    report = json.loads((example_build / "report.json").read_text())
    assert report["notes"] == 33 and report["errors"] == 0
    assert [u["label"] for u in report["unresolved_links"]] == [
        "Bahrain",
        "Egypt",
        "Gaza Strip",
        "INSS",
        "United Arab Emirates",
        "Washington Institute",
    ]
    assert report["attachments"] == [
        {"path": "Events/October 7 Attack.md", "line": 12, "target": "map-gaza-envelope.png"}
    ]
    assert [(d["path"], d["line"], d["code"]) for d in report["diagnostics"]] == [
        ("Relationships/Iran-Israel Shadow War.md", 19, "bad-milestone-date"),
        ("Relationships/Iran-Israel Shadow War.md", 29, "bad-source-url"),
        ("Relationships/Overview.md", 1, "slug-collision"),
    ]
    assert report["tables"] == [
        {"path": "Countries/Israel.md", "line": 22, "header": ["Branch", "Active personnel"], "rows": 3}
    ]


# -- determinism and atomicity -----------------------------------------------------------------


def test_second_build_from_another_directory_is_byte_identical(example_build: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "vaultkg", "build", str(EXAMPLE_VAULT), "-o", "out"],
        cwd=other,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "7"},
    )
    assert proc.returncode == 0, proc.stderr
    for name in OUTPUT_FILES:
        assert (other / "out" / name).read_bytes() == (example_build / name).read_bytes(), name


def test_committed_output_is_up_to_date() -> None:
    result = run("build", str(EXAMPLE_VAULT), "-o", str(ROOT / "output"), "--check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{ROOT / 'output'} is up to date (33 notes, ")


def test_check_names_stale_files_and_writes_nothing(example_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    (out / "graph.ttl").write_text("stale")
    (out / "graph.nq").unlink()
    result = run("build", str(EXAMPLE_VAULT), "-o", str(out), "--check")
    assert result.exit_code == 1
    assert f"{out} is stale: graph.ttl, graph.nq would change (run 'vaultkg build')" in result.stderr
    assert (out / "graph.ttl").read_text() == "stale" and not (out / "graph.nq").exists()


def test_failed_write_leaves_previous_output_untouched(tmp_path: Path) -> None:
    write_atomically(tmp_path, {"a.txt": b"old a", "b.txt": b"old b"})
    with pytest.raises(TypeError):
        write_atomically(tmp_path, {"a.txt": b"new a", "b.txt": None})  # type: ignore[dict-item]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]  # no temp files left
    assert (tmp_path / "a.txt").read_bytes() == b"old a"


def test_failed_build_leaves_previous_output_untouched(example_build: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    import vaultkg.writers

    def boom(_dataset):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(vaultkg.writers, "_nquads_pieces", boom)
    result = CliRunner().invoke(cli, ["build", str(EXAMPLE_VAULT), "-o", str(out)])
    assert result.exit_code == 3
    assert result.stderr.startswith("vaultkg: internal error: RuntimeError: disk on fire")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


# -- bad input and exit codes ---------------------------------------------------------------------


def test_bad_notes_are_reported_and_the_rest_builds(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(ROOT / "tests" / "vaults" / "broken", vault)
    (vault / "Latin.md").write_bytes("Caf\xe9 with [[Good]]\n".encode("latin-1"))
    (vault / "Image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00")
    result = run("build", str(vault), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{vault.as_posix()}/Broken YAML.md:4: error: invalid YAML in front matter: did not find expected ',' "
        "or ']' (while parsing a flow sequence that began on line 3); the front matter is ignored",
        f"{vault.as_posix()}/Image.md:3: error: binary data (NUL byte) in a .md file; the file is skipped",
        f"{vault.as_posix()}/Latin.md:1: error: invalid UTF-8 (byte 0xe9); undecodable bytes were replaced with U+FFFD",
    ]
    assert "Traceback" not in result.output
    assert result.stdout.startswith("built 4 notes → ")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [(d["path"], d["line"], d["severity"]) for d in report["diagnostics"]] == [
        ("Broken YAML.md", 4, "error"),
        ("Image.md", 3, "error"),
        ("Latin.md", 1, "error"),
    ]
    store = ox.Store()
    store.load(path=str(tmp_path / "out" / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    linked = {
        str(r["s"].value)
        for r in store.query(
            "SELECT ?s WHERE { ?s <https://w3id.org/vaultkg#linksTo> <https://example.org/vault/good#id> }",
            use_default_graph_as_union=True,
        )
    }
    assert linked == {
        "https://example.org/vault/broken-yaml#id",
        "https://example.org/vault/other#id",
        "https://example.org/vault/latin#id",
    }


def test_missing_vault_is_exit_2(tmp_path: Path) -> None:
    result = run("build", str(tmp_path / "nope"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr == f"vaultkg: error: {tmp_path / 'nope'}: no such directory\n"
    assert not (tmp_path / "out").exists()


def test_vault_without_notes_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "readme.txt").write_text("not a note")
    result = run("build", str(tmp_path / "v"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr == f"vaultkg: error: {tmp_path / 'v'}: no notes found (no .md files)\n"


def test_bad_base_is_exit_2(tmp_path: Path) -> None:
    result = run("build", str(ROOT / "tests" / "vaults" / "minimal"), "-o", str(tmp_path / "o"), "--base", "vault")
    assert result.exit_code == 2
    assert result.stderr.startswith("vaultkg: error: --base: base 'vault' must be an http(s) IRI ending in '/'")


def test_the_bundled_defaults_read_by_libyaml_are_what_pyyaml_reads() -> None:
    import yaml

    from converters import Config
    from vaultkg.config import default_config
    from vaultkg.resources import read_text

    text = read_text("ontology", "mapping.yaml")
    assert default_config() == Config.from_mapping(yaml.safe_load(text))
    assert default_config().base == yaml.safe_load(text)["base"]


def test_bad_config_is_exit_2_with_the_file_and_setting(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("keys:\n  born: {kind: birthday}\n")
    result = run("build", str(ROOT / "tests" / "vaults" / "minimal"), "-o", str(tmp_path / "o"), "--config", str(cfg))
    assert result.exit_code == 2
    assert result.stderr == (
        f"vaultkg: error: {cfg}: keys.born: kind 'birthday' is not one of literal, entity, "
        "date, url, alias, tag, wikidata, type, label, slug\n"
    )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("prefixes: {vault: 'https://x.example/'}", "prefixes.vault: vault: follows the base IRI (set base instead)"),
        (
            "prefixes: {schema: 'http://schema.org/'}",
            "prefixes.schema: schema: is https://schema.org/ in vaultkg's vocabulary; give your namespace another name",
        ),
        (
            "types: {country: 'vkg:Country'}",  # the mapping the wrong way round
            "types: 'country' is neither a known prefixed name nor a valid IRI (a class, mapped to `type:` values: "
            "vkg:Country: [country, state])",
        ),
    ],
)
def test_a_prefix_or_type_mapping_that_would_mislead_is_refused(tmp_path: Path, setting: str, message: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(setting + "\n")
    result = run("build", str(ROOT / "tests" / "vaults" / "minimal"), "-o", str(tmp_path / "o"), "--config", str(cfg))
    assert (result.exit_code, result.stderr) == (2, f"vaultkg: error: {cfg}: {message}\n")


def test_a_standard_prefix_given_its_own_namespace_is_fine(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("prefixes: {schema: 'https://schema.org/', ex: 'https://x.example/terms/'}\n")
    result = run("build", str(ROOT / "tests" / "vaults" / "minimal"), "-o", str(tmp_path / "o"), "--config", str(cfg))
    assert result.exit_code == 0
    assert "@prefix ex: <https://x.example/terms/> ." in (tmp_path / "o" / "graph.ttl").read_text()


def test_unknown_option_is_exit_2() -> None:
    result = CliRunner().invoke(cli, ["build", "--frobnicate"])
    assert result.exit_code == 2 and "No such option '--frobnicate'" in result.stderr
    assert result.stderr.startswith("Usage: vaultkg build")


def test_summary_line_and_base_option(tmp_path: Path) -> None:
    result = run(
        "build",
        str(ROOT / "tests" / "vaults" / "minimal"),
        "-o",
        str(tmp_path / "o"),
        "--base",
        "https://kg.example.net/",
    )
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith(
        f"built 2 notes → {tmp_path / 'o'}/: 19 triples, 0 warnings, 0 errors, 1/2 entities linked to Wikidata in "
    )
    assert "<https://kg.example.net/israel#id>" in (tmp_path / "o" / "graph.nq").read_text()


def test_default_vault_is_examples_vault_in_the_repository(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tests" / "vaults" / "minimal", tmp_path / "examples" / "vault")
    result = run("build", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "output" / "graph.ttl").is_file()


def test_library_raises_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such directory"):
        build(tmp_path / "missing", tmp_path / "out")


@pytest.mark.parametrize(("vault", "workers"), [("example", 2), ("broken", 2), ("generated", 3)])
def test_parallel_conversion_gives_the_same_bytes(
    vault: str, workers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers converting in two steps (meeting to share the names without a note) give what one
    process gives: the files, the findings and the names, on two or three workers."""
    import sys

    import vaultkg.parallel
    from converters import assemble
    from vaultkg.config import load_config
    from vaultkg.vault import read_vault
    from vaultkg.writers import render_all

    root = {"example": EXAMPLE_VAULT, "broken": ROOT / "tests" / "vaults" / "broken"}.get(vault, tmp_path / "vault")
    if vault == "generated":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from generate import generate

        generate(root, 300, seed=3)
        stems = {p.stem for p in root.rglob("*.md")}
        linked = {m for p in root.rglob("*.md") for m in re.findall(r"\[\[([^\]|#]+)", p.read_text())}
        (root / "Clippings" / "Mentions.md").write_text(f"Named here: {', '.join(sorted(linked - stems))}.\n")
    cfg, _ = load_config(vault=root)
    notes = read_vault(root, cfg).notes
    monkeypatch.setattr(vaultkg.parallel, "MIN_NOTES", 1)
    monkeypatch.setattr(vaultkg.parallel, "MIN_FILES", 1)
    parallel = assemble(notes, cfg, mapper=vaultkg.parallel.fork_mapper(workers))
    single = assemble(notes, cfg)
    assert render_all(parallel, version="t") == render_all(single, version="t")
    assert parallel.diagnostics == single.diagnostics and parallel.unresolved == single.unresolved
    assert parallel.unwritten == single.unwritten and parallel.notices == single.notices
    mentioned = {t.object.value for ts in single.graphs.values() for t in ts if t.predicate.value.endswith("mentions")}
    unwritten = {f"https://example.org/vault/{slug}#id" for _, slug in single.unwritten}
    assert bool(mentioned & unwritten) is (vault != "broken")  # names without a note were looked for


@pytest.mark.parametrize("forked", [False, True])
def test_convert_progress_moves_through_both_steps_as_they_are_done(
    forked: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The "convert" events count half a note per step as the steps are done (first steps, then
    each note finished), from 0 to every note; a rebuild counts the reused notes at once."""
    import importlib

    import vaultkg.parallel

    if forked:
        monkeypatch.setattr(vaultkg.parallel, "MIN_NOTES", 1)
    vault = tmp_path / "vault"
    shutil.copytree(EXAMPLE_VAULT, vault)
    events: list[tuple[int, int]] = []

    def on_event(name: str, done: int = 0, total: int = 0, **_details: object) -> None:
        if name == "convert":
            events.append((done, total))

    conversion = importlib.import_module("converters.assemble").Conversion
    meet, at_meeting = conversion.meet, []

    def meeting(self, found):  # type: ignore[no-untyped-def]
        at_meeting.append(events[-1][0] if events else 0)  # the bar when every first step is done
        return meet(self, found)

    monkeypatch.setattr(conversion, "meet", meeting)
    build(vault, tmp_path / "out", on_event=on_event)
    done = [d for d, _ in events]
    assert {t for _, t in events} == {33} and done == sorted(done) and done[-1] == 33
    assert at_meeting[0] == 16  # half way: 33 first steps of 66
    assert len({d for d in done if 0 < d < 33}) >= (3 if forked else 30)  # moving, not one jump at the end
    note = vault / "Countries" / "Qatar.md"
    note.write_text(note.read_text() + "\nEdited.\n")
    past = time.time_ns() - 10_000_000_000
    os.utime(note, ns=(past, past))
    events.clear()
    build(vault, tmp_path / "out", on_event=on_event)
    assert [d for d, _ in events] == [32, 32, 33]  # 32 reused at once; the edited note's two steps


@pytest.mark.parametrize(("notes", "phase"), [(2000, "reading"), (1000, "converting")])
def test_ctrl_c_on_a_terminal_while_workers_run_stops_with_one_line_and_leaves_the_old_output(
    notes: int, phase: str, tmp_path: Path
) -> None:
    """Ctrl-C on a terminal reaches the whole process group: once the build has worker processes
    (reading 2,000 files, or converting 1,000 notes read in one process), it exits 130 saying only
    "vaultkg: interrupted" (no worker's traceback), every worker is gone, and the output folder
    is as the previous build left it."""
    import signal

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    vault, out = tmp_path / "vault", tmp_path / "out"
    generate(vault, notes, seed=5)
    assert run("build", str(vault), "-o", str(out), "-q").exit_code == 0
    before = (out / "graph.nq").read_bytes()
    (vault / "Clippings" / "New.md").write_text("A new note.\n")
    shutil.rmtree(out / ".vaultkg-cache")  # convert everything: workers for a while
    proc = subprocess.Popen([sys.executable, "-m", "vaultkg", "build", str(vault), "-o", str(out), "-q"],
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 30
    while proc.poll() is None and not children.read_text().split() and time.monotonic() < deadline:
        time.sleep(0.005)
    workers = children.read_text().split()
    assert workers, f"the build had no worker processes while {phase}"
    os.killpg(proc.pid, signal.SIGINT)  # as the terminal does: every process of the group
    assert proc.wait(timeout=30) == 130 and proc.stderr is not None
    assert proc.stderr.read().strip() == "vaultkg: interrupted"
    assert not [w for w in workers if _alive_after(w, 5)]
    assert (out / "graph.nq").read_bytes() == before


def _alive_after(pid: str, seconds: float) -> bool:
    """Whether process ``pid`` still runs after up to ``seconds`` (a zombie waiting to be reaped
    by whoever adopted it has ended)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            return False
        if state == "Z":
            return False
        time.sleep(0.02)
    return True


def _children() -> set[str]:
    """The pids of this process's children (Linux)."""
    pid = os.getpid()
    return set(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())


@pytest.mark.parametrize("step", ["first", "finish"])
def test_an_error_in_a_worker_is_raised_by_the_build_and_leaves_no_process(
    step: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a worker fail outside the converters (before or after the workers meet), the build
    fails with that error and the worker's traceback as its cause; no worker is left."""
    import importlib

    import vaultkg.parallel

    conversion = importlib.import_module("converters.assemble").Conversion
    real = getattr(conversion, step)

    def broken(self, result_or_note, *args, **kwargs):  # type: ignore[no-untyped-def]
        if getattr(result_or_note, "path", "").endswith("Qatar.md"):
            raise ValueError(f"{step} broke on Qatar")
        return real(self, result_or_note, *args, **kwargs)

    monkeypatch.setattr(vaultkg.parallel, "MIN_NOTES", 1)
    monkeypatch.setattr(conversion, step, broken)
    before = _children()
    with pytest.raises(ValueError, match=f"{step} broke on Qatar") as info:
        build(EXAMPLE_VAULT, None)
    assert "Traceback" in str(info.value.__cause__) and "in broken" in str(info.value.__cause__)
    assert _children() <= before


@pytest.mark.parametrize("forked", [False, True])
@pytest.mark.parametrize("step", ["FIRST", "LAST"])
def test_a_converter_that_fails_on_a_note_costs_that_note_its_facts_not_the_build(
    step: str, forked: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug that a note sets off in one converter is an error at that note, saying what failed
    where; every other note, and the note's facts from the other converters, are built as ever."""
    import converters
    import vaultkg.parallel

    def broken(note, ctx):  # type: ignore[no-untyped-def]
        if note.name == "Qatar":
            yield from ()
            raise KeyError("no such thing")

    expected = build(EXAMPLE_VAULT, None)
    if forked:
        monkeypatch.setattr(vaultkg.parallel, "MIN_NOTES", 1)
    monkeypatch.setattr(converters, step, (*getattr(converters, step), broken))
    result = build(EXAMPLE_VAULT, None)
    qatar = "https://example.org/vault/qatar"
    assert result.dataset.graphs[qatar] == expected.dataset.graphs[qatar]  # the converter added nothing
    assert result.dataset.graphs == expected.dataset.graphs
    errors = [str(d) for d in result.diagnostics if d.severity.value == "error"]
    assert errors == [
        "Countries/Qatar.md:1: error: vaultkg failed on this note's test_build (KeyError: 'no such thing', at "
        "test_build.py:" + errors[0].split("at test_build.py:")[1].split(")")[0] + "); the rest of the vault is "
        "built — please report it with the note"
    ]
    monkeypatch.chdir(tmp_path)
    cli_result = run("build", str(EXAMPLE_VAULT), "-o", str(tmp_path / "out"))
    assert cli_result.exit_code == 1 and "Traceback" not in cli_result.output + cli_result.stderr
    assert "Countries/Qatar.md:1: error: vaultkg failed on this note's test_build (KeyError" in cli_result.stderr
    assert (tmp_path / "out" / "graph.nq").read_bytes() == expected.files["graph.nq"]  # built all the same


def test_output_that_is_a_file_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    result = run("build", str(ROOT / "tests" / "vaults" / "minimal"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "is a file" in result.stderr  # click's own check of -o
    with pytest.raises(InputError, match="exists and is not a folder"):
        build(ROOT / "tests" / "vaults" / "minimal", tmp_path / "out")
    assert (tmp_path / "out").read_text() == "not a folder"


def test_graphs_rendered_in_workers_give_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers convert the notes and render their graphs; the parent never unpacks the triples
    unless asked (``result.dataset``) — the files, the dataset and the next build are the same."""
    import vaultkg.parallel

    single = build(EXAMPLE_VAULT, tmp_path / "single")
    monkeypatch.setattr(vaultkg.parallel, "MIN_NOTES", 1)
    monkeypatch.setattr(vaultkg.parallel, "MIN_FILES", 1)
    forked = build(EXAMPLE_VAULT, tmp_path / "forked")
    assert len(forked._dataset.reused) == forked.notes  # rendered by the workers, not unpacked
    assert forked.dataset.reused == set() and forked.files == single.files
    assert forked.dataset.graphs == single.dataset.graphs and forked.dataset.lines == single.dataset.lines
    assert forked.diagnostics == single.diagnostics
    again = build(EXAMPLE_VAULT, tmp_path / "forked")  # from the cache the forked build left
    assert again.files == single.files


JSON_DOCUMENTS = [{}, [], {"a": [], "b": {}, "c": [1, {"x": None, "y": True, "z": False}], 'ü"\n': "é\u2028\x00"},
                  [1.5, -2, 10**30], {"k": (1, 2)}, {1: 2}, 3, "s", None,
                  {"h": {"g1": "ab", 'g"2\n': "é\u2028"}, "lines": [1, -2, 10**30], "t": (3, 4), "b": [1, True]},
                  [{"a": "b"}, [7], {"a": 1}, {"a": "b", "c": None}]]  # fmt: skip


@pytest.mark.parametrize("document", JSON_DOCUMENTS)
def test_report_json_is_written_as_json_dumps_would(document: object) -> None:
    from vaultkg.jsontext import json_bytes, json_text

    assert json_text(document) == json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    assert json_bytes(document) == (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def test_a_build_for_validation_renders_light_graphs_and_can_still_write_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without files to write, the workers render only what validation reads (N-Quads and source
    lines); the dataset still completes and renders byte for byte like a full build."""
    import vaultkg.parallel
    from vaultkg.validation import validate
    from vaultkg.writers import render_all, rendered_graphs

    expected = build(EXAMPLE_VAULT, None)
    findings = [f.sort_key() for f in validate(EXAMPLE_VAULT).findings]
    monkeypatch.setattr(vaultkg.parallel, "MIN_NOTES", 1)
    monkeypatch.setattr(vaultkg.parallel, "MIN_FILES", 1)
    light = build(EXAMPLE_VAULT, None, render=False)
    parts = rendered_graphs(light.lazy_dataset)
    assert light.files == {} and len(parts) == 33 and all(p.light and not p.ttl for p in parts.values())
    assert render_all(light.lazy_dataset, version=vaultkg.__version__) == expected.files
    assert [f.sort_key() for f in validate(EXAMPLE_VAULT).findings] == findings


def test_files_are_kept_as_pieces_and_read_as_bytes() -> None:
    import hashlib

    from vaultkg.writers import Files, batched, pieces_of

    files = Files()
    files.add("graph.nq", [b"<a> <b> <c> <g> .\n", b"<d> <e> <f> <g> .\n"])
    assert "graph.nq" in files and "graph.ttl" not in files and len(files) == 1
    assert files == {"graph.nq": b"<a> <b> <c> <g> .\n<d> <e> <f> <g> .\n"}
    assert files.sha256("graph.nq") == hashlib.sha256(files["graph.nq"]).hexdigest()
    assert b"".join(pieces_of(files, "graph.nq")) == files["graph.nq"] and list(pieces_of({"x": b"1"}, "x")) == [b"1"]
    assert list(batched([b"ab", b"c", b"de", b"f"], size=3)) == [b"abc", b"def"]


def test_the_command_runs_without_cyclic_garbage_collection() -> None:
    """The console entry point turns the collector off before the command's modules are imported."""
    import tomllib

    scripts = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"vaultkg": "vaultkg.entry:main"}
    probe = (
        "import gc, sys, click, vaultkg.cli as c\n"
        "c.cli = click.command()(lambda: print(gc.isenabled(), 'vaultkg.building' in sys.modules))\n"
        "from vaultkg.entry import main\n"
        "main()\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert (run.returncode, run.stdout) == (0, "False False\n")


def test_the_command_ends_with_its_exit_code_and_every_line_written(tmp_path: Path) -> None:
    """`vaultkg` ends the process without Python's teardown: what it printed must all arrive,
    and the exit code must be the command's."""

    def vaultkg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "vaultkg", *args], capture_output=True, text=True, cwd=tmp_path)

    built = vaultkg("build", str(EXAMPLE_VAULT), "-o", "out")
    assert built.returncode == 0
    assert built.stdout.startswith("built 33 notes → out/: ") and built.stdout.endswith(" s\n")
    assert built.stderr.count("\n") == 3 and built.stderr.endswith("(pin one with 'slug:' in the front matter)\n")
    (tmp_path / "out" / "void.ttl").write_text("stale\n")
    stale = vaultkg("build", str(EXAMPLE_VAULT), "-o", "out", "--check", "-q")
    assert stale.returncode == 1
    assert stale.stderr == "out is stale: void.ttl would change (run 'vaultkg build')\n"
    usage = vaultkg("build", "--frobnicate")
    assert usage.returncode == 2 and usage.stderr.endswith("Error: No such option '--frobnicate'.\n")
    many = subprocess.run(f"{sys.executable} -m vaultkg query list | head -c 10", shell=True, capture_output=True)
    assert len(many.stdout) == 10 and b"Traceback" not in many.stderr


def _paths(result) -> list[str]:
    """The notes a build holds (their vkg:path)."""
    return sorted(t.object.value for t in result.dataset.triples() if t.predicate.value.endswith("#path"))


@pytest.mark.parametrize(
    ("settings", "left_out"),
    [
        ({".obsidian/templates.json": '{"folder": "Meta/Templates/"}'}, ["Meta/Templates/Country.md"]),
        ({".obsidian/plugins/templater-obsidian/data.json": '{"templates_folder": "Tpl"}'}, ["Tpl/Daily.md"]),
        (
            {
                ".obsidian/templates.json": '{"folder": "Tpl"}',
                ".obsidian/plugins/templater-obsidian/data.json": '{"templates_folder": "Meta/Templates"}',
            },
            ["Meta/Templates/Country.md", "Tpl/Daily.md"],
        ),
        ({".obsidian/templates.json": '{"folder": "/"}'}, []),  # no folder named: nothing left out
        ({".obsidian/templates.json": "{not json"}, []),  # Obsidian's file, not ours: no error
        ({".obsidian/templates.json": '{"folder": "Tpl"}', "vaultkg.yaml": "obsidian_templates: false\n"}, []),
    ],
)
def test_template_folders_named_by_obsidian_settings_are_not_notes(
    tmp_path: Path, settings: dict[str, str], left_out: list[str]
) -> None:
    notes = {
        "Sweden.md": "---\ntype: country\n---\n",
        "Meta/Templates/Country.md": "---\ntype: country\ncreated: {{date}}\n---\n# {{title}}\n",
        "Tpl/Daily.md": "---\ntags: [daily]\n---\n[[Sweden]]\n",
        "Tplx/Kept.md": "kept\n",
    }
    for rel, text in {**notes, **settings}.items():
        (tmp_path / "v" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "v" / rel).write_text(text, encoding="utf-8")
    result = build(tmp_path / "v", tmp_path / "out")
    assert _paths(result) == sorted(set(notes) - set(left_out))
    templates_read = "Meta/Templates/Country.md" not in left_out
    assert result.errors == (1 if templates_read else 0)  # {{date}} is no YAML value


def test_an_output_folder_that_cannot_be_made_is_an_error_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("in the way")
    result = run("build", str(EXAMPLE_VAULT), "-o", str(tmp_path / "a-file" / "out"))
    assert result.exit_code == 2
    assert result.stderr == f"vaultkg: error: {tmp_path / 'a-file'}: File exists\n"
