"""IRIs of the vault: slugs, documents (``{base}slug``), things (``{base}slug#id``), tags, keys."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from pyoxigraph import NamedNode

_NON_WORD = re.compile(r"[\W_]+")
# Kept as they are in the IRI segments vaultkg mints: letters and digits of any script (\w),
# "-", ".", "_" and "~"; everything else is %-encoded as UTF-8.
_UNSAFE = re.compile(r"[^\w\-.~]")
_UNSAFE_KEEP_SLASH = re.compile(r"[^\w\-.~/]")


@lru_cache(maxsize=4096)  # date texts and link targets recur across notes (the parent slugs every note once)
def slugify(name: str) -> str:
    """Lower-case ``name`` and turn runs of spaces and punctuation into ``-``.

    Unicode letters and digits are kept. A name with nothing left (only punctuation or
    emoji) gets a short stable hash so that it still has an IRI.

    >>> slugify("US-Israel Relations")
    'us-israel-relations'
    >>> slugify("Nöte with 'quotes'")
    'nöte-with-quotes'
    >>> slugify("???")
    'n-2d86c2a6'
    """
    name = unicodedata.normalize("NFC", name)
    slug = _NON_WORD.sub("-", name.lower()).strip("-")
    if not slug:
        slug = "n-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return slug


def iri_escape(text: str, keep: str = "") -> str:
    """Percent-encode what may not stand in an IRI path segment; letters stay readable.

    >>> iri_escape("based_in")
    'based_in'
    >>> iri_escape("Start Date")
    'Start%20Date'
    >>> iri_escape("a/b", keep="/")
    'a/b'
    >>> iri_escape("U.S.")
    'U.S%2E'
    """
    unsafe = _UNSAFE_KEEP_SLASH if keep == "/" else _UNSAFE
    if unsafe.search(text) is not None:
        text = unsafe.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), text)
    if text.endswith("."):  # a Turtle local name may not end in '.', and some parsers reject '\.'
        text = text[:-1] + "%2E"
    return text


_DOT_SEGMENTS = {".": "%2E", "..": ".%2E"}  # as iri_escape writes them at the end of a path


class Iris:
    """Mints the IRIs of one vault under ``base``."""

    __slots__ = ("_docs", "_props", "_tags", "base", "property_ns", "tag_ns")

    def __init__(self, base: str) -> None:
        self.base = base
        self.tag_ns = base + "tag/"
        self.property_ns = base + "property/"
        self._docs: dict[str, tuple[NamedNode, NamedNode]] = {}
        self._tags: dict[str, NamedNode] = {}
        self._props: dict[str, NamedNode] = {}

    def document(self, slug: str) -> NamedNode:
        """The note as a document: ``{base}{slug}``."""
        return self._pair(slug)[0]

    def thing(self, slug: str) -> NamedNode:
        """What the note describes: ``{base}{slug}#id``."""
        return self._pair(slug)[1]

    def fragment(self, slug: str, fragment: str) -> NamedNode:
        """A node that belongs to a note: ``{base}{slug}#{fragment}``."""
        return NamedNode(f"{self.base}{slug}#{iri_escape(fragment, keep='/')}")

    def tag(self, tag: str) -> NamedNode:
        """``{base}tag/{tag/path}``, lower-cased since Obsidian tags ignore case. A segment that
        is ``.`` or ``..`` (front matter may say ``a/../b``) is percent-encoded like a last one:
        a dot segment would be removed when the IRI is resolved or fetched."""
        node = self._tags.get(tag)
        if node is None:
            path = iri_escape(tag.lower(), keep="/")
            if "./" in path:
                parts = path.split("/")
                path = "/".join([*(_DOT_SEGMENTS.get(part, part) for part in parts[:-1]), parts[-1]])
            node = self._tags[tag] = NamedNode(self.tag_ns + path)
        return node

    def property(self, key: str) -> NamedNode:
        """``{base}property/{key}`` with the key as written."""
        node = self._props.get(key)
        if node is None:
            node = self._props[key] = NamedNode(self.property_ns + iri_escape(key))
        return node

    def vault_graph(self) -> NamedNode:
        """The graph of vault-level facts (tag concepts, labels of missing notes)."""
        return NamedNode(self.base)

    def _pair(self, slug: str) -> tuple[NamedNode, NamedNode]:
        pair = self._docs.get(slug)
        if pair is None:
            doc = self.base + slug
            pair = (NamedNode(doc), NamedNode(doc + "#id"))
            self._docs[slug] = pair
        return pair
