"""Compiled SHACL rules run on pyoxigraph: each a ``SELECT ?focus ?value`` query returning the
validation results pySHACL reports for one constraint (see :mod:`vaultkg.shacl_sparql`, which
makes them). Running them needs no rdflib unless a rule tests a datatype rdflib must judge."""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from .threads import thread_map

#: Custom SPARQL function marking the ill-typed literals of the data (``"2024-13-45"^^xsd:date``).
ILL_TYPED = "urn:vaultkg:ill-typed"
#: How every rule's query opens its focus nodes' subquery: ``VALUES ?focus { … }`` put right after
#: it runs the rule for those nodes only (:mod:`vaultkg.revalidation`).
TARGET = "{ SELECT DISTINCT ?focus WHERE { "


class Unsupported(Exception):
    """The shapes use something the compiler does not translate; pySHACL must validate them."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One constraint of one shape as a query returning ``?focus`` (and ``?value``) per result."""

    shape: str  # the node shape reported (a property shape reports its node shape)
    path: str | None
    severity: str
    message: str
    query: str
    valued: bool = True  # whether the query gives a ?value (count constraints do not)
    datatypes: tuple[str, ...] = ()  # datatypes whose ill-typed literals the query must know
    component: str | None = None  # the SHACL constraint component (sh:sourceConstraintComponent)
    source: str | None = None  # the shape holding the constraint, when it is an IRI (sh:sourceShape)


Graphs = list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None
Functions = dict[ox.NamedNode, Callable[..., ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None]]


def _select(store: ox.Store, query: str, graphs: Graphs, functions: Functions | None = None) -> ox.QuerySolutions:
    answer = store.query(query, default_graph=graphs, custom_functions=functions)
    assert isinstance(answer, ox.QuerySolutions)
    return answer


def run_rules(store: ox.Store, rules: Iterable[Rule], default_graph: Graphs = None) -> list[dict[str, str | None]]:
    """Results of the compiled rules on ``store``, in the form of pySHACL's results."""
    return [row for rows in rule_results(store, rules, default_graph) for row in rows]


def rule_results(
    store: ox.Store, rules: Iterable[Rule], default_graph: Graphs = None, *, terms: bool = False
) -> list[list[dict[str, str | None]]]:
    """Each rule's results on ``store`` (in the form of pySHACL's results), rule by rule; with
    ``terms``, each also with its focus node in N-Triples form (``term``).

    The ill-typed test (a scan of the whole graph) is made by the first rule that needs it, run
    first, while the other thread runs the rules that do not; the rest that need it run last."""
    rules = list(rules)
    datatypes = sorted({dt for rule in rules for dt in rule.datatypes})
    lock = threading.Lock()
    made: list[Functions] = []

    def functions() -> Functions:
        with lock:  # made once, by whichever thread asks first
            if not made:
                made.append(_ill_typed_function(store, default_graph, datatypes))
        return made[0]

    def rows_of(rule: Rule) -> list[dict[str, str | None]]:
        rows: list[dict[str, str | None]] = []
        for solution in _select(store, rule.query, default_graph, functions() if rule.datatypes else None):
            focus, value = solution["focus"], solution["value"] if rule.valued else None
            rows.append({
                "focus": focus.value if focus is not None else None,
                "path": rule.path,
                "value": value.value if value is not None else None,
                "severity": rule.severity,
                "shape": rule.shape,
                "message": rule.message,
                "component": rule.component,
                "source": rule.source,
                "value_term": str(value) if value is not None else None,  # N-Triples: its datatype kept
            })  # fmt: skip
            if terms:
                rows[-1]["term"] = str(focus)
        return rows

    typed = [i for i, rule in enumerate(rules) if rule.datatypes]
    order = typed[:1] + [i for i, rule in enumerate(rules) if not rule.datatypes] + typed[1:]
    found = dict(zip(order, thread_map(rows_of, [rules[i] for i in order]), strict=True))
    return [found[i] for i in range(len(rules))]


def _ill_typed_function(store: ox.Store, default_graph: Graphs, datatypes: list[str]) -> Functions:
    """``<urn:vaultkg:ill-typed>(?v)``: true for a literal rdflib finds ill-typed (pySHACL's test).

    The distinct literals of the shapes' datatypes are checked once; nearly always none is.
    rdflib judges only the datatypes it recognises (``xsd:gYear`` is not one of them), and an
    ``xsd:date`` written ``YYYY-MM-DD`` that Python reads as a date is well typed for it too: only
    the rest is handed to rdflib (at 10,000 notes: 0.5 s → 0.05 s)."""
    import rdflib

    ill: set[ox.Literal] = set()
    with _rdflib_quiet():  # rdflib logs every ill-typed literal with a traceback
        judged = [dt for dt in datatypes if rdflib.Literal("", datatype=dt).ill_typed is not None]
        listed = ", ".join(f"<{dt}>" for dt in judged)
        query = f"SELECT DISTINCT ?o WHERE {{ ?s ?p ?o FILTER(isLiteral(?o) && DATATYPE(?o) IN ({listed})) }}"
        for solution in _select(store, query, default_graph) if judged else ():
            literal = solution["o"]
            if well_typed_date(literal):
                continue
            if rdflib.Literal(literal.value, datatype=literal.datatype.value).ill_typed:
                ill.add(literal)
    true, false = ox.Literal(True), ox.Literal(False)
    return {ox.NamedNode(ILL_TYPED): lambda term: true if term in ill else false}


@contextlib.contextmanager
def _rdflib_quiet() -> Iterator[None]:
    logger = logging.getLogger("rdflib.term")
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled


_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


def well_typed_date(literal: ox.Literal) -> bool:
    """Whether ``literal`` is an ``xsd:date`` that is surely well typed (``YYYY-MM-DD``, a real
    day of a year from 1 on); ``False`` says only that rdflib must judge it."""
    if literal.datatype.value != _XSD_DATE or not _PLAIN_DATE.fullmatch(text := literal.value):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True
