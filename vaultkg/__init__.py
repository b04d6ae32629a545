"""vaultkg: publish a vault of Markdown notes as a linked-data knowledge graph."""

__version__ = "0.1.0"

from .build import BuildResult, build
from .errors import ConfigFileError, InputError, UsageError, VaultkgError
from .writers import Format

__all__ = [
    "BuildResult",
    "ConfigFileError",
    "Format",
    "InputError",
    "UsageError",
    "VaultkgError",
    "__version__",
    "build",
]
