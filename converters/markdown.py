"""A single fast pass over a Markdown body that blanks out what can hold no links or tags.

Fenced and indented code blocks, inline code spans, ``$$`` math blocks, inline ``$math$``, HTML
comments and Obsidian ``%%comments%%`` are replaced by spaces (newlines kept), so every offset and line
number of the masked text is the same as in the original. The link and tag scanners then run
plain regular expressions over the masked text.

Why not markdown-it-py: parsing every body with it costs ~11 s for 10,000 notes here, five
times the whole read-and-scan floor; the constructs that matter for links are few and are
masked here with the CommonMark rules for fence and code-span matching.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from functools import lru_cache

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_MATH_FENCE = re.compile(r"^\s*\$\$")
_BACKTICKS = re.compile(r"`+")
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?=\S)([^$\n]*?\S)\$(?!\d)")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_PERCENT_COMMENT = re.compile(r"%%.*?(?:%%|\Z)", re.S)
# an indented line at the start, after a blank line or after a heading: where code may begin
_INDENTED_AFTER_BLANK = re.compile(r"(?:\A|\n[ \t]*\n|(?:\A|\n) {0,3}#{1,6}(?:[ \t][^\n]*)?\n)(?: {4}|\t| {1,3}\t)")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_LIST_MARKER = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


@lru_cache(maxsize=16)
def mask(body: str) -> str:
    """Blank out code, math and comments, keeping offsets and line breaks.

    >>> mask("a `[[x]]` b")
    'a         b'
    >>> mask("```\\n[[x]]\\n```\\n[[y]]")
    '   \\n     \\n   \\n[[y]]'
    """
    if "%%" not in body:
        text = _mask_code(body)
    else:
        text = _PERCENT_COMMENT.sub(lambda m: _blank(m.group(0)), _mask_code(body))
    if "$" in text:
        text = re.sub(r"\$\$.*?\$\$", lambda m: _blank(m.group(0)), text, flags=re.S)
        text = _INLINE_MATH.sub(lambda m: _blank(m.group(0)), text)
    return text


def without_comments(body: str) -> str:
    """The body without its Obsidian ``%%comments%%`` (which Obsidian hides when it shows a note,
    and Obsidian Publish leaves out); a comment on lines of its own goes with its line break.
    ``%%`` inside code is text, as :func:`mask` has it.

    >>> without_comments("Seen %%not seen%% too.\\n%%\\nhidden\\n%%\\nEnd `%%code%%`")
    'Seen  too.\\nEnd `%%code%%`'
    """
    return _cut(body, _PERCENT_COMMENT.finditer(_mask_code(body))) if "%%" in body else body


def without_html_comments(body: str) -> str:
    """The body without its HTML comments (``<!-- … -->``, which a Markdown renderer hides),
    outside code, as :func:`without_comments` does. For rendering with raw HTML turned off,
    where they would show as text.

    >>> without_html_comments("a <!-- b --> c `<!-- d -->`")
    'a  c `<!-- d -->`'
    """
    return _cut(body, _HTML_COMMENT.finditer(_mask_code_only(body))) if "<!--" in body else body


def _cut(body: str, found: Iterator[re.Match[str]]) -> str:
    """``body`` without the spans ``found`` (in a masked copy of it: the same offsets); a span on
    lines of its own goes with its line break."""
    pieces, at = [], 0
    for m in found:
        start, end = m.span()
        pieces.append(body[at:start])
        at = end + 1 if (start == 0 or body[start - 1] == "\n") and body.startswith("\n", end) else end
    pieces.append(body[at:])
    return "".join(pieces)


@lru_cache(maxsize=16)
def _mask_code(body: str) -> str:
    """:func:`mask` up to the ``%%comments%%`` (code blocks and spans, math blocks, HTML
    comments): what is left is where a comment can start."""
    text = _mask_code_only(body)
    if "<!--" in text:
        text = _HTML_COMMENT.sub(lambda m: _blank(m.group(0)), text)
    return text


def _mask_code_only(body: str) -> str:
    """Code blocks and spans and math blocks blanked out."""
    indented = ("\n    " in body or "\t" in body or body.startswith(" ")) and (
        _INDENTED_AFTER_BLANK.search(body) is not None
    )  # the scan costs ~30 µs a body: only where an indented line can be
    if not indented and not any(c in body for c in "`~$%<"):
        return body
    lines = body.split("\n")
    out: list[str] = []
    fence: str | None = None  # the opening fence while inside a fenced block
    in_math = False
    for line in lines:
        if fence is not None:
            m = _FENCE.match(line)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2).strip():
                fence = None
            out.append(" " * len(line))
            continue
        if in_math:
            if "$$" in line:
                in_math = False
            out.append(" " * len(line))
            continue
        m = _FENCE.match(line)
        if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
            fence = m.group(1)
            out.append(" " * len(line))
            continue
        if _MATH_FENCE.match(line) and line.count("$$") == 1:
            in_math = True
            out.append(" " * len(line))
            continue
        out.append(line)
    if indented:
        out = _mask_indented_code(out)
    text = "\n".join(out)
    if "`" in text:
        text = _mask_code_spans(text)
    return text


def _mask_indented_code(lines: list[str]) -> list[str]:
    """CommonMark's indented code blocks: lines indented by four spaces or a tab after a blank
    line, a heading or at the start, outside a list — where such lines continue a list item.
    Whatever could be a list's is left as it is.

    >>> _mask_indented_code(["Text", "", "    [[code]]", "", "- item", "", "    [[kept]]"])
    ['Text', '', '            ', '', '- item', '', '    [[kept]]']
    """
    out: list[str] = []
    blank_before, in_list, in_code = True, False, False
    for line in lines:
        if not line.strip():
            blank_before = True
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip(" \t")) if line[0] in " \t" else 0
        if indent and "\t" in line[:indent]:
            indent = len(line[:indent].expandtabs(4))
        if indent >= 4 and (in_code or (blank_before and not in_list)):
            in_code, blank_before = True, False
            out.append(" " * len(line))
            continue
        in_code = False
        heading = _HEADING.match(line) is not None
        if _LIST_MARKER.match(line):
            in_list = True
        elif indent < 2 and (blank_before or heading):
            in_list = False  # a paragraph or heading at the margin ends the list
        blank_before = heading  # no paragraph goes on after a heading: code may follow at once
        out.append(line)
    return out


def _mask_code_spans(text: str) -> str:
    """CommonMark code spans: a backtick run closes at the next run of the same length."""
    parts: list[str] = []
    pos = 0
    runs = list(_BACKTICKS.finditer(text))
    i = 0
    while i < len(runs):
        opening = runs[i]
        width = len(opening.group(0))
        j = i + 1
        while j < len(runs) and len(runs[j].group(0)) != width:
            j += 1
        if j == len(runs):
            i += 1
            continue
        closing = runs[j]
        # A code span cannot cross a blank line (paragraph break).
        if "\n\n" in text[opening.end() : closing.start()]:
            i += 1
            continue
        parts.append(text[pos : opening.start()])
        parts.append(_blank(text[opening.start() : closing.end()]))
        pos = closing.end()
        i = j + 1
    parts.append(text[pos:])
    return "".join(parts)


class LineIndex:
    """Maps offsets in a body to 1-based line numbers of the whole file."""

    __slots__ = ("_first", "_starts")

    def __init__(self, text: str, first_line: int) -> None:
        self._first = first_line
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self._starts = starts

    def line(self, offset: int) -> int:
        return self._first + bisect_right(self._starts, offset) - 1
