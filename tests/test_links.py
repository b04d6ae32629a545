"""Links in the body: every syntax, what is not a link, and Obsidian's resolution rules."""

from __future__ import annotations

import pytest
from conftest import build_notes, graph_of, messages, ttl, vault_graph
from hypothesis import given, settings
from hypothesis import strategies as st

from converters.links import extract_links
from converters.markdown import mask

LINKS_TO = "https://w3id.org/vaultkg#linksTo"


def targets(dataset, slug: str) -> set[str]:
    return {
        t.object.value.removeprefix("https://example.org/vault/").removesuffix("#id")
        for t in graph_of(dataset, slug)
        if t.predicate.value == LINKS_TO
    }


@pytest.mark.parametrize(
    "body",
    [
        "[[Iran]]",
        "[[Iran|the Islamic Republic]]",
        "[[Iran#Nuclear programme]]",
        "[[Iran#^block-1]]",
        "![[Iran]]",
        "[[ Iran ]]",
        "[[iran]]",
        "[[IRAN.md]]",
        "[Iran](Iran.md)",
        "[text](./Iran.md)",
        "[text](<Iran.md>)",
        "[text](Iran.md#History)",
        "[[Countries/Iran]]",
        "[[Countries/Iran.md|x]]",
        "| 2025 | strikes on [[Iran\\|Tehran]] |",
        "- item\n\n    more of the item: [[Iran]]",  # indented under a list item: no code block
        "1. step\n   - sub\n\n\tstill the list [[Iran]]",
        "Text\n    [[Iran]] continues the paragraph",
        "#tag\n    [[Iran]] continues the paragraph after a tag",
        "> quoted\n\n  [[Iran]] with two spaces",
    ],
)
def test_link_syntaxes_resolve_to_the_note(body: str) -> None:
    ds = build_notes({"Countries/Iran.md": "", "Rel/X.md": body + "\n"})
    assert targets(ds, "x") == {"iran"}
    assert ds.unresolved == {}
    assert ds.diagnostics == []


def test_markdown_link_with_relative_path_and_percent_encoding() -> None:
    ds = build_notes({"Folder/X Y.md": "", "Other/X Y.md": "", "Rel/A.md": "[see](../Folder/X%20Y.md)"})
    assert targets(ds, "a") == {"x-y"}
    ds = build_notes({"Folder/X Y.md": "", "Other/X Y.md": "", "Rel/A.md": "[see](../Other/X%20Y.md)"})
    assert targets(ds, "a") == {"x-y-other"}
    assert not any("ambiguous" in m for m in messages(ds))


def test_link_line_is_the_line_in_the_file() -> None:
    links = extract_links("first\n\nsee [[A]] and\n[[B|b]]\n", first_line=5)
    assert [(link.target, link.line) for link in links] == [("A", 7), ("B", 8)]


@pytest.mark.parametrize(
    "body",
    [
        "`[[Hidden]]`",
        "``a `[[Hidden]]` b``",
        "```\n[[Hidden]]\n```",
        "~~~python\n[[Hidden]]\n~~~",
        "````md\n```\n[[Hidden]]\n```\n````",
        "%%[[Hidden]]%%",
        "%%\nmulti-line\n[[Hidden]]\n%%",
        "<!-- [[Hidden]] -->",
        "<!--\n[[Hidden]]\n-->",
        "$$\n[[Hidden]]\n$$",
        "inline $x = [[Hidden]]$ math",
        "[[go across\nlines]]",
        "[[]]",
        "[[|Foo]]",
        "[[Hidden|]]",
        "[[#Heading in this note]]",
        "Text\n\n    [[Hidden]] in an indented code block",
        "\t[[Hidden]] at the start, after a tab",
        "## Heading\n    [[Hidden]] right after a heading",
        "- item\n\nA paragraph ends the list.\n\n    [[Hidden]]\n\n    still code",
        "[[##Heading anywhere]]",  # Obsidian's heading search, typed in the editor
        "[[^^Hidden block text]]",  # its block search: no note name holds a "^"
        "[web](https://example.org/Hidden.md)",
        "[mail](mailto:hidden@example.org)",
        "[[/]] [[../]] [[.md]] [[Hidden/]] [x](../) [y](.md) [z](./)",  # no name at the end: no note
    ],
)
def test_what_is_not_a_link(body: str) -> None:
    ds = build_notes({"Hidden.md": "", "X.md": body + "\n"})
    assert targets(ds, "x") == set()


