"""The errors the vaultkg library raises; the CLI maps them to exit codes in one place."""

from __future__ import annotations

import re


class VaultkgError(Exception):
    """Base of every error vaultkg raises on purpose. Exit code 2 unless said otherwise."""

    exit_code = 2


class UsageError(VaultkgError):
    """The call itself is wrong: a bad option value, a missing argument."""


class InputError(VaultkgError):
    """vaultkg cannot read what it was given: no vault, no notes, an unreadable path."""


class ConfigFileError(VaultkgError):
    """The mapping configuration cannot be read or is not valid."""


def not_nquads(path: object, exc: SyntaxError) -> InputError:
    """The error for a build's ``graph.nq`` that does not parse (cut short, edited by hand):
    where, what the parser said, and what to do."""
    line = getattr(exc, "lineno", None)
    where = f"{path}:{line}" if line else str(path)
    reason = re.sub(r" \([^()]*, line \d+\)$", "", str(exc))  # the parser's own "(file, line N)": said above
    return InputError(f"{where}: not valid N-Quads ({reason}); run 'vaultkg build' again")
