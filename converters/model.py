"""Input and output types of the pure core: parsed notes in, statements and diagnostics out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from pyoxigraph import Literal, NamedNode

Term = NamedNode | Literal
KeyPath = tuple[str | int, ...]


class Severity(StrEnum):
    """How bad a diagnostic is; ordered from worst to mildest."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem found in a note, reported as ``path:line: severity: message``."""

    path: str
    line: int
    severity: Severity
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity.value}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """Parsed YAML front matter with the 1-based source line of every key and list item."""

    data: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[KeyPath, int] = field(default_factory=dict)
    start_line: int = 1

    def line(self, *path: str | int) -> int:
        """Line of the value at ``path``, falling back to its nearest ancestor."""
        key: KeyPath = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.start_line


@dataclass(frozen=True, slots=True)
class Note:
    """One Markdown note as read from the vault.

    ``path`` is vault-relative with ``/`` separators; ``name`` is the file name without ``.md``;
    ``body`` is everything after the front matter and ``body_line`` the line it starts on.
    """

    path: str
    name: str
    front_matter: FrontMatter = field(default_factory=FrontMatter)
    body: str = ""
    body_line: int = 1

    @property
    def folder(self) -> str:
        return self.path.rpartition("/")[0]


class Link(NamedTuple):
    """A link written in a note: ``[[target#fragment|label]]``, an embed or a Markdown link."""

    target: str
    line: int
    fragment: str | None = None
    label: str | None = None
    embed: bool = False
    markdown: bool = False


class Graph(StrEnum):
    """Which named graph a statement belongs to."""

    NOTE = "note"  # the graph of the note that produced it
    VAULT = "vault"  # shared vault-level facts (tag concepts, labels of missing notes)


class Statement(NamedTuple):
    """One triple plus the source line it came from (the build's line map)."""

    subject: NamedNode
    predicate: NamedNode
    object: Term
    line: int
    graph: Graph = Graph.NOTE


class Unresolved(NamedTuple):
    """A link or name with no note behind it; the assembler gives the entity one label."""

    entity: NamedNode
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Attachment:
    """A link to a file that is not a note (``![[map.png]]``); reported, not an entity."""

    target: str
    line: int


@dataclass(frozen=True, slots=True)
class Notice:
    """Something ``report.json`` should list that is neither a triple nor a problem: a table
    that is no milestone table, a name that was found but is ambiguous …"""

    kind: str
    line: int
    detail: tuple[tuple[str, Any], ...] = ()


Output = Statement | Diagnostic | Unresolved | Attachment | Notice

__all__ = [
    "Attachment",
    "Diagnostic",
    "FrontMatter",
    "Graph",
    "KeyPath",
    "Link",
    "Note",
    "Notice",
    "Output",
    "Severity",
    "Statement",
    "Term",
    "Unresolved",
]
