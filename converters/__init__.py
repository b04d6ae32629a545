"""The pure core of vaultkg: parsed notes in, statements (triples with source lines) out.

Nothing here reads files, talks to a network or prints; the ``vaultkg`` package does that.
Each module converts one element of a note; :data:`CONVERTERS` lists them in order.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator

from . import body, fields, frontmatter, links, mentions, milestones, note, sources, tags
from .assemble import Dataset, assemble
from .config import Config, ConfigError, KeyRule
from .context import Context
from .model import (
    Attachment,
    Diagnostic,
    FrontMatter,
    Graph,
    Link,
    Note,
    Notice,
    Output,
    Severity,
    Statement,
    Unresolved,
)

Converter = Callable[[Note, Context], Iterator[Output]]

#: The converters run on every note, in order; each is a module of its own.
CONVERTERS: tuple[Converter, ...] = (
    note.convert,
    frontmatter.convert,
    links.convert,
    tags.convert,
    milestones.convert,
    sources.convert,
    fields.convert,
    mentions.convert,
    body.convert,
)
#: Converters that run once every note's other converters have run: mentions look for the names of
#: things the vault links to or names without a note, which only all the notes together know.
LAST: tuple[Converter, ...] = (mentions.convert,)
#: The others, run first (in the order of :data:`CONVERTERS`).
FIRST: tuple[Converter, ...] = tuple(c for c in CONVERTERS if c not in LAST)


def convert(note_: Note, ctx: Context) -> Iterator[Output]:
    """Everything one note says, from every converter."""
    return _through(CONVERTERS, note_, ctx)


def convert_first(note_: Note, ctx: Context) -> Iterator[Output]:
    """What one note says by the converters of :data:`FIRST`."""
    return _through(FIRST, note_, ctx)


def convert_last(note_: Note, ctx: Context) -> Iterator[Output]:
    """What one note says by the converters of :data:`LAST`."""
    return _through(LAST, note_, ctx)


def _through(converters: tuple[Converter, ...], note_: Note, ctx: Context) -> Iterator[Output]:
    for converter in converters:
        yield from guarded(converter, note_, ctx)


def guarded(converter: Converter, note_: Note, ctx: Context) -> Iterator[Output]:
    """A converter's outputs for one note; should it fail on the note (a bug in vaultkg), an error
    at the note that says where, in place of the rest of that converter's outputs: one odd note
    costs its own facts of that kind, not the build."""
    try:
        yield from converter(note_, ctx)
    except Exception as exc:  # any bug: reported at the note, and the rest goes on
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{f.filename.rpartition('/')[2]}:{f.lineno}" for f in reversed(frames)), "?")
        part, said = converter.__module__.rpartition(".")[2], str(exc)
        said = said if len(said) <= 200 else said[:199] + "…"
        yield Diagnostic(note_.path, 1, Severity.ERROR, "internal-error",
                         f"vaultkg failed on this note's {part} ({type(exc).__name__}: {said}, at {where}); "
                         "the rest of the vault is built — please report it with the note")  # fmt: skip


__all__ = [
    "CONVERTERS",
    "Attachment",
    "Config",
    "ConfigError",
    "Context",
    "Dataset",
    "Diagnostic",
    "FrontMatter",
    "Graph",
    "KeyRule",
    "Link",
    "Note",
    "Notice",
    "Output",
    "Severity",
    "Statement",
    "Unresolved",
    "assemble",
    "convert",
]
