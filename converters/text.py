"""Small text helpers shared by the fact converters."""

from __future__ import annotations

import re

#: A wikilink or embed anywhere in a text (the inner text is group 1).
WIKILINK_ANY = re.compile(r"!?\[\[([^\[\]\n]+?)\]\]")
_MDLINK = re.compile(r"!?\[([^\[\]\n]*)\]\([^()\s]+(?:\s+\"[^\"\n]*\")?\)")


def plain_text(markdown: str) -> str:
    """Text with link syntax removed: ``[[X|alias]]`` → alias, ``[[X#h]]`` → X, ``[t](u)`` → t.

    >>> plain_text("Strikes on [[Iran\\\\|Tehran]] and [[Israel#Army]], see [report](https://x.org)")
    'Strikes on Tehran and Israel, see report'
    """

    def wiki(m: re.Match[str]) -> str:
        inner = m.group(1)
        target, bar, label = inner.partition("|")
        if bar:
            return label.strip()
        return target.removesuffix("\\").partition("#")[0].strip()

    if "[" not in markdown:  # the common case: no link syntax at all
        return " ".join(markdown.replace("\\|", "|").split())
    text = WIKILINK_ANY.sub(wiki, markdown) if "[[" in markdown else markdown
    text = _MDLINK.sub(lambda m: m.group(1), text) if "](" in text else text
    return " ".join(text.replace("\\|", "|").split())
