"""Events inside notes: rows of milestone tables and dated bullets → ``{id} vkg:milestone {event}``.

An event IRI is ``{doc}#event-{date}-{hash of the description}``: it stays the same when rows are
added, removed or reordered, and changes only when the row's own date or text changes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

from pyoxigraph import Literal, NamedNode

from .blocks import Table, heading_is, scan_blocks
from .context import Context
from .dates import DateSpan, parse_date_expression
from .iris import slugify
from .links import link_target, parse_wikilink
from .model import Diagnostic, Note, Notice, Output, Severity, Statement
from .text import WIKILINK_ANY, plain_text
from .vocab import (
    RDF_TYPE,
    RDFS_LABEL,
    SCHEMA_DESCRIPTION,
    SCHEMA_END_DATE,
    SCHEMA_START_DATE,
    VKG_DATE_TEXT,
    VKG_EVENT,
    VKG_INVOLVES,
    VKG_MILESTONE,
)

_BULLET_SEP = re.compile(r"(?:\*\*|__)?\s*(?::|\s[–—]\s|—)\s*")  # "1948: …", "**1948** — …", "1948—…"


def dated_bullet(text: str) -> tuple[str, DateSpan, str] | None:
    """The date text, its span and the rest of a bullet that starts with a date, cut at the last
    separator that leaves a date before it (``2024-10-01 – 2024-10-26: talks`` is one range).

    >>> dated_bullet("**1948** — Independence")[::2]
    ('1948', 'Independence')
    >>> dated_bullet("1992—Maastricht")[::2], dated_bullet("1990—1995: the range")[::2]
    (('1992', 'Maastricht'), ('1990—1995', 'the range'))
    >>> dated_bullet("Note: no date") is None
    True
    """
    for sep in reversed(list(_BULLET_SEP.finditer(text, 1, 48))):
        date, rest = text[: sep.start()].removeprefix("**").removeprefix("__"), text[sep.end() :]
        if not rest or rest[0].isspace() or len(date) > 40 or any(c in date for c in ":*_"):
            continue
        span = parse_date_expression(plain_text(date))
        if span is not None:
            return plain_text(date), span, plain_text(rest)
    return None


def _column(header: tuple[str, ...], names: tuple[str, ...]) -> int | None:
    """The first column whose header is one of ``names``, read as headings are (emoji, marks and
    a remark in brackets around the name are fine: ``📅 Date (approx.)``, ``**Year(s)**``)."""
    return next((i for i, cell in enumerate(header) if heading_is(plain_text(cell), names)), None)


def milestone_columns(table: Table, ctx: Context) -> tuple[int, int] | None:
    """(date column, text column) when the table is a milestone table."""
    date_col = _column(table.header, ctx.config.milestone_date_columns)
    if date_col is None or len(table.header) < 2:
        return None
    text_col = _column(table.header, ctx.config.milestone_text_columns)
    if text_col is None or text_col == date_col:
        text_col = next(i for i in range(len(table.header)) if i != date_col)
    return date_col, text_col


class _Events:
    """Emits the events of one note."""

    def __init__(self, note: Note, ctx: Context) -> None:
        self.note, self.ctx = note, ctx
        self.thing = ctx.thing(note)
        self.slug = ctx.resolver.slug(note)

    def event(
        self, date_text: str, span: DateSpan | None, description: str, cells: Iterable[str], line: int
    ) -> Iterator[Output]:
        digest = hashlib.sha1(f"{date_text}\n{description}".encode()).hexdigest()[:8]
        key = f"event-{slugify(date_text)}-{digest}" if date_text.strip() else f"event-{digest}"
        ev = self.ctx.iris.fragment(self.slug, key)
        yield Statement(self.thing, VKG_MILESTONE, ev, line)
        yield Statement(ev, RDF_TYPE, VKG_EVENT, line)
        label = f"{date_text}: {description}" if date_text and description else description or date_text
        if label:
            yield Statement(ev, RDFS_LABEL, Literal(label), line)
        if description:
            yield Statement(ev, SCHEMA_DESCRIPTION, Literal(description), line)
        if span is not None:
            yield Statement(ev, SCHEMA_START_DATE, span.start, line)
            if span.end is not None:
                yield Statement(ev, SCHEMA_END_DATE, span.end, line)
            if not span.exact:
                yield Statement(ev, VKG_DATE_TEXT, Literal(date_text), line)
        for cell in cells:
            for m in WIKILINK_ANY.finditer(cell):
                link = parse_wikilink(m.group(1), line, m.group(0).startswith("!"))
                if link is None:
                    continue
                for out in link_target(link, self.note, self.ctx):
                    yield Statement(ev, VKG_INVOLVES, out, line) if isinstance(out, NamedNode) else out

    def tables(self) -> Iterator[Output]:
        for table in scan_blocks(self.note.body, self.note.body_line).tables:
            columns = milestone_columns(table, self.ctx)
            if columns is None:
                yield Notice("table", table.line, (("header", list(table.header)), ("rows", len(table.rows))))
                continue
            date_col, text_col = columns
            for row in table.rows:
                cells = row.cells
                date_text = plain_text(cells[date_col]) if date_col < len(cells) else ""
                description = plain_text(cells[text_col]) if text_col < len(cells) else ""
                if not date_text and not description:
                    continue
                prefer_range = table.header[date_col].strip().lower() in ("year", "years", "period")
                span = parse_date_expression(date_text, prefer_range=prefer_range)
                if span is None:
                    yield Diagnostic(
                        self.note.path, row.line, Severity.WARNING, "bad-milestone-date",
                        f"milestone date '{date_text}' is not a date; the row is kept without one",
                    )  # fmt: skip
                yield from self.event(date_text, span, description, cells, row.line)

    def bullets(self) -> Iterator[Output]:
        for item in scan_blocks(self.note.body, self.note.body_line).items:
            if item.under(self.ctx.config.source_headings):
                continue
            if (found := dated_bullet(item.text)) is not None:
                date_text, span, description = found
                yield from self.event(date_text, span, description, [item.text], item.line)


def convert(note: Note, ctx: Context) -> Iterator[Output]:
    """Events from milestone tables, then from dated bullets (``dated_bullets: true``)."""
    if "|" not in note.body and ":" not in note.body:
        return
    events = _Events(note, ctx)
    yield from events.tables()
    if ctx.config.dated_bullets:
        yield from events.bullets()
