"""Unlinked mentions: names and aliases of notes found in the text of a note →
``{doc} schema:mentions {id}``.

All names of the vault are compiled once into one trie-shaped regular expression, so a note is
scanned in a single pass however many names there are. Rules: whole words only; the longest
name wins ("Israel Katz" before "Israel"); an all-capitals name (``US``, ``IRGC``) matches only
in capitals, and a capitalised name only where the text is capitalised too (so the alias ``US``
never matches "us"); names that belong to several notes are skipped and listed in the report;
the note's own subject and entities it already links to are not repeated as mentions. Headings
are not scanned: a section called "Overview" is not a mention of a note called *Overview*.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .context import Context
from .links import extract_links, is_attachment, resolve_link
from .markdown import LineIndex, mask
from .model import Note, Notice, Output, Statement
from .resolve import normalize
from .vocab import SCHEMA_MENTIONS

_SKIP = re.compile(r"!?\[\[[^\[\]\n]*\]\]|!?\[[^\[\]\n]*\]\([^()\s]*\)|<?https?://\S+|^ {0,3}#{1,6}[ \t].*$", re.M)
MIN_NAME_LENGTH = 2


def trie_pattern(words: Iterable[str]) -> str:
    """One regular expression matching any of ``words``, shaped as a trie (longest first).

    >>> re.fullmatch(trie_pattern(["israel", "israel katz", "iran"]), "israel katz") is not None
    True
    """
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alternatives = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        if "" in node:
            return ("(?:" + body + ")?") if len(alternatives) > 1 or len(body) > 1 else body + "?"
        return body

    return build(trie)


@dataclass(frozen=True, slots=True)
class _Form:
    text: str
    slug: str


class MentionIndex:
    """Every note name and alias, compiled for one-pass scanning."""

    def __init__(self, ctx: Context) -> None:
        forms: dict[str, list[_Form]] = defaultdict(list)
        resolver = ctx.resolver
        for note in resolver.notes:
            slug = resolver.slug(note)
            for text in (note.name, *resolver.aliases(note)):
                text = " ".join(text.split())
                if len(text) < MIN_NAME_LENGTH or text.isdigit() or not re.search(r"\w", text):
                    continue
                key = normalize(text)
                if all(f.slug != slug or f.text != text for f in forms[key]):
                    forms[key].append(_Form(text, slug))
        self._forms = dict(forms)
        self._regex = (
            re.compile(r"(?<!\w)(?:" + trie_pattern(sorted(forms)) + r")(?!\w)", re.IGNORECASE) if forms else None
        )

    def find(self, text: str) -> Iterator[tuple[str, set[str], int]]:
        """``(matched text, slugs it may name, offset)`` for each name found in ``text``."""
        if self._regex is None:
            return
        for m in self._regex.finditer(text):
            surface = m.group(0)
            slugs = {f.slug for f in self._forms.get(normalize(surface), ()) if _case_ok(f.text, surface)}
            if slugs:
                yield surface, slugs, m.start()


def _case_ok(form: str, surface: str) -> bool:
    letters = [c for c in form if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return surface == form  # acronyms: only in capitals
    if form[:1].isupper():
        return surface[:1].isupper()
    return True


def mention_index(ctx: Context) -> MentionIndex:
    """The vault's mention index, built once per build."""
    return ctx.cached("mentions", lambda: MentionIndex(ctx))


def convert(note: Note, ctx: Context) -> Iterator[Output]:
    """``{doc} schema:mentions {id}`` for names of other notes in the text (``mentions: true``)."""
    if not ctx.config.mentions or not note.body.strip():
        return
    index = mention_index(ctx)
    own = ctx.resolver.slug(note)
    linked = {own}
    for link in extract_links(note.body, note.body_line):
        if not is_attachment(link.target):
            linked.add(resolve_link(link, note, ctx).slug)
    for key, value in note.front_matter.data.items():
        rule = ctx.config.rule(str(key))
        if rule is not None and rule.kind == "entity":
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and item.strip():
                    target = item.strip().strip("[]").split("|")[0]
                    linked.add(ctx.resolver.name(target, note).slug)
    # links are not mentions, and section titles are not prose: blank both out
    text = _SKIP.sub(lambda m: " " * (m.end() - m.start()), mask(note.body))
    lines = LineIndex(text, note.body_line)
    doc = ctx.document(note)
    seen: set[str] = set()
    for surface, slugs, offset in index.find(text):
        if slugs & linked:
            continue
        if len(slugs) > 1:
            yield Notice("ambiguous-mention", lines.line(offset), (("name", surface), ("candidates", sorted(slugs))))
            continue
        (slug,) = slugs
        if slug not in seen:
            seen.add(slug)
            yield Statement(doc, SCHEMA_MENTIONS, ctx.iris.thing(slug), lines.line(offset))
