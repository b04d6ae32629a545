"""Front matter → triples, key by key, through the mapping's rules. Nothing is dropped: a key
without a rule becomes ``{id} {base}property/{key} value``."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pyoxigraph import Literal, NamedNode

from .context import Context
from .dates import date_literal
from .links import resolution_outputs
from .model import Diagnostic, Note, Output, Severity, Statement
from .sources import valid_web_iri
from .tags import not_tags, split_tags, tag_statements
from .text import LINK_LIST, WIKILINK_ANY, split_aliases
from .vocab import (
    OWL_SAME_AS,
    SKOS_ALT_LABEL,
    WD,
    XSD_BOOLEAN,
    XSD_DOUBLE,
    XSD_INTEGER,
)

_LINK = re.compile(r"^\s*!?\[\[([^\[\]\n]+?)\]\]\s*$")
_QID = re.compile(r"^(?:wd:|(?:https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/))?(Q[1-9][0-9]*)$")
_HANDLED_ELSEWHERE = {"type", "label", "slug"}
#: Nesting depth of front-matter values that is still converted (recursive YAML stops here).
MAX_DEPTH = 16


def wikidata_qid(value: object) -> str | None:
    """The QID in ``Q801``, ``wd:Q801`` or a Wikidata entity/wiki URL; ``None`` otherwise.

    >>> wikidata_qid("https://www.wikidata.org/wiki/Q801"), wikidata_qid("Q0")
    ('Q801', None)
    """
    if not isinstance(value, str):
        return None
    m = _QID.match(value.strip())
    return m.group(1) if m else None


def literal(value: Any) -> Literal | None:
    """The RDF literal for a YAML scalar; ``None`` for null.

    >>> literal(3).value, literal(True).value, literal(float("inf")).value
    ('3', 'true', 'INF')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return Literal("true" if value else "false", datatype=XSD_BOOLEAN)
    if isinstance(value, int):
        return Literal(str(value), datatype=XSD_INTEGER)
    if isinstance(value, float):
        if math.isnan(value):
            text = "NaN"
        elif math.isinf(value):
            text = "INF" if value > 0 else "-INF"
        else:
            text = repr(value)
        return Literal(text, datatype=XSD_DOUBLE)
    if isinstance(value, dt.date):
        return date_literal(value)
    return Literal(str(value))


