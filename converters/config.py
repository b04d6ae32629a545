"""The mapping configuration: how front matter, folders and types map onto the ontology.

The defaults live in ``ontology/mapping.yaml``; a user's ``vaultkg.yaml`` is merged over them.
This module only turns an already-parsed mapping into a typed, validated :class:`Config`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import NamedNode

from .text import nfc
from .vocab import PREFIXES, VKG, expand

DEFAULT_BASE = "https://example.org/vault/"
_BASE = re.compile(r"^https?://[^\s<>\"{}|\\^`#?]+/$")
KINDS = ("literal", "entity", "date", "url", "alias", "tag", "wikidata", "type", "label", "slug")
SUBJECTS = ("thing", "document")


class ConfigError(ValueError):
    """The mapping configuration is not usable; the message says which setting and why."""


@dataclass(frozen=True, slots=True)
class KeyRule:
    """How one front-matter key becomes triples."""

    kind: str = "literal"
    property: str | None = None  # full IRI; None → {base}property/{key}
    subject: str = "thing"  # "thing" ({slug}#id) or "document" ({slug})
    classes: tuple[str, ...] = ()  # apply only to notes of these classes


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the converters need to know besides the notes themselves."""

    base: str = DEFAULT_BASE
    types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_class: str = VKG + "Entity"
    unknown_class: str = VKG + "Entity"
    folders: Mapping[str, str] = field(default_factory=dict)
    keys: Mapping[str, KeyRule] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    obsidian_templates: bool = True  # leave out the template folders Obsidian's settings name
    prefixes: Mapping[str, str] = field(default_factory=dict)
    body_text: bool = True
    body_comments: bool = False  # keep Obsidian %%comments%% in the body text
    milestone_date_columns: tuple[str, ...] = ("year", "years", "date", "dates", "when", "period", "time")
    milestone_text_columns: tuple[str, ...] = ("event", "events", "milestone", "description", "what")
    dated_bullets: bool = True
    source_headings: tuple[str, ...] = ("sources", "references", "bibliography", "further reading")
    inline_fields: bool = True
    mentions: bool = True
    disabled_checks: tuple[str, ...] = ()  # shapes or checks that validation leaves out
    max_note_bytes: int = 20 * 1024 * 1024  # larger files are reported and skipped
    max_yaml_values: int = 100_000  # front matter expanding to more (alias bombs) is refused

    def rule(self, key: str) -> KeyRule | None:
        """The rule for a front-matter key (keys match case-insensitively)."""
        return self.keys.get(key.lower())

    def classes_for(self, type_value: str) -> tuple[str, ...] | None:
        """Classes for a ``type:`` value, or ``None`` when the value is not mapped."""
        return self.types.get(type_value.strip().lower())

    def folder_type(self, path: str) -> str | None:
        """The default ``type`` for a note path from the longest matching folder prefix."""
        best: tuple[int, str] | None = None
        lowered = nfc(path).lower()
        for folder, type_value in self.folders.items():
            prefix = nfc(folder.strip("/")).lower() + "/"
            if lowered.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), type_value)
        return best[1] if best else None

    def excluded(self, path: str) -> bool:
        """Whether a vault-relative path matches one of the ``exclude`` globs."""
        path = nfc(path)
        return any(
            fnmatch.fnmatchcase(path, nfc(pattern)) or path.startswith(nfc(pattern).rstrip("/") + "/")
            for pattern in self.exclude
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base: Config | None = None) -> Config:
        """Build a config from parsed YAML, merged over ``base`` (the defaults)."""
        if not isinstance(data, Mapping):
            raise ConfigError("the configuration must be a mapping of settings")
        known = {
            "base", "types", "default_type", "unknown_type", "folders", "keys", "exclude", "prefixes",
            "body_text", "body_comments", "milestone_date_columns", "milestone_text_columns", "dated_bullets",
            "source_headings", "inline_fields", "mentions", "validation", "limits", "obsidian_templates",
        }  # fmt: skip
        unknown = sorted(set(map(str, data)) - known)
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})")
        prefixes = {**(base.prefixes if base else {}), **_str_map(data.get("prefixes"), "prefixes")}
        for name, ns in prefixes.items():
            if not re.fullmatch(r"[A-Za-z][\w\-.]*", name) or _iri(ns, {}, f"prefixes.{name}") != ns:
                raise ConfigError(f"prefixes.{name}: a prefix needs a plain name and an absolute IRI")
            if name in ("vault", "tag", "prop"):  # they were left out without a word
                raise ConfigError(f"prefixes.{name}: {name}: follows the base IRI (set base instead)")
            if PREFIXES.get(name, ns) != ns:
                raise ConfigError(f"prefixes.{name}: {name}: is {PREFIXES[name]} in vaultkg's vocabulary; "
                                  "give your namespace another name")  # fmt: skip
        declared: dict[str, tuple[str, ...]] = {}
        for cls_name, values in _map(data.get("types"), "types").items():
            iri = _iri(
                str(cls_name), prefixes, "types", "a class, mapped to `type:` values: vkg:Country: [country, state]"
            )
            for value in _strings(values, f"types.{cls_name}"):
                key = value.strip().lower()
                declared[key] = (*declared.get(key, ()), iri)
        types = {**(base.types if base else {}), **declared}  # a value declared here wins
        keys = dict(base.keys) if base else {}
        for key, spec in _map(data.get("keys"), "keys").items():
            keys[str(key).lower()] = _rule(str(key), spec, prefixes)
        base_iri = str(data.get("base", base.base if base else DEFAULT_BASE)).strip()
        if re.match(r"^https?://[^#?]*[^/#?]$", base_iri):
            base_iri += "/"  # https://example.org/vault means https://example.org/vault/
        if not _BASE.match(base_iri):
            raise ConfigError(
                f"base {base_iri!r} must be an http(s) IRI ending in '/' with no '#', "
                "e.g. https://example.org/vault/ (notes are {base}slug, things {base}slug#id)"
            )
        defaults = base or cls()
        return cls(
            base=base_iri,
            types=types,
            default_class=_iri(str(data["default_type"]), prefixes, "default_type")
            if "default_type" in data
            else defaults.default_class,
            unknown_class=_iri(str(data["unknown_type"]), prefixes, "unknown_type")
            if "unknown_type" in data
            else defaults.unknown_class,
            folders={**defaults.folders, **_str_map(data.get("folders"), "folders")},
            keys=keys,
            exclude=(*defaults.exclude, *_strings(data.get("exclude", []), "exclude")),
            obsidian_templates=_flag(data, "obsidian_templates", defaults.obsidian_templates),
            prefixes=prefixes,
            body_text=_flag(data, "body_text", defaults.body_text),
            body_comments=_flag(data, "body_comments", defaults.body_comments),
            milestone_date_columns=_lowered(data, "milestone_date_columns", defaults.milestone_date_columns),
            milestone_text_columns=_lowered(data, "milestone_text_columns", defaults.milestone_text_columns),
            dated_bullets=_flag(data, "dated_bullets", defaults.dated_bullets),
            source_headings=_lowered(data, "source_headings", defaults.source_headings),
            inline_fields=_flag(data, "inline_fields", defaults.inline_fields),
            mentions=_flag(data, "mentions", defaults.mentions),
            disabled_checks=(*defaults.disabled_checks, *_disabled(data.get("validation"))),
            max_note_bytes=_limit(data, "max_note_bytes", defaults.max_note_bytes),
            max_yaml_values=_limit(data, "max_yaml_values", defaults.max_yaml_values),
        )


