"""Front matter: every YAML type, aliases, actors, wikidata, dates, other keys, key rules."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import build_notes, graph_of, messages, ttl, vault_graph

from converters import Config


def fm(yaml: str, body: str = "") -> str:
    return f"---\n{yaml}\n---\n{body}"


def test_every_yaml_scalar_type_becomes_a_typed_literal() -> None:
    ds = build_notes(
        {
            "X.md": fm(
                "name: Plain text\ncount: 42\nratio: 0.25\nbig: 1.0e+999\nsci: 1e999\nflag: true\nday: 2024-10-26\n"
                "stamp: 2025-11-03T09:30:00\nquoted: '2024'\nempty:\nnothing: null"
            )
        }
    )
    assert ttl("""
        vault:x\\#id prop:name "Plain text" ; prop:count 42 ; prop:ratio "0.25"^^xsd:double ;
            prop:big "INF"^^xsd:double ; prop:sci "INF"^^xsd:double ; prop:flag true ; prop:day "2024-10-26"^^xsd:date ;
            prop:stamp "2025-11-03T09:30:00"^^xsd:dateTime ; prop:quoted "2024" .
    """) <= graph_of(ds, "x")
    props = {t.predicate.value.rsplit("/", 1)[1] for t in graph_of(ds, "x") if "/property/" in t.predicate.value}
    assert props == {"name", "count", "ratio", "big", "sci", "flag", "day", "stamp", "quoted"}  # nulls give nothing
    assert ds.diagnostics == []


def test_lists_give_one_triple_per_item() -> None:
    ds = build_notes({"X.md": fm("terms: [2017-2021, 2025-]\nscores: [1, 2]")})
    assert ttl('vault:x\\#id prop:terms "2017-2021", "2025-" ; prop:scores 1, 2 .') <= graph_of(ds, "x")


def test_nested_maps_become_nodes_of_the_note_not_blank_nodes() -> None:
    ds = build_notes({"X.md": fm("office:\n  city: Tel Aviv\n  staff: [3, 4]\n  head:\n    name: Ann")})
    assert ttl("""
        vault:x\\#id prop:office <https://example.org/vault/x#fm/office> .
        <https://example.org/vault/x#fm/office> prop:city "Tel Aviv" ; prop:staff 3, 4 ;
            prop:head <https://example.org/vault/x#fm/office/head> .
        <https://example.org/vault/x#fm/office/head> prop:name "Ann" .
    """) <= graph_of(ds, "x")


def test_keys_are_kept_as_written_and_percent_encoded_only_where_needed() -> None:
    ds = build_notes({"X.md": fm('based_in: Tel Aviv\n"Start Date": 2020\nÉtat: libre')})
    assert ttl("""
        vault:x\\#id <https://example.org/vault/property/based_in> "Tel Aviv" ;
            <https://example.org/vault/property/Start%20Date> 2020 ;
            <https://example.org/vault/property/État> "libre" .
    """) <= graph_of(ds, "x")


@pytest.mark.parametrize(
    "yaml",
    [
        "aliases: [State of Israel, Holy Land]",
        "aliases:\n  - State of Israel\n  - Holy Land",
        "alias: [State of Israel, Holy Land]",
        "aliases: State of Israel, Holy Land",  # a string of names, as Obsidian and Quartz split it
        "alias: 'State of Israel,Holy Land, '",
        'aliases: ["[[State of Israel]]", Holy Land]',  # a name written as a link is the name
    ],
)
def test_aliases_list_or_legacy_alias(yaml: str) -> None:
    ds = build_notes({"Israel.md": fm(yaml)})
    assert ttl('vault:israel\\#id skos:altLabel "State of Israel", "Holy Land" .') <= graph_of(ds, "israel")


def test_alias_as_a_single_string() -> None:
    ds = build_notes({"Israel.md": fm("aliases: State of Israel")})
    assert ttl('vault:israel\\#id skos:altLabel "State of Israel" .') <= graph_of(ds, "israel")


def test_aliases_of_a_string_resolve_links_and_a_listed_name_keeps_its_comma() -> None:
    ds = build_notes({
        "Israel.md": fm("aliases: State of Israel, Holy Land"),
        "Washington.md": fm('aliases: ["Washington, D.C."]'),
        "Trip.md": "To [[Holy Land]] and [[Washington, D.C.]].",
    })  # fmt: skip
    assert ttl("vault:trip\\#id vkg:linksTo vault:israel\\#id, vault:washington\\#id .") <= graph_of(ds, "trip")
    labels = {t.object.value for g in ds.graphs.values() for t in g if t.predicate.value.endswith("altLabel")}
    assert labels == {"State of Israel", "Holy Land", "Washington, D.C."}


def test_actors_resolve_by_name_alias_or_link_case_insensitively() -> None:
    ds = build_notes(
        {
            "Countries/United States.md": fm("type: country\naliases: [US, USA]"),
            "Countries/Israel.md": fm("type: country"),
            "Rel/A.md": fm("type: relationship\nactors: [united states, ISRAEL]\nstatus: strong alliance"),
            "Rel/B.md": fm('type: relationship\nactors: ["[[Israel]]", "[[United States|the US]]"]'),
            "Rel/C.md": fm("type: relationship\nparticipants: [USA, Israel]"),
        }
    )
    for slug in "abc":
        assert ttl(f"vault:{slug}\\#id vkg:actor vault:united-states\\#id, vault:israel\\#id .") <= graph_of(ds, slug)
    assert ttl('vault:a\\#id a vkg:Relationship ; vkg:status "strong alliance" .') <= graph_of(ds, "a")
    assert ds.unresolved == {}


def test_actor_without_a_note_keeps_its_future_iri_and_a_label() -> None:
    ds = build_notes({"Rel.md": fm("actors: [Gaza Strip]")})
    assert ttl("vault:rel\\#id vkg:actor vault:gaza-strip\\#id .") <= graph_of(ds, "rel")
    assert ttl('vault:gaza-strip\\#id rdfs:label "Gaza Strip" .') <= vault_graph(ds)
    assert list(ds.unresolved) == ["https://example.org/vault/gaza-strip#id"]
    assert ds.unresolved["https://example.org/vault/gaza-strip#id"]["links"] == [{"path": "Rel.md", "line": 2}]


def test_ambiguous_actor_name_warns_and_picks_deterministically() -> None:
    ds = build_notes(
        {
            "A/Georgia.md": fm("type: country"),
            "B/Georgia.md": fm("type: place"),
            "Rel.md": fm("type: relationship\nactors:\n  - Georgia"),
        }
    )
    assert ttl("vault:rel\\#id vkg:actor vault:georgia\\#id .") <= graph_of(ds, "rel")
    assert (
        "Rel.md:4: warning: 'Georgia' matches 2 notes (A/Georgia.md, B/Georgia.md); using 'A/Georgia.md'"
        in messages(ds)
    )


@pytest.mark.parametrize(
    "value",
    [
        "Q801",
        "wd:Q801",
        "http://www.wikidata.org/entity/Q801",
        "https://www.wikidata.org/wiki/Q801",
        "https://wikidata.org/wiki/Q801",
    ],
)
def test_wikidata_forms(value: str) -> None:
    ds = build_notes({"Israel.md": fm(f"wikidata: {value}")})
    assert ttl("vault:israel\\#id owl:sameAs wd:Q801 .") <= graph_of(ds, "israel")
    assert ds.diagnostics == []


@pytest.mark.parametrize("value", ["Q0", "P31", "Q12x", "https://example.org/Q801"])
def test_bad_wikidata_is_an_error_at_its_line_and_kept_as_text(value: str) -> None:
    ds = build_notes({"Israel.md": fm(f"type: country\nwikidata: {value}")})
    assert messages(ds) == [
        f"Israel.md:3: error: wikidata: '{value}' is not a Wikidata item (expected Q123, wd:Q123 "
        "or a wikidata.org entity URL); kept as text"
    ]
    assert ttl(f'vault:israel\\#id prop:wikidata "{value}" .') <= graph_of(ds, "israel")
    assert not any(t.predicate.value.endswith("#sameAs") for t in graph_of(ds, "israel"))


def test_created_and_updated_go_on_the_document_typed() -> None:
    ds = build_notes({"X.md": fm("created: 2025-01-12\nupdated: 2025-11-03T09:30:00")})
    assert ttl("""vault:x dcterms:created "2025-01-12"^^xsd:date ;
                  dcterms:modified "2025-11-03T09:30:00"^^xsd:dateTime .""") <= graph_of(ds, "x")


def test_created_that_is_no_date_warns_and_keeps_the_text() -> None:
    ds = build_notes({"X.md": fm("created: last tuesday")})
    assert ttl('vault:x dcterms:created "last tuesday" .') <= graph_of(ds, "x")
    assert messages(ds) == ["X.md:2: warning: created: 'last tuesday' is not a valid date; kept as text"]


def test_impossible_date_is_not_a_crash() -> None:
    ds = build_notes({"X.md": fm("created: 2024-02-30")})
    assert ttl('vault:x dcterms:created "2024-02-30" .') <= graph_of(ds, "x")
    assert messages(ds) == ["X.md:2: warning: created: '2024-02-30' is not a valid date; kept as text"]


def test_date_of_an_event_is_its_start_date_elsewhere_a_property() -> None:
    ds = build_notes(
        {
            "Accords.md": fm("type: event\ndate: 2020-09-15"),
            "Memo.md": fm("type: topic\ndate: 2020-09-15"),
        }
    )
    assert ttl('vault:accords\\#id schema:startDate "2020-09-15"^^xsd:date .') <= graph_of(ds, "accords")
    assert ttl('vault:memo\\#id prop:date "2020-09-15"^^xsd:date .') <= graph_of(ds, "memo")


@pytest.mark.parametrize(("start", "end"), [("start", "end"), ("start_date", "end_date"), ("Start", "End_Date")])
def test_start_and_end_of_an_event_note_are_its_dates_elsewhere_properties(start: str, end: str) -> None:
    ds = build_notes(
        {
            "Talks.md": fm(f"type: event\n{start}: 1843-07\n{end}: 1843-09-01"),
            "Plan.md": fm(f"type: topic\n{start}: 1843-07"),
        }
    )
    assert ttl("""vault:talks\\#id schema:startDate "1843-07"^^xsd:gYearMonth ;
                  schema:endDate "1843-09-01"^^xsd:date .""") <= graph_of(ds, "talks")
    assert ttl(f'vault:plan\\#id prop:{start} "1843-07" .') <= graph_of(ds, "plan")
    assert not any("/property/" in t.predicate.value for t in graph_of(ds, "talks"))
    assert ds.diagnostics == []


def test_link_value_of_any_key_becomes_an_iri() -> None:
    ds = build_notes({"Hamas.md": fm('based_in: "[[Gaza Strip]]"\nmotto: "not [[a link]] here"'), "Gaza Strip.md": ""})
    assert ttl("""vault:hamas\\#id prop:based_in vault:gaza-strip\\#id ;
                  prop:motto "not [[a link]] here" .""") <= graph_of(ds, "hamas")


def test_config_key_rules_entity_date_and_document(defaults) -> None:
    cfg = Config.from_mapping(
        {
            "keys": {
                "based_in": {"kind": "entity"},
                "born": {"kind": "date", "property": "schema:birthDate"},
                "source_file": {"property": "https://example.org/terms/sourceFile", "subject": "document"},
            }
        },
        base=defaults,
    )
    ds = build_notes({"Lebanon.md": "", "Hezbollah.md": fm("based_in: lebanon\nborn: 1982\nsource_file: x.pdf")}, cfg)
    assert ttl("""
        vault:hezbollah\\#id prop:based_in vault:lebanon\\#id ; schema:birthDate "1982"^^xsd:gYear .
        vault:hezbollah <https://example.org/terms/sourceFile> "x.pdf" .
    """) <= graph_of(ds, "hezbollah")


def test_url_kind_makes_web_clipper_sources_iris(defaults) -> None:
    cfg = Config.from_mapping(
        {
            "keys": {
                "source": {"kind": "url", "property": "schema:url", "subject": "document"},
                "author": {"kind": "entity", "property": "schema:author"},
                "published": {"kind": "date", "property": "schema:datePublished", "subject": "document"},
            }
        },
        base=defaults,
    )
    clip = fm('source: "https://news.example.com/a?id=1&x=2"\nauthor:\n  - "[[Jane Doe]]"\npublished: 2024-05-01')
    ds = build_notes({"Clip.md": clip, "Bad.md": fm("source: see the PDF\nmirrors: [http://a.example/x]")}, cfg)
    assert ttl("""
        vault:clip schema:url <https://news.example.com/a?id=1&x=2> ; schema:datePublished "2024-05-01"^^xsd:date .
        vault:clip\\#id schema:author vault:jane-doe\\#id .
    """) <= graph_of(ds, "clip")
    assert ttl('vault:bad schema:url "see the PDF" .') <= graph_of(ds, "bad")
    assert messages(ds) == ["Bad.md:2: warning: source: 'see the PDF' is not a valid http(s) IRI; kept as text"]


def test_tags_in_front_matter_list_comma_string_and_single() -> None:
    ds = build_notes(
        {
            "A.md": fm("tags: [alliance, Middle-East/Levant]"),
            "B.md": fm("tags: alliance, us"),
            "C.md": fm("tag: '#alliance'"),
        }
    )
    assert ttl("vault:a dcterms:subject tag:alliance, tag:middle-east\\/levant .") <= graph_of(ds, "a")
    assert ttl("vault:b dcterms:subject tag:alliance, tag:us .") <= graph_of(ds, "b")
    assert ttl("vault:c dcterms:subject tag:alliance .") <= graph_of(ds, "c")
    assert ttl("""
        tag:middle-east\\/levant a skos:Concept ; skos:prefLabel "middle-east/levant" ; skos:broader tag:middle-east .
        tag:middle-east a skos:Concept ; skos:prefLabel "middle-east" .
        tag:alliance a skos:Concept ; skos:prefLabel "alliance" .
    """) <= vault_graph(ds)


def test_recursive_yaml_stops_with_one_warning() -> None:
    ds = build_notes({"X.md": fm("rec: &r [1, *r]\ndeep: [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]")})
    assert ttl("vault:x\\#id prop:rec 1 .") <= graph_of(ds, "x")
    assert messages(ds) == [
        "X.md:2: warning: rec: the value refers to itself (a YAML anchor inside its own value); "
        "the deeper part is left out",
        "X.md:3: warning: deep: the value is nested deeper than 16 levels; the deeper part is left out",
    ]


def test_empty_key_is_reported_not_turned_into_a_property() -> None:
    ds = build_notes({"X.md": fm('"": lost\nkept: yes')})
    assert messages(ds) == ["X.md:2: warning: a front-matter key is empty; its value is left out (give the key a name)"]
    assert not any(t.predicate.value == "https://example.org/vault/property/" for t in graph_of(ds, "x"))


def test_two_notes_claiming_one_qid_warn_naming_each_other() -> None:
    ds = build_notes(
        {"A/Israel.md": fm("wikidata: Q801"), "B/State of Israel.md": fm("type: country\nwikidata: wd:Q801")}
    )
    assert messages(ds) == [
        "A/Israel.md:2: warning: Q801 is also claimed by B/State of Israel.md",
        "B/State of Israel.md:3: warning: Q801 is also claimed by A/Israel.md",
    ]


def test_unquoted_links_in_front_matter_resolve_like_quoted_ones() -> None:
    ds = build_notes(
        {
            "Sweden.md": fm("type: country"),
            "Norway.md": fm("type: country"),
            "Rel.md": fm(
                "type: relationship\nactors:\n  - [[Sweden]]\n  - [[Norway|the Norwegians]]\nrelated: [[Sweden]]"
            ),
        }
    )
    assert ttl("""vault:rel\\#id vkg:actor vault:sweden\\#id , vault:norway\\#id ;
                  prop:related vault:sweden\\#id .""") <= graph_of(ds, "rel")
    assert not any('"Sweden"' in str(t) for t in graph_of(ds, "rel"))


