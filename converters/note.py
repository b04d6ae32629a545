"""The note itself: the document, the thing it describes, their labels, path and classes."""

from __future__ import annotations

from collections.abc import Iterator

from pyoxigraph import Literal, NamedNode

from .config import Config
from .context import Context
from .model import Diagnostic, Note, Output, Severity, Statement
from .vocab import (
    RDF_TYPE,
    RDFS_LABEL,
    SCHEMA_ABOUT,
    SCHEMA_SUBJECT_OF,
    VKG_NOTE,
    VKG_PATH,
)


def _keys_of_kind(note: Note, config: Config, kind: str) -> Iterator[tuple[str, object]]:
    for key, value in note.front_matter.data.items():
        rule = config.rule(str(key))
        if rule is not None and rule.kind == kind:
            yield str(key), value


def note_classes(note: Note, config: Config) -> tuple[list[str], list[tuple[str, str, int]]]:
    """Class IRIs of what the note describes, and the ``type`` values that are not mapped.

    The ``type:`` key (a string or a list) wins; otherwise the folder default; otherwise
    the configured default class.
    """
    classes: list[str] = []
    unknown: list[tuple[str, str, int]] = []
    typed = False
    for key, value in _keys_of_kind(note, config, "type"):
        values = value if isinstance(value, list) else [value]
        for i, item in enumerate(values):
            if item is None or (isinstance(item, str) and not item.strip()):
                continue
            typed = True
            text = str(item).strip().strip("[]").strip()
            mapped = config.classes_for(text)
            line = note.front_matter.line(key, i) if isinstance(value, list) else note.front_matter.line(key)
            if mapped is None:
                unknown.append((key, text, line))
                mapped = (config.unknown_class,)
            classes.extend(c for c in mapped if c not in classes)
    if not typed:
        folder_type = config.folder_type(note.path)
        mapped = config.classes_for(folder_type) if folder_type else None
        classes.extend(mapped or (config.default_class,))
    return classes, unknown


def label(note: Note, config: Config) -> tuple[str, int]:
    """The label of what the note describes: ``title:`` if given, else the note name."""
    for key, value in _keys_of_kind(note, config, "label"):
        if isinstance(value, str | int | float) and str(value).strip():
            return str(value).strip(), note.front_matter.line(key)
    return note.name, 1


def convert(note: Note, ctx: Context) -> Iterator[Output]:
    """``{doc} a vkg:Note ; rdfs:label ; vkg:path ; schema:about {id}`` and the thing's class."""
    doc, thing = ctx.document(note), ctx.thing(note)
    yield Statement(doc, RDF_TYPE, VKG_NOTE, 1)
    yield Statement(doc, RDFS_LABEL, Literal(note.name), 1)
    yield Statement(doc, VKG_PATH, Literal(note.path), 1)
    yield Statement(doc, SCHEMA_ABOUT, thing, 1)
    yield Statement(thing, SCHEMA_SUBJECT_OF, doc, 1)
    text, line = label(note, ctx.config)
    yield Statement(thing, RDFS_LABEL, Literal(text), line)
    classes, unknown = ctx.classes(note)
    type_line = next((note.front_matter.line(k) for k, _ in _keys_of_kind(note, ctx.config, "type")), 1)
    for cls in classes:
        yield Statement(thing, RDF_TYPE, NamedNode(cls), type_line)
    for key, value, line in unknown:
        yield Statement(thing, ctx.iris.property(key), Literal(value), line)  # nothing is dropped
        yield Diagnostic(
            note.path,
            line,
            Severity.WARNING,
            "unknown-type",
            f"{key} '{value}' is not mapped to a class; using {_short(ctx.config.unknown_class)} and keeping "
            f"the text as {key} (add it under 'types' in vaultkg.yaml)",
        )


def _short(iri: str) -> str:
    from .vocab import VKG

    return "vkg:" + iri[len(VKG) :] if iri.startswith(VKG) else f"<{iri}>"
