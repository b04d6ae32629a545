"""Reading one file: encodings, line endings, front matter fences and broken YAML."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from converters import Severity
from vaultkg.reader import decode, parse_note


def read(data: bytes, path: str = "N.md"):
    text, problems = decode(data, path)
    if text is None:
        return None, [str(p) for p in problems]
    note, more = parse_note(path, text)
    return note, [str(p) for p in problems + more]


def test_front_matter_keys_know_their_lines() -> None:
    note, problems = read(b"---\ntype: country\naliases:\n  - A\n  - B\n---\n# Body\n")
    assert problems == []
    assert dict(note.front_matter.data) == {"type": "country", "aliases": ["A", "B"]}
    assert note.front_matter.line("type") == 2
    assert note.front_matter.line("aliases", 1) == 5
    assert note.body == "# Body\n" and note.body_line == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            b"---\ntype: country\ntags: [a, b\n---\nbody\n",
            "N.md:4: error: invalid YAML in front matter: did not find expected ',' or ']' (while parsing a "
            "flow sequence that began on line 3); the front matter is ignored",
        ),
        (
            b"---\ntype: country\n\tstatus: x\n---\n",
            "N.md:3: error: invalid YAML in front matter: found a tab character that violates indentation "
            "(while scanning a plain scalar that began on line 2); the front matter is ignored",
        ),
        (b"---\n- a\n- b\n---\n", "N.md:2: error: front matter is a list, not a mapping of keys; it is ignored"),
        (
            b"---\njust words\n---\n",
            "N.md:2: error: front matter is a single value, not a mapping of keys; it is ignored",
        ),
        (
            b"---\ntype: country\nno end\n",
            "N.md:1: error: front matter opened with '---' is never closed; the note is read without it",
        ),
        *(
            (
                text,
                f"N.md:{line}: error: invalid YAML in front matter: '{tag}' inside brackets starts a YAML comment (a "
                "'#' after a space or '[' starts one), so they are never closed; quote it "
                f"(\"{tag}\") or leave out the '#'; the front matter is ignored",
            )
            for text, line, tag in [
                (b"---\ntype: country\ntags: [a, #gulf]\nstatus: x\nother: y\n---\n", 3, "#gulf"),
                (b"---\ntags: [#gulf/east]\n---\n", 2, "#gulf/east"),
                (b'---\nurl: "x.org/#[a, #b]"\ntags: [a, #c, d]\n---\n', 3, "#c"),
            ]
        ),
        (  # a '#' in quotes is no comment: the error is where it is
            b'---\nurl: "x.org/[a, #b]"\nk: [\n---\n',
            "N.md:4: error: invalid YAML in front matter: did not find expected node content; the front matter is "
            "ignored",
        ),
        (
            b"---\nx: !!python/object/apply:os.system ['echo hi']\n---\n",
            "N.md:2: error: invalid YAML in front matter: YAML tag that would build an object is not allowed; "
            "the front matter is ignored",
        ),
    ],
)
def test_broken_front_matter_is_an_error_at_its_line_and_the_body_survives(text: bytes, message: str) -> None:
    note, problems = read(text)
    assert problems == [message]
    assert note is not None and dict(note.front_matter.data) == {}


@pytest.mark.parametrize(
    ("text", "path", "line", "placeholder", "leave_out"),
    [
        (b"---\ndate: {{date}}\n---\n# {{title}}\n", "Templates/Daily.md", 2, "{{date}}", "Templates/"),
        (b'---\ntitle: "{{title}}"\ncreated: {{date:YYYY-MM-DD}}\n---\n', "N.md", 3, "{{date:YYYY-MM-DD}}", "N.md"),
    ],
)
def test_a_template_placeholder_is_named_with_how_to_leave_the_template_out(
    text: bytes, path: str, line: int, placeholder: str, leave_out: str
) -> None:
    # YAML reads {{date}} as a map used as a key ("found unhashable key"), which tells nobody much
    note, problems = read(text, path)
    assert problems == [
        f"{path}:{line}: error: invalid YAML in front matter: '{placeholder}' is a template placeholder, which "
        f'YAML reads as a mapping; if this note is a template, leave it out (exclude: ["{leave_out}"] in '
        "vaultkg.yaml), else quote the value; the front matter is ignored"
    ]
    assert note is not None and dict(note.front_matter.data) == {}


def test_broken_yaml_keeps_the_body_and_its_links() -> None:
    note, _ = read(b"---\ntags: [a\n---\nSee [[Iran]].\n")
    assert note.body == "See [[Iran]].\n" and note.body_line == 4


def test_duplicate_keys_warn_and_the_last_wins() -> None:
    note, problems = read(b"---\nstatus: a\ntype: x\nstatus: b\n---\n")
    assert problems == ["N.md:4: warning: key 'status' appears again (first on line 2); the last value wins"]
    assert note.front_matter.data["status"] == "b"


def test_yaml_alias_bomb_is_refused_without_expanding_it() -> None:
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        bomb += (
            f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, "
            f"*{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        )
    note, problems = read((bomb + "---\nbody\n").encode())
    assert problems == ["N.md:2: error: front matter expands to over 100,000 values (YAML alias bomb?); it is ignored"]
    assert note.body == "body\n"


def test_bom_crlf_and_cr_line_endings() -> None:
    for data in (b"\xef\xbb\xbf---\r\ntype: country\r\n---\r\nA [[B]]\r\n", b"---\rtype: country\r---\rA [[B]]\r"):
        note, problems = read(data)
        assert problems == []
        assert note.front_matter.data == {"type": "country"}
        assert note.body == "A [[B]]\n" and note.body_line == 4


def test_latin1_bytes_are_an_error_with_the_line_and_the_rest_is_kept() -> None:
    note, problems = read("---\ntype: country\n---\nline four\nCaf\xe9 au lait\n".encode("latin-1"))
    assert problems == ["N.md:5: error: invalid UTF-8 (byte 0xe9); undecodable bytes were replaced with U+FFFD"]
    assert note.front_matter.data == {"type": "country"}
    assert "Caf\ufffd au lait" in note.body


def test_binary_file_is_skipped_with_an_error() -> None:
    note, problems = read(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert note is None
    assert problems == ["N.md:3: error: binary data (NUL byte) in a .md file; the file is skipped"]


def test_empty_and_blank_front_matter() -> None:
    for data in (b"", b"---\n---\n", b"---\n\n---\nbody"):
        note, problems = read(data)
        assert problems == [] and dict(note.front_matter.data) == {}


def test_thematic_break_later_in_the_body_is_not_front_matter() -> None:
    note, problems = read(b"Intro\n---\ntype: x\n---\n")
    assert problems == [] and dict(note.front_matter.data) == {} and note.body.startswith("Intro")


def test_non_string_keys_become_strings() -> None:
    note, _ = read(b"---\n2024: good year\ntrue: false\n---\n")
    assert dict(note.front_matter.data) == {"2024": "good year", "true": False}


@pytest.mark.parametrize(
    ("plain", "value"),
    [  # YAML 1.2's core schema, as Obsidian reads front matter; PyYAML's YAML 1.1 in the comments
        ("NO", "NO"),  # False: Norway's country code
        ("no", "no"), ("yes", "yes"), ("on", "on"), ("Off", "Off"), ("y", "y"),  # booleans in 1.1
        ("12:30", "12:30"),  # 750, base 60
        ("1_000", "1_000"),  # 1000
        ("014", 14),  # 12, octal
        ("0o14", 12), ("0x1F", 31), ("-7", -7), ("+7", 7),
        ("true", True), ("FALSE", False), ("~", None), ("null", None),
        ("1.5e3", 1500.0), (".5", 0.5), ("1.", 1.0), ("-.inf", float("-inf")),
        ("2024-01-05", dt.date(2024, 1, 5)), ("2024-02-30", "2024-02-30"), ("1e", "1e"),
    ],
)  # fmt: skip
def test_plain_values_are_read_by_yaml_1_2_as_obsidian_reads_them(plain: str, value: object) -> None:
    note, problems = read(f"---\nk: {plain}\nlist: [{plain}]\n{plain}: key\n---\n".encode())
    assert problems == []
    assert note.front_matter.data["k"] == value and note.front_matter.data["list"] == [value]
    key = str(value).lower() if isinstance(value, bool) else str(value)  # keys become text
    assert note.front_matter.data[key] == "key"


def test_severity_order() -> None:
    assert [s.rank for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)] == [0, 1, 2]


def test_front_matter_over_the_value_limit_is_refused_with_or_without_aliases() -> None:
    """The expanded size is counted only where it can exceed the limit (aliases, or more
    characters than the limit): a long plain front matter is refused as before."""

    text = "---\na: [1, 2, 3]\nb: [4, 5, 6]\n---\nbody\n"  # 8 values, no alias
    assert parse_note("N.md", text, max_yaml=8)[1] == []
    _, problems = parse_note("N.md", text, max_yaml=7)
    assert [str(p) for p in problems] == [
        "N.md:2: error: front matter expands to over 7 values (YAML alias bomb?); it is ignored"
    ]


def _typed(value: object) -> object:
    """A value with every type spelled out (``1 == True == 1.0`` in Python, not in YAML)."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value).__name__, repr(value))


