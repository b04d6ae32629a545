"""The bundled data — ontology, JSON-LD context, mapping defaults, shapes, queries — read in one
place. Installed, they live in ``vaultkg/_data/``; in a source checkout, at the repo's top."""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

_FOLDERS = ("ontology", "shapes", "queries")


@cache
def data_root(folder: str) -> Traversable:
    """The bundled ``ontology``, ``shapes`` or ``queries`` folder."""
    if folder not in _FOLDERS:
        raise ValueError(f"no bundled folder {folder!r}")
    packaged = resources.files("vaultkg") / "_data" / folder
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / folder  # editable install or checkout


def read_text(folder: str, name: str) -> str:
    """The text of one bundled file, e.g. ``read_text("ontology", "mapping.yaml")``."""
    return (data_root(folder) / name).read_text(encoding="utf-8")


def list_files(folder: str, suffix: str = "") -> list[str]:
    """Names of the bundled files in ``folder`` (not recursive), sorted."""
    return sorted(p.name for p in data_root(folder).iterdir() if p.is_file() and p.name.endswith(suffix))


@cache
def code_digest() -> str:
    """A digest of vaultkg's own source (the ``vaultkg`` and ``converters`` modules): what a
    cache of its results is valid for. Any other checkout or release of the code — even one
    that forgot to bump a cache format — gets a digest of its own (~2 ms to compute)."""
    import hashlib

    import converters

    digest = hashlib.sha256()
    for package in (converters.__file__, __file__):
        for path in sorted(Path(package).resolve().parent.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
