"""The SPARQL validation engine against the reference, pySHACL: shapes using every compiled
feature give the same results, result for result; what it cannot compile falls back (or fails
with the reason when the SPARQL engine is demanded)."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest
import rdflib

from converters import Dataset
from vaultkg.shacl_sparql import Unsupported, compile_shapes
from vaultkg.sparql_rules import well_typed_date
from vaultkg.validation import ShapesError, shacl_results

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

DATA = (
    PREFIXES
    + """
ex:Dog rdfs:subClassOf ex:Animal .
ex:rex a ex:Dog ; ex:name "Rex" ; ex:age 3 ; ex:born "2020-02-30"^^xsd:date ; ex:owner ex:ann ;
    ex:code "AB-12" ; ex:tag "x" , "y" ; ex:colour ex:brown ; ex:parent ex:max .
ex:max a ex:Dog ; ex:name "Max" , "Maxi"@de ; ex:age -1 ; ex:born "2019-05-01"^^xsd:date ; ex:owner "Bob" ;
    ex:code "nope" ; ex:colour ex:green ; ex:parent ex:rex .
ex:tom a ex:Animal ; ex:age "old" ; ex:born "2001"^^xsd:gYear ; ex:code "CD-34" ; ex:colour ex:brown .
ex:ann a ex:Person ; ex:knows ex:bob ; ex:email <mailto:ann@example.org> .
ex:bob a ex:Person ; ex:knows ex:ann , ex:rex ; ex:email "bob at example" .
"""
)

SHAPES = (
    PREFIXES
    + """
ex:AnimalShape a sh:NodeShape ; sh:targetClass ex:Animal ; sh:message "animal" ; sh:severity sh:Warning ;
    sh:property ex:NameProp , ex:AgeProp , ex:BornProp , ex:OwnerProp , ex:CodeProp , ex:TagProp , ex:ColourProp ,
        ex:ParentProp .
ex:NameProp sh:path ex:name ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:string ; sh:minLength 3 ;
    sh:message "name" .
ex:AgeProp sh:path ex:age ; sh:datatype xsd:integer ; sh:minInclusive 0 ; sh:maxExclusive 30 ; sh:message "age" ;
    sh:severity sh:Info .
ex:BornProp sh:path ex:born ; sh:or ( [ sh:datatype xsd:date ] [ sh:datatype xsd:gYear ] ) ; sh:message "born" .
ex:OwnerProp sh:path ex:owner ; sh:nodeKind sh:IRI ; sh:class ex:Person ; sh:message "owner" .
ex:CodeProp sh:path ex:code ; sh:pattern "^[a-z]{2}-[0-9]+$" ; sh:flags "i" ; sh:maxLength 5 ; sh:message "code" .
ex:TagProp sh:path ex:tag ; sh:in ( "x" "z" ) ; sh:maxCount 1 ; sh:message "tag" .
ex:ColourProp sh:path ex:colour ; sh:hasValue ex:brown ; sh:not [ sh:in ( ex:green ) ] ; sh:message "colour" .
ex:ParentProp sh:path ( ex:parent ex:owner ) ; sh:minCount 1 ; sh:message "grand-owner" .

ex:PersonShape a sh:NodeShape ; sh:targetSubjectsOf ex:knows ; sh:message "person" ;
    sh:xone ( [ sh:path ex:email ; sh:nodeKind sh:IRI ; sh:minCount 1 ] [ sh:class ex:Dog ] ) ;
    sh:property [ sh:path ex:knows ; sh:node ex:KnownShape ; sh:message "knows a person" ] ,
        [ sh:path [ sh:inversePath ex:knows ] ; sh:minCount 2 ; sh:message "known twice" ] ,
        [ sh:path ex:knows ; sh:qualifiedValueShape [ sh:class ex:Dog ] ; sh:qualifiedMinCount 1 ;
          sh:message "knows a dog" ] .
ex:KnownShape sh:class ex:Person ; sh:and ( [ sh:nodeKind sh:IRI ] [ sh:path ex:knows ; sh:maxCount 1 ] ) .

ex:NodeShape2 a sh:NodeShape ; sh:targetNode ex:rex , ex:nobody ; sh:message "listed" ; sh:class ex:Person .
ex:ObjectsShape a sh:NodeShape ; sh:targetObjectsOf ex:parent ; sh:message "parent" ;
    sh:property [ sh:path [ sh:zeroOrMorePath ex:parent ] ; sh:maxCount 1 ; sh:message "ancestors" ] ,
        [ sh:path [ sh:alternativePath ( ex:name ex:code ) ] ; sh:minCount 3 ; sh:message "name or code" ] .
ex:Off a sh:NodeShape ; sh:targetClass ex:Animal ; sh:deactivated true ; sh:message "off" ; sh:class ex:Person .
ex:PropertyTarget a sh:PropertyShape ; sh:targetClass ex:Person ; sh:path ex:email ; sh:maxCount 0 ;
    sh:message "no email" .
