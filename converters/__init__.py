"""The pure core of vaultkg: parsed notes in, statements (triples with source lines) out.

Nothing here reads files, talks to a network or prints; the ``vaultkg`` package does that.
Each module converts one element of a note; :data:`CONVERTERS` lists them in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from . import frontmatter, links, note, tags
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
    Output,
    Severity,
    Statement,
    Unresolved,
)

Converter = Callable[[Note, Context], Iterator[Output]]

#: The converters run on every note, in order. Milestone tables, sources, inline fields and
#: mentions join this list as modules of their own.
CONVERTERS: tuple[Converter, ...] = (note.convert, frontmatter.convert, links.convert, tags.convert)


def convert(note_: Note, ctx: Context) -> Iterator[Output]:
    """Everything one note says, from every converter."""
    for converter in CONVERTERS:
        yield from converter(note_, ctx)


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
    "Output",
    "Severity",
    "Statement",
    "Unresolved",
    "assemble",
    "convert",
]
