"""What every converter may consult besides the note: config, IRIs and the vault's names."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from pyoxigraph import NamedNode

from .config import Config
from .iris import Iris
from .model import Note
from .resolve import Resolver

T = TypeVar("T")


class Context:
    """Read-only, vault-wide knowledge shared by the converters of one build."""

    def __init__(self, notes: Sequence[Note], config: Config, resolver: Resolver | None = None) -> None:
        self.config = config
        self.iris = Iris(config.base)
        self.resolver = resolver or Resolver(notes, config)
        self._classes: dict[str, tuple[list[str], list[tuple[str, str, int]]]] = {}
        self._cache: dict[str, Any] = {}

    def document(self, note: Note) -> NamedNode:
        return self.iris.document(self.resolver.slug(note))

    def thing(self, note: Note) -> NamedNode:
        return self.iris.thing(self.resolver.slug(note))

    def classes(self, note: Note) -> tuple[list[str], list[tuple[str, str, int]]]:
        """Class IRIs of what the note describes and its unmapped ``type`` values (cached)."""
        hit = self._classes.get(note.path)
        if hit is None:
            from .note import note_classes

            hit = self._classes[note.path] = note_classes(note, self.config)
        return hit

    def cached(self, name: str, factory: Callable[[], T]) -> T:
        """A vault-wide structure a converter builds once per build (e.g. the mention index)."""
        if name not in self._cache:
            self._cache[name] = factory()
        return self._cache[name]

    def replace_cached(self, name: str, value: Any) -> None:
        """Put ``value`` in the place of what :meth:`cached` holds as ``name``."""
        self._cache[name] = value

    @cached_property
    def prefixes(self) -> dict[str, str]:
        """Prefixes for the outputs: the standard ones, the config's and the vault's own."""
        return output_prefixes(self.config)


def output_prefixes(config: Config) -> dict[str, str]:
    """Prefixes for the outputs: the standard ones, the config's and the vault's own."""
    from .vocab import PREFIXES

    iris = Iris(config.base)
    return {**PREFIXES, **config.prefixes, "prop": iris.property_ns, "tag": iris.tag_ns, "vault": config.base}