def test_unclosed_fence_hides_the_rest_like_commonmark() -> None:
    assert mask("```\n[[A]]\n") == "   \n     \n"


def test_code_span_needs_matching_backticks() -> None:
    ds = build_notes({"A.md": "", "X.md": "``not closed` [[A]]\n"})
    assert targets(ds, "x") == {"a"}


def test_link_to_missing_note_gets_future_iri_and_label_in_vault_graph() -> None:
    ds = build_notes({"X.md": "[[Gaza Strip]] and [[gaza strip]] and [[Gaza Strip|Gaza]]"})
    assert targets(ds, "x") == {"gaza-strip"}
    assert ttl('vault:gaza-strip\\#id rdfs:label "Gaza Strip" .') == {
        t for t in vault_graph(ds) if t.subject.value.endswith("gaza-strip#id")
    }
    # the report names each line that links to it once
    assert ds.unresolved["https://example.org/vault/gaza-strip#id"]["links"] == [{"path": "X.md", "line": 1}]


def test_a_link_read_by_two_converters_is_reported_once() -> None:
    # a [[link]] in a milestone row is read by the links and the milestones converters, one in an
    # inline field by the links and the fields converters: one warning and one report line each
    ds = build_notes({
        "A/Dup.md": "", "B/Dup.md": "",
        "X.md": "friend:: [[Dup]]\n\n| Year | Event |\n|---|---|\n| 1900 | Met [[Dup]] and [[Nobody]] |\n"
                "\nSee [[Nobody]].\n",
    })  # fmt: skip
    assert [m for m in messages(ds) if m.startswith("X.md")] == [
        "X.md:1: warning: link 'Dup' matches 2 notes (A/Dup.md, B/Dup.md); using 'A/Dup.md'",
        "X.md:5: warning: link 'Dup' matches 2 notes (A/Dup.md, B/Dup.md); using 'A/Dup.md'",
    ]
    assert ds.unresolved["https://example.org/vault/nobody#id"]["links"] == [
        {"path": "X.md", "line": 5}, {"path": "X.md", "line": 7}]  # fmt: skip


def test_path_in_link_wins_over_name() -> None:
    ds = build_notes({"dir1/Note.md": "", "dir2/Note.md": "", "X.md": "[[dir2/Note]]"})
    assert targets(ds, "x") == {"note-dir2"}
    assert ds.diagnostics[0].code == "slug-collision"
    assert len(ds.diagnostics) == 1


def test_ambiguous_name_warns_names_candidates_prefers_same_folder() -> None:
    ds = build_notes({"dir1/Note.md": "", "dir2/Note.md": "", "dir2/X.md": "\n[[Note]]"})
    assert targets(ds, "x") == {"note-dir2"}
    assert (
        "dir2/X.md:2: warning: link 'Note' matches 2 notes (dir1/Note.md, dir2/Note.md); "
        "using 'dir2/Note.md'" in messages(ds)
    )


def test_ambiguous_name_elsewhere_takes_shortest_then_first_path() -> None:
    ds = build_notes({"b/Note.md": "", "a/Note.md": "", "a/deep/Note.md": "", "X.md": "[[Note]]"})
    assert targets(ds, "x") == {"note"}
    assert graph_of(ds, "note") >= ttl('vault:note vkg:path "a/Note.md" .')


def test_links_resolve_through_aliases_when_no_note_has_the_name() -> None:
    ds = build_notes({"United States.md": "---\naliases: [USA]\n---\n", "X.md": "[[USA]] [[usa]]"})
    assert targets(ds, "x") == {"united-states"}
    assert ds.unresolved == {}


