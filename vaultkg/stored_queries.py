"""The library of stored SPARQL queries: grlc-style files, typed parameters bound as RDF terms.

A query is one ``queries/NAME.rq`` file; its ``#+`` header is grlc's YAML decorators (summary,
description, tags, defaults, enumerate). Parameters are variables named the grlc way: ``?_name``
(required), ``?__name`` (optional), with a type suffix — ``?_actor_iri``, ``?_from_integer``,
``?_since_xsd_date``, ``?_label_en`` (a language tag); no suffix is a plain string. Values are
bound as RDF terms in a one-row ``VALUES`` block at the top of the WHERE clause — written by
pyoxigraph's term serializer, so a value is always one escaped term and can never change what
the query does. (pyoxigraph's ``substitutions`` would do the same locally, but only for
variables in the SELECT projection, and remote endpoints need the VALUES form anyway.)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyoxigraph as ox
import yaml

from .errors import UsageError, VaultkgError
from .resources import data_root

XSD = "http://www.w3.org/2001/XMLSchema#"
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PARAM = re.compile(r"\?(__?)([A-Za-z][A-Za-z0-9]*)(?:_([A-Za-z0-9_]+))?\b")
_DECORATOR = re.compile(r"^#\+ ?(.*)$", re.M)


class QueryError(VaultkgError):
    """A stored query cannot be found, read or parsed (exit 2)."""


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: ``?_name_type`` or ``?__name_type``."""

    name: str
    variable: str  # without '?'
    required: bool
    kind: str  # iri | string | integer | decimal | xsd:<type> | @<lang>

    def describe(self) -> str:
        return f"{self.name} ({self.kind}{'' if self.required else ', optional'})"


@dataclass(frozen=True, slots=True)
class StoredQuery:
    """A query of the library (or a file or text given on the command line)."""

    id: str
    text: str
    summary: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    defaults: Mapping[str, str] = field(default_factory=dict)  # read-only: parsed queries are shared
    enumerate: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    path: str | None = None

    @property
    def form(self) -> str:
        """SELECT, ASK, CONSTRUCT or DESCRIBE."""
        body = strip_comments(self.text)
        m = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.I)
        return m.group(1).upper() if m else "SELECT"


def strip_comments(text: str) -> str:
    """The query without its full-line comments (lines keep their places)."""
    return re.sub(r"(?m)^[ \t]*#.*$", "", text)  # [ \t], not \s: a blank line above must stay a line


def _kind(suffix: str | None) -> str:
    if suffix is None or suffix in ("literal", "string"):
        return "string"
    if suffix == "iri":
        return "iri"
    if suffix in ("integer", "int", "number"):
        return "integer"
    if suffix == "decimal":
        return "decimal"
    if suffix.startswith("xsd_"):
        return "xsd:" + suffix[4:]
    if re.fullmatch(r"[a-z]{2,3}", suffix):
        return "@" + suffix
    return "string"


@lru_cache(maxsize=256)
def parse_query(text: str, query_id: str, path: str | None = None) -> StoredQuery:
    """Read decorators and parameters of a query text (kept for the next call with the same
    text: a program that runs stored queries in a loop reads the library each time)."""
    header = "\n".join(m.group(1) for m in _DECORATOR.finditer(text))
    try:
        meta = yaml.load(header, Loader=_Loader) if header.strip() else {}
    except yaml.YAMLError as exc:
        raise QueryError(f"{path or query_id}: the #+ decorators are not valid YAML: {exc}") from None
    meta = meta if isinstance(meta, dict) else {}
    defaults: dict[str, str] = {}
    for item in meta.get("defaults") or []:
        if isinstance(item, dict):
            defaults.update({str(k): str(v) for k, v in item.items()})
    params: dict[str, Param] = {}
    for m in _PARAM.finditer(strip_comments(text)):
        variable = m.group(0)[1:]
        if variable not in params:
            params[variable] = Param(m.group(2), variable, m.group(1) == "_", _kind(m.group(3)))
    return StoredQuery(
        id=query_id,
        text=text,
        summary=str(meta.get("summary") or ""),
        description=str(meta.get("description") or ""),
        tags=tuple(str(t) for t in meta.get("tags") or []),
        defaults=MappingProxyType(defaults),
        enumerate=tuple(str(e) for e in meta.get("enumerate") or []),
        params=tuple(params.values()),
        path=path,
    )


