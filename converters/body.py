"""The note's Markdown body (without front matter) as ``{doc} schema:text`` (``body_text``),
without Obsidian's ``%%comments%%`` (unless ``body_comments``): Obsidian hides them when it shows
a note and Obsidian Publish leaves them out, so a published graph does too — as the links,
tags and mentions in them are left out everywhere."""

from __future__ import annotations

from collections.abc import Iterator

from pyoxigraph import Literal

from .context import Context
from .markdown import without_comments
from .model import Note, Output, Statement
from .vocab import SCHEMA_TEXT


def convert(note: Note, ctx: Context) -> Iterator[Output]:
    """``{doc} schema:text "…markdown…"`` for every note with a non-empty body."""
    if not ctx.config.body_text:
        return
    text = note.body if ctx.config.body_comments else without_comments(note.body)
    if text.strip():
        yield Statement(ctx.document(note), SCHEMA_TEXT, Literal(text), note.body_line)
