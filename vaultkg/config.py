"""Load the mapping configuration: bundled defaults, then the vault's file, then options."""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path

import yaml

from converters import Config, ConfigError
from converters.text import nfc

from .errors import ConfigFileError
from .resources import read_text

#: Looked for in the vault's folder when no --config is given.
CONFIG_NAMES = ("vaultkg.yaml", "vaultkg.yml", ".vaultkg.yaml")


@cache
def default_config() -> Config:
    """The defaults of ``ontology/mapping.yaml`` (read by libyaml where PyYAML has it: 0.02 s
    less for every command)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return Config.from_mapping(yaml.load(read_text("ontology", "mapping.yaml"), Loader=loader))


def find_config(vault: Path) -> Path | None:
    for name in CONFIG_NAMES:
        if (vault / name).is_file():
            return vault / name
    return None


def load_config(
    path: Path | None = None, *, vault: Path | None = None, base: str | None = None
) -> tuple[Config, Path | None]:
    """The effective config and the file it came from (``None``: defaults only)."""
    config = default_config()
    if path is None and vault is not None:
        path = find_config(vault)
    if path is not None:
        try:
            data = yaml.safe_load(nfc(path.read_text(encoding="utf-8"))) or {}  # composed, as notes are read
        except OSError as exc:
            raise ConfigFileError(f"{path}: cannot read config: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            raise ConfigFileError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
        try:
            config = Config.from_mapping(data, base=config)
        except ConfigError as exc:
            raise ConfigFileError(f"{path}: {exc}") from None
    if base is not None:
        try:
            config = Config.from_mapping({"base": base}, base=config)
        except ConfigError as exc:
            raise ConfigFileError(f"--base: {exc}") from None
    if vault is not None and config.obsidian_templates:
        folders = [f"{folder}/" for folder in obsidian_template_folders(vault) if f"{folder}/" not in config.exclude]
        if folders:
            config = dataclasses.replace(config, exclude=(*config.exclude, *folders))
    return config, path


#: Where Obsidian's core Templates plugin and the Templater plugin keep their template folder.
TEMPLATE_SETTINGS = (
    (".obsidian/templates.json", "folder"),
    (".obsidian/plugins/templater-obsidian/data.json", "templates_folder"),
)


def obsidian_template_folders(vault: Path) -> list[str]:
    """The vault-relative template folders that the vault's Obsidian settings name (settings
    that are missing or unreadable name none: they are Obsidian's files, not vaultkg's)."""
    found: list[str] = []
    for name, key in TEMPLATE_SETTINGS:
        try:
            settings = json.loads((vault / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        folder = settings.get(key) if isinstance(settings, dict) else None
        if isinstance(folder, str) and (folder := folder.strip().strip("/")) and folder not in found:
            found.append(folder)
    return found
