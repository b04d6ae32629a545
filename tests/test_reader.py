"""Reading one file: encodings, line endings, front matter fences and broken YAML."""

from __future__ import annotations

import pytest

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
    note, _ = read(b"---\n2024: good year\ntrue: yes\n---\n")
    assert dict(note.front_matter.data) == {"2024": "good year", "true": True}


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