"""
)


def dataset_of(turtle: str) -> Dataset:
    triples = sorted((q.triple for q in ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE)), key=str)
    graph = "http://example.org/graph"
    return Dataset(graphs={graph: triples}, vault_graph=graph, prefixes={}, notes=1)


def results(engine: str, data: str = DATA, shapes: str = SHAPES) -> tuple[Counter, str]:
    found, used = shacl_results(dataset_of(data), rdflib.Graph().parse(data=shapes, format="turtle"), engine=engine)
    return Counter(tuple(sorted((k, str(v)) for k, v in r.items())) for r in found), used


def test_every_compiled_feature_gives_pyshacls_results() -> None:
    fast, engine = results("sparql")
    reference, _ = results("pyshacl")
    assert engine == "sparql"
    assert fast == reference
    assert sum(fast.values()) > 20  # every shape above finds something
    assert {dict(r)["message"] for r in fast} == {
        "name", "age", "born", "owner", "code", "tag", "colour", "grand-owner", "person", "knows a person",
        "known twice", "knows a dog", "listed", "ancestors", "name or code", "no email",
    }  # fmt: skip


def test_an_ill_typed_literal_fails_its_datatype_in_both_engines(caplog: pytest.LogCaptureFixture) -> None:
    fast, _ = results("sparql")
    assert not [r for r in caplog.records if r.name.startswith("rdflib")]  # rdflib's traceback per literal
    rows = [dict(r) for r in fast if dict(r)["message"] == "born"]
    assert [(r["focus"], r["value"]) for r in rows] == [("http://example.org/rex", "2020-02-30")]


def test_the_fast_date_check_never_disagrees_with_rdflib() -> None:
    """``well_typed_date`` says "well typed" only where rdflib does (it leaves the rest to rdflib)."""
    import random

    rng = random.Random(7)
    xsd_date = "http://www.w3.org/2001/XMLSchema#date"
    texts = [
        f"{y:04d}-{m:02d}-{d:02d}" for y in (0, 1, 999, 1900, 2023, 2024, 9999) for m in range(14) for d in range(33)
    ]
    texts += [f"{rng.randrange(10000):04d}-{rng.randrange(20):02d}-{rng.randrange(40):02d}" for _ in range(3000)]
    texts += ["2024-1-01", "2024-01-01Z", "-2024-01-01", "2024-01-01+02:00", " 2024-01-01", "２０２４-01-01"]
    fast = 0
    for text in texts:
        if well_typed_date(ox.Literal(text, datatype=ox.NamedNode(xsd_date))):
            fast += 1
            assert not rdflib.Literal(text, datatype=xsd_date).ill_typed, text
    assert fast > 2000  # the common case is decided without rdflib
    assert not well_typed_date(ox.Literal("2024", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")))


@pytest.mark.parametrize(
    ("shapes", "reason"),
    [
        ("ex:S a sh:NodeShape ; sh:targetClass ex:Dog ; sh:closed true ; sh:message 'm' .", "uses sh:closed"),
        ("ex:S a sh:NodeShape ; sh:targetClass ex:Dog ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .",
         "has no sh:message"),
        ("ex:S a sh:NodeShape ; sh:targetClass ex:Dog ; sh:message 'm' ; sh:sparql [ sh:select 'SELECT $this {}' ] .",
         "SPARQL-based constraints"),
        ("ex:S a sh:NodeShape ; sh:targetClass ex:Dog ; sh:property [ sh:path ex:name ; sh:uniqueLang true ; "
         "sh:message 'm' ] .", "uses sh:uniqueLang"),
    ],
)  # fmt: skip
def test_what_the_compiler_cannot_translate_falls_back_to_pyshacl(shapes: str, reason: str) -> None:
    with pytest.raises(Unsupported, match=reason):
        compile_shapes(rdflib.Graph().parse(data=PREFIXES + shapes, format="turtle"))
    fallback, used = results("auto", shapes=PREFIXES + shapes)
    assert used.startswith("pyshacl (") and reason in used
    assert fallback == results("pyshacl", shapes=PREFIXES + shapes)[0]
    with pytest.raises(ShapesError, match=f"the shapes cannot run as SPARQL: .*{reason}"):
        results("sparql", shapes=PREFIXES + shapes)


def test_a_regex_oxigraph_refuses_falls_back_too() -> None:
    shapes = PREFIXES + "ex:S a sh:NodeShape ; sh:targetClass ex:Dog ; sh:message 'm' ; " \
                        "sh:property [ sh:path ex:code ; sh:pattern '^(?=A)' ; sh:message 'm' ] ."  # fmt: skip
    fallback, used = results("auto", shapes=shapes)
    assert used == "pyshacl (sh:pattern '^(?=A)' is not a regular expression Oxigraph evaluates)"
    assert fallback == results("pyshacl", shapes=shapes)[0]
    assert sum(fallback.values()) == 1  # max's code "nope" (Oxigraph would have failed rex's too)


def test_rules_give_their_rows_in_rule_order_whichever_thread_runs_them() -> None:
    """Rules needing the ill-typed test run first and last, the others between: the rows still
    come rule by rule, each rule's as it gives them alone."""
    from vaultkg.shacl_sparql import run_rules
    from vaultkg.validation import data_store

    store = data_store(dataset_of(DATA))
    rules = compile_shapes(rdflib.Graph().parse(data=SHAPES, format="turtle"))
    typed = [i for i, r in enumerate(rules) if r.datatypes]
    alone = [run_rules(store, [rule]) for rule in rules]
    moved = typed[1]  # run after every rule without the test, though others follow it
    assert (
        alone[moved] and any(alone[moved + 1 :]) and not all(rules[i].datatypes for i in range(moved + 1, len(rules)))
    )
    assert run_rules(store, rules) == [row for rows in alone for row in rows]
