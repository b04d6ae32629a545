"""Unlinked mentions: names of entities found in the text of a note →
``{doc} schema:mentions {id}`` — the names and aliases of notes, and the names of things other
notes link to or name without a note of their own (known once every note's first step is done:
:meth:`MentionIndex.with_names`, :class:`converters.assemble.Conversion`).

All names of the vault are indexed once by their words (case-folded tokens), so a note is
scanned in a single pass of dictionary lookups however many names there are. Rules: whole words
only; the longest name wins ("Israel Katz" before "Israel"); an all-capitals name (``US``,
``IRGC``) matches only in capitals, and a capitalised name only where the text is capitalised too
(so the alias ``US`` never matches "us"); names that belong to several entities are skipped and
listed in the report; the note's own subject and entities it already links to or names are not
repeated as mentions. Headings are not scanned: a section called "Overview" is not a mention of a
note called *Overview*.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import accumulate, compress
from operator import itemgetter

from .context import Context
from .links import is_attachment, note_links, resolve_link
from .markdown import LineIndex, mask
from .model import Note, Notice, Output, Statement
from .vocab import SCHEMA_MENTIONS

# links, URLs and headings are blanked out before names are looked for; the (?=…) lets the
# regex engine jump to the characters a match can start with (3× faster than trying each position)
_SKIP = re.compile(r"(?=[!\[<h])(?:!?\[\[[^\[\]\n]*\]\]|!?\[[^\[\]\n]*\]\([^()\s]*\)|<?https?://\S+)")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t].*$", re.M)
MIN_NAME_LENGTH = 2


#: A name as written, the slug of the note it names, and where its case must match:
#: 0 any case; 1 capitalised, so only where the text is; 2 acronym, only as written.
#: (Plain tuples: the index is kept in the build cache, and pickle loads them fastest.)
_Form = tuple[str, str, int]


def _case_ok(form: _Form, surface: str) -> bool:
    text, _, case = form
    if case == 2:
        return surface == text
    return case == 0 or surface[:1].isupper()


def _case_rule(form: str) -> int:
    if form.isupper() and all(c.isupper() for c in form if c.isalpha()):  # isupper() alone lets "US中" pass
        return 2
    return 1 if form[:1].isupper() else 0


_TOKEN = re.compile(r"\w+|[^\w\s]")
# the same tokens in ASCII text, found faster (\x1c-\x1f are spaces to str, not to an ASCII \s)
_ASCII_TOKEN = re.compile(r"\w+|[^\w\s\x1c-\x1f]", re.ASCII)
_WORD = re.compile(r"\w")
_SPLIT = re.compile(r"(\w+|[^\w\s])")  # the same tokens, kept by re.split between the spaces


def tokens(text: str) -> tuple[str, ...]:
    """Case-folded words and punctuation marks: how names and text are compared.

    >>> tokens("U.S.-Israel Relations")
    ('u', '.', 's', '.', '-', 'israel', 'relations')
    """
    if text.isascii():  # NFC and case-folding leave ASCII as it is, but for its case
        return tuple(_ASCII_TOKEN.findall(text.lower()))
    return tuple(m.group().casefold() for m in _TOKEN.finditer(unicodedata.normalize("NFC", text)))


class MentionIndex:
    """Every note name and alias (and, :meth:`with_names`, other names) by its tokens, for one pass
    over a text with dictionary lookups (longest name first) — no per-name work while scanning,
    and nothing to compile."""

    def __init__(self, ctx: Context, earlier: MentionIndex | None = None) -> None:
        """``earlier``: an index of the same vault before some of its names changed, whose names'
        tokens are taken rather than worked out again (the index is the same either way)."""
        self._forms: dict[tuple[str, ...], list[_Form]]
        forms: dict[tuple[str, ...], list[_Form]] = defaultdict(list)
        resolver = ctx.resolver
        known: dict[str, tuple[tuple[str, ...], int]] = {}
        if earlier is not None:
            known = {f[0]: (key, f[2]) for key, fs in earlier._forms.items() for f in fs}
        for note in resolver.notes:
            slug = resolver.slug(note)
            for text in (note.name, *resolver.aliases(note)):
                _add_form(forms, text, slug, known)
        self._index(dict(forms))

    def _index(self, forms: dict[tuple[str, ...], list[_Form]]) -> None:
        self._forms = forms
        self._longest: dict[str, int] = {}  # first token → most tokens of a name starting with it
        for key in self._forms:
            self._longest[key[0]] = max(self._longest.get(key[0], 0), len(key))

    def with_names(self, names: Iterable[tuple[str, str]]) -> MentionIndex:
        """This index and more names: ``(text, slug)`` of things the vault names but has no note
        for (this index is left as it is)."""
        forms: dict[tuple[str, ...], list[_Form]] = defaultdict(list, self._forms)
        longest = dict(self._longest)
        for text, slug in names:
            key = tokens(" ".join(text.split()))
            if key in self._forms and forms[key] is self._forms[key]:
                forms[key] = list(forms[key])  # copied before it changes: the lists are this index's
            _add_form(forms, text, slug, {})
            if forms.get(key) and len(key) > longest.get(key[0], 0):
                longest[key[0]] = len(key)
        index = MentionIndex.__new__(MentionIndex)
        index._forms, index._longest = dict(forms), longest
        return index

    def find(self, text: str) -> Iterator[tuple[str, set[str], int]]:
        """``(matched text, slugs it may name, offset)`` for each name found in ``text``."""
        if not self._forms:
            return
        parts: list[str] | None = None
        if text.isascii():  # case-folding ASCII is lower-casing, and keeps every token as it was
            folded = _ASCII_TOKEN.findall(text.lower())
        else:  # the text as [space, token, space, token, …, space]: tokens and their offsets at C speed
            parts = _SPLIT.split(text)
            folded = "\n".join(parts[1::2]).casefold().split("\n")  # tokens hold no line break
        longest, forms_of = self._longest, self._forms
        starts: list[int] | None = None
        count = len(folded)
        after = 0  # the end of the last name found: names do not overlap
        for i in compress(range(count), map(longest.__contains__, folded)):
            if i < after:
                continue
            for n in range(min(longest[folded[i]], count - i), 0, -1):
                forms = forms_of.get(tuple(folded[i : i + n]))
                if not forms:
                    continue
                if starts is None:  # where each token starts: only once a name is found
                    parts = parts or _SPLIT.split(text)
                    starts = list(accumulate(map(len, parts)))[0::2]
                assert parts is not None
                start, end = starts[i], starts[i + n - 1] + len(parts[2 * (i + n) - 1])
                surface = " ".join(text[start:end].split())
                slugs = {f[1] for f in forms if _case_ok(f, surface)}
                if slugs:
                    yield surface, slugs, start
                    after = i + n
                    break


def _add_form(
    forms: dict[tuple[str, ...], list[_Form]], text: str, slug: str, known: dict[str, tuple[tuple[str, ...], int]]
) -> None:
    """Index ``text`` as a name of ``slug`` (unless it is too short, a number or no word)."""
    text = " ".join(text.split())
    seen = known.get(text)
    if seen is not None:  # indexed before, so a name that can be mentioned
        key, case = seen
    elif len(text) < MIN_NAME_LENGTH or text.isdigit() or not _WORD.search(text):
        return
    else:
        key, case = tokens(text), _case_rule(text)
    if key and all(f[1] != slug or f[0] != text for f in forms[key]):
        forms[key].append((text, slug, case))


def _spaces(m: re.Match[str]) -> str:
    return " " * (m.end() - m.start())


def mention_index(ctx: Context, earlier: MentionIndex | None = None) -> MentionIndex:
    """The vault's mention index, built once per build (see :class:`MentionIndex` for ``earlier``)."""
    return ctx.cached("mentions", lambda: MentionIndex(ctx, earlier))