_SCALARS = ["x", "'quoted'", '"a\\tb"', "1", "0x1F", "1_000", "1.5", ".inf", "true", "no", "null", "~", "2024-02-30",
            "2024-01-05", "2024-01-05T10:00:00Z", "12:30:00", "!!str 5", "!!binary aGk=", "[]", "{}", ""]  # fmt: skip
_YAML_FRAGMENTS = [
    "k: {s}", "k: [{s}, {s}]", "k:\n  - {s}\n  - {s}", "k:\n  a: {s}\n  b: [{s}]", "{s}: v", "k: {s}\nk: {s}",
    "? [a, b]\n: v", "base: &b {{x: 1}}\nm:\n  <<: *b\n  y: {s}", "k: !!set {{a, b}}", "k: !!omap [a: 1, b: 2]",
    "k: [[[[[[{s}]]]]]]", "k: &a {s}\nj: *a", "= : {s}", "k: |\n  text {s}\n",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.tuples(st.sampled_from(_YAML_FRAGMENTS), st.sampled_from(_SCALARS)), min_size=1, max_size=4))
def test_front_matter_is_constructed_as_pyyaml_constructs_it(parts: list[tuple[str, str]]) -> None:
    """Plain maps, lists and strings are built by a fast path, the rest by PyYAML: the same
    values, types and errors as PyYAML's own constructor (aliases, merge keys, tags, bad keys)."""
    import yaml

    from vaultkg.reader import _construct, _NoteLoader

    text = "\n".join(fragment.replace("k", f"k{i}").format(s=s) for i, (fragment, s) in enumerate(parts))
    outcomes = []
    for fast in (True, False):
        loader = _NoteLoader(text)
        try:
            node = loader.get_single_node()
            value = _construct(loader, node, aliased=not fast) if node is not None else None
            outcomes.append(("ok", _typed(value)))
        except yaml.YAMLError as exc:
            outcomes.append(("error", str(exc)))
        finally:
            loader.dispose()
    assert outcomes[0] == outcomes[1]