def test_attachments_are_reported_not_entities() -> None:
    ds = build_notes({"X.md": "![[map.png]]\n[[report.pdf|the report]]\n![diagram](img/chart.svg)\n[[Dr. No]]"})
    assert targets(ds, "x") == {"dr-no"}
    assert ds.attachments == [
        {"path": "X.md", "line": 1, "target": "map.png"},
        {"path": "X.md", "line": 2, "target": "report.pdf"},
        {"path": "X.md", "line": 3, "target": "img/chart.svg"},
    ]


def test_self_links_are_left_out() -> None:
    ds = build_notes({"X.md": "[[X]] [[X#Heading]]"})
    assert targets(ds, "x") == set()


def test_links_attach_to_the_thing_not_the_document() -> None:
    ds = build_notes({"A.md": "[[B]]", "B.md": ""})
    assert ttl("vault:a\\#id vkg:linksTo vault:b\\#id .") <= graph_of(ds, "a")
    assert not any(
        t.subject.value == "https://example.org/vault/a" and t.predicate.value == LINKS_TO for t in graph_of(ds, "a")
    )


def test_inline_tags_nested_and_not_in_code_or_headings() -> None:
    ds = build_notes(
        {"X.md": "# Heading\nText #Geo/Asia and #1948 and `#code` and a#b\n#alliance\nhttp://x.org/#frag &#123;"}
    )
    subjects = {t.object.value for t in graph_of(ds, "x") if t.predicate.value.endswith("/subject")}
    assert subjects == {"https://example.org/vault/tag/geo/asia", "https://example.org/vault/tag/alliance"}
    assert ttl('tag:geo\\/asia skos:broader tag:geo ; skos:prefLabel "geo/asia" .') <= vault_graph(ds)


def test_a_link_to_a_heading_is_not_a_tag() -> None:
    body = "See [[#Background]], [below](#method) and [[B#Scope]].\n(#kept) [#also] [[#^block]]\n"
    ds = build_notes({"A.md": body, "B.md": ""})
    subjects = {t.object.value for t in graph_of(ds, "a") if t.predicate.value.endswith("/subject")}
    assert subjects == {"https://example.org/vault/tag/kept", "https://example.org/vault/tag/also"}


_LINES = st.sampled_from(["", "text", "- item", "1. item", "    four", "\tTab", "  two", "# Heading", "> quote",
                          "      six", "  - nested", "| a | b |", "***", "   three"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, min_size=1, max_size=8))
def test_what_is_masked_as_indented_code_is_code_to_commonmark(lines: list[str]) -> None:
    """Checked against markdown-it-py, CommonMark's reference behaviour: a line the mask blanks
    is in a code block there too (never the other way round: a list's lines are kept)."""
    from markdown_it import MarkdownIt

    lines = [f"{line} [[L{i}]]" if line else "" for i, line in enumerate(lines)]
    body = "\n".join(lines)
    code = {i for tok in MarkdownIt("commonmark").parse(body) if tok.type == "code_block" and tok.map
            for i in range(*tok.map)}  # fmt: skip
    masked = mask(body).split("\n")
    assert {i for i, line in enumerate(lines) if line and f"[[L{i}]]" not in masked[i]} <= code


def test_names_that_differ_only_in_case_resolve_as_written() -> None:
    # two notes whose names differ only in case (a case-sensitive file system allows it): a link
    # spelled as one of them leads there without an ambiguity warning; another spelling is ambiguous
    ds = build_notes({"Case.md": "", "case.md": "", "X.md": "[[case]] [[Case]]\n", "Y.md": "[[CASE]]\n"})
    assert targets(ds, "x") == {"case", "case-2"}
    assert [m for m in messages(ds) if m.startswith(("X.md", "Y.md"))] == [
        "Y.md:1: warning: link 'CASE' matches 2 notes (Case.md, case.md); using 'Case.md'"
    ]