@pytest.mark.parametrize("yaml", ["tags: [[gulf]]", 'tags: ["[[gulf]]"]', "tags:\n  - [[gulf]]"])
def test_a_tag_written_as_a_link_is_the_tag(yaml: str) -> None:
    ds = build_notes({"N.md": fm(yaml)})
    assert ttl("vault:n dcterms:subject tag:gulf .") <= graph_of(ds, "n")
    assert not any("%5B" in str(t) for t in vault_graph(ds))


def test_dot_segments_of_a_tag_are_encoded_so_its_iri_stays_under_the_base() -> None:
    ds = build_notes({"N.md": fm('tags: ["../../up", "a/../b", "x/./y"]')})
    tags = {t.object.value for t in graph_of(ds, "n") if t.predicate.value.endswith("/subject")}
    base = "https://example.org/vault/tag/"
    assert tags == {base + ".%2E/.%2E/up", base + "a/.%2E/b", base + "x/%2E/y"}
    broader = {(t.subject.value, t.object.value) for t in vault_graph(ds) if t.predicate.value.endswith("broader")}
    assert (base + "a/.%2E/b", base + "a/.%2E") in broader and (base + "a/.%2E", base + "a") in broader
    for iri in {i for pair in broader for i in pair} | tags:  # no "." or ".." segment to be removed
        assert not {".", ".."} & set(iri.removeprefix(base).split("/")), iri


