"""The package: public surface, import boundaries, bundled data, and an installed wheel that
works from any directory."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
import yaml
from conftest import EXAMPLE_VAULT, ROOT

import vaultkg
from converters.vocab import PREFIXES, VKG
from vaultkg.resources import data_root, list_files, read_text


def test_public_surface_is_all() -> None:
    import types

    public = {
        n for n in dir(vaultkg) if not n.startswith("_") and not isinstance(getattr(vaultkg, n), types.ModuleType)
    }
    assert public == set(vaultkg.__all__) - {"__version__"}
    assert vaultkg.Format.TURTLE.media_type == "text/turtle" and vaultkg.Format.N_QUADS.file_name == "graph.nq"


def printed_by(code: str) -> str:
    """What ``python -c code`` prints, in a fresh interpreter (so imports start from nothing)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout


def test_converters_import_no_io_cli_or_network_code() -> None:
    code = (
        "import sys, converters, converters.assemble;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'click', 'rich', 'httpx', 'requests', 'vaultkg', 'SPARQLWrapper', 'urllib3'});"
        "print(','.join(bad))"
    )
    assert printed_by(code).strip() == ""


def test_load_and_query_commands_do_not_import_the_converters() -> None:
    """`vaultkg load` / `query` start without the build (~0.25 s of imports); `vaultkg.build` stays
    the function even once the module that holds it is imported."""
    code = (
        "import sys, vaultkg, vaultkg.cli, vaultkg.loader, vaultkg.querying;"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'converters' "
        "or m in ('vaultkg.building', 'vaultkg.writers', 'vaultkg.validation', 'rdflib'))));"
        "import vaultkg.building; print(callable(vaultkg.build), vaultkg.build is vaultkg.building.build)"
    )
    assert printed_by(code).splitlines() == ["", "True True"]


def test_ontology_defines_every_vkg_term_the_build_writes(example_build: Path) -> None:
    onto = {q.triple for q in ox.parse(path=str(data_root("ontology") / "vaultkg.ttl"), format=ox.RdfFormat.TURTLE)}
    rdflib.Graph().parse(data=read_text("ontology", "vaultkg.ttl"), format="turtle")  # rdflib agrees it parses
    labelled = {t.subject.value for t in onto if t.predicate.value.endswith("#label")}
    commented = {t.subject.value for t in onto if t.predicate.value.endswith("#comment")}
    used = set()
    for q in ox.parse(path=str(example_build / "graph.nq"), format=ox.RdfFormat.N_QUADS):
        for term in (q.predicate, q.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(VKG):
                used.add(term.value)
    assert used and used <= labelled and used <= commented
    vkg_terms = {t.subject.value for t in onto if t.subject.value.startswith(VKG)}
    assert vkg_terms <= labelled & commented


def test_shipped_context_matches_the_prefixes() -> None:
    assert json.loads(read_text("ontology", "context.jsonld")) == {"@context": PREFIXES}


def test_default_mapping_loads() -> None:
    data = yaml.safe_load(read_text("ontology", "mapping.yaml"))
    assert data["base"] == "https://example.org/vault/"
    assert data["keys"]["actors"] == {"kind": "entity", "property": "vkg:actor"}


def test_every_shape_has_a_name_description_message_and_severity() -> None:
    shapes = rdflib.Graph().parse(data=read_text("shapes", "vaultkg.ttl"), format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    node_shapes = set(shapes.subjects(rdflib.RDF.type, sh.NodeShape))
    assert len(node_shapes) >= 15
    for shape in node_shapes:
        for prop in (sh.name, sh.description, sh.message, sh.severity):
            assert shapes.value(shape, prop) is not None, (shape, prop)
    for prop_shape in shapes.objects(None, sh.property):
        assert shapes.value(prop_shape, sh.message) is not None and shapes.value(prop_shape, sh.severity) is not None


def test_shapes_catch_a_bad_wikidata_link() -> None:
    shapes = rdflib.Graph().parse(data=read_text("shapes", "vaultkg.ttl"), format="turtle")
    data = rdflib.Graph().parse(
        data="<https://example.org/vault/x#id> <http://www.w3.org/2002/07/owl#sameAs> "
        "<http://www.wikidata.org/entity/P31> .",
        format="turtle",
    )
    conforms, _graph, text = pyshacl.validate(data, shacl_graph=shapes)
    assert not conforms and "a Wikidata link must be" in text


@pytest.mark.parametrize("name", list_files("queries", ".rq"))
def test_stored_queries_parse_and_run(name: str, example_build: Path) -> None:
    store = ox.Store()
    store.load(path=str(example_build / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    result = store.query(read_text("queries", name), use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)


@pytest.mark.slow
def test_installed_wheel_runs_from_any_directory(tmp_path: Path) -> None:
    """Build the wheel, unpack it somewhere else and build the example vault with it."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-build-isolation",
            "--no-deps",
            "-q",
            "-w",
            str(wheel_dir),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheel_dir.glob("vaultkg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "vaultkg/_data/ontology/vaultkg.ttl",
        "vaultkg/_data/ontology/mapping.yaml",
        "vaultkg/_data/ontology/context.jsonld",
        "vaultkg/_data/shapes/vaultkg.ttl",
        "vaultkg/_data/queries/summary.rq",
        "vaultkg/_data/queries/checks/self-actor.rq",
        "vaultkg/py.typed",
        "converters/__init__.py",
    ):
        assert expected in names, expected
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "work"
    work.mkdir()
    code = (
        f"import sys; sys.path.insert(0, {str(site)!r}); import vaultkg.resources as r; "
        "print(r.data_root('ontology')); from vaultkg.cli import main; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code, "build", str(EXAMPLE_VAULT), "-o", "out"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == str(site / "vaultkg" / "_data" / "ontology")
    assert (work / "out" / "graph.ttl").read_bytes() == (ROOT / "output" / "graph.ttl").read_bytes()
