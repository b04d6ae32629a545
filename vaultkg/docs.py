"""Generated parts of the README, so the docs cannot drift from the data (checked by a test)."""

from __future__ import annotations

import re
from pathlib import Path


def rules_markdown() -> str:
    """The table of validation rules: every shape and check with its level and description."""
    from .validation import load_checks, load_shapes, rules_table

    rows = ["| rule | level | what it checks |", "|---|---|---|"]
    for rule, meta in rules_table(load_shapes(), load_checks()).items():
        rows.append(f"| `{rule}` | {meta['level']} | {meta['description']} |")
    return "\n".join(rows) + "\n"


def queries_markdown() -> str:
    """The table of stored queries, from their grlc decorators."""
    from .stored_queries import defaults_of, library

    rows = ["| id | what it answers | parameters (example) |", "|---|---|---|"]
    for q in library().values():
        examples = defaults_of(q)
        params = ", ".join(
            f"`{p.name}`{'' if p.required else '?'} ({p.kind}{': ' + examples[p.name] if p.name in examples else ''})"
            for p in q.params
        )
        rows.append(f"| `{q.id}` | {q.summary} | {params or '—'} |")
    return "\n".join(rows) + "\n"


SECTIONS = {"rules": rules_markdown, "queries": queries_markdown}


def update_readme(path: Path, *, check: bool = False) -> list[str]:
    """Rewrite the generated sections between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``;
    return the names of the sections that were (or, with ``check``, would be) changed."""
    text = path.read_text(encoding="utf-8")
    changed = []
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(.*?)(<!-- {name}:end -->)", re.S)
        m = pattern.search(text)
        if m is None:
            changed.append(name)
            continue
        fresh = make()
        if m.group(2) != fresh:
            changed.append(name)
            text = text[: m.start(2)] + fresh + text[m.end(2) :]
    if changed and not check:
        path.write_text(text, encoding="utf-8")
    return changed


if __name__ == "__main__":
    import sys

    stale = update_readme(Path("README.md"), check="--check" in sys.argv)
    print(
        "README sections "
        + (", ".join(stale) + (" are stale" if "--check" in sys.argv else " updated") if stale else "up to date")
    )
    sys.exit(1 if stale and "--check" in sys.argv else 0)