def test_a_string_of_several_names_or_links_gives_each() -> None:
    notes = {name: "" for name in ("United States.md", "Israel.md", "Iran.md", "Washington, D.C..md")}
    ds = build_notes({
        **notes,
        "R.md": fm("type: relationship\nactors: United States, Israel\nallies: \"[[Israel]], [[Iran|IR, Persia]]\"\n"
                   "based_in: Washington, D.C.\nfoes: United States, Hamas\nmotto: Peace, order"),
    })  # fmt: skip
    assert ttl("""
        vault:r\\#id vkg:actor vault:united-states\\#id, vault:israel\\#id ;
            prop:allies vault:israel\\#id, vault:iran\\#id ; prop:motto "Peace, order" .
    """) <= graph_of(ds, "r")
    assert ttl('vault:r\\#id prop:based_in "Washington, D.C." ; prop:foes "United States, Hamas" .') <= graph_of(
        ds, "r"
    )
    assert messages(ds) == []  # based_in, foes and motto are plain keys: their text stays as written


def test_an_actor_string_that_names_no_note_warns_and_is_kept() -> None:
    front = "type: relationship\nactors: United States, Hamas\nparticipants: Washington, D.C."
    ds = build_notes({"United States.md": "", "Israel.md": "", "R.md": fm(front)})
    expected = "vault:r\\#id vkg:actor vault:united-states-hamas\\#id, vault:washington-d-c\\#id ."
    assert ttl(expected) <= graph_of(ds, "r")
    assert messages(ds) == [
        "R.md:3: warning: actors: 'United States, Hamas' names no note; if it lists several, write them as a list: "
        "[United States, Hamas]",
        "R.md:4: warning: participants: 'Washington, D.C.' names no note; if it lists several, write them as a "
        "list: [Washington, D.C.]",
    ]