def library() -> dict[str, StoredQuery]:
    """Every stored query shipped with vaultkg, by id (the file name without ``.rq``)."""
    root = data_root("queries")
    out = {}
    for entry in sorted(root.iterdir(), key=lambda p: p.name.removesuffix(".rq")):
        if entry.is_file() and entry.name.endswith(".rq"):
            query_id = entry.name.removesuffix(".rq")
            out[query_id] = parse_query(entry.read_text(encoding="utf-8"), query_id, f"queries/{entry.name}")
    return out


def resolve(ref: str | None, *, text: str | None = None) -> StoredQuery:
    """A stored query by id, a ``.rq`` file by path, or the text given with ``-e``."""
    if text is not None:
        return parse_query(text, "-e")
    if ref is None:
        raise UsageError("give a query id, a .rq file or -e 'SPARQL'")
    stored = library()
    if ref in stored:
        return stored[ref]
    import difflib

    path = Path(ref)
    if ref.endswith(".rq") or path.is_file():
        try:
            return parse_query(path.read_text(encoding="utf-8"), path.stem, str(path))
        except OSError as exc:
            raise QueryError(f"{ref}: cannot read the query: {exc.strerror or exc}") from None
    close = difflib.get_close_matches(ref, list(stored), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close[:3])}?)" if close else " (see 'vaultkg query list')"
    raise UsageError(f"no stored query '{ref}'{hint}")


def check_syntax(query: StoredQuery) -> None:
    """Raise :class:`QueryError` naming the file and line when the query is not valid SPARQL."""
    try:
        ox.Store().query(query.text)
    except SyntaxError as exc:
        where = query.path or query.id
        line = _error_line(str(exc))
        raise QueryError(f"{where}{f':{line}' if line else ''}: not valid SPARQL: {exc}") from None


def _error_line(message: str) -> int | None:
    m = re.search(r"(?:line|at) (\d+)", message)
    return int(m.group(1)) if m else None


def term_for(param: Param, raw: str, prefixes: Mapping[str, str] | None = None) -> ox.NamedNode | ox.Literal:
    """The RDF term for a parameter value, or :class:`UsageError` naming the parameter.

    An IRI may be given as a prefixed name with one of ``prefixes`` (``vault:israel#id``, as
    tables show it; Turtle's ``\\#`` escapes too) or in ``<…>`` to take it as it is."""
    kind = param.kind
    try:
        if kind == "iri":
            return ox.NamedNode(expand_iri(raw, prefixes))
        if kind == "integer":
            return ox.Literal(str(int(raw.strip())), datatype=ox.NamedNode(XSD + "integer"))
        if kind == "decimal":
            return ox.Literal(str(Decimal(raw.strip())), datatype=ox.NamedNode(XSD + "decimal"))
        if kind == "xsd:date":
            return ox.Literal(dt.date.fromisoformat(raw.strip()).isoformat(), datatype=ox.NamedNode(XSD + "date"))
        if kind == "xsd:dateTime":
            return ox.Literal(
                dt.datetime.fromisoformat(raw.strip()).isoformat(), datatype=ox.NamedNode(XSD + "dateTime")
            )
        if kind == "xsd:integer":
            return ox.Literal(str(int(raw.strip())), datatype=ox.NamedNode(XSD + "integer"))
        if kind.startswith("xsd:"):
            return ox.Literal(raw, datatype=ox.NamedNode(XSD + kind[4:]))
        if kind.startswith("@"):
            return ox.Literal(raw, language=kind[1:])
        return ox.Literal(raw)
    except (ValueError, InvalidOperation) as exc:
        reason = str(exc) if kind == "iri" else f"'{raw}' is not a valid {kind.removeprefix('xsd:')}"
        raise UsageError(f"parameter '{param.name}': {reason}") from None


