"""Find and read the notes of a vault on disk."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

from converters import Config, Diagnostic, FrontMatter, Note, Severity

from .errors import InputError
from .reader import decode, parse_note


@dataclass(slots=True)
class VaultContents:
    """The notes of a vault and the problems met while reading them."""

    root: Path
    notes: list[Note] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    read: dict[str, ReadNote] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReadNote:
    """A note as read from a file of a given modification time and size (for the build cache)."""

    stamp: tuple[int, int]
    note: Note | None
    diagnostics: tuple[Diagnostic, ...]


def find_notes(root: Path, config: Config, skip: tuple[Path, ...] = ()) -> tuple[list[str], list[Diagnostic]]:
    """Vault-relative paths of every ``.md`` file (each folder's files, then its sub-folders, by
    name); hidden folders (``.obsidian``, ``.trash``) and excluded paths are left out, symlinks
    leading outside the vault too."""
    paths, diagnostics, _ = scan_vault(root, config, skip)
    return paths, diagnostics


#: A scan's note paths, diagnostics and files' (modification time, size) by path.
Scan = tuple[list[str], list[Diagnostic], dict[str, tuple[int, int]]]


def scan_vault(root: Path, config: Config, skip: tuple[Path, ...] = ()) -> Scan:
    """:func:`find_notes`, plus each file's (modification time, size) where ``os.scandir`` gives
    it without another system call's worth of path handling."""
    root_real = root.resolve()
    skip_real = {p.resolve() for p in skip}
    found: list[str] = []
    stamps: dict[str, tuple[int, int]] = {}
    diagnostics: list[Diagnostic] = []

    def visit(folder: str, prefix: str) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            return
        subfolders = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if not name.startswith(".") and Path(entry.path).resolve() not in skip_real:
                    subfolders.append(entry)
                continue
            if name.lower() == ".md":
                diagnostics.append(Diagnostic(prefix + name, 1, Severity.WARNING, "empty-name",
                                              "a note with an empty name (only '.md'); not read"))  # fmt: skip
                continue
            if not name.lower().endswith(".md") or name.startswith("."):
                continue
            rel = prefix + name
            if config.excluded(rel):
                continue
            if entry.is_symlink():
                target = Path(entry.path).resolve()
                if not target.is_relative_to(root_real):
                    diagnostics.append(
                        Diagnostic(rel, 1, Severity.WARNING, "symlink", "symlink leads outside the vault; not read")
                    )
                    continue
                if not target.is_file():
                    diagnostics.append(
                        Diagnostic(
                            rel, 1, Severity.WARNING, "symlink", "symlink leads to no file (broken or a loop); not read"
                        )
                    )
                    continue
            else:
                try:
                    stat = entry.stat(follow_symlinks=False)
                except OSError:
                    pass
                else:
                    if not S_ISREG(stat.st_mode):  # reading a FIFO would wait for a writer forever
                        message = "not a regular file (a FIFO, socket or device); not read"
                        diagnostics.append(Diagnostic(rel, 1, Severity.WARNING, "not-a-file", message))
                        continue
                    stamps[rel] = (stat.st_mtime_ns, stat.st_size)
            found.append(rel)
        for entry in subfolders:
            visit(entry.path, f"{prefix}{entry.name}/")

    visit(str(root), "")
    return found, diagnostics, stamps


def read_vault(
    root: Path,
    config: Config,
    *,
    skip: tuple[Path, ...] = (),
    on_file: Callable[[int, int], None] | None = None,
    known: Mapping[str, ReadNote] | None = None,
    mapper: Callable[[Callable[[str], Any], Sequence[str]], Iterable[Any]] | None = None,
    scanned: Callable[[], Scan] | None = None,
) -> VaultContents:
    """Read every note of the vault at ``root``; a bad file becomes a diagnostic, never an abort.

    ``known`` holds notes read before, by path: a file whose size and modification time are
    unchanged is not read again. :attr:`VaultContents.read` holds what this read found.
    ``mapper`` (``map`` by default) may read the files in parallel; the result is the same.
    ``scanned``, if given, returns :func:`scan_vault`'s result for the same arguments (found
    while the caller did something else)."""
    if not root.exists():
        raise InputError(f"{root}: no such directory")
    if not root.is_dir():
        raise InputError(f"{root}: not a directory (give the vault's folder)")
    paths, diagnostics, stamps = scanned() if scanned is not None else scan_vault(root, config, skip)
    contents = VaultContents(root=root, diagnostics=diagnostics, files=len(paths))
    for rel in paths:
        if rel not in stamps:
            try:
                stat = (root / rel).stat()
                stamps[rel] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                pass
    unchanged = {rel for rel in paths if known and rel in known and known[rel].stamp == stamps.get(rel)}
    todo = [rel for rel in paths if rel not in unchanged]

    def read(rel: str) -> tuple[tuple[Any, ...] | None, list[Diagnostic]]:
        note, found = read_note(root, rel, max_bytes=config.max_note_bytes, max_yaml=config.max_yaml_values)
        return note_fields(note) if note is not None else None, found

    fresh = dict(zip(todo, (mapper or map)(read, todo), strict=True))
    for i, rel in enumerate(paths):
        stamp = stamps.get(rel)
        if rel in unchanged:
            assert known is not None
            before = contents.read[rel] = known[rel]  # as read then (stamp is not None: it matched)
            note, problems = before.note, before.diagnostics
        else:
            fields, found = fresh[rel]
            note = note_from(*fields) if fields is not None else None
            problems = tuple(found)
            if stamp is not None:
                contents.read[rel] = ReadNote(stamp, note, problems)
        contents.diagnostics.extend(problems)
        if note is not None:
            contents.notes.append(note)
        if on_file is not None:
            on_file(i + 1, len(paths))
    return contents


def note_fields(note: Note) -> tuple[Any, ...]:
    """A note as plain values (path, name, front matter's data, lines and start line, body, body
    line): pickle makes a frozen dataclass from its state five times slower than calling it, and
    read notes come back from the reading processes pickled."""
    fm = note.front_matter
    return (note.path, note.name, fm.data, fm.lines, fm.start_line, note.body, note.body_line)


def note_from(path: str, name: str, data: Any, lines: Any, start_line: int, body: str, body_line: int) -> Note:
    """The note :func:`note_fields` gave the values of."""
    return Note(path, name, FrontMatter(data, lines, start_line), body, body_line)


def read_note(
    root: Path, rel: str, *, max_bytes: int = 20 * 1024 * 1024, max_yaml: int = 100_000
) -> tuple[Note | None, list[Diagnostic]]:
    """Read one note; ``None`` (and an error) when the file cannot be a note."""
    full = root / rel
    try:
        size = full.stat().st_size
        if size > max_bytes:
            return None, [
                Diagnostic(
                    rel,
                    1,
                    Severity.ERROR,
                    "too-large",
                    f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (limits.max_note_bytes); skipped",
                )
            ]
        data = full.read_bytes()
    except OSError as exc:
        return None, [Diagnostic(rel, 1, Severity.ERROR, "unreadable", f"cannot read file: {exc.strerror or exc}")]
    text, diagnostics = decode(data, rel)
    if text is None:
        return None, diagnostics
    note, more = parse_note(rel, text, max_yaml=max_yaml)
    return note, diagnostics + more
