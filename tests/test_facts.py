"""Facts inside notes: milestone tables, dated bullets, sources, inline fields, mentions, body
text and the line map — exact triples for each case."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import BASE, build_notes, graph_of, make_note, messages, ttl, vault_graph
from hypothesis import given, settings
from hypothesis import strategies as st
from test_validation import lines_of

from converters import Config
from converters.dates import parse_date_expression

EVENT = "https://w3id.org/vaultkg#Event"
MILESTONE = "https://w3id.org/vaultkg#milestone"


def events(dataset, slug: str) -> dict[str, dict[str, set[str]]]:
    """Event IRI → {predicate local name → set of object texts} for the events of a note."""
    g = graph_of(dataset, slug)
    ids = {t.object.value for t in g if t.predicate.value == MILESTONE}
    out: dict[str, dict[str, set[str]]] = {i: {} for i in ids}
    for t in g:
        if t.subject.value in ids:
            key = t.predicate.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            value = t.object.value if isinstance(t.object, ox.NamedNode) else f"{t.object.value}^^{_dt(t.object)}"
            out[t.subject.value].setdefault(key, set()).add(value)
    return out


def _dt(lit: ox.Literal) -> str:
    return lit.datatype.value.rsplit("#", 1)[-1]


def by_description(dataset, slug: str) -> dict[str, dict[str, set[str]]]:
    return {
        next(iter(e["description"])).split("^^")[0]: e for e in events(dataset, slug).values() if "description" in e
    }


TABLE = """---
type: relationship
---
# R

