"""Dataview inline fields: ``key:: value`` on a line (or a list item), ``[key:: value]`` and
``(key:: value)`` inside text → properties, through the same key mapping as front matter."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from .context import Context
from .frontmatter import Emitter
from .markdown import LineIndex, mask
from .model import Note, Output
from .text import LINK_LIST, WIKILINK_ANY

_KEY = r"[^\W\d_][\w \-/]{0,63}?|[\w][\w\-/]{0,63}?"
_LINE_FIELD = re.compile(rf"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__)?(?P<key>{_KEY})(?:\*\*|__)?::[ \t]*(?P<value>.*)$", re.M)
_BRACKET_FIELD = re.compile(
    rf"\[(?P<key>{_KEY})::[ \t]*(?P<value>[^\]\n]*)\]|\((?P<pkey>{_KEY})::[ \t]*(?P<pvalue>[^)\n]*)\)"
)
_INT = re.compile(r"^[-+]?\d{1,18}$")
_FLOAT = re.compile(r"^[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def field_value(text: str) -> Any:
    """A typed value the way Dataview reads it: links, numbers, booleans, ISO dates, text.

    >>> field_value("[[Iran]], [[Israel]]"), field_value("42"), field_value("2024-10-26")
    (['[[Iran]]', '[[Israel]]'], 42, datetime.date(2024, 10, 26))
    """
    text = text.strip()
    if LINK_LIST.match(text):
        links = [m.group(0).lstrip("!") for m in WIKILINK_ANY.finditer(text)]
        return links[0] if len(links) == 1 else links
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _ISO_DATE.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    return text


def inline_fields(body: str, first_line: int = 1) -> list[tuple[str, str, int]]:
    """``(key, raw value, line)`` of every inline field, outside code and comments."""
    if "::" not in body:
        return []
    text = mask(body)
    lines = LineIndex(text, first_line)
    found: list[tuple[int, str, str, int]] = []
    for m in _LINE_FIELD.finditer(text):
        value = body[m.start("value") : m.end("value")]
        found.append((m.start(), m["key"].strip(), value, lines.line(m.start())))
    taken = {pos for pos, *_ in found}
    for m in _BRACKET_FIELD.finditer(text):
        key = m["key"] or m["pkey"]
        start, end = (m.start("value"), m.end("value")) if m["key"] else (m.start("pvalue"), m.end("pvalue"))
        line_start = text.rfind("\n", 0, m.start()) + 1
        if line_start in taken and not text[line_start : m.start()].strip():
            continue
        found.append((m.start(), key.strip(), body[start:end], lines.line(m.start())))
    found.sort()
    return [(key, value, line) for _, key, value, line in found]


def convert(note: Note, ctx: Context) -> Iterator[Output]:
    """Each inline field as ``{id} {property} value`` (``inline_fields: true``)."""
    if not ctx.config.inline_fields or "::" not in note.body:
        return
    emitter = Emitter(note, ctx)
    for key, raw, line in inline_fields(note.body, note.body_line):
        value = field_value(raw)
        if value == "":
            continue
        yield from emitter.key(key, value, line)
