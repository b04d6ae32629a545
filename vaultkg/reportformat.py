"""The validation report formats (a light module: the command line lists them without
importing the validator)."""

from __future__ import annotations

from enum import StrEnum


class ReportFormat(StrEnum):
    """Validation report formats, with the file endings ``--output`` recognises."""

    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    GITHUB = "github"
    SARIF = "sarif"
    TURTLE = "turtle"

    @classmethod
    def from_filename(cls, name: str) -> ReportFormat | None:
        lowered = name.lower()
        for suffix, fmt in (
            (".sarif.json", cls.SARIF),
            (".sarif", cls.SARIF),
            (".json", cls.JSON),
            (".xml", cls.JUNIT),
            (".ttl", cls.TURTLE),
            (".txt", cls.TEXT),
            (".log", cls.TEXT),
        ):
            if lowered.endswith(suffix):
                return fmt
        return None
