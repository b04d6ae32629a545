"""Links in a note's body: ``[[X]]``, ``[[X|alias]]``, ``[[X#Heading]]``, ``[[X#^block]]``,
``![[X]]`` and ``[text](X.md)`` → ``{id} vkg:linksTo {X-id}``."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import unquote

from pyoxigraph import NamedNode

from .context import Context
from .markdown import LineIndex, mask
from .model import Attachment, Diagnostic, Link, Note, Output, Severity, Statement, Unresolved
from .resolve import Resolution
from .vocab import VKG_LINKS_TO

# No group around the "!" of an embed: a pattern that starts with a group is scanned for at every
# position, one that starts with "!?\[" only where a "!" or "[" is (twice as fast)
WIKILINK = re.compile(r"!?\[\[([^\[\]\n]+?)\]\]")
# the target may hold balanced parentheses, as CommonMark allows: [x](Note%20(draft).md)
MDLINK = re.compile(r"!?\[([^\[\]\n]*)\]\(\s*(<[^<>\n]+>|[^()\s]+(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"\n]*\")?\s*\)")
#: An IRI scheme at the start of a link target (``https:``, ``mailto:``, ``file:``).
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
#: File endings that name attachments, not notes (Obsidian's accepted file formats).
ATTACHMENT_EXTENSIONS = frozenset(
    "png jpg jpeg gif bmp svg webp avif heic tif tiff ico "
    "pdf mp3 wav m4a ogg 3gp flac webm mp4 mov mkv ogv "
    "canvas base csv xlsx docx pptx zip json txt html".split()
)


def parse_wikilink(inner: str, line: int, embed: bool) -> Link | None:
    """Split the text between ``[[`` and ``]]``; ``None`` when it is no link.

    >>> parse_wikilink(" Iran\\\\|Tehran", 3, False)
    Link(target='Iran', line=3, fragment=None, label='Tehran', embed=False, markdown=False)
    >>> parse_wikilink("Note#^abc ", 1, True).fragment
    '^abc'
    """
    target, bar, label = inner.partition("|")
    if bar:
        target = target.removesuffix("\\")
        if not label.strip():
            return None
    target, _, fragment = target.partition("#")
    target = target.strip()
    if not target or target.startswith("^^"):
        return None  # [[#Heading]] points into the note itself; [[^^text]] is a block search
    if not names_a_file(target):
        return None
    return Link(target, line, fragment.strip() or None, label.strip() or None, embed, False)


def names_a_file(target: str) -> bool:
    """Whether a link target ends in a name: ``/``, ``../``, ``Folder/`` and ``.md`` name none.

    >>> [names_a_file(t) for t in ("Note", "dir/Note.md", "!!!", "/", "../", "Folder/", ".md", "..")]
    [True, True, True, False, False, False, False, False]
    """
    return bool(posixpath.basename(target.removesuffix(".md")).strip(". "))


@lru_cache(maxsize=16)
def extract_links(body: str, first_line: int = 1) -> tuple[Link, ...]:
    """Every wikilink, embed and Markdown link to a local file, in order of appearance."""
    if "[" not in body:
        return ()
    text = mask(body)
    found: list[tuple[int, Link]] = []
    line, at = first_line, 0  # the line of offset ``at``: matches come in order, lines are counted on
    for m in WIKILINK.finditer(text):
        start = m.start()
        line += text.count("\n", at, start)
        at = start
        link = parse_wikilink(m.group(1), line, text[start] == "!")
        if link is not None:
            found.append((start, link))
    if "](" in text:
        lines = LineIndex(text, first_line)
        for m in MDLINK.finditer(text):
            raw = m.group(2)
            if raw.startswith("<"):
                raw = raw[1:-1]
            if SCHEME.match(raw) or raw.startswith("#"):
                continue  # web links are sources, not notes; '#x' points into the note
            path, _, fragment = raw.partition("#")
            target = unquote(path).strip()
            if target and names_a_file(target):
                found.append(
                    (
                        m.start(),
                        Link(
                            target,
                            lines.line(m.start()),
                            unquote(fragment) or None,
                            m.group(1).strip() or None,
                            text[m.start()] == "!",
                            True,
                        ),
                    )
                )
    found.sort(key=lambda item: item[0])
    return tuple(link for _, link in found)


def note_links(note: Note, ctx: Context) -> tuple[Link, ...]:
    """:func:`extract_links` of a note's body, worked out once per note and build: the links and
    the mentions converters both read them, in two steps between which every other note's first
    step may run (see :class:`converters.assemble.Conversion`)."""
    known: dict[str, tuple[Link, ...]] = ctx.cached("note links", dict)
    found = known.get(note.path)
    if found is None:
        found = known[note.path] = extract_links(note.body, note.body_line)
    return found


@lru_cache(maxsize=4096)  # the same targets recur across notes
def is_attachment(target: str) -> bool:
    """Whether a link target names a file that is not a note.

    >>> is_attachment("map.png"), is_attachment("Dr. No"), is_attachment("Note.md")
    (True, False, False)
    """
    ext = posixpath.splitext(target)[1][1:].lower()
    return ext in ATTACHMENT_EXTENSIONS


def resolve_link(link: Link, note: Note, ctx: Context) -> Resolution:
    """Where a link of ``note`` leads (Markdown links are relative to the note's folder)."""
    target = link.target
    if link.markdown and not target.startswith(("/", ".")):
        target = "./" + target
    return ctx.resolver.link(target, note)


def link_target(link: Link, note: Note, ctx: Context) -> Iterator[Output | NamedNode]:
    """Diagnostics and unresolved records for one link, then the entity IRI it leads to."""
    return resolution_outputs(resolve_link(link, note, ctx), link.target, note, ctx, link.line, kind="link")


def resolution_outputs(
    res: Resolution, written: str, note: Note, ctx: Context, line: int, *, kind: str
) -> Iterator[Output | NamedNode]:
    """What a resolved name or link adds: a warning when it was ambiguous, a record when no
    note is behind it (for its label and the report), and last the entity IRI itself."""
    if res.candidates:
        chosen = res.note.path if res.note else res.slug
        shown = f"link '{written}'" if kind == "link" else f"'{written}'"
        yield Diagnostic(note.path, line, Severity.WARNING, f"ambiguous-{kind}",
                         f"{shown} matches {len(res.candidates)} notes ({', '.join(res.candidates)}); "
                         f"using '{chosen}'")  # fmt: skip
    entity = ctx.iris.thing(res.slug)
    if res.note is None:
        yield Unresolved(entity, posixpath.basename(written.removesuffix(".md")) or written, line)
    yield entity


def convert(note: Note, ctx: Context) -> Iterator[Output]:
    """``{id} vkg:linksTo {target-id}`` for each link of the body (self-links are left out)."""
    thing = ctx.thing(note)
    for link in note_links(note, ctx):
        if is_attachment(link.target):
            yield Attachment(link.target, link.line)
            continue
        for out in link_target(link, note, ctx):
            if not isinstance(out, NamedNode):
                yield out
            elif out != thing:
                yield Statement(thing, VKG_LINKS_TO, out, link.line)
