"""Dates at their true granularity: year, year-month, date, date-time."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from pyoxigraph import Literal, NamedNode

from .vocab import XSD, XSD_DATE, XSD_DATETIME

XSD_GYEAR = NamedNode(XSD + "gYear")
XSD_GYEARMONTH = NamedNode(XSD + "gYearMonth")

_YEAR = re.compile(r"^-?\d{4}$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def date_literal(value: object) -> Literal | None:
    """A typed literal for a date-like value, or ``None`` when it is no valid date.

    >>> date_literal("2024-10-26").datatype.value
    'http://www.w3.org/2001/XMLSchema#date'
    >>> date_literal("1948").datatype.value
    'http://www.w3.org/2001/XMLSchema#gYear'
    >>> date_literal("2024-02-30") is None
    True
    """
    if isinstance(value, dt.datetime):
        return Literal(value.isoformat(), datatype=XSD_DATETIME)
    if isinstance(value, dt.date):
        return Literal(value.isoformat(), datatype=XSD_DATE)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 9999:
        return Literal(f"{value:04d}", datatype=XSD_GYEAR)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _YEAR.match(text):
        return Literal(text, datatype=XSD_GYEAR)
    if m := _YEAR_MONTH.match(text):
        if 1 <= int(m[2]) <= 12:
            return Literal(text, datatype=XSD_GYEARMONTH)
        return None
    if m := _DATE.match(text):
        try:
            dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
        return Literal(text, datatype=XSD_DATE)
    if m := _DATETIME.match(text):
        try:
            parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
        except ValueError:
            return None
        return Literal(parsed.isoformat(), datatype=XSD_DATETIME)
    return None


# -- date expressions in prose: milestone cells and dated bullets ------------------------------

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DASH = re.compile(r"\s*(?:-|–|—|/|\bto\b|\buntil\b)\s*")  # "/": an ISO 8601 interval
_QUALIFIER = (
    r"(?:c\.|ca\.|circa|approx\.|about|around|~|early|mid|late|since|from|before|after|by"
    r"|spring|summer|autumn|fall|winter)"
)


class DateSpan(tuple):
    """``(start, end, exact)``: typed literals (``end`` may be ``None``); ``exact`` is False when
    the text said more than the literals hold (``1990s``, ``c. 1950``) and should be kept."""

    __slots__ = ()

    def __new__(cls, start: Literal, end: Literal | None = None, exact: bool = True) -> DateSpan:
        return super().__new__(cls, (start, end, exact))

    @property
    def start(self) -> Literal:
        return self[0]

    @property
    def end(self) -> Literal | None:
        return self[1]

    @property
    def exact(self) -> bool:
        return self[2]


def _year(y: int) -> Literal:
    return Literal(f"{y:04d}", datatype=XSD_GYEAR)


def _year_month(y: int, m: int) -> Literal:
    return Literal(f"{y:04d}-{m:02d}", datatype=XSD_GYEARMONTH)


def _single(text: str) -> Literal | None:
    """One point in time: ``1948``, ``June 2025``, ``Apr 2024``, ``2024-10``, ``2024-10-26``,
    ``26 October 2024``, ``October 26, 2024``."""
    text = text.strip().rstrip(",")
    if re.fullmatch(r"\d{4}", text):
        return _year(int(text))
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return _year_month(int(m[1]), int(m[2])) if 1 <= int(m[2]) <= 12 else None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date_literal(text)
    if m := re.fullmatch(rf"({_MONTH})\s+(\d{{4}})", text, re.I):
        return _year_month(int(m[2]), MONTHS[m[1].lower().rstrip(".")])
    if m := re.fullmatch(rf"(\d{{1,2}})\s+({_MONTH})\s+(\d{{4}})", text, re.I):
        return _iso(int(m[3]), MONTHS[m[2].lower().rstrip(".")], int(m[1]))
    if m := re.fullmatch(rf"({_MONTH})\s+(\d{{1,2}}),?\s+(\d{{4}})", text, re.I):
        return _iso(int(m[3]), MONTHS[m[1].lower().rstrip(".")], int(m[2]))
    return None


def _iso(y: int, m: int, d: int) -> Literal | None:
    try:
        return Literal(dt.date(y, m, d).isoformat(), datatype=XSD_DATE)
    except ValueError:
        return None


@lru_cache(maxsize=4096)  # the same few hundred date texts recur across a vault's tables
def parse_date_expression(text: str, *, prefer_range: bool = False) -> DateSpan | None:
    """The dates a milestone cell or bullet prefix stands for, or ``None`` when it is no date.

    ``prefer_range`` decides ``2010-11`` (a range in a *Year* column, a month in a *Date* one).

    >>> [lit.value if lit else None for lit in parse_date_expression("2017-20")[:2]]
    ['2017', '2020']
    >>> parse_date_expression("June 2025").start.value
    '2025-06'
    >>> s = parse_date_expression("1990s")
    >>> (s.start.value, s.end.value, s.exact)
    ('1990', '1999', False)
    >>> s = parse_date_expression("1990s–2000s")
    >>> (s.start.value, s.end.value, s.exact)
    ('1990', '2009', False)
    >>> parse_date_expression("Cold War") is None
    True
    >>> [(s.start.value, s.end and s.end.value, s.exact) for s in map(parse_date_expression,
    ...  ["20th century", "1850?", "2024-10-26T09:30", "1st century"])]
    [('1901', '2000', False), ('1850', None, False), ('2024-10-26', None, False), ('0001', '0100', False)]
    """
    text = " ".join(text.replace("\u2009", " ").split()).strip(" *_")
    if not text:
        return None
    # 2017-20, 1998-99, 1973/74 (and 2010-11 when prefer_range), 2017–2020, 1979-1980, 2025-
    if m := re.fullmatch(r"(\d{4})\s*(?:-|–|—|/)\s*(\d{2})", text):
        first, second = int(m[1]), int(m[2])
        if second > 12 or prefer_range or "-" not in text:
            end = (first // 100) * 100 + second
            if end > first:
                return DateSpan(_year(first), _year(end))
    if single := _single(text):
        return DateSpan(single)
    if m := re.fullmatch(r"(\d{4})\s*(?:-|–|—)\s*", text):
        return DateSpan(_year(int(m[1])), None, exact=False)  # open-ended: "2025-"
    for sep in _DASH.finditer(text):  # at each dash: "2024-10-01 – 2024-10-26" has four
        before, after = text[: sep.start()].strip(), text[sep.end() :]
        left, right = _single(before), _single(after)
        if left is None and right is not None and (m := re.fullmatch(rf"{_MONTH}", before, re.I)):
            year_text = right.value[:4]  # "June–July 2025"
            left = _year_month(int(year_text), MONTHS[m[0].lower().rstrip(".")])
        if left is not None and right is not None and left.value <= right.value:
            return DateSpan(left, right)
    # 1990s → 1990–1999 (a decade: 1900s → 1900–1909); 1990s–2000s → 1990–2009
    if m := re.fullmatch(r"(\d{3})0'?s", text):
        start = int(m[1]) * 10
        return DateSpan(_year(start), _year(start + 9), exact=False)
    if (m := re.fullmatch(r"(\d{3})0'?s\s*(?:-|–|—|to)\s*(\d{3})0'?s", text)) and m[1] <= m[2]:
        return DateSpan(_year(int(m[1]) * 10), _year(int(m[2]) * 10 + 9), exact=False)
    # 20th century → 1901–2000; 1850? (uncertain); 2024-10-26T09:30 (a time of day: the date)
    if m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)[\s-]+century", text, re.I):
        century = int(m[1])
        if century >= 1:
            return DateSpan(_year((century - 1) * 100 + 1), _year(century * 100), exact=False)
    if text.endswith("?") and (inner := parse_date_expression(text[:-1], prefer_range=prefer_range)):
        return DateSpan(inner.start, inner.end, exact=False)
    if (
        m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", text)
    ) and (day := _single(m[1])):
        return DateSpan(day, None, exact=False)
    # c. 1950, early 2024, mid-2023, since 2019, Q1 2024
    if m := re.fullmatch(r"Q([1-4])\s+(\d{4})", text, re.I):
        quarter, year = int(m[1]), int(m[2])
        return DateSpan(_year_month(year, quarter * 3 - 2), _year_month(year, quarter * 3), exact=False)
    if m := re.fullmatch(rf"{_QUALIFIER}[\s-]*(.+)", text, re.I):
        inner = parse_date_expression(m[1], prefer_range=prefer_range)
        if inner is not None:
            return DateSpan(inner.start, inner.end, exact=False)
    return None
