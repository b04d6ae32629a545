"""Vault-wide name resolution: slugs (with collisions), note names, paths and aliases.

Links resolve the way Obsidian resolves them: case-insensitively; a path in the link wins;
otherwise a note name; an ambiguous name picks, in this order, the note in the linking
note's folder, the shortest path, the first path in sort order — and says so. vaultkg then
falls back to aliases and titles (Obsidian would create a new note; a knowledge graph is better
served by the entity the alias names), and last to a note whose slug is the link's slug.
"""

from __future__ import annotations

import posixpath
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .config import Config
from .iris import slugify
from .model import Diagnostic, Note, Severity
from .text import split_aliases


def preference(path: str, folder: str) -> tuple[bool, int, str]:
    """How a note at ``path`` ranks among notes of one name linked from ``folder``: the same
    folder first, then the shortest path, then the first in sort order (lowest wins)."""
    return (posixpath.dirname(path) != folder, path.count("/"), path)


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where a name or link leads: a slug, whether a note is behind it, and any ambiguity."""

    slug: str
    note: Note | None = None
    candidates: tuple[str, ...] = ()  # paths of all candidates when the name was ambiguous
    via: str = "name"  # path | name | alias | slug | missing


def normalize(name: str) -> str:
    """Case- and form-insensitive key for names, aliases and paths."""
    return unicodedata.normalize("NFC", name).strip().casefold()


def strip_md(target: str) -> str:
    return target[:-3] if target.lower().endswith(".md") else target


class Resolver:
    """Knows every note of the vault by slug, path, name and alias."""

    def __init__(self, notes: Sequence[Note], config: Config) -> None:
        self.config = config
        self.diagnostics: list[Diagnostic] = []
        self._notes = sorted(notes, key=lambda n: n.path)
        self._kinds: dict[str, str] = {}  # front-matter key as written → its rule's kind ("" for none)
        #: a note's front-matter keys → the places of its slug keys and of its alias/label keys
        self._plans: dict[tuple[str, ...], tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._pinned: dict[str, str | None] = {}  # path → the slug its front matter pins
        self._digest: str | None = None
        self._kept: dict[str, Any] | None = None  # the earlier state this resolver is (see :meth:`reused`)
        self._slugs = self._assign_slugs()
        self._by_path: dict[str, Note] = {}
        self._by_name: dict[str, list[Note]] = defaultdict(list)
        self._by_alias: dict[str, list[Note]] = defaultdict(list)
        self._by_slug: dict[str, Note] = {}
        self._cache: dict[tuple[str, str, str], Resolution] = {}
        self._aliases: dict[str, tuple[str, ...]] = {}
        for note in self._notes:
            self._by_path[normalize(strip_md(note.path))] = note
            self._by_name[normalize(note.name)].append(note)
            self._by_slug[self._slugs[note.path]] = note
        self._index_aliases()

    def _index_aliases(self) -> None:
        """Every note under each of its aliases, case-folded (notes in path order)."""
        by_alias = self._by_alias
        for note in self._notes:
            for alias in self.aliases(note):
                notes = by_alias[normalize(alias)]
                if note not in notes:
                    notes.append(note)

    def digest(self) -> str:
        """What every note's resolution depends on — paths, names, aliases, titles and slugs of
        all notes — as one hash: while it stays the same, a note converts the same as before."""
        import hashlib

        if self._digest is None:
            h = hashlib.sha256()
            for note in self._notes:
                h.update(f"{note.path}\0{self._slugs[note.path]}\0{sorted(self.aliases(note))}\n".encode())
            self._digest = h.hexdigest()
        return self._digest

    def state(self) -> dict[str, Any]:
        """What this resolver knows, with notes named by path (to keep for the next build:
        :meth:`reused`; the very state it was made from when that holds unchanged)."""
        if self._kept is not None:
            return self._kept
        return {
            "config": self.config,
            "diagnostics": self.diagnostics,
            "paths": [n.path for n in self._notes],
            "slugs": self._slugs,
            "pinned": self._pinned,
            "aliases": {n.path: self.aliases(n) for n in self._notes},
            "by_path": {key: n.path for key, n in self._by_path.items()},
            "by_name": {key: [n.path for n in ns] for key, ns in self._by_name.items()},
            "by_alias": {key: [n.path for n in ns] for key, ns in self._by_alias.items()},
            "digest": self.digest(),
        }

    @classmethod
    def reused(
        cls, state: dict[str, Any], notes: Sequence[Note], config: Config, changed: Sequence[Note]
    ) -> Resolver | None:
        """The resolver an earlier build kept (:meth:`state`), for these notes — or ``None``
        when it would differ from a new one in its slugs: another config, a note added, removed
        or renamed, or a ``changed`` note whose front matter pins another slug. A ``changed``
        note that declares other aliases is taken in: the alias index is made again from every
        note's aliases, as a new resolver makes it, and the slugs are kept (they depend on names
        and pinned slugs only). (Resolving reads no more of a note than its path, name, pinned
        slug and aliases.)"""
        if state.get("config") != config:
            return None
        ordered = sorted(notes, key=lambda n: n.path)
        if [n.path for n in ordered] != state["paths"]:
            return None
        self = cls.__new__(cls)
        self.config, self._kinds, self._plans, self._cache, self._kept = config, {}, {}, {}, None
        aliased: dict[str, tuple[str, ...]] = {}
        for note in changed:
            if self._pinned_slug(note) != state["pinned"][note.path]:
                return None
            declared = tuple(self._declared_aliases(note))
            if declared != state["aliases"][note.path]:
                aliased[note.path] = declared
        of = {n.path: n for n in ordered}
        self._notes = ordered
        self.diagnostics = list(state["diagnostics"])  # only slug collisions are reported here
        self._slugs, self._pinned = state["slugs"], state["pinned"]
        self._by_path = {key: of[p] for key, p in state["by_path"].items()}
        self._by_name = defaultdict(list, {key: [of[p] for p in ps] for key, ps in state["by_name"].items()})
        self._by_slug = {self._slugs[p]: of[p] for p in state["paths"]}
        if not aliased:
            self._aliases, self._digest, self._kept = state["aliases"], state["digest"], state
            self._by_alias = defaultdict(list, {key: [of[p] for p in ps] for key, ps in state["by_alias"].items()})
            return self
        self._aliases, self._digest = {**state["aliases"], **aliased}, None
        self._by_alias = defaultdict(list)
        self._index_aliases()
        return self

    def changed_since(self, state: dict[str, Any]) -> tuple[set[str], set[str]]:
        """What resolves differently than with an earlier build's resolver (:meth:`state`): the
        keys (names, aliases, slugs, case-folded) whose notes or slugs changed — with the names
        of notes whose slug changed, for what links to them — and the paths of those notes."""
        keys: set[str] = set()
        own: set[str] = set()
        old_slugs: dict[str, str] = state["slugs"]
        for path in old_slugs.keys() | self._slugs.keys():
            before, after = old_slugs.get(path), self._slugs.get(path)
            if before == after:
                continue
            keys.update(s for s in (before, after) if s is not None)
            if before is not None and after is not None:  # the same note, another IRI: and its referrers
                own.add(path)
                note = self._by_slug[after]
                keys.update(normalize(name) for name in (note.name, *self.aliases(note)))  # a path ends with the name
        # a path that changes changes its name's entry too (a link by path ends with the name)
        for old, new in ((state["by_name"], self._by_name), (state["by_alias"], self._by_alias)):
            for key in old.keys() | new.keys():
                if old.get(key, []) != [n.path for n in new.get(key, [])]:
                    keys.add(key)
        return keys, own

    @property
    def notes(self) -> list[Note]:
        """Every note of the vault, in path order."""
        return self._notes

    # -- slugs -------------------------------------------------------------------------------

    def slug(self, note: Note) -> str:
        return self._slugs[note.path]

    def _assign_slugs(self) -> dict[str, str]:
        wanted: dict[str, list[tuple[bool, Note]]] = defaultdict(list)
        for note in self._notes:
            pinned = self._pinned[note.path] = self._pinned_slug(note)
            wanted[slugify(pinned or note.name)].append((pinned is not None, note))
        slugs: dict[str, str] = {}
        taken = set(wanted)
        for slug, group in sorted(wanted.items()):
            group.sort(key=lambda item: (not item[0], item[1].path.count("/"), item[1].path))
            owner = group[0][1]
            slugs[owner.path] = slug
            for _, note in group[1:]:
                folder = slugify(note.folder) if note.folder else ""
                candidate = f"{slug}-{folder}" if folder else f"{slug}-2"
                n = 2
                while candidate in taken:
                    n += 1
                    candidate = f"{slug}-{folder}-{n}" if folder else f"{slug}-{n}"
                taken.add(candidate)
                slugs[note.path] = candidate
                self.diagnostics.append(
                    Diagnostic(
                        note.path,
                        1,
                        Severity.WARNING,
                        "slug-collision",
                        f"slug '{slug}' is already used by '{owner.path}'; "
                        f"this note gets '{candidate}' (pin one with 'slug:' in the front matter)",
                    )
                )
        return slugs

    def _pinned_slug(self, note: Note) -> str | None:
        data = note.front_matter.data
        slugs, _ = self._plan(data)
        if slugs:
            values = list(data.values())
            for i in slugs:
                value = values[i]
                if isinstance(value, str | int) and str(value).strip():
                    return str(value)
        return None

    def _plan(self, data: Mapping[Any, Any]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Where a front matter's slug keys and alias/label keys stand (notes made from one
        template share their keys: worked out once per set of keys)."""
        keys = tuple(map(str, data))
        plan = self._plans.get(keys)
        if plan is None:
            kinds = [self._kind(key) for key in keys]
            slugs = tuple(i for i, kind in enumerate(kinds) if kind == "slug")
            plan = self._plans[keys] = (slugs, tuple(i for i, kind in enumerate(kinds) if kind in ("alias", "label")))
        return plan

    def _kind(self, key: object) -> str:
        """The kind of the rule for a front-matter key (looked up once per key)."""
        name = str(key)
        kind = self._kinds.get(name)
        if kind is None:
            rule = self.config.rule(name)
            kind = self._kinds[name] = rule.kind if rule is not None else ""
        return kind

    def aliases(self, note: Note) -> tuple[str, ...]:
        """Aliases and titles declared in a note's front matter (computed once per note)."""
        found = self._aliases.get(note.path)
        if found is None:
            found = self._aliases[note.path] = tuple(self._declared_aliases(note))
        return found

    def _declared_aliases(self, note: Note) -> Iterator[str]:
        data = note.front_matter.data
        _, aliases = self._plan(data)
        if not aliases:
            return
        everything = list(data.values())
        for i in aliases:
            for text, _ in split_aliases(everything[i]):
                yield text

    # -- resolution --------------------------------------------------------------------------

    def link(self, target: str, source: Note) -> Resolution:
        """Resolve the target of a wikilink or Markdown link written in ``source``."""
        key = ("link", target, source.folder)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._link(target, source)
        return hit

    def name(self, name: str, source: Note) -> Resolution:
        """Resolve a plain name (an actor, a link without a path) by name, alias, then slug."""
        key = ("name", name, source.folder)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._name(name, source)
        return hit

    def _link(self, target: str, source: Note) -> Resolution:
        target = strip_md(unicodedata.normalize("NFC", target).strip())
        if "/" in target:
            if target.startswith(("./", "../")):
                joined = posixpath.normpath(posixpath.join(source.folder, target))
                exact = self._by_path.get(normalize(joined))
            else:
                exact = self._by_path.get(normalize(target.lstrip("/")))
            if exact is not None:
                return Resolution(self.slug(exact), exact, via="path")
            suffix = "/" + normalize(target.lstrip("./"))
            matches = [n for k, n in self._by_path.items() if ("/" + k).endswith(suffix)]
            if matches:
                return self._pick(matches, source, "path")
        return self.name(posixpath.basename(target) or target, source)

    def _name(self, name: str, source: Note) -> Resolution:
        name = strip_md(unicodedata.normalize("NFC", name).strip())
        key = normalize(name)
        if hits := self._by_name.get(key):
            if len(hits) > 1 and len(exact := [n for n in hits if n.name == name]) == 1:
                return Resolution(self.slug(exact[0]), exact[0], via="name")  # Case.md and case.md: as written
            return self._pick(hits, source, "name")
        if hits := self._by_alias.get(key):
            return self._pick(hits, source, "alias")
        slug = slugify(name)
        if (note := self._by_slug.get(slug)) is not None:
            return Resolution(slug, note, via="slug")
        return Resolution(slug, None, via="missing")

    def _pick(self, notes: list[Note], source: Note, via: str) -> Resolution:
        if len(notes) == 1:
            return Resolution(self.slug(notes[0]), notes[0], via=via)
        ranked = sorted(notes, key=lambda n: preference(n.path, source.folder))
        chosen = ranked[0]
        return Resolution(self.slug(chosen), chosen, tuple(sorted(n.path for n in notes)), via)
