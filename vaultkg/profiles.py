"""The kinds of triple store ``vaultkg load`` and ``vaultkg query`` know (a light module: the
command line lists them without importing the HTTP client)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoreProfile:
    """Where a kind of store keeps its Graph Store Protocol and SPARQL services, relative to the
    URL the user gives (``--endpoint``)."""

    name: str
    gsp: str  # path appended to the endpoint for the Graph Store Protocol
    graph_param: str
    update: str  # path of the SPARQL Update service
    query: str  # path of the SPARQL query service
    digest: bool = False
    description: str = ""
    bulk: str = ""  # path taking a whole N-Quads dataset by POST (adds quads), if the store has one
    #: the named graphs holding at least one triple (a store that was wiped lacks some)
    graphs_query: str = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


#: The same graphs, asked graph by graph: Oxigraph lists its graphs and probes each (10,000 graphs:
#: 0.21 s instead of 0.34 s, which reads every quad).
_EACH_GRAPH = "SELECT ?g WHERE { GRAPH ?g {} FILTER EXISTS { GRAPH ?g { ?s ?p ?o } } }"


PROFILES: dict[str, StoreProfile] = {
    p.name: p
    for p in (
        StoreProfile("generic", "", "graph", "", "", description="--endpoint is the Graph Store Protocol URL itself"),
        StoreProfile(
            "oxigraph",
            "/store",
            "graph",
            "/update",
            "/query",
            description="http://host:7878",
            # Oxigraph's bulk loader: 2-3x faster than a transaction (10,000 notes 5.2-5.7 -> 2.6-2.9 s,
            # 40,000 notes 26-29 -> 10 s, half the server's memory) but not atomic — only ever used
            # for a store holding none of the build's graphs, and a load cut short leaves no
            # manifest, so the next load replaces graph by graph
            bulk="/store?no_transaction",
            graphs_query=_EACH_GRAPH,
        ),
        StoreProfile("fuseki", "/data", "graph", "/update", "/query", description="http://host:3030/DATASET"),
        StoreProfile(
            "graphdb", "/rdf-graphs/service", "graph", "/statements", "", description="http://host:7200/repositories/ID"
        ),
        StoreProfile(
            "virtuoso",
            "/sparql-graph-crud-auth",
            "graph-uri",
            "/sparql-auth",
            "/sparql",
            digest=True,
            description="http://host:8890 (digest authentication)",
        ),
        StoreProfile("neptune", "/sparql/gsp/", "graph", "/sparql", "/sparql", description="https://cluster:8182"),
    )
}
