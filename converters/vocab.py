"""Namespaces and terms of the vaultkg data model (see ontology/vaultkg.ttl)."""

from __future__ import annotations

from pyoxigraph import NamedNode

VKG = "https://w3id.org/vaultkg#"
SCHEMA = "https://schema.org/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"

#: Prefixes every output uses; the vault's own namespaces are added per build.
PREFIXES: dict[str, str] = {
    "dcterms": DCTERMS,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "schema": SCHEMA,
    "skos": SKOS,
    "vkg": VKG,
    "wd": WD,
    "xsd": XSD,
}


def _n(ns: str, local: str) -> NamedNode:
    return NamedNode(ns + local)


RDF_TYPE = _n(RDF, "type")
RDFS_LABEL = _n(RDFS, "label")
OWL_SAME_AS = _n(OWL, "sameAs")
SKOS_ALT_LABEL = _n(SKOS, "altLabel")
SKOS_PREF_LABEL = _n(SKOS, "prefLabel")
SKOS_BROADER = _n(SKOS, "broader")
SKOS_CONCEPT = _n(SKOS, "Concept")
DCTERMS_SUBJECT = _n(DCTERMS, "subject")
DCTERMS_CREATED = _n(DCTERMS, "created")
DCTERMS_MODIFIED = _n(DCTERMS, "modified")
SCHEMA_ABOUT = _n(SCHEMA, "about")
SCHEMA_SUBJECT_OF = _n(SCHEMA, "subjectOf")
SCHEMA_START_DATE = _n(SCHEMA, "startDate")
SCHEMA_TEXT = _n(SCHEMA, "text")

VKG_NOTE = _n(VKG, "Note")
VKG_ENTITY = _n(VKG, "Entity")
VKG_PATH = _n(VKG, "path")
VKG_ACTOR = _n(VKG, "actor")
VKG_STATUS = _n(VKG, "status")
VKG_LINKS_TO = _n(VKG, "linksTo")

XSD_STRING = _n(XSD, "string")
XSD_INTEGER = _n(XSD, "integer")
XSD_DECIMAL = _n(XSD, "decimal")
XSD_DOUBLE = _n(XSD, "double")
XSD_BOOLEAN = _n(XSD, "boolean")
XSD_DATE = _n(XSD, "date")
XSD_DATETIME = _n(XSD, "dateTime")


def expand(curie_or_iri: str, prefixes: dict[str, str] | None = None) -> str:
    """Expand ``vkg:Country`` style names with the known prefixes; full IRIs pass through.

    >>> expand("vkg:Country")
    'https://w3id.org/vaultkg#Country'
    >>> expand("https://schema.org/Person")
    'https://schema.org/Person'
    """
    table = PREFIXES if prefixes is None else {**PREFIXES, **prefixes}
    prefix, sep, local = curie_or_iri.partition(":")
    if sep and prefix in table and not local.startswith("//"):
        return table[prefix] + local
    return curie_or_iri


SCHEMA_END_DATE = _n(SCHEMA, "endDate")
SCHEMA_DESCRIPTION = _n(SCHEMA, "description")
SCHEMA_CITATION = _n(SCHEMA, "citation")
SCHEMA_CREATIVE_WORK = _n(SCHEMA, "CreativeWork")
SCHEMA_NAME = _n(SCHEMA, "name")
SCHEMA_PUBLISHER = _n(SCHEMA, "publisher")
SCHEMA_MENTIONS = _n(SCHEMA, "mentions")
RDFS_COMMENT = _n(RDFS, "comment")
VKG_EVENT = _n(VKG, "Event")
VKG_MILESTONE = _n(VKG, "milestone")
VKG_INVOLVES = _n(VKG, "involves")
VKG_DATE_TEXT = _n(VKG, "dateText")
VKG_ACCESSED = _n(VKG, "accessed")
