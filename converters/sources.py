"""Citations: items under a *Sources* heading → ``{doc} schema:citation {url}``.

``[Publisher - Title](url)`` gives the work a name and a publisher (resolved to an entity like an
actor); ``[Title](url)``, ``<url>`` and bare URLs work too; ``(accessed 2025-01-10)`` becomes
``vkg:accessed``. A note of the vault cited by a link (``[[Clipped Article]]``,
``[text](Clippings/Article.md)``) is cited by its document IRI. A citation without a URL is kept
as a literal, never dropped; a URL that is not a valid http(s) IRI gives a warning and is kept as
a literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pyoxigraph import Literal, NamedNode

from .blocks import ListItem, scan_blocks
from .context import Context
from .dates import parse_date_expression
from .links import SCHEME, extract_links, is_attachment, resolve_link
from .model import Diagnostic, Note, Output, Severity, Statement, Unresolved
from .text import plain_text
from .vocab import (
    RDF_TYPE,
    RDFS_COMMENT,
    SCHEMA_CITATION,
    SCHEMA_CREATIVE_WORK,
    SCHEMA_NAME,
    SCHEMA_PUBLISHER,
    VKG_ACCESSED,
)

_MDLINK = re.compile(
    r"\[(?P<label>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"  # [label], which may hold [brackets]
    r"\(\s*<?(?P<url>[^()\s<>]+(?:\([^()\s]*\)[^()\s<>]*)*)>?"  # (url), which may hold (parens)
    r"(?:\s+\"[^\"\n]*\")?\s*\)"  # an optional "title"
)
_AUTOLINK = re.compile(r"<(?P<url>[A-Za-z][A-Za-z0-9+.\-]*:[^<>\s]+)>")
_BARE = re.compile(r"(?P<url>https?://[^\s<>\"'\])]+[^\s<>\"'\]).,;:!?])")
_ACCESSED = re.compile(r"\(?\s*(?:accessed|retrieved|visited)(?: on)?:?\s+(?P<date>[^)]+?)\s*\)?\s*$", re.I)
_PUBLISHER = re.compile(r"^(?P<publisher>[^\n]{1,80}?)\s+[-–—]\s+(?P<title>.+)$")


def valid_web_iri(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) IRI that a strict parser accepts."""
    if not re.match(r"^https?://[^/\s]", url, re.I):
        return False
    try:
        NamedNode(url)
    except ValueError:
        return False
    return True


def convert(note: Note, ctx: Context) -> Iterator[Output]:
    """One citation per item under a source heading."""
    if "#" not in note.body:
        return
    doc = ctx.document(note)
    for item in scan_blocks(note.body, note.body_line).items:
        if not item.under(ctx.config.source_headings) or not item.text.strip():
            continue
        yield from _citation(note, ctx, doc, item)


def _cited_note(note: Note, ctx: Context, text: str) -> NamedNode | None:
    """The document IRI of the vault's note an item cites by a link, if it names no web address."""
    if ("[[" not in text and ".md" not in text) or _AUTOLINK.search(text) or _BARE.search(text):
        return None  # most items cite the web: no note link to look for
    for link in extract_links.__wrapped__(text):  # not cached: the cache is for whole bodies
        if not is_attachment(link.target):
            res = resolve_link(link, note, ctx)
            return ctx.document(res.note) if res.note is not None and res.note is not note else None
    return None


def _citation(note: Note, ctx: Context, doc: NamedNode, item: ListItem) -> Iterator[Output]:
    text, line = item.text, item.line
    if (cited := _cited_note(note, ctx, text)) is not None:
        yield Statement(doc, SCHEMA_CITATION, cited, line)
        return
    label = rest = None
    m = _MDLINK.search(text)
    if m:
        url, label = m["url"], m["label"].strip()
        rest = text[: m.start()] + text[m.end() :]
    elif m := _AUTOLINK.search(text) or _BARE.search(text):
        url = m["url"]
        rest = text[: m.start()] + text[m.end() :]
    else:
        yield Statement(doc, SCHEMA_CITATION, Literal(plain_text(text)), line)
        return
    if not valid_web_iri(url):
        if not SCHEME.match(url):  # a link to a file or note of the vault that is not there
            yield Statement(doc, SCHEMA_CITATION, Literal(plain_text(text)), line)
            return
        yield Diagnostic(note.path, line, Severity.WARNING, "bad-source-url",
                         f"source URL '{url}' is not a valid http(s) IRI; the citation is kept as text")  # fmt: skip
        yield Statement(doc, SCHEMA_CITATION, Literal(plain_text(text)), line)
        return
    work = NamedNode(url)
    yield Statement(doc, SCHEMA_CITATION, work, line)
    yield Statement(work, RDF_TYPE, SCHEMA_CREATIVE_WORK, line)
    if label:
        title = plain_text(label)
        if pub := _PUBLISHER.match(title):
            title = pub["title"].strip()
            res = ctx.resolver.name(pub["publisher"].strip(), note)
            publisher = ctx.iris.thing(res.slug)
            if res.note is None:
                yield Unresolved(publisher, pub["publisher"].strip(), line)
            yield Statement(work, SCHEMA_PUBLISHER, publisher, line)
        yield Statement(work, SCHEMA_NAME, Literal(title), line)
    rest = plain_text(rest or "").strip(" -–—,;.")
    if rest and (acc := _ACCESSED.search(rest)):
        span = parse_date_expression(acc["date"])
        if span is not None:
            yield Statement(work, VKG_ACCESSED, span.start, line)
            rest = rest[: acc.start()].strip(" -–—,;.")
    if rest:
        if not label:
            yield Statement(work, SCHEMA_NAME, Literal(rest), line)
        else:
            yield Statement(work, RDFS_COMMENT, Literal(rest), line)