def test_a_number_only_tag_is_a_warning_at_its_line_not_dropped_silently() -> None:
    ds = build_notes({"N.md": "---\ntags:\n  - review\n  - 2024\n  - '#1990, y2k'\n---\nBody #2025 text\n"})
    assert ttl("vault:n dcterms:subject tag:review , tag:y2k .") <= graph_of(ds, "n")
    assert [m for m in messages(ds) if "not a tag" in m] == [
        "N.md:4: warning: tags: '2024' is not a tag (a tag needs a letter: Obsidian takes no number-only tag); "
        "it is left out",
        "N.md:5: warning: tags: '#1990' is not a tag (a tag needs a letter: Obsidian takes no number-only tag); "
        "it is left out",
    ]  # an inline #2025 is prose (a number), as in Obsidian: no warning


def test_a_number_named_as_an_actor_is_the_name_of_a_thing() -> None:
    # a book called 1984, a year note: under an entity key a number is a name, not a literal
    ds = build_notes({"R.md": "---\ntype: relationship\nactors: [1984, Oceania]\n---\n", "1984.md": ""})
    assert ttl("vault:r\\#id vkg:actor vault:1984\\#id , vault:oceania\\#id .") <= graph_of(ds, "r")
    assert not [
        t for t in graph_of(ds, "r") if t.predicate.value.endswith("#actor") and isinstance(t.object, ox.Literal)
    ]
