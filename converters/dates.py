"""Dates at their true granularity: year, year-month, date, date-time."""

from __future__ import annotations

import datetime as dt
import re

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