def test_unquoted_wikilinks_in_front_matter_are_read_as_links_with_a_warning() -> None:
    note, problems = read(
        b'---\nrelated: [[Sweden]]\nactors:\n  - [[Norway]]\n  - [[Sweden|Sv]]\nok: "[[Iran]]"\n---\n'
    )
    assert dict(note.front_matter.data) == {
        "related": "[[Sweden]]",
        "actors": ["[[Norway]]", "[[Sweden|Sv]]"],
        "ok": "[[Iran]]",
    }
    assert problems == [
        f"N.md:{line}: warning: {key}: [[{target}]] without quotes is a list inside a list to YAML; read as the "
        f'link "[[{target}]]" (quote it so that other tools read it as a link too)'
        for line, key, target in [(2, "related", "Sweden"), (4, "actors", "Norway"), (5, "actors", "Sweden|Sv")]
    ]
    assert note.front_matter.line("actors", 1) == 5


@pytest.mark.parametrize(
    ("yaml", "value"),
    [
        ("k: [ [a] ]", [["a"]]),  # spaced: a list in a list meant as one
        ('k: [["a"]]', [["a"]]),  # quoted inside: not how a link is written
        ("k: [[a], [b]]", [["a"], ["b"]]),
        ("k: [[a, b]]", [["a", "b"]]),
        ("k: [[1]]", [[1]]),
        ("k:\n  - - a", [["a"]]),
    ],
)
def test_nested_lists_that_are_not_unquoted_links_stay_lists(yaml: str, value: object) -> None:
    note, problems = read(f"---\n{yaml}\n---\n".encode())
    assert problems == []
    assert note.front_matter.data["k"] == value


def test_a_value_that_begins_with_a_hash_is_a_yaml_comment_and_says_so() -> None:
    note, problems = read(
        b"---\ntags: #journal\nstatus: # to do\nlist:\n  - #a\n  - b\nnested:\n  k: #d\n"
        b'ok: "#e"\nempty:\nlater: x # a remark\n---\nBody #tag\n'
    )
    assert dict(note.front_matter.data) == {
        "tags": None, "status": None, "list": [None, "b"], "nested": {"k": None}, "ok": "#e", "empty": None,
        "later": "x",
    }  # fmt: skip
    hint = "is a YAML comment (a '#' after a space starts one), so it holds no value; quote it"
    assert problems == [
        f"N.md:2: warning: tags: '#journal' {hint} (\"#journal\") or leave out the '#'",
        f"N.md:5: warning: an item of list, '#a', {hint} (\"#a\") or leave out the '#'",
        f"N.md:8: warning: nested.k: '#d' {hint} (\"#d\") or leave out the '#'",
    ]


def test_the_yaml_comment_is_found_after_text_in_other_scripts() -> None:
    _, problems = read("---\ntitle: Café ☕ 日本語\ntags: #journal\n---\n".encode())
    assert [p.split(": warning: ")[0] for p in problems] == ["N.md:3"]
    assert "'#journal'" in problems[0]