class Emitter:
    """Turns the values of one note's front matter into outputs."""

    def __init__(self, note: Note, ctx: Context) -> None:
        self.note, self.ctx = note, ctx
        self.doc, self.thing = ctx.document(note), ctx.thing(note)
        self.slug = ctx.resolver.slug(note)
        self.classes = set(ctx.classes(note)[0])
        self._open: set[int] = set()  # containers being converted (to stop at recursive YAML)
        self._cut: set[str | int] = set()  # keys already reported as cut short

    def entity(self, name: str, line: int) -> Iterator[Output | NamedNode]:
        """Resolve a name or ``[[link]]``; yields diagnostics/unresolved records, then the IRI."""
        m = _LINK.match(name)
        target = m.group(1).split("|")[0].split("#")[0].strip() if m else name.strip()
        res = self.ctx.resolver.link(target, self.note) if m else self.ctx.resolver.name(target, self.note)
        return resolution_outputs(res, target, self.note, self.ctx, line, kind="link" if m else "name")

    def names_in(self, text: str) -> list[str] | None:
        """The names of a comma-separated string (``actors: United States, Israel``) when it names
        no note as a whole and each piece is a link or names a note; else ``None``."""
        pieces = [piece.strip() for piece in text.split(",") if piece.strip()]
        if len(pieces) < 2 or self.ctx.resolver.name(text.strip(), self.note).note is not None:
            return None
        for piece in pieces:
            if not _LINK.match(piece) and self.ctx.resolver.name(piece, self.note).note is None:
                return None
        return pieces

    def value(
        self,
        subject: NamedNode,
        prop: NamedNode,
        value: Any,
        path: tuple[str | int, ...],
        kind: str,
        at: Callable[..., int],
    ) -> Iterator[Output]:
        line = at(*path)
        if isinstance(value, list | Mapping):
            if id(value) in self._open or len(path) > MAX_DEPTH:
                if path[0] not in self._cut:
                    self._cut.add(path[0])
                    why = (
                        "refers to itself (a YAML anchor inside its own value)"
                        if id(value) in self._open
                        else (f"is nested deeper than {MAX_DEPTH} levels")
                    )
                    yield Diagnostic(
                        self.note.path,
                        line,
                        Severity.WARNING,
                        "too-deep",
                        f"{path[0]}: the value {why}; the deeper part is left out",
                    )
                return
            self._open.add(id(value))
            try:
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        yield from self.value(subject, prop, item, (*path, i), kind, at)
                else:
                    node = self.ctx.iris.fragment(self.slug, "fm/" + "/".join(map(str, path)))
                    yield Statement(subject, prop, node, line)
                    for key, item in value.items():
                        yield from self.value(
                            node, self.ctx.iris.property(str(key)), item, (*path, str(key)), "literal", at
                        )
            finally:
                self._open.discard(id(value))
            return
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        if kind == "entity" and isinstance(value, int | float | dt.date) and not isinstance(value, bool):
            value = str(value)  # actors: [1984]: the name of a thing (a book, a year note), not a number
        if isinstance(value, str) and "]]" in value and not _LINK.match(value) and LINK_LIST.match(value):
            for m in WIKILINK_ANY.finditer(value):  # "[[Iran]], [[Israel]]": each link, as Dataview reads it
                yield from self.value(subject, prop, m.group(0).lstrip("!"), path, kind, at)
            return
        if kind == "entity" and isinstance(value, str) and "," in value and not _LINK.match(value):
            names = self.names_in(value)
            if names is not None:
                for name in names:
                    yield from self.value(subject, prop, name, path, kind, at)
                return
            yield Diagnostic(self.note.path, line, Severity.WARNING, "entity-list",
                             f"{path[0]}: '{value.strip()}' names no note; if it lists several, write them as "
                             f"a list: [{', '.join(n.strip() for n in value.split(','))}]")  # fmt: skip
        if isinstance(value, str) and (kind == "entity" or _LINK.match(value)):
            obj: NamedNode | Literal | None = None
            for out in self.entity(value, line):
                if isinstance(out, NamedNode):
                    obj = out
                else:
                    yield out
            assert obj is not None
            yield Statement(subject, prop, obj, line)
            return
        if kind == "url":
            text = str(value).strip()
            if valid_web_iri(text):
                yield Statement(subject, prop, NamedNode(text), line)
            else:
                yield Diagnostic(self.note.path, line, Severity.WARNING, "bad-url",
                                 f"{path[0]}: '{value}' is not a valid http(s) IRI; kept as text")  # fmt: skip
                yield Statement(subject, prop, Literal(text), line)
            return
        if kind == "date":
            term = date_literal(value)
            if term is None:
                yield Diagnostic(
                    self.note.path,
                    line,
                    Severity.WARNING,
                    "bad-date",
                    f"{path[0]}: '{value}' is not a valid date; kept as text",
                )
                term = Literal(str(value))
            yield Statement(subject, prop, term, line)
            return
        term = literal(value)
        if term is not None:
            yield Statement(subject, prop, term, line)

    def key(self, key: str, value: Any, line: int | None = None) -> Iterator[Output]:
        """The triples of one key; ``line`` pins every value to one line (inline fields)."""
        fixed = line
        at: Callable[..., int] = self.note.front_matter.line if fixed is None else (lambda *_path: fixed)
        if not key.strip():
            yield Diagnostic(
                self.note.path,
                at(key),
                Severity.WARNING,
                "empty-key",
                "a front-matter key is empty; its value is left out (give the key a name)",
            )
            return
        rule = self.ctx.config.rule(key)
        if rule is not None and rule.classes and not self.classes.intersection(rule.classes):
            rule = None
        kind = rule.kind if rule else "literal"
        if kind in _HANDLED_ELSEWHERE:
            return
        prop = NamedNode(rule.property) if rule and rule.property else self.ctx.iris.property(key)
        subject = self.doc if rule and rule.subject == "document" else self.thing
        line = at(key)
        if kind == "tag":
            items = value if isinstance(value, list) else [value]
            pairs = [
                (tag, at(key, i) if isinstance(value, list) else line)
                for i, item in enumerate(items)
                for tag in split_tags(item)
            ]
            yield from tag_statements(self.ctx, subject, pairs, prop)
            for n, item in enumerate(items):
                for piece in not_tags(item):
                    yield Diagnostic(self.note.path, at(key, n) if isinstance(value, list) else line,
                                     Severity.WARNING, "not-a-tag",
                                     f"{key}: '{piece}' is not a tag (a tag needs a letter: Obsidian takes no "
                                     "number-only tag); it is left out")  # fmt: skip
            return
        if kind == "alias":
            alias_prop = prop if rule and rule.property else SKOS_ALT_LABEL
            for text, i in split_aliases(value):
                yield Statement(subject, alias_prop, Literal(text), line if i is None else at(key, i))
            return
        if kind == "wikidata":
            values = value if isinstance(value, list) else [value]
            for i, item in enumerate(values):
                item_line = at(key, i) if isinstance(value, list) else line
                if item is None or (isinstance(item, str) and not item.strip()):
                    continue
                qid = wikidata_qid(item)
                if qid is None:
                    yield Diagnostic(
                        self.note.path,
                        item_line,
                        Severity.ERROR,
                        "bad-wikidata",
                        f"{key}: '{item}' is not a Wikidata item (expected Q123, wd:Q123 "
                        "or a wikidata.org entity URL); kept as text",
                    )
                    yield Statement(subject, self.ctx.iris.property(key), Literal(str(item)), item_line)
                else:
                    yield Statement(
                        subject, prop if rule and rule.property else OWL_SAME_AS, NamedNode(WD + qid), item_line
                    )
            return
        yield from self.value(subject, prop, value, (key,), kind, at)


def convert(note: Note, ctx: Context) -> Iterator[Output]:
    """Every front-matter key of the note, through its rule or as ``{base}property/{key}``."""
    if not note.front_matter.data:
        return
    emitter = Emitter(note, ctx)
    for key, value in note.front_matter.data.items():
        yield from emitter.key(str(key), value)
