"""The errors the vaultkg library raises; the CLI maps them to exit codes in one place."""

from __future__ import annotations


class VaultkgError(Exception):
    """Base of every error vaultkg raises on purpose. Exit code 2 unless said otherwise."""

    exit_code = 2


class UsageError(VaultkgError):
    """The call itself is wrong: a bad option value, a missing argument."""


class InputError(VaultkgError):
    """vaultkg cannot read what it was given: no vault, no notes, an unreadable path."""


class ConfigFileError(VaultkgError):
    """The mapping configuration cannot be read or is not valid."""
