"""The note's Markdown body (without front matter) as ``{doc} schema:text`` (``body_text``)."""

from __future__ import annotations

from collections.abc import Iterator

from pyoxigraph import Literal

from .context import Context
from .model import Note, Output, Statement
from .vocab import SCHEMA_TEXT


def convert(note: Note, ctx: Context) -> Iterator[Output]:
    """``{doc} schema:text "…markdown…"`` for every note with a non-empty body."""
    if ctx.config.body_text and note.body.strip():
        yield Statement(ctx.document(note), SCHEMA_TEXT, Literal(note.body), note.body_line)