def _limit(data: Mapping[str, Any], key: str, default: int) -> int:
    limits = _map(data.get("limits"), "limits")
    unknown = sorted(set(map(str, limits)) - {"max_note_bytes", "max_yaml_values"})
    if unknown:
        raise ConfigError(f"limits: unknown setting {unknown[0]!r} (known: max_note_bytes, max_yaml_values)")
    value = limits.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"limits.{key} must be a positive whole number")
    return value


def _disabled(value: Any) -> list[str]:
    settings = _map(value, "validation")
    unknown = sorted(set(map(str, settings)) - {"disable"})
    if unknown:
        raise ConfigError(f"validation: unknown setting {unknown[0]!r} (known: disable)")
    return _strings(settings.get("disable", []), "validation.disable")


def _flag(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false")
    return value


def _lowered(data: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    if key not in data:
        return default
    return tuple(v.strip().lower() for v in _strings(data[key], key))


def _map(value: Any, where: str) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a mapping")
    return value


def _str_map(value: Any, where: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in _map(value, where).items()}


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    raise ConfigError(f"{where} must be a string or a list of strings")


def _iri(name: str, prefixes: Mapping[str, str], where: str, expected: str = "") -> str:
    """``name`` (a prefixed name or an IRI) as an IRI; ``expected`` says what belongs there."""
    iri = expand(name, dict(prefixes))
    try:
        NamedNode(iri)
    except ValueError:
        iri = ""
    if not iri.startswith(("http://", "https://", "urn:")):
        hint = f" ({expected})" if expected else ""
        raise ConfigError(f"{where}: {name!r} is neither a known prefixed name nor a valid IRI{hint}")
    return iri


def _rule(key: str, spec: Any, prefixes: Mapping[str, str]) -> KeyRule:
    where = f"keys.{key}"
    if isinstance(spec, str):
        spec = {"property": spec}
    spec = _map(spec, where)
    unknown = sorted(set(map(str, spec)) - {"kind", "property", "subject", "classes"})
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r}")
    kind = str(spec.get("kind", "literal"))
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    subject = str(spec.get("subject", "thing"))
    if subject not in SUBJECTS:
        raise ConfigError(f"{where}: subject {subject!r} is not one of {', '.join(SUBJECTS)}")
    prop = spec.get("property")
    return KeyRule(
        kind=kind,
        property=_iri(str(prop), prefixes, where) if prop else None,
        subject=subject,
        classes=tuple(_iri(c, prefixes, where) for c in _strings(spec.get("classes", []), where)),
    )
