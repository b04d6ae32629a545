"""The note itself: document vs thing IRIs, labels, path, classes, slugs and collisions."""

from __future__ import annotations

import pytest
from conftest import build_notes, graph_of, messages, ttl

from converters.iris import iri_escape, slugify


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Israel", "israel"),
        ("US-Israel Relations", "us-israel-relations"),
        ("Iran–Israel  Shadow War!", "iran-israel-shadow-war"),
        ("Nöte with 'quotes'", "nöte-with-quotes"),
        ("snake_case name", "snake-case-name"),
        ("東京 Tower", "東京-tower"),
        ("  --Leading and trailing--  ", "leading-and-trailing"),
    ],
)
def test_slug_rules(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_slug_of_only_punctuation_is_a_stable_hash() -> None:
    assert slugify("🚀🚀") == slugify("🚀🚀")
    assert slugify("🚀🚀").startswith("n-") and len(slugify("🚀🚀")) == 10
    assert slugify("🚀🚀") != slugify("???")


def test_iri_escape_keeps_letters_and_encodes_the_rest() -> None:
    assert iri_escape("based_in") == "based_in"
    assert iri_escape("Start Date") == "Start%20Date"
    assert iri_escape('a<b>"c{d}|e\\f^g`h') == "a%3Cb%3E%22c%7Bd%7D%7Ce%5Cf%5Eg%60h"
    assert iri_escape("middle-east/levant", keep="/") == "middle-east/levant"


def test_every_note_is_a_document_about_a_thing() -> None:
    ds = build_notes({"Countries/Israel.md": "# Israel\n"})
    assert graph_of(ds, "israel") == ttl("""
        vault:israel a vkg:Note ; rdfs:label "Israel" ; vkg:path "Countries/Israel.md" ;
            schema:about vault:israel\\#id ; schema:text "# Israel\\n" .
        vault:israel\\#id schema:subjectOf vault:israel ; rdfs:label "Israel" ; a vkg:Entity .
    """)
    assert ds.diagnostics == []


def test_title_labels_the_thing_and_the_name_labels_the_document() -> None:
    ds = build_notes({"AIPAC.md": "---\ntitle: American Israel Public Affairs Committee\n---\n"})
    g = graph_of(ds, "aipac")
    assert ttl('vault:aipac rdfs:label "AIPAC" .') <= g
    assert ttl('vault:aipac\\#id rdfs:label "American Israel Public Affairs Committee" .') <= g
    assert not ttl('vault:aipac\\#id rdfs:label "AIPAC" .') <= g


@pytest.mark.parametrize(
    ("type_value", "cls"),
    [
        ("country", "vkg:Country"),
        ("Country", "vkg:Country"),
        ("organisation", "vkg:Organization"),
        ("organization", "vkg:Organization"),
        ("person", "vkg:Person"),
        ("relationship", "vkg:Relationship"),
        ("event", "vkg:Event"),
        ("region", "vkg:Place"),
    ],
)
def test_type_maps_to_class(type_value: str, cls: str) -> None:
    ds = build_notes({"X.md": f"---\ntype: {type_value}\n---\n"})
    assert ttl(f"vault:x\\#id a {cls} .") <= graph_of(ds, "x")
    assert ds.diagnostics == []


def test_unknown_type_is_an_entity_with_a_warning_at_its_line() -> None:
    ds = build_notes({"X.md": "---\ntags: [a]\ntype: spaceship\n---\n"})
    assert ttl('vault:x\\#id a vkg:Entity ; prop:type "spaceship" .') <= graph_of(ds, "x")
    assert messages(ds) == [
        "X.md:3: warning: type 'spaceship' is not mapped to a class; using vkg:Entity and keeping the text as "
        "type (add it under 'types' in vaultkg.yaml)"
    ]


def test_a_list_of_types_gives_every_class() -> None:
    ds = build_notes({"X.md": "---\ntype: [person, actor]\n---\n"})
    assert ttl("vault:x\\#id a vkg:Person, vkg:Actor .") <= graph_of(ds, "x")
    assert not any(t.predicate.value.endswith("/property/type") for t in graph_of(ds, "x"))


def test_folder_default_type_applies_only_without_type(defaults) -> None:
    from converters import Config

    cfg = Config.from_mapping({"folders": {"People": "person"}}, base=defaults)
    ds = build_notes({"People/Ann.md": "", "People/Bob.md": "---\ntype: organization\n---\n"}, cfg)
    assert ttl("vault:ann\\#id a vkg:Person .") <= graph_of(ds, "ann")
    assert ttl("vault:bob\\#id a vkg:Organization .") <= graph_of(ds, "bob")
    assert not ttl("vault:bob\\#id a vkg:Person .") <= graph_of(ds, "bob")


def test_same_name_in_two_folders_gets_two_slugs_and_a_warning() -> None:
    ds = build_notes({"Events/Overview.md": "", "Relationships/Overview.md": "", "Overview.md": ""})
    assert ttl('vault:overview vkg:path "Overview.md" .') <= graph_of(ds, "overview")
    assert ttl('vault:overview-events vkg:path "Events/Overview.md" .') <= graph_of(ds, "overview-events")
    assert ttl('vault:overview-relationships vkg:path "Relationships/Overview.md" .') <= graph_of(
        ds, "overview-relationships"
    )
    assert messages(ds) == [
        "Events/Overview.md:1: warning: slug 'overview' is already used by 'Overview.md'; this note "
        "gets 'overview-events' (pin one with 'slug:' in the front matter)",
        "Relationships/Overview.md:1: warning: slug 'overview' is already used by 'Overview.md'; this note "
        "gets 'overview-relationships' (pin one with 'slug:' in the front matter)",
    ]


def test_names_that_differ_only_in_punctuation_collide_deterministically() -> None:
    a = build_notes({"US-Israel.md": "", "US Israel.md": ""})
    b = build_notes({"US Israel.md": "", "US-Israel.md": ""})
    assert a.graphs == b.graphs
    assert ttl('vault:us-israel vkg:path "US Israel.md" .') <= graph_of(a, "us-israel")
    assert ttl('vault:us-israel-2 vkg:path "US-Israel.md" .') <= graph_of(a, "us-israel-2")


def test_front_matter_slug_pins_the_iri_and_wins_a_collision() -> None:
    ds = build_notes({"A/Overview.md": "", "B/Overview.md": "---\nslug: overview\n---\n"})
    assert ttl('vault:overview vkg:path "B/Overview.md" .') <= graph_of(ds, "overview")
    assert ttl('vault:overview-a vkg:path "A/Overview.md" .') <= graph_of(ds, "overview-a")


def test_empty_note_is_a_normal_note() -> None:
    ds = build_notes({"Houthis.md": ""})
    assert graph_of(ds, "houthis") == ttl("""
        vault:houthis a vkg:Note ; rdfs:label "Houthis" ; vkg:path "Houthis.md" ; schema:about vault:houthis\\#id .
        vault:houthis\\#id schema:subjectOf vault:houthis ; rdfs:label "Houthis" ; a vkg:Entity .
    """)


def test_base_changes_every_iri(defaults) -> None:
    from converters import Config

    cfg = Config.from_mapping({"base": "https://kg.example.net/notes/"}, base=defaults)
    ds = build_notes({"Israel.md": ""}, cfg)
    assert "https://kg.example.net/notes/israel" in ds.graphs
    assert ox_triple("https://kg.example.net/notes/israel#id") in {t.subject.value for t in ds.triples()}


def test_base_without_a_final_slash_gets_one(defaults) -> None:
    from converters import Config

    assert Config.from_mapping({"base": "https://kg.example.net/notes"}, base=defaults).base == (
        "https://kg.example.net/notes/"
    )


@pytest.mark.parametrize("base", ["https://kg.example.net/notes#", "ftp://x/", "https://x/a b/", "vault/"])
def test_base_must_be_an_http_iri_ending_in_slash(defaults, base: str) -> None:
    from converters import Config, ConfigError

    with pytest.raises(ConfigError, match="must be an http"):
        Config.from_mapping({"base": base}, base=defaults)


def ox_triple(iri: str) -> str:
    return iri
