"""Tags from front matter and inline ``#tags`` → ``{doc} dcterms:subject {tag}``, with the
tag hierarchy (``a/b`` is narrower than ``a``) as SKOS concepts in the vault graph."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from pyoxigraph import Literal, NamedNode

from .context import Context
from .markdown import LineIndex, mask
from .model import Graph, Note, Output, Statement
from .vocab import DCTERMS_SUBJECT, RDF_TYPE, SKOS_BROADER, SKOS_CONCEPT, SKOS_PREF_LABEL

# Obsidian: a tag follows a space or the start of a line, holds letters, digits, _, - and /,
# and is not made of digits alone. "(#a" and "[#a" are tags too, but not a link to a heading:
# "[[#Heading]]" or "[text](#heading)". (?=#): scan only at "#" (3× faster).
INLINE_TAG = re.compile(r"(?=#)(?:(?<=[\s,;])|(?<=(?<!\])\()|(?<=(?<!\[)\[)|^)#([\w/\-]+)", re.M)
_SPLIT = re.compile(r"[,\s]+")
_WORD = re.compile(r"[^\W_]")


def normalize_tag(raw: str) -> str | None:
    """A tag as written, without ``#``, with empty path segments dropped; ``None`` if empty.

    >>> normalize_tag("#Middle-East/Gulf/")
    'Middle-East/Gulf'
    >>> normalize_tag("1948") is None
    True
    >>> normalize_tag("[[Gulf]]")  # written as a link: a tag holds no brackets
    'Gulf'
    """
    raw = raw.strip()
    if raw.startswith("[[") and raw.endswith("]]"):
        raw = raw[2:-2]
    parts = [p for p in raw.lstrip("#").split("/") if p.strip()]
    tag = "/".join(re.sub(r"\s+", "-", p.strip()) for p in parts)
    if not tag or tag.replace("/", "").isdigit() or not _WORD.search(tag):
        return None
    return tag


def _pieces(value: object) -> Iterator[str]:
    """The pieces of a front-matter tags value: a list, a comma- or space-separated string."""
    for item in value if isinstance(value, list) else [value]:
        if item is not None and not isinstance(item, dict | list | bool):
            yield from _SPLIT.split(str(item))


def split_tags(value: object) -> list[str]:
    """Tags from a front-matter value: a list, a comma- or space-separated string, one string."""
    return [tag for piece in _pieces(value) if (tag := normalize_tag(piece))]


def not_tags(value: object) -> list[str]:
    """The pieces of a front-matter tags value that are no tag (``2024``: a tag needs a letter).

    >>> not_tags(["2024", "review", "#1990, y2k"])
    ['2024', '#1990']
    """
    return [piece for piece in _pieces(value) if piece.strip("#/[] ") and normalize_tag(piece) is None]


def inline_tags(body: str, first_line: int = 1) -> list[tuple[str, int]]:
    """``#tags`` in the body (not in code, comments or math), with their lines."""
    if "#" not in body:
        return []
    text = mask(body)
    lines = LineIndex(text, first_line)
    found = []
    for m in INLINE_TAG.finditer(text):
        tag = normalize_tag(m.group(1))
        if tag:
            found.append((tag, lines.line(m.start())))
    return found


def tag_statements(
    ctx: Context, doc: NamedNode, tags: Iterable[tuple[str, int]], predicate: NamedNode = DCTERMS_SUBJECT
) -> Iterator[Statement]:
    """``{doc} dcterms:subject {tag}`` plus the concept and its broader tags (vault graph)."""
    for tag, line in tags:
        yield Statement(doc, predicate, ctx.iris.tag(tag), line)
        parts = tag.lower().split("/")
        for depth in range(len(parts), 0, -1):
            path = "/".join(parts[:depth])
            node = ctx.iris.tag(path)
            yield Statement(node, RDF_TYPE, SKOS_CONCEPT, line, Graph.VAULT)
            yield Statement(node, SKOS_PREF_LABEL, Literal(path), line, Graph.VAULT)
            if depth > 1:
                yield Statement(node, SKOS_BROADER, ctx.iris.tag("/".join(parts[: depth - 1])), line, Graph.VAULT)


def convert(note: Note, ctx: Context) -> Iterator[Output]:
    """Inline ``#tags`` of the body (front-matter tags come with the front matter)."""
    yield from tag_statements(ctx, ctx.document(note), inline_tags(note.body, note.body_line))
