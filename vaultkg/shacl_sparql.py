"""SHACL Core shapes compiled to SPARQL, run on pyoxigraph: the fast validation engine.

Each constraint of each shape becomes one ``SELECT ?focus ?value`` query that returns exactly the
validation results pySHACL reports for it (pySHACL stays the reference: the test suite compares
both engines result for result). The compiler covers the SHACL Core features vaultkg's shapes and
most hand-written shapes use; for anything else (SPARQL-based constraints, ``sh:closed``,
``sh:uniqueLang``, shapes without an ``sh:message`` …) :func:`compile_shapes` raises
:class:`Unsupported` naming the feature, and validation falls back to pySHACL.

Compiled features: targets ``sh:targetClass`` (with ``rdfs:subClassOf*``), ``sh:targetNode``,
``sh:targetSubjectsOf``, ``sh:targetObjectsOf``; property paths (IRI, sequence, inverse,
alternative, zero-or-more, one-or-more, zero-or-one); ``sh:class``, ``sh:datatype`` (ill-typed
literals fail, as in pySHACL), ``sh:nodeKind``, ``sh:pattern`` and ``sh:flags``,
``sh:minLength``, ``sh:maxLength``, ``sh:min/maxIn/Exclusive``, ``sh:in``, ``sh:hasValue``,
``sh:minCount``, ``sh:maxCount``, ``sh:not``, ``sh:and``, ``sh:or``, ``sh:xone``, ``sh:node``,
``sh:qualifiedValueShape`` with ``sh:qualifiedMin/MaxCount``, ``sh:deactivated``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from .sparql_rules import ILL_TYPED, TARGET, Rule, Unsupported, rule_results, run_rules

_SEVERITY = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNode: "isBlank({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
_RANGES = {SH.minInclusive: ">=", SH.minExclusive: ">", SH.maxInclusive: "<=", SH.maxExclusive: "<"}
#: Shape attributes that carry no constraint (and need no compiling).
_INERT = {
    RDF.type, SH.name, SH.description, SH.message, SH.severity, SH.path, SH.property, SH.order, SH.group,
    SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.deactivated, SH.defaultValue,
    RDFS.label, RDFS.comment, SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
}  # fmt: skip
_VALUE_COMPONENTS = {
    SH["class"], SH.datatype, SH.nodeKind, SH.pattern, SH.minLength, SH.maxLength, SH["in"], SH["not"], SH["and"],
    SH["or"], SH.xone, SH.node, *_RANGES,
}  # fmt: skip
_COUNT_COMPONENTS = {SH.minCount, SH.maxCount, SH.hasValue, SH.qualifiedValueShape}
_INSTANCE_OF = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
# the query shapes: a condition on the focus node, on each value, on the number of values
_ON_FOCUS = "SELECT DISTINCT ?focus ?value WHERE {{ {focus} BIND(?focus AS ?value) FILTER(!({condition})) }}"
_ON_VALUES = "SELECT DISTINCT ?focus ?value WHERE {{ {focus} ?focus {path} ?value FILTER(!({condition})) }}"
_COUNT = (
    "SELECT ?focus WHERE {{ {focus} OPTIONAL {{ ?focus {path} ?_c {filter}}} }} "
    "GROUP BY ?focus HAVING (COUNT(DISTINCT ?_c) {op} {n})"
)
_LACKS = "SELECT ?focus WHERE {{ {focus} FILTER NOT EXISTS {{ ?focus {path} {value} }} }}"


def _component(parameter: rdflib.URIRef) -> str:
    """The SHACL Core constraint component of a parameter: ``sh:minCount`` →
    ``sh:MinCountConstraintComponent`` (``sh:qualifiedMinCount`` → ``sh:QualifiedMinCount…``)."""
    name = str(parameter).removeprefix(str(SH))
    return f"{SH}{name[:1].upper()}{name[1:]}ConstraintComponent"


def compile_shapes(shapes: rdflib.Graph) -> list[Rule]:
    """Every constraint of every shape with a target, as SPARQL; raises :class:`Unsupported`."""
    return _Compiler(shapes).compile()


def _iri(node: rdflib.term.Node) -> str:
    if not isinstance(node, rdflib.URIRef):
        raise Unsupported(f"a blank node or literal where an IRI is expected ({node!r})")
    return f"<{node}>"


def _term(node: rdflib.term.Node) -> str:
    """A shapes-graph term as SPARQL (an IRI or a literal; never a blank node)."""
    if isinstance(node, rdflib.URIRef):
        return f"<{node}>"
    if isinstance(node, rdflib.Literal):
        dt = node.datatype or (None if node.language else XSD.string)
        lexical = ox.Literal(str(node), language=node.language) if node.language else None
        if lexical is None:
            lexical = ox.Literal(str(node), datatype=ox.NamedNode(str(dt)))
        return str(lexical)
    raise Unsupported("a blank node as a value in sh:in, sh:hasValue or sh:targetNode")


class _Compiler:
    def __init__(self, shapes: rdflib.Graph) -> None:
        self.g = shapes
        self.parents = {obj: subj for subj, obj in shapes.subject_objects(SH.property)}
        self.fresh = 0
        self.typed: set[str] = set()  # datatypes tested since the last rule was made

    def var(self) -> str:
        self.fresh += 1
        return f"?_v{self.fresh}"

    # -- reading the shapes --------------------------------------------------------------------

    def one(self, node: rdflib.term.Node, prop: rdflib.URIRef) -> rdflib.term.Node | None:
        values = list(self.g.objects(node, prop))
        if len(values) > 1:
            raise Unsupported(f"{self.name(node)} has {len(values)} values for {prop.n3(self.g.namespace_manager)}")
        return values[0] if values else None

    def integer(self, node: rdflib.term.Node, prop: rdflib.URIRef) -> int | None:
        value = self.one(node, prop)
        if value is None:
            return None
        if not isinstance(value, rdflib.Literal) or not isinstance(value.toPython(), int):
            raise Unsupported(f"{self.name(node)}: {prop} is not an integer")
        return int(value.toPython())

    def items(self, node: rdflib.term.Node) -> list[rdflib.term.Node]:
        return list(Collection(self.g, node))

    def name(self, node: rdflib.term.Node) -> str:
        return str(node) if isinstance(node, rdflib.URIRef) else "a shape"

    def deactivated(self, node: rdflib.term.Node) -> bool:
        flag = self.one(node, SH.deactivated)
        return isinstance(flag, rdflib.Literal) and flag.toPython() is True

    def check_known(self, node: rdflib.term.Node) -> None:
        for prop in set(self.g.predicates(node, None)):
            if prop in _INERT or prop in _VALUE_COMPONENTS or prop in _COUNT_COMPONENTS:
                continue
            if str(prop).startswith(str(SH)):
                raise Unsupported(f"{self.name(node)} uses {prop.n3(self.g.namespace_manager)}")

    # -- compiling -----------------------------------------------------------------------------

    def compile(self) -> list[Rule]:
        if (None, SH.sparql, None) in self.g or (None, SH.target, None) in self.g:
            raise Unsupported("SPARQL-based constraints or targets")
        rules: list[Rule] = []
        shapes = set(self.g.subjects(RDF.type, SH.NodeShape)) | set(self.g.subjects(RDF.type, SH.PropertyShape))
        for targets in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
            shapes |= set(self.g.subjects(targets, None))
        for shape in sorted(shapes, key=str):
            if (shape, RDF.type, RDFS.Class) in self.g or (shape, RDF.type, rdflib.OWL.Class) in self.g:
                raise Unsupported(f"{self.name(shape)} is a class as well as a shape (implicit class target)")
            focus = self.focus(shape)
            if focus is None or self.deactivated(shape):
                continue
            self.check_known(shape)
            if (shape, SH.path, None) in self.g:  # a property shape with targets of its own
                rules += self.property_rules(shape, focus, shape)
                continue
            rules += self.node_rules(shape, focus)
            for prop in sorted(self.g.objects(shape, SH.property), key=str):
                if not self.deactivated(prop):
                    self.check_known(prop)
                    rules += self.property_rules(prop, focus, self.parents.get(prop, prop))
        return rules

    def focus(self, shape: rdflib.term.Node) -> str | None:
        parts = [f"{{ ?focus {_INSTANCE_OF} {_iri(c)} }}" for c in self.g.objects(shape, SH.targetClass)]
        nodes = [_term(n) for n in self.g.objects(shape, SH.targetNode)]
        if nodes:
            parts.append(f"{{ VALUES ?focus {{ {' '.join(sorted(nodes))} }} }}")
        parts += [f"{{ ?focus {_iri(p)} ?_t }}" for p in self.g.objects(shape, SH.targetSubjectsOf)]
        parts += [f"{{ ?_t {_iri(p)} ?focus }}" for p in self.g.objects(shape, SH.targetObjectsOf)]
        if not parts:
            return None
        return f"{TARGET}{' UNION '.join(sorted(parts))} }} }}"

    def meta(self, source: rdflib.term.Node, reported: rdflib.term.Node) -> tuple[str, str, str]:
        messages = sorted(str(m) for m in self.g.objects(source, SH.message))
        if not messages:
            raise Unsupported(f"{self.name(source)} has no sh:message (pySHACL words its own)")
        if "{" in messages[0]:
            raise Unsupported(f"{self.name(source)}: sh:message with a {{template}}")
        severity = self.one(source, SH.severity)
        level = _SEVERITY.get(severity, "violation") if isinstance(severity, rdflib.URIRef) else "violation"
        local = local_name(reported) if isinstance(reported, rdflib.URIRef) else "shape"
        return local, level, messages[0]

    def node_rules(self, shape: rdflib.term.Node, focus: str) -> list[Rule]:
        """Constraints on the focus node itself: the value is the focus node."""
        rules = []
        source = str(shape) if isinstance(shape, rdflib.URIRef) else None
        for component, condition in self.value_conditions(shape, "?focus"):
            local, level, message = self.meta(shape, shape)
            query = _ON_FOCUS.format(focus=focus, condition=condition)
            rules.append(Rule(local, None, level, message, query, datatypes=self.take_types(), component=component,
                              source=source))  # fmt: skip
        for prop in (SH.minCount, SH.maxCount, SH.qualifiedValueShape):
            if (shape, prop, None) in self.g:
                raise Unsupported(f"{self.name(shape)}: {prop} on a node shape")
        if (value := self.one(shape, SH.hasValue)) is not None:
            local, level, message = self.meta(shape, shape)
            query = _ON_FOCUS.format(focus=focus, condition=f"sameTerm(?focus, {_term(value)})")
            rules.append(Rule(local, None, level, message, query, component=_component(SH.hasValue), source=source))
        return rules

    def take_types(self) -> tuple[str, ...]:
        """The datatypes tested by the conditions made since the last call."""
        taken, self.typed = tuple(sorted(self.typed)), set()
        return taken

    def property_rules(self, prop: rdflib.term.Node, focus: str, reported: rdflib.term.Node) -> list[Rule]:
        path_node = self.one(prop, SH.path)
        if path_node is None:
            raise Unsupported(f"{self.name(prop)} is a property shape without sh:path")
        path = self.path(path_node)
        shown = str(path_node) if isinstance(path_node, rdflib.URIRef) else None
        local, level, message = self.meta(prop, reported)

        source = str(prop) if isinstance(prop, rdflib.URIRef) else None

        def rule(query: str, component: str, valued: bool = False, datatypes: tuple[str, ...] = ()) -> Rule:
            return Rule(local, shown, level, message, query, valued, datatypes or self.take_types(), component, source)

        rules = []
        for component, condition in self.value_conditions(prop, "?value"):
            rules.append(rule(_ON_VALUES.format(focus=focus, path=path, condition=condition), component, True))
        count = functools.partial(_COUNT.format, focus=focus, path=path)
        if (n := self.integer(prop, SH.minCount)) is not None and n > 0:
            rules.append(rule(count(filter="", op="<", n=n), _component(SH.minCount)))
        if (n := self.integer(prop, SH.maxCount)) is not None:
            rules.append(rule(count(filter="", op=">", n=n), _component(SH.maxCount)))
        if (value := self.one(prop, SH.hasValue)) is not None:
            rules.append(rule(_LACKS.format(focus=focus, path=path, value=_term(value)), _component(SH.hasValue)))
        if (qualified := self.one(prop, SH.qualifiedValueShape)) is not None:
            disjoint = self.one(prop, SH.qualifiedValueShapesDisjoint)
            if isinstance(disjoint, rdflib.Literal) and disjoint.toPython() is True:
                raise Unsupported(f"{self.name(prop)}: sh:qualifiedValueShapesDisjoint")
            condition = self.conforms(qualified, "?_c", ())
            where, types = f"FILTER({condition}) ", self.take_types()
            if (n := self.integer(prop, SH.qualifiedMinCount)) is not None and n > 0:
                rules.append(rule(count(filter=where, op="<", n=n), _component(SH.qualifiedMinCount), False, types))
            if (n := self.integer(prop, SH.qualifiedMaxCount)) is not None:
                rules.append(rule(count(filter=where, op=">", n=n), _component(SH.qualifiedMaxCount), False, types))
        return rules

    def path(self, node: rdflib.term.Node) -> str:
        if isinstance(node, rdflib.URIRef):
            return f"<{node}>"
        if (node, RDF.first, None) in self.g:
            return "(" + " / ".join(self.path(p) for p in self.items(node)) + ")"
        for prop, template in ((SH.inversePath, "^({})"), (SH.zeroOrMorePath, "({})*"),
                               (SH.oneOrMorePath, "({})+"), (SH.zeroOrOnePath, "({})?")):  # fmt: skip
            if (inner := self.one(node, prop)) is not None:
                return template.format(self.path(inner))
        if (alternatives := self.one(node, SH.alternativePath)) is not None:
            return "(" + " | ".join(self.path(p) for p in self.items(alternatives)) + ")"
        raise Unsupported("a property path form the compiler does not know")

    def value_conditions(self, shape: rdflib.term.Node, v: str, stack: tuple = ()) -> Iterator[tuple[str, str]]:
        """One SPARQL condition per value-type constraint of ``shape``, true when ``v`` conforms,
        with the constraint component it checks."""
        for cls in self.g.objects(shape, SH["class"]):
            yield _component(SH["class"]), f"EXISTS {{ {v} {_INSTANCE_OF} {_iri(cls)} }}"
        for dt in self.g.objects(shape, SH.datatype):
            yield _component(SH.datatype), self.datatype(_iri(dt), dt, v)
        for kind in self.g.objects(shape, SH.nodeKind):
            if kind not in _NODE_KINDS:
                raise Unsupported(f"sh:nodeKind {kind}")
            yield _component(SH.nodeKind), _NODE_KINDS[kind].format(v=v)  # type: ignore[index]
        for pattern in self.g.objects(shape, SH.pattern):
            flags = self.one(shape, SH.flags)
            args = _term(rdflib.Literal(str(pattern))) + (f", {_term(rdflib.Literal(str(flags)))}" if flags else "")
            _check_regex(args, str(pattern))
            yield _component(SH.pattern), f"COALESCE(!isBlank({v}) && REGEX(STR({v}), {args}), false)"
        for prop, op in ((SH.minLength, ">="), (SH.maxLength, "<=")):
            for n in self.g.objects(shape, prop):
                yield _component(prop), f"COALESCE(!isBlank({v}) && STRLEN(STR({v})) {op} {int(n)}, false)"  # type: ignore[call-overload]
        for prop, op in _RANGES.items():
            for bound in self.g.objects(shape, prop):
                yield _component(prop), f"COALESCE({v} {op} {_term(bound)}, false)"
        for listed in self.g.objects(shape, SH["in"]):
            members = [f"sameTerm({v}, {_term(m)})" for m in self.items(listed)]
            yield _component(SH["in"]), "(" + (" || ".join(members) or "false") + ")"
        for inner in self.g.objects(shape, SH["not"]):
            yield _component(SH["not"]), f"!({self.conforms(inner, v, stack)})"
        for inner in self.g.objects(shape, SH.node):
            yield _component(SH.node), self.conforms(inner, v, stack)
        for listed in self.g.objects(shape, SH["and"]):
            yield (
                _component(SH["and"]),
                "(" + (" && ".join(self.conforms(s, v, stack) for s in self.items(listed)) or "true") + ")",
            )
        for listed in self.g.objects(shape, SH["or"]):
            yield (
                _component(SH["or"]),
                "(" + (" || ".join(self.conforms(s, v, stack) for s in self.items(listed)) or "false") + ")",
            )
        for listed in self.g.objects(shape, SH.xone):
            ones = " + ".join(f"IF({self.conforms(s, v, stack)}, 1, 0)" for s in self.items(listed))
            yield _component(SH.xone), f"(({ones or '0'}) = 1)"

    def datatype(self, iri: str, dt: rdflib.term.Node, v: str) -> str:
        if dt == RDFS.Literal:
            return f"isLiteral({v})"
        if dt == RDF.langString:
            return f"(isLiteral({v}) && LANG({v}) != '')"
        if dt == XSD.string:
            return f"(isLiteral({v}) && DATATYPE({v}) = {iri})"
        self.typed.add(str(dt))
        return f"(isLiteral({v}) && DATATYPE({v}) = {iri} && !<{ILL_TYPED}>({v}))"

    def conforms(self, shape: rdflib.term.Node, v: str, stack: tuple) -> str:
        """A SPARQL condition true when ``v`` conforms to ``shape`` (used inside or/not/node …)."""
        if shape in stack:
            raise Unsupported("recursive shapes")
        stack = (*stack, shape)
        self.check_known(shape)
        if self.deactivated(shape):
            return "true"
        if (shape, SH.path, None) in self.g:
            return self.nested_property(shape, v, stack)
        parts = [condition for _, condition in self.value_conditions(shape, v, stack)]
        if (value := self.one(shape, SH.hasValue)) is not None:
            parts.append(f"sameTerm({v}, {_term(value)})")
        for prop in self.g.objects(shape, SH.property):
            parts.append(self.nested_property(prop, v, stack))
        return "(" + (" && ".join(parts) or "true") + ")"

    def nested_property(self, prop: rdflib.term.Node, v: str, stack: tuple) -> str:
        """A property shape inside or/not/node: true when ``v`` conforms to it."""
        self.check_known(prop)
        if self.deactivated(prop):
            return "true"
        path_node = self.one(prop, SH.path)
        if path_node is None:
            raise Unsupported("a property shape without sh:path")
        path = self.path(path_node)
        x, y = self.var(), self.var()
        parts = []
        for _, condition in self.value_conditions(prop, x, stack):
            parts.append(f"NOT EXISTS {{ {v} {path} {x} FILTER(!({condition})) }}")
        min_count, max_count = self.integer(prop, SH.minCount), self.integer(prop, SH.maxCount)
        if (min_count or 0) > 1 or (max_count or 0) > 1:
            raise Unsupported("sh:minCount or sh:maxCount above 1 inside sh:or, sh:not, sh:and, sh:xone or sh:node")
        if min_count == 1:
            parts.append(f"EXISTS {{ {v} {path} {x} }}")
        if max_count == 0:
            parts.append(f"NOT EXISTS {{ {v} {path} {x} }}")
        if max_count == 1:
            parts.append(f"NOT EXISTS {{ {v} {path} {x} . {v} {path} {y} FILTER(!sameTerm({x}, {y})) }}")
        if (value := self.one(prop, SH.hasValue)) is not None:
            parts.append(f"EXISTS {{ {v} {path} {_term(value)} }}")
        if (prop, SH.qualifiedValueShape, None) in self.g:
            raise Unsupported("sh:qualifiedValueShape inside sh:or, sh:not, sh:and, sh:xone or sh:node")
        return "(" + (" && ".join(parts) or "true") + ")"


def _check_regex(args: str, pattern: str) -> None:
    """Oxigraph treats a regex it cannot compile as an error, i.e. as no match: refuse it here."""
    try:
        answer = ox.Store().query(f'SELECT (REGEX("", {args}) AS ?ok) WHERE {{}}')
        assert isinstance(answer, ox.QuerySolutions)
        solutions = list(answer)
    except SyntaxError:
        solutions = []
    if not solutions or solutions[0]["ok"] is None:
        raise Unsupported(f"sh:pattern {pattern!r} is not a regular expression Oxigraph evaluates")


def local_name(term: rdflib.term.Node) -> str:
    """The last part of an IRI (after # or /): how shapes and rules are named in reports."""
    text = str(term)
    return text.replace("#", "/").rsplit("/", 1)[-1] or text


__all__ = ["Rule", "Unsupported", "compile_shapes", "local_name", "rule_results", "run_rules"]
