"""How the command line counts things in its summary lines."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and the noun, in the singular for one.

    >>> counted(1, "note"), counted(3, "note"), counted(1_200, "warning"), counted(1, "info", "infos")
    ('1 note', '3 notes', '1,200 warnings', '1 info')
    """
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
