"""Small text helpers shared by the fact converters."""

from __future__ import annotations

import re
import unicodedata

#: A wikilink or embed anywhere in a text (the inner text is group 1).
WIKILINK_ANY = re.compile(r"!?\[\[([^\[\]\n]+?)\]\]")
#: A text of nothing but wikilinks, maybe comma-separated: ``[[Iran]], [[Israel]]``.
LINK_LIST = re.compile(r"^\s*(?:!?\[\[[^\[\]\n]+?\]\]\s*,?\s*)+$")
_MDLINK = re.compile(r"!?\[([^\[\]\n]*)\]\([^()\s]+(?:\s+\"[^\"\n]*\")?\)")


#: Emphasis, strike-through, highlight (Obsidian's ``==``) and code spans around text: only where
#: CommonMark would see them (not inside a word: ``snake_case``, ``2*3*4`` stay as they are).
_EMPHASIS = re.compile(
    r"(?<![\w*\\])(\*\*|\*)(?=\S)(.+?)(?<=\S)\1(?![\w*])"
    r"|(?<![\w_\\])(__|_)(?=\S)(.+?)(?<=\S)\3(?![\w_])"
    r"|(~~|==)(?=\S)(.+?)(?<=\S)\5"
    r"|`([^`\n]+)`"
)


_MARKS = re.compile(r"\*|_|~~|==|`")


def _unemphasized(m: re.Match[str]) -> str:
    return next(group for group in (m.group(2), m.group(4), m.group(6), m.group(7)) if group is not None)


def plain_text(markdown: str) -> str:
    """Text with link syntax and emphasis removed: ``[[X|alias]]`` → alias, ``[[X#h]]`` → X,
    ``[t](u)`` → t, ``**t**``, ``_t_``, ``~~t~~``, ``==t==`` and `` `t` `` → t.

    >>> plain_text("Strikes on [[Iran\\\\|Tehran]] and [[Israel#Army]], see [report](https://x.org)")
    'Strikes on Tehran and Israel, see report'
    >>> plain_text("**Big** news, _quite_ ~~old~~ ==new== `code`: snake_case, 2*3*4, a * b")
    'Big news, quite old new code: snake_case, 2*3*4, a * b'
    """
    if _MARKS.search(markdown):
        markdown = _EMPHASIS.sub(_unemphasized, markdown)

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


def split_aliases(value: object) -> list[tuple[str, int | None]]:
    """The aliases of a front-matter value, each with its list index (``None`` for a string):
    a list of names, or a string of comma-separated names, as Obsidian and Quartz read it.

    >>> split_aliases("Ada, Countess of Lovelace")
    [('Ada', None), ('Countess of Lovelace', None)]
    >>> split_aliases(["Washington, D.C.", 1984, True, None, "[[DC]]"])
    [('Washington, D.C.', 0), ('1984', 1), ('DC', 4)]
    """
    pieces: list[tuple[str, int | None]]
    if isinstance(value, list):
        pieces = [(str(item).strip(), i) for i, item in enumerate(value) if _scalar(item)]
    elif _scalar(value):
        pieces = [(piece.strip(), None) for piece in str(value).split(",")]
    else:
        pieces = []
    return [(_unbracketed(text), i) for text, i in pieces if _unbracketed(text)]


def _unbracketed(name: str) -> str:
    """A name written as a link (``[[Foo]]``) without the brackets: an alias is a name."""
    return name[2:-2].strip() if name.startswith("[[") and name.endswith("]]") else name


def _scalar(item: object) -> bool:
    return isinstance(item, str | int | float) and not isinstance(item, bool)


def nfc(text: str) -> str:
    """``text`` composed (a vault from macOS may hold decomposed file names: "Cafe\u0301").

    >>> nfc("Cafe\u0301") == "Café"
    True
    """
    return text if text.isascii() else unicodedata.normalize("NFC", text)