def convert(note: Note, ctx: Context) -> Iterator[Output]:
    """``{doc} schema:mentions {id}`` for names of other entities in the text (``mentions: true``)."""
    if not ctx.config.mentions or not note.body.strip():
        return
    # with the names of things that have no note once every note's first step is done (see Conversion)
    index = ctx.cached("full mentions", lambda: mention_index(ctx))
    own = ctx.resolver.slug(note)
    linked = {own}
    for link in note_links(note, ctx):
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
    text = mask(note.body)
    if "#" in text:
        text = _HEADING.sub(_spaces, text)
    text = _SKIP.sub(_spaces, text)
    lines: LineIndex | None = None
    doc = ctx.document(note)
    seen: set[str] = set()
    for surface, slugs, offset in index.find(text):
        if slugs & linked:
            continue
        lines = lines or LineIndex(text, note.body_line)  # made once a name is found (most notes: none)
        if len(slugs) > 1:
            yield Notice("ambiguous-mention", lines.line(offset), (("name", surface), ("candidates", sorted(slugs))))
            continue
        (slug,) = slugs
        if slug not in seen:
            seen.add(slug)
            yield Statement(doc, SCHEMA_MENTIONS, ctx.iris.thing(slug), lines.line(offset))


def unwritten_names(unresolved: Iterable[tuple[str, str, int]], base: str) -> tuple[tuple[str, str], ...]:
    """``(text, slug)`` of the things notes link to or name with no note behind them, from the
    notes' unresolved records (entity IRI, text as written, line): names to look for as well.

    >>> unwritten_names([("https://x/iran#id", "Iran", 3), ("https://x/map-png#id", "map.png", 1)], "https://x/")
    (('Iran', 'iran'),)
    """
    distinct = set(map(itemgetter(0, 1), unresolved))  # one name is linked from many notes: C speed
    found = {
        (text, entity[len(base) : -3])
        for entity, text in distinct
        if entity.startswith(base) and entity.endswith("#id") and not is_attachment(text)
    }
    return tuple(sorted(found))
