"""vaultkg: publish a vault of Markdown notes as a linked-data knowledge graph.

>>> import vaultkg
>>> sorted(vaultkg.__all__)[:3]
['BuildResult', 'ConfigFileError', 'Format']
"""

from importlib import import_module as _import_module
from typing import Any as _Any

__version__ = "0.1.0"

from .errors import ConfigFileError, InputError, UsageError, VaultkgError

# Imported on first use, so that `vaultkg build` does not pay for pySHACL, httpx or SPARQLWrapper,
# nor `vaultkg load` or `query` for the converters (the build lives in vaultkg.building: a
# submodule named `build` would shadow the function `vaultkg.build` once imported).
_LAZY = {
    "build": ("vaultkg.building", "build"),
    "BuildResult": ("vaultkg.building", "BuildResult"),
    "Format": ("vaultkg.writers", "Format"),
    "validate": ("vaultkg.validation", "validate"),
    "ValidationReport": ("vaultkg.validation", "ValidationReport"),
    "run_query": ("vaultkg.querying", "run_query"),
    "load": ("vaultkg.loader", "load"),
    "link": ("vaultkg.linking", "link"),
    "LinkError": ("vaultkg.linking", "LinkError"),
    "LoadError": ("vaultkg.loader", "LoadError"),
}

__all__ = [
    "BuildResult",
    "ConfigFileError",
    "Format",
    "InputError",
    "LinkError",
    "LoadError",
    "UsageError",
    "ValidationReport",
    "VaultkgError",
    "__version__",
    "build",
    "link",
    "load",
    "run_query",
    "validate",
]


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(_import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'vaultkg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