def expand_iri(raw: str, prefixes: Mapping[str, str] | None = None) -> str:
    r"""An IRI parameter's value as a full IRI: ``<iri>`` as it is, a prefixed name whose prefix
    is in ``prefixes`` expanded, any other absolute IRI as it is; else :class:`ValueError`.

    >>> expand_iri("vault:israel\\#id", {"vault": "https://example.org/vault/"})
    'https://example.org/vault/israel#id'
    """
    text = raw.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    elif (m := re.match(r"^([A-Za-z][\w.\-]*):(?!//)", text)) and prefixes and m.group(1) in prefixes:
        local = re.sub(r"\\([_~.\-!$&'()*+,;=/?#@%])", r"\1", text[m.end() :])
        text = prefixes[m.group(1)] + local
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", text):
        hint = ""
        if prefixes and "vault" in prefixes and text:  # a name, as people write it
            from converters.iris import slugify

            if slug := slugify(text):
                hint = f"; for the note named '{text}' that is usually vault:{slug}#id"
        raise ValueError(f"an absolute IRI or a prefixed name is expected (e.g. vault:israel#id){hint}")
    return text


def bind(
    query: StoredQuery, values: dict[str, str], prefixes: Mapping[str, str] | None = None
) -> dict[str, ox.NamedNode | ox.Literal]:
    """Variable name → term for every given parameter; missing required ones are an error.
    IRIs may be prefixed names with ``prefixes`` (see :func:`term_for`)."""
    by_name = {p.name: p for p in query.params}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        known = ", ".join(p.describe() for p in query.params) or "none"
        raise UsageError(f"unknown parameter '{unknown[0]}' for {query.id} (parameters: {known})")
    missing = [p for p in query.params if p.required and p.name not in values]
    if missing:
        p = missing[0]
        example = defaults_of(query).get(p.name, "")
        hint = f", e.g. --param {p.name}={example}" if example else ""
        raise UsageError(f"missing parameter '{p.name}' ({p.kind}) for {query.id}{hint}")
    return {by_name[name].variable: term_for(by_name[name], raw, prefixes) for name, raw in values.items()}


def with_values(text: str, bindings: dict[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with a one-row ``VALUES`` block at the top of its WHERE clause (for endpoints
    that do not take pre-bound variables). Terms are written in N-Triples syntax by pyoxigraph,
    so their text is escaped: a value cannot close the block or add to the query."""
    if not bindings:
        return text
    variables = " ".join(f"?{v}" for v in bindings)
    row = " ".join(str(t) for t in bindings.values())
    values = f"\n  VALUES ({variables}) {{ ({row}) }}\n"
    body = strip_comments(text)
    m = re.search(r"\bWHERE\s*\{", body, re.I) or re.search(r"\{", body)
    if m is None:
        raise QueryError("cannot find the WHERE clause to bind the parameters in")
    # map the position in the comment-stripped text back to the original text
    pos = _original_position(text, m.end())
    return text[:pos] + values + text[pos:]


def _original_position(text: str, stripped_pos: int) -> int:
    lines = text.split("\n")
    stripped_lines = strip_comments(text).split("\n")
    consumed = 0
    offset = 0
    for original, stripped in zip(lines, stripped_lines, strict=True):
        if consumed + len(stripped) >= stripped_pos:
            return offset + (stripped_pos - consumed)
        consumed += len(stripped) + 1
        offset += len(original) + 1
    return len(text)


def defaults_of(query: StoredQuery) -> dict[str, str]:
    """Default (example) value of each parameter, by parameter name (grlc keys them by the
    variable name without the leading underscores)."""
    by_variable = {p.variable.lstrip("_"): p.name for p in query.params}
    return {by_variable[k]: v for k, v in query.defaults.items() if k in by_variable}


def describe(query: StoredQuery) -> dict[str, Any]:
    """A plain description for ``query list --format json``."""
    return {
        "id": query.id,
        "summary": query.summary,
        "description": query.description,
        "tags": list(query.tags),
        "parameters": [
            {"name": p.name, "type": p.kind, "required": p.required, "variable": "?" + p.variable} for p in query.params
        ],
        "defaults": dict(query.defaults),
    }