## Key Milestones
| Year | Event |
|------|-------|
| 1948 | Founding of [[Israel]] |
| June 2025 | Joint strikes on [[Iran\\|Tehran]] |
| 2024-10-26 | Strikes on air defences |
| 2017-20 | Embassy move and [[Abraham Accords]] |
| 2017–2020 | En dash range |
| 1979-1980 | Four-digit range |
| 1990s | A decade |
| c. 1950 | Circa |
| 1990s–2000s | Two decades |
| Cold War | Not a date |
"""


def test_milestone_rows_become_events_at_their_true_granularity() -> None:
    ds = build_notes({"R.md": TABLE, "Israel.md": "", "Iran.md": "", "Abraham Accords.md": ""})
    ev = by_description(ds, "r")
    assert ev["Founding of Israel"]["startDate"] == {"1948^^gYear"}
    assert ev["Founding of Israel"]["involves"] == {"https://example.org/vault/israel#id"}
    assert ev["Founding of Israel"]["label"] == {"1948: Founding of Israel^^string"}
    assert ev["Joint strikes on Tehran"]["startDate"] == {"2025-06^^gYearMonth"}
    assert ev["Joint strikes on Tehran"]["involves"] == {"https://example.org/vault/iran#id"}
    assert ev["Strikes on air defences"]["startDate"] == {"2024-10-26^^date"}
    assert "involves" not in ev["Strikes on air defences"]
    for desc in ("Embassy move and Abraham Accords", "En dash range"):
        assert (ev[desc]["startDate"], ev[desc]["endDate"]) == ({"2017^^gYear"}, {"2020^^gYear"})
    assert (ev["Four-digit range"]["startDate"], ev["Four-digit range"]["endDate"]) == (
        {"1979^^gYear"},
        {"1980^^gYear"},
    )
    assert ev["A decade"]["startDate"] == {"1990^^gYear"} and ev["A decade"]["endDate"] == {"1999^^gYear"}
    assert ev["A decade"]["dateText"] == {"1990s^^string"}
    assert ev["Circa"]["startDate"] == {"1950^^gYear"} and ev["Circa"]["dateText"] == {"c. 1950^^string"}
    assert (ev["Two decades"]["startDate"], ev["Two decades"]["endDate"]) == ({"1990^^gYear"}, {"2009^^gYear"})
    assert ev["Two decades"]["dateText"] == {"1990s–2000s^^string"}
    assert "startDate" not in ev["Not a date"]
    assert {e["type"].pop() for e in ev.values()} == {EVENT}
    assert messages(ds) == ["R.md:18: warning: milestone date 'Cold War' is not a date; the row is kept without one"]


def test_event_iris_survive_added_and_reordered_rows() -> None:
    head = "| Date | What |\n|---|---|\n"
    a = build_notes({"R.md": head + "| 1973 | Airlift |\n| 1979 | Treaty |\n"})
    b = build_notes({"R.md": "Intro\n\n" + head + "| 1981 | New row |\n| 1979 | Treaty |\n| 1973 | Airlift |\n"})
    ids_a, ids_b = set(events(a, "r")), set(events(b, "r"))
    assert len(ids_a) == 2 and ids_a < ids_b
    assert all(i.startswith("https://example.org/vault/r#event-19") for i in ids_b)


@pytest.mark.parametrize("header", ["📅 Date (approx.)", "**Year(s)**", "When?", "Year"])
def test_a_date_column_may_carry_emoji_marks_or_a_remark(header: str) -> None:
    ds = build_notes({"R.md": f"| {header} | What happened |\n|---|---|\n| 1948 | Founding |\n"})
    assert by_description(ds, "r")["Founding"]["startDate"] == {"1948^^gYear"}


def test_a_milestone_table_or_dated_bullet_in_a_callout_is_one_too() -> None:
    body = ("> [!info] Timeline\n> | Year | Event |\n> |---|---|\n> | 1948 | Founding of [[Israel]] |\n\n"
            "> [!note]- Folded\n> > - 1967: Six-Day War\n\nA > B is no quote.\n")  # fmt: skip
    ev = by_description(build_notes({"R.md": body, "Israel.md": ""}), "r")
    assert set(ev) == {"Founding of Israel", "Six-Day War"}
    assert ev["Founding of Israel"]["involves"] == {"https://example.org/vault/israel#id"}
    assert ev["Six-Day War"]["startDate"] == {"1967^^gYear"}


def test_an_obsidian_block_id_is_no_part_of_an_item() -> None:
    body = (
        "- 1948: Founding ^founding\n- 1967: War on 5^2 fronts\n\n## Sources\n- [Pub - T](https://example.org/a) ^s1\n"
    )
    ds = build_notes({"R.md": body})
    assert set(by_description(ds, "r")) == {"Founding", "War on 5^2 fronts"}
    assert not any("^s1" in t.object.value for t in graph_of(ds, "r") if t.predicate.value.endswith("comment"))


def test_tables_that_are_not_milestone_tables_are_listed() -> None:
    ds = build_notes({"X.md": "# X\n\n| Branch | Size |\n|---|---|\n| Navy | 9,500 |\n"})
    assert events(ds, "x") == {}
    assert ds.notices == [{"kind": "table", "path": "X.md", "line": 3, "header": ["Branch", "Size"], "rows": 1}]


def test_text_column_is_chosen_by_name_and_links_in_any_cell_are_involved() -> None:
    ds = build_notes({"R.md": "| Who | When | Description |\n|---|---|---|\n| [[Ann]] | 2001 | Met [[Bob]] |\n"})
    (ev,) = events(ds, "r").values()
    assert ev["description"] == {"Met Bob^^string"} and ev["startDate"] == {"2001^^gYear"}
    assert ev["involves"] == {"https://example.org/vault/ann#id", "https://example.org/vault/bob#id"}


@pytest.mark.parametrize(
    ("text", "start", "end", "exact"),
    [
        ("1948", "1948", None, True),
        ("Apr 2024", "2024-04", None, True),
        ("Sept. 2024", "2024-09", None, True),
        ("26 October 2024", "2024-10-26", None, True),
        ("October 26, 2024", "2024-10-26", None, True),
        ("1998-99", "1998", "1999", True),
        ("June–July 2025", "2025-06", "2025-07", True),
        ("2025-", "2025", None, False),
        ("mid-2023", "2023", None, False),
        ("Q1 2024", "2024-01", "2024-03", False),
        ("2020s", "2020", "2029", False),
        ("2024-10-01 – 2024-10-26", "2024-10-01", "2024-10-26", True),  # a dash among dashes
        ("2024-10 - 2025-02", "2024-10", "2025-02", True),
        ("1973-10-06/1973-10-25", "1973-10-06", "1973-10-25", True),  # an ISO 8601 interval
        ("2019/2020", "2019", "2020", True),
        ("1973/74", "1973", "1974", True),
        ("Oct 2024 until Jan 2025", "2024-10", "2025-01", True),
    ],
)
def test_date_expressions(text: str, start: str, end: str | None, exact: bool) -> None:
    span = parse_date_expression(text)
    assert (span.start.value, span.end.value if span.end else None, span.exact) == (start, end, exact)


@pytest.mark.parametrize("text", ["2020/2019", "10/06/1973", "1 October", "Cold War", "2024-10-01–26"])
def test_what_is_no_date_expression(text: str) -> None:
    assert parse_date_expression(text) is None


def test_year_month_or_range_depends_on_the_column() -> None:
    assert parse_date_expression("2010-11").start.value == "2010-11"
    span = parse_date_expression("2010-11", prefer_range=True)
    assert (span.start.value, span.end.value) == ("2010", "2011")


def test_dated_bullets_become_events_plain_bullets_do_not() -> None:
    body = "## Iran policy\n- April 2025: Trump opens talks with [[Iran]]\n- 60-day deadline\n- Negotiations fail\n" \
           "- **June 2025**: Joint strikes\n- Obama: JCPOA engagement\n"  # fmt: skip
    ds = build_notes({"R.md": body})
    ev = by_description(ds, "r")
    assert set(ev) == {"Trump opens talks with Iran", "Joint strikes"}
    assert ev["Trump opens talks with Iran"]["startDate"] == {"2025-04^^gYearMonth"}
    assert ev["Trump opens talks with Iran"]["involves"] == {"https://example.org/vault/iran#id"}
    cfg = Config.from_mapping({"dated_bullets": False}, base=_defaults())
    assert events(build_notes({"R.md": body}, cfg), "r") == {}


def test_a_dated_bullet_is_cut_after_its_whole_date() -> None:
    body = ("- 2024-10-01 – 2024-10-26: Talks in Doha\n- 1948 – 1949: War\n- June 2025: Talks – three rounds\n"
            "- __2003__ — Invasion\n")  # fmt: skip
    ev = by_description(build_notes({"R.md": body}), "r")
    assert set(ev) == {"Talks in Doha", "War", "Talks – three rounds", "Invasion"}
    assert (ev["Talks in Doha"]["startDate"], ev["Talks in Doha"]["endDate"]) == (
        {"2024-10-01^^date"}, {"2024-10-26^^date"})  # fmt: skip
    assert (ev["War"]["startDate"], ev["War"]["endDate"]) == ({"1948^^gYear"}, {"1949^^gYear"})
    assert ev["Talks – three rounds"]["startDate"] == {"2025-06^^gYearMonth"}
    assert ev["Invasion"]["startDate"] == {"2003^^gYear"}


def _defaults() -> Config:
    from vaultkg.config import default_config

    return default_config()


SOURCES = """# Note
## Sources
- [Carnegie - US-Israeli Relations Undergoing Shift](https://carnegie.example.org/a?lang=en)
- [Plain title](https://example.org/b) (accessed 2025-01-10)
- <https://example.org/c>
- https://example.org/d, a bare link
- A book without a link, 2019
- [Broken](ftp://example.org/e)

### More
- [Reuters - Nested under Sources](https://example.org/f)

## Related Notes
- [Not a source](https://example.org/g)
"""


def test_sources_become_citations() -> None:
    ds = build_notes({"Note.md": SOURCES, "Carnegie Endowment.md": "---\naliases: [Carnegie]\n---\n"})
    g = graph_of(ds, "note")
    assert (
        ttl("""
        vault:note schema:citation <https://carnegie.example.org/a?lang=en>, <https://example.org/b>,
            <https://example.org/c>, <https://example.org/d>, <https://example.org/f>,
            "A book without a link, 2019", "Broken" .
        <https://carnegie.example.org/a?lang=en> a schema:CreativeWork ;
            schema:name "US-Israeli Relations Undergoing Shift" ;
            schema:publisher vault:carnegie-endowment\\#id .
        <https://example.org/b> a schema:CreativeWork ; schema:name "Plain title" ;
            vkg:accessed "2025-01-10"^^xsd:date .
        <https://example.org/c> a schema:CreativeWork .
        <https://example.org/d> a schema:CreativeWork ; schema:name "a bare link" .
        <https://example.org/f> schema:name "Nested under Sources" ; schema:publisher vault:reuters\\#id .
    """)
        <= g
    )
    assert not any(t.object.value == "https://example.org/g" for t in g)
    assert messages(ds) == [
        "Note.md:8: warning: source URL 'ftp://example.org/e' is not a valid http(s) IRI; the citation is kept as text"
    ]
    assert "https://example.org/vault/reuters#id" in ds.unresolved


def test_a_note_of_the_vault_cited_by_a_link_is_cited_by_its_document_iri() -> None:
    body = ("## Sources\n- [[Clipped Article]]\n- [the report](Reports/Annual%20Report.md)\n- [[Missing Note]]\n"
            "- [gone](Gone.md)\n- ![[chart.png]]\n- [[Clipped Article]] via https://example.org/c\n")  # fmt: skip
    ds = build_notes({"Desk/N.md": body, "Clipped Article.md": "Text.\n", "Desk/Reports/Annual Report.md": ""})
    cited = {t.object for t in graph_of(ds, "n") if t.predicate.value == "https://schema.org/citation"}
    assert {str(c) for c in cited} == {
        "<https://example.org/vault/clipped-article>", "<https://example.org/vault/annual-report>",
        '"Missing Note"', '"gone"', '"chart.png"', "<https://example.org/c>",
    }  # fmt: skip
    assert messages(ds) == []  # a link to a missing note or file is no bad URL
    assert lines_of(ds, {"SourceShape"}) == []  # a cited note has a name of its own


def test_one_url_cited_by_two_notes_is_one_node() -> None:
    ds = build_notes(
        {"A.md": "## Sources\n- [T](https://example.org/x)\n", "B.md": "## References\n- <https://example.org/x>\n"}
    )
    union = ds.triples()
    assert (
        sum(1 for t in union if t.subject.value == "https://example.org/x" and t.predicate.value.endswith("type")) == 1
    )
    assert {t.subject.value for t in union if t.object.value == "https://example.org/x"} == {
        "https://example.org/vault/a", "https://example.org/vault/b"}  # fmt: skip


@pytest.mark.parametrize(
    ("heading", "cited"),
    [
        ("## 📚 Sources", True),
        ("## Source", True),
        ("### 3. References & Further Reading", True),
        ("## Sources and references", True),
        ("## Sources (selected)", True),
        ("## Sources of tension", False),
        ("## Resources", False),
        ("## Sources and Methods", False),
    ],
)
def test_a_sources_heading_may_carry_emoji_numbers_remarks_or_a_second_name(heading: str, cited: bool) -> None:
    ds = build_notes({"A.md": f"{heading}\n- [T](https://example.org/x)\n- 1990: not an event here\n"})
    citations = {t.object.value for t in graph_of(ds, "a") if t.predicate.value == "https://schema.org/citation"}
    assert citations == ({"https://example.org/x", "1990: not an event here"} if cited else set())
    assert bool(events(ds, "a")) is not cited  # a dated item under Sources is a citation, not an event


def test_inline_fields_three_forms_links_and_key_rules() -> None:
    body = "mediator:: [[United States]]\n- founded:: 1982\nText [status:: frozen] and (since:: 2020-09-15).\n" \
           "`code:: not a field`\nallies:: [[A]], [[B]]\n"  # fmt: skip
    ds = build_notes({"X.md": body, "United States.md": ""})
    assert ttl("""
        vault:x\\#id prop:mediator vault:united-states\\#id ; prop:founded 1982 ; vkg:status "frozen" ;
            prop:since "2020-09-15"^^xsd:date ; prop:allies vault:a\\#id, vault:b\\#id .
    """) <= graph_of(ds, "x")
    assert not any("code" in t.predicate.value for t in graph_of(ds, "x"))
    lines = {t.predicate.value.rsplit("/", 1)[-1]: line for t, line in ds.lines["https://example.org/vault/x"]}
    assert (lines["mediator"], lines["founded"], lines["since"], lines["allies"]) == (1, 2, 3, 5)


CLIPPING = """Officials in Jerusalem said Israel Katz met US envoys; Israel's cabinet agreed.
Critics in the US say us and them. The Islamic Revolutionary Guard Corps and the IRGC were named.
Georgia and [[Iran]] were mentioned too. Israeli officials spoke.
"""


def test_mentions_longest_match_case_rules_ambiguity_and_links() -> None:
    notes = {
        "Clip.md": CLIPPING,
        "Israel.md": "",
        "Israel Katz.md": "",
        "United States.md": "---\naliases: [US]\n---\n",
        "IRGC.md": "---\naliases: [Islamic Revolutionary Guard Corps]\n---\n",
        "Iran.md": "",
        "A/Georgia.md": "",
        "B/Georgia.md": "",
    }
    ds = build_notes(notes)
    mentioned = {
        t.object.value.rsplit("/", 1)[-1]: None for t in graph_of(ds, "clip") if t.predicate.value.endswith("mentions")
    }
    assert set(mentioned) == {"israel#id", "israel-katz#id", "united-states#id", "irgc#id"}
    assert ttl("vault:clip schema:mentions vault:israel-katz\\#id .") <= graph_of(ds, "clip")
    assert [n for n in ds.notices if n["kind"] == "ambiguous-mention"] == [
        {
            "kind": "ambiguous-mention",
            "path": "Clip.md",
            "line": 3,
            "name": "Georgia",
            "candidates": ["georgia", "georgia-b"],
        }
    ]
    lines = {
        t.object.value: line
        for t, line in ds.lines["https://example.org/vault/clip"]
        if t.predicate.value.endswith("mentions")
    }
    assert lines["https://example.org/vault/irgc#id"] == 2


def test_mentions_skip_own_subject_and_headings_and_can_be_switched_off() -> None:
    notes = {"Israel.md": "# Israel\nIsrael is small. Iran is not.", "Iran.md": "", "Overview.md": "## Overview\n"}
    ds = build_notes(notes)
    assert {t.object.value for t in graph_of(ds, "israel") if t.predicate.value.endswith("mentions")} == {
        "https://example.org/vault/iran#id"}  # fmt: skip
    assert {t.object.value for t in graph_of(ds, "overview") if t.predicate.value.endswith("mentions")} == set()
    off = Config.from_mapping({"mentions": False}, base=_defaults())
    assert not any(t.predicate.value.endswith("mentions") for t in build_notes(notes, off).triples())


def test_names_linked_or_named_without_a_note_are_mentioned_too() -> None:
    """A thing the vault names but has no note for is a known entity as well: a clipped article
    that names it mentions it (whether other notes link to it, name it as an actor or field value,
    or cite it as a publisher), under the IRI the links give it."""
    notes = {
        "Clip.md": "Egypt and Jordan signed; the Abraham Accords held, not the abraham accords.\n"
        "Reuters and the IRGC reported; a map.png was shown. Iran said no.\n",
        "Relations.md": '---\nactors: [Egypt, "[[Iran]]"]\n---\nSee [[Abraham Accords]] and ![[map.png]].\n'
        "mediator:: Jordan\n\n## Sources\n- [Reuters - A story](https://example.org/story)\n",
        "Iran.md": "---\naliases: [IRGC]\n---\nIran borders Iraq. Egypt is far.\n",
        "Other.md": "Links to [[Iraq]] but no mention of it; Egypt again on line 1.\n",
    }
    ds = build_notes(notes)

    def mentions(slug: str) -> dict[str, int]:
        return {
            t.object.value.removeprefix(BASE): line
            for t, line in ds.lines[BASE + slug]
            if t.predicate.value == "https://schema.org/mentions"
        }

    assert mentions("clip") == {"egypt#id": 1, "abraham-accords#id": 1, "reuters#id": 2, "iran#id": 2}
    assert "jordan#id" not in mentions("clip")  # a plain field value is text, not a name (no entity key)
    assert mentions("iran") == {"iraq#id": 4, "egypt#id": 4}  # its own alias IRGC is its subject
    assert mentions("relations") == {}  # it names Egypt and Iran itself
    assert mentions("other") == {"egypt#id": 1}  # Iraq is linked, not mentioned
    assert ttl('vault:egypt\\#id rdfs:label "Egypt" .') <= vault_graph(ds)
    assert "https://example.org/vault/egypt#id" in ds.unresolved
    assert [slug for _, slug in ds.unwritten] == ["abraham-accords", "egypt", "iraq", "reuters"]
    off = Config.from_mapping({"mentions": False}, base=_defaults())
    assert not any(t.predicate.value.endswith("mentions") for t in build_notes(notes, off).triples())
    assert build_notes(notes, off).unwritten == ()


def test_a_name_without_a_note_longer_than_a_notes_name_is_found_whole() -> None:
    """'Israel Defense Forces' (linked, no note) begins with 'Israel' (a note): the longer name
    wins where the text says it, and the index of notes' names is left as it was."""
    from converters.context import Context
    from converters.mentions import mention_index
    from vaultkg.config import default_config

    notes = {
        "Israel.md": "",
        "Talks.md": "See [[Israel Defense Forces]].",
        "Clip.md": "The Israel Defense Forces and Israel.",
    }
    ds = build_notes(notes)
    mentioned = {
        t.object.value.removeprefix(BASE) for t in graph_of(ds, "clip") if t.predicate.value.endswith("mentions")
    }
    assert mentioned == {"israel-defense-forces#id", "israel#id"}
    index = mention_index(Context([make_note(p, t) for p, t in notes.items()], default_config()))
    wider = index.with_names([("Israel Defense Forces", "israel-defense-forces")])
    text = "The Israel Defense Forces and Israel."
    assert [hit[:2] for hit in wider.find(text)] == [
        ("Israel Defense Forces", {"israel-defense-forces"}),
        ("Israel", {"israel"}),
    ]
    assert [hit[:2] for hit in index.find(text)] == [("Israel", {"israel"}), ("Israel", {"israel"})]


def test_body_text_on_the_document_and_switch() -> None:
    ds = build_notes({"X.md": "---\ntype: country\n---\nBody with [[link]].\n"})
    assert ttl('vault:x schema:text "Body with [[link]].\\n" .') <= graph_of(ds, "x")
    off = Config.from_mapping({"body_text": False}, base=_defaults())
    assert not any(t.predicate.value.endswith("/text") for t in build_notes({"X.md": "Body"}, off).triples())


def test_body_text_leaves_out_obsidian_comments_unless_asked() -> None:
    body = (
        "Seen %%a private remark on [[Someone]]%% here.\n\n%%\nA hidden block\n%%\n\n"
        "`%%in code%%` stays.\n\n```\n%% fenced %%\n```\n\nLast %%unclosed to the end\n"
    )
    ds = build_notes({"X.md": "---\ntype: country\n---\n" + body})
    text = "Seen  here.\\n\\n\\n`%%in code%%` stays.\\n\\n```\\n%% fenced %%\\n```\\n\\nLast "
    assert ttl(f'vault:x schema:text "{text}" .') <= graph_of(ds, "x")
    assert not any("someone" in t.object.value for t in graph_of(ds, "x"))  # no link from a comment, as before
    only = build_notes({"Y.md": "%%\nnothing to publish\n%%\n"})
    assert not any(t.predicate.value.endswith("/text") for t in graph_of(only, "y"))  # nothing left: no text
    kept = build_notes({"X.md": body}, Config.from_mapping({"body_comments": True}, base=_defaults()))
    assert any(t.object.value == body for t in graph_of(kept, "x"))


def test_every_statement_knows_its_line() -> None:
    ds = build_notes({"R.md": TABLE + "\n## Sources\n- <https://example.org/s>\n"})
    lines = ds.lines["https://example.org/vault/r"]
    by_pred = {}
    for t, line in lines:
        by_pred.setdefault(t.predicate.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1], set()).add(line)
    assert by_pred["citation"] == {21}
    assert by_pred["milestone"] == set(range(9, 19))
    assert all(line >= 1 for _, line in lines)


_words = st.sampled_from(
    ["Israel", "israel", "Katz", "US", "us", "U.S.", "Tel", "Aviv", "-", "x_1", "\t", "\x1c", "(", "é"]
)


@settings(max_examples=150, deadline=None)
@given(words=st.lists(_words, max_size=12), glue=st.sampled_from([" ", "", "\n", ", "]))
def test_mentions_in_ascii_text_are_found_as_in_any_text(words: list[str], glue: str) -> None:
    """ASCII text is tokenised by a faster path: the names, slugs and offsets found are the same
    as the general path finds (forced here by a non-ASCII token after the text)."""
    from converters.context import Context
    from converters.mentions import _TOKEN, mention_index, tokens
    from vaultkg.config import default_config
    from vaultkg.reader import parse_note

    names = ["Israel", "Israel Katz", "Tel Aviv", "x_1"]
    notes = [parse_note(f"{n}.md", "---\naliases: [US, U.S.]\n---\n" if n == "Israel" else "")[0] for n in names]
    index = mention_index(Context(notes, default_config()))
    text = glue.join(words)
    found = list(index.find(text))
    if text.isascii():
        assert found == [hit for hit in index.find(text + " \u00e9") if hit[2] < len(text)]
        assert tokens(text) == tuple(m.group().casefold() for m in _TOKEN.finditer(text))  # how names are keyed
    assert all(text[offset : offset + len(surface)] == surface for surface, _, offset in found if " " not in surface)


def test_emphasis_is_left_out_of_descriptions_labels_and_titles() -> None:
    text = (
        "| Year | Event |\n|---|---|\n| **1948** | *Founding* of the `state` and ==a== ~~draft~~ |\n"
        "| 1950 | snake_case and 2*3*4 stay |\n\n"
        "## Sources\n- [Reuters - **Talks** resume](https://example.org/r)\n- Smith (2020). *A Book*.\n"
    )
    ds = build_notes({"R.md": text})
    ev = by_description(ds, "r")
    assert set(ev) == {"Founding of the state and a draft", "snake_case and 2*3*4 stay"}
    assert ev["Founding of the state and a draft"]["label"] == {"1948: Founding of the state and a draft^^string"}
    expected = '<https://example.org/r> schema:name "Talks resume" . vault:r schema:citation "Smith (2020). A Book." .'
    assert ttl(expected) <= graph_of(ds, "r")
