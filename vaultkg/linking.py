"""``link``: propose Wikidata items for the vault's entities, explain the score, let a person decide.

Candidates come from a SPARQL endpoint (the Wikidata Query Service by default) through
SPARQLWrapper, asked with plain triple patterns in batches: names and aliases against
``rdfs:label`` / ``skos:altLabel`` in the configured languages, then ``wdt:P31/wdt:P279*`` against
the class the note's type implies. Each candidate gets a 0–100 score that says why; ``match`` only
when the best is ≥ 95 and 10 points ahead. Proposals go to ``wikidata-links.yaml`` in the vault,
where a person accepts or rejects them; ``vaultkg build`` uses the accepted ones.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
import urllib.error
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from converters import Dataset
from converters.vocab import WD, WDT

from .errors import VaultkgError

WDQS = "https://query.wikidata.org/sparql"
LINK_FILE = "wikidata-links.yaml"
VKG = "https://w3id.org/vaultkg#"
#: vaultkg class → the Wikidata class the candidate should be an instance of (P31/P279*).
DEFAULT_CLASSES = {
    VKG + "Country": "Q6256",
    VKG + "Organization": "Q43229",
    VKG + "Person": "Q5",
}
#: Notes of these classes are linked (plain entities and topics are not worth a lookup).
LINKABLE = {VKG + c for c in ("Country", "Organization", "Person", "Place", "Actor")}
#: An answer larger than this is refused (a batch of candidates is a few hundred kB at most).
MAX_RESPONSE_BYTES = 50 * 1024 * 1024
DEFAULT_AGENT = "vaultkg/0.1 (https://w3id.org/vaultkg; set a contact with --contact)"
PREFIXES = """PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX wikibase: <http://wikiba.se/ontology#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""


class LinkError(VaultkgError):
    """The endpoint cannot be reached, refuses, or the cache lacks an answer offline (exit 2)."""


def user_agent(contact: str | None) -> str:
    """The User-Agent Wikidata asks for: the tool, and a way to reach whoever runs it."""
    return DEFAULT_AGENT if not contact else f"vaultkg/0.1 (https://w3id.org/vaultkg; {contact})"


# -- asking the endpoint, politely -------------------------------------------------------------


class WikidataClient:
    """One request at a time, a descriptive User-Agent, Retry-After honoured, answers cached."""

    def __init__(
        self,
        endpoint: str = WDQS,
        *,
        cache_dir: Path | None = None,
        offline: bool = False,
        agent: str = DEFAULT_AGENT,
        timeout: float = 60.0,
        retries: int = 3,
    ) -> None:
        self.endpoint, self.offline, self.agent = endpoint, offline, agent
        self.timeout, self.retries = timeout, retries
        self.cache_dir = cache_dir or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vaultkg"
        self.sent = 0

    def _cache_file(self, query: str) -> Path:
        key = hashlib.sha256(f"{self.endpoint}\n{query}".encode()).hexdigest()
        return self.cache_dir / "sparql" / key[:2] / f"{key}.json"

    def select(self, query: str) -> list[dict[str, Any]]:
        """Rows of a SELECT (SPARQL JSON bindings), from the cache when it has them."""
        path = self._cache_file(query)
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
        if self.offline:
            raise LinkError(
                f"--offline: the cache ({self.cache_dir}) has no answer for a needed query; run once online"
            )
        rows = self._ask(query)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(rows), encoding="utf-8")
        os.replace(tmp, path)
        return rows

    def _ask(self, query: str) -> list[dict[str, Any]]:
        from SPARQLWrapper import JSON, POST, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        client = SPARQLWrapper(self.endpoint, agent=self.agent)
        client.setMethod(POST)
        client.setReturnFormat(JSON)
        client.setTimeout(int(self.timeout))
        client.setQuery(query)
        for attempt in range(self.retries + 1):
            try:
                self.sent += 1
                raw = client.query().response.read(MAX_RESPONSE_BYTES + 1)
                if len(raw) > MAX_RESPONSE_BYTES:
                    raise LinkError(f"{self.endpoint}: the answer is larger than {MAX_RESPONSE_BYTES:,} bytes; refused")
                return json.loads(raw)["results"]["bindings"]
            except urllib.error.HTTPError as exc:
                if exc.code in (429, 503) and attempt < self.retries:
                    retry_after = exc.headers.get("Retry-After", "") if exc.headers else ""
                    time.sleep(min(float(retry_after), 120.0) if retry_after.strip().isdigit() else 2.0 * 2**attempt)
                    continue
                raise LinkError(f"{self.endpoint}: the endpoint answered {exc.code} {exc.reason}") from None
            except SPARQLWrapperException as exc:
                raise LinkError(
                    f"{self.endpoint}: the endpoint refused the query: {str(exc).splitlines()[0]}"
                ) from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise LinkError(f"{self.endpoint}: cannot reach the endpoint: {reason}") from None
            except (KeyError, TypeError, ValueError) as exc:
                raise LinkError(f"{self.endpoint}: the answer is not SPARQL JSON results ({exc})") from None
        raise LinkError(f"{self.endpoint}: still busy after {self.retries + 1} attempts (429)")


# -- what to link ------------------------------------------------------------------------------


@dataclass(slots=True)
class Entity:
    iri: str
    label: str
    names: list[str]
    classes: set[str]
    note: str | None
    context: set[str] = field(default_factory=set)  # labels of entities it is linked with


def linkable_entities(dataset: Dataset) -> list[Entity]:
    """Things with a note of a linkable class, and linked names without a note; each once."""
    triples = dataset.triples()
    labels: dict[str, str] = {}
    names: dict[str, list[str]] = {}
    classes: dict[str, set[str]] = {}
    sameas: set[str] = set()
    notes: dict[str, str] = {}
    neighbours: dict[str, set[str]] = {}
    referenced: set[str] = set()
    for t in triples:
        s, p, o = t.subject.value, t.predicate.value, t.object.value
        if p == "http://www.w3.org/2000/01/rdf-schema#label":
            labels.setdefault(s, o)
        elif p == "http://www.w3.org/2004/02/skos/core#altLabel":
            names.setdefault(s, []).append(o)
        elif p == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type":
            classes.setdefault(s, set()).add(o)
        elif p == "http://www.w3.org/2002/07/owl#sameAs" and o.startswith(WD):
            sameas.add(s)
        elif p == VKG + "path":
            notes[s + "#id"] = o
        elif p in (VKG + "linksTo", VKG + "actor", VKG + "involves", "https://schema.org/publisher"):
            referenced.add(o)
            neighbours.setdefault(s, set()).add(o)
            neighbours.setdefault(o, set()).add(s)
    out = []
    for iri, label in labels.items():
        if iri in sameas or "#" not in iri:
            continue
        has_note = iri in notes
        if has_note and not (classes.get(iri, set()) & LINKABLE):
            continue
        if not has_note and (iri not in referenced or classes.get(iri)):
            continue
        context = {labels[n] for n in neighbours.get(iri, ()) if n in labels}
        out.append(Entity(iri, label, [label, *names.get(iri, [])], classes.get(iri, set()), notes.get(iri), context))
    return sorted(out, key=lambda e: e.iri)


# -- candidates and scores ---------------------------------------------------------------------


@dataclass(slots=True)
class Candidate:
    qid: str
    label: str = ""
    description: str = ""
    via: str = "label"  # label | alias
    exact_case: bool = True
    classes: set[str] = field(default_factory=set)
    fits: bool | None = None  # None: no class to check against
    sitelinks: int = 0
    redirected_from: str | None = None
    score: int = 0
    why: str = ""

    def add_details(self, row: dict[str, Any]) -> None:
        """Label, description, class and sitelinks from one answer row (first label wins)."""
        self.label = self.label or row.get("label", {}).get("value", "")
        self.description = self.description or row.get("description", {}).get("value", "")
        if (cls := _item(row, "class")) is not None:
            self.classes.add(cls)
        if "sitelinks" in row:
            self.sitelinks = int(float(row["sitelinks"]["value"]))


def _literal(text: str, lang: str) -> str:
    return str(ox.Literal(text, language=lang))


def _variants(name: str) -> list[str]:
    """The name as written, title-cased and lower-cased: labels are matched case-folded."""
    return list(dict.fromkeys([name, name[:1].upper() + name[1:], name.title(), name.lower()]))


def candidate_query(names: Iterable[str], languages: Iterable[str]) -> str:
    values = " ".join(_literal(v, lang) for name in names for v in _variants(name) for lang in languages)
    lang_list = ", ".join(json.dumps(lang) for lang in languages)
    return (
        PREFIXES
        + f"""SELECT ?name ?item ?via ?target ?label ?description ?class ?sitelinks WHERE {{
  VALUES ?name {{ {values} }}
  {{ ?item rdfs:label ?name . BIND("label" AS ?via) }} UNION {{ ?item skos:altLabel ?name . BIND("alias" AS ?via) }}
  OPTIONAL {{ ?item owl:sameAs ?target }}
  OPTIONAL {{ ?item rdfs:label ?label FILTER(LANG(?label) IN ({lang_list})) }}
  OPTIONAL {{ ?item schema:description ?description FILTER(LANG(?description) IN ({lang_list})) }}
  OPTIONAL {{ ?item wdt:P31 ?class }}
  OPTIONAL {{ ?item wikibase:sitelinks ?sitelinks }}
}}"""
    )


def fit_query(items: Iterable[str], targets: Iterable[str]) -> str:
    item_values = " ".join(f"wd:{q}" for q in items)
    target_values = " ".join(f"wd:{q}" for q in targets)
    return (
        PREFIXES
        + f"""SELECT DISTINCT ?item ?target WHERE {{
  VALUES ?item {{ {item_values} }}
  VALUES ?target {{ {target_values} }}
  ?item wdt:P31/wdt:P279* ?target .
}}"""
    )


def details_query(items: Iterable[str], languages: Iterable[str]) -> str:
    lang_list = ", ".join(json.dumps(lang) for lang in languages)
    values = " ".join(f"wd:{q}" for q in items)
    return (
        PREFIXES
        + f"""SELECT ?item ?label ?description ?class ?sitelinks WHERE {{
  VALUES ?item {{ {values} }}
  OPTIONAL {{ ?item rdfs:label ?label FILTER(LANG(?label) IN ({lang_list})) }}
  OPTIONAL {{ ?item schema:description ?description FILTER(LANG(?description) IN ({lang_list})) }}
  OPTIONAL {{ ?item wdt:P31 ?class }}
  OPTIONAL {{ ?item wikibase:sitelinks ?sitelinks }}
}}"""
    )


def _qid(iri: str) -> str:
    return iri.removeprefix(WD)


_ITEM = re.compile(re.escape(WD) + r"Q[1-9][0-9]*")


def _item(row: dict[str, Any], key: str) -> str | None:
    """The QID bound to ``key`` in an answer row, if it is a Wikidata item (an endpoint that holds
    other data too, or a property or lexeme that shares the name, gives other IRIs)."""
    value = row.get(key, {}).get("value", "")
    return _qid(value) if _ITEM.fullmatch(value) else None


def score(entity: Entity, c: Candidate) -> None:
    """0–100 from name match (65 exact label, 60 label in another case, 50 alias, 45 alias in
    another case), type fit (+30 fits, −20 does not, 0 unknown, +15 when nothing to check),
    agreement with the vault (+10 when the description names an entity linked with it) and
    popularity (up to +5 from sitelinks, a tie-breaker); the reasons are kept in ``why``."""
    name = {("label", True): 65, ("label", False): 60, ("alias", True): 50, ("alias", False): 45}[(c.via, c.exact_case)]
    why = [f"{'exact ' if c.exact_case else 'case-folded '}{c.via} match"]
    total = float(name)
    if c.fits is True:
        total += 30
        why.append("its class fits")
    elif c.fits is False:
        total -= 20
        why.append(f"its class ({', '.join(sorted(c.classes)) or 'none'}) does not fit")
    elif not c.classes and entity.classes & set(DEFAULT_CLASSES):
        why.append("no P31 to check the type against")
    elif c.fits is None and not (entity.classes & set(DEFAULT_CLASSES)):
        total += 15
        why.append("no type in the vault to check")
    description = c.description.lower()
    agreeing = sorted(n for n in entity.context if len(n) > 2 and n.lower() in description)
    if agreeing:
        total += 10
        why.append(f"description mentions {agreeing[0]}")
    if c.sitelinks:
        total += min(5.0, 2 * math.log10(c.sitelinks + 1))
        why.append(f"{c.sitelinks} sitelinks")
    if c.redirected_from:
        why.append(f"via redirect from {c.redirected_from}")
    c.score = max(0, min(100, round(total)))
    c.why = "; ".join(why)


def decide(candidates: list[Candidate]) -> str:
    """``match`` when the best is ≥ 95 and 10 points ahead; ``ambiguous`` when several are close;
    ``proposed`` otherwise; ``none`` without candidates."""
    if not candidates:
        return "none"
    best = candidates[0].score
    runner_up = candidates[1].score if len(candidates) > 1 else -100
    if best >= 95 and best - runner_up >= 10:
        return "match"
    if runner_up >= best - 10:
        return "ambiguous"
    return "proposed"


# -- the review file ---------------------------------------------------------------------------


def read_link_file(path: Path) -> dict[str, dict[str, Any]]:
    """Entity IRI → entry of a ``wikidata-links.yaml`` (empty when there is none)."""
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LinkError(f"{path}{f':{mark.line + 1}' if mark else ''}: invalid YAML: {exc}") from None
    entries = data.get("entities") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return {}
    return {str(e["entity"]): e for e in entries if isinstance(e, dict) and "entity" in e}


def accepted_links(vault: Path, name: str = LINK_FILE) -> dict[str, str]:
    """Entity IRI → QID for every entry a person marked ``accepted`` (used by ``build``)."""
    out = {}
    for iri, entry in read_link_file(vault / name).items():
        qid = str(entry.get("qid") or "")
        if entry.get("status") == "accepted" and re.fullmatch(r"Q[1-9][0-9]*", qid):
            out[iri] = qid
    return out


def write_link_file(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    header = (
        "# Wikidata links proposed by `vaultkg link`. Review them: set `status` to accepted or\n"
        "# rejected (and `qid` to the right candidate). `vaultkg build` uses accepted links;\n"
        "# front matter `wikidata:` always wins. Reruns keep your decisions.\n"
    )
    body = yaml.safe_dump({"entities": [entries[k] for k in sorted(entries)]}, allow_unicode=True, sort_keys=False,
                          width=100)  # fmt: skip
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(header + body, encoding="utf-8")
    os.replace(tmp, path)


# -- the whole run -----------------------------------------------------------------------------


@dataclass(slots=True)
class LinkResult:
    entities: int = 0
    matches: int = 0
    ambiguous: int = 0
    proposed: int = 0
    unmatched: int = 0
    accepted: int = 0
    requests: int = 0
    path: Path | None = None
    written_notes: list[str] = field(default_factory=list)


def link(
    vault: str | Path,
    *,
    endpoint: str = WDQS,
    config: str | Path | None = None,
    cache_dir: Path | None = None,
    offline: bool = False,
    accept_matches: bool = False,
    write_front_matter: bool = False,
    languages: tuple[str, ...] = ("en",),
    classes: dict[str, str] | None = None,
    contact: str | None = None,
    batch: int = 40,
    on_event: Callable[..., None] | None = None,
) -> LinkResult:
    """Propose Wikidata items for the vault's unlinked entities into ``wikidata-links.yaml``."""
    from .building import build

    root = Path(vault)
    dataset = build(root, None, config=config, render=False).dataset
    path = root / LINK_FILE
    existing = read_link_file(path)
    class_map = {**DEFAULT_CLASSES, **(classes or {})}
    client = WikidataClient(endpoint, cache_dir=cache_dir, offline=offline, agent=user_agent(contact))
    todo = [e for e in linkable_entities(dataset)
            if existing.get(e.iri, {}).get("status") not in ("accepted", "rejected")]  # fmt: skip
    entries = dict(existing)
    result = LinkResult(path=path)
    for start in range(0, len(todo), batch):
        group = todo[start : start + batch]
        found = _candidates(client, group, languages, class_map)
        for entity in group:
            cands = sorted(found.get(entity.iri, {}).values(), key=lambda c: (-c.score, c.qid))
            decision = decide(cands)
            entries[entity.iri] = _entry(entity, cands, decision)
        if on_event:
            on_event("link", done=min(start + batch, len(todo)), total=len(todo))
    if accept_matches:
        for entry in entries.values():
            if entry.get("decision") == "match" and entry.get("status") == "proposed":
                entry["status"] = "accepted"
    for entry in entries.values():
        key = {"match": "matches", "ambiguous": "ambiguous", "proposed": "proposed"}.get(entry.get("decision", ""))
        setattr(result, key or "unmatched", getattr(result, key or "unmatched") + 1)
        result.accepted += entry.get("status") == "accepted"
    result.entities = len(entries)
    result.requests = client.sent
    write_link_file(path, entries)
    if write_front_matter:
        result.written_notes = write_qids_to_front_matter(root, entries)
    return result


def _candidates(
    client: WikidataClient, group: list[Entity], languages: tuple[str, ...], class_map: dict[str, str]
) -> dict[str, dict[str, Candidate]]:
    by_name: dict[str, list[Entity]] = {}
    for entity in group:
        for name in entity.names:
            for variant in _variants(name):
                by_name.setdefault(variant, []).append(entity)
    rows = client.select(candidate_query(sorted({n for e in group for n in e.names}), languages))
    found: dict[str, dict[str, Candidate]] = {}
    for row in rows:
        name = row["name"]["value"]
        item, target = _item(row, "item"), _item(row, "target")
        if item is None or ("target" in row and target is None):
            continue
        for entity in by_name.get(name, []):
            exact = any(name == n for n in entity.names)
            if not exact and not any(name.casefold() == n.casefold() for n in entity.names):
                continue
            qid = target or item
            via = row["via"]["value"]
            c = found.setdefault(entity.iri, {}).get(qid)
            if c is None:
                c = Candidate(qid, via=via, exact_case=exact)
            elif (via == "label", exact) > (c.via == "label", c.exact_case):
                c.via, c.exact_case = via, exact  # keep the best way the name matched
            if target:
                c.redirected_from = item
            else:
                c.add_details(row)
            found[entity.iri][qid] = c
    # details of redirect targets (their own label, class, sitelinks)
    missing = sorted({c.qid for cands in found.values() for c in cands.values() if c.redirected_from and not c.label})
    if missing:
        for row in client.select(details_query(missing, languages)):
            qid = _qid(row["item"]["value"])
            for cands in found.values():
                if (c := cands.get(qid)) is not None:
                    c.add_details(row)
    # type fit, one query for the whole batch
    wanted = {e.iri: {class_map[c] for c in e.classes if c in class_map} for e in group}
    items = sorted({c.qid for cands in found.values() for c in cands.values()})
    targets = sorted({t for ts in wanted.values() for t in ts})
    fitting: set[tuple[str, str]] = set()
    if items and targets:
        for row in client.select(fit_query(items, targets)):
            fitting.add((_qid(row["item"]["value"]), _qid(row["target"]["value"])))
    entities = {e.iri: e for e in group}
    for iri, cands in found.items():
        for c in cands.values():
            if wanted[iri]:
                c.fits = any((c.qid, t) in fitting for t in wanted[iri]) if c.classes else None
            score(entities[iri], c)
    return found


def _entry(entity: Entity, cands: list[Candidate], decision: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "entity": entity.iri,
        "label": entity.label,
        "note": entity.note,
        "status": "proposed",
        "decision": decision,
        "qid": cands[0].qid if cands else None,
        "candidates": [
            {"qid": c.qid, "label": c.label, "description": c.description, "score": c.score, "why": c.why}
            for c in cands[:5]
        ],
    }
    if decision == "ambiguous":
        entry["qid"] = None
        entry["why"] = f"{len(cands)} candidates within 10 points: {', '.join(c.qid for c in cands[:5])}"
    elif decision == "none":
        entry["why"] = "no item has this name or alias"
    return entry


# -- writing accepted links into notes ---------------------------------------------------------


def write_qids_to_front_matter(vault: Path, entries: dict[str, dict[str, Any]]) -> list[str]:
    """Add ``wikidata: Q…`` to the front matter of notes with an accepted link and none yet —
    one line added, nothing else in the file touched."""
    written = []
    for entry in entries.values():
        note, qid = entry.get("note"), entry.get("qid")
        if entry.get("status") != "accepted" or not note or not qid:
            continue
        path = vault / note
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        text = raw.decode("utf-8", errors="surrogateescape")
        newline = "\r\n" if "\r\n" in text else "\n"
        if text.startswith("---" + newline) or text.startswith("\ufeff---" + newline):
            end = re.search(rf"^(?:---|\.\.\.)[ \t]*{re.escape(newline)}?", text[4:], re.M)
            if end is None:
                continue
            head = text[: 4 + end.start()]
            if re.search(r"^wikidata\s*:", head, re.M | re.I):
                continue
            text = head + f"wikidata: {qid}{newline}" + text[4 + end.start() :]
        else:
            text = f"---{newline}wikidata: {qid}{newline}---{newline}" + text
        path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
        written.append(note)
    return sorted(written)


# -- enrichment --------------------------------------------------------------------------------

FACTS_FILE = "wikidata-facts.ttl"
WIKIDATA_GRAPH = "wikidata"  # the build's graph {base}wikidata


def enrich(
    vault: str | Path,
    *,
    endpoint: str = WDQS,
    config: str | Path | None = None,
    cache_dir: Path | None = None,
    offline: bool = False,
    languages: tuple[str, ...] = ("en",),
    contact: str | None = None,
    batch: int = 100,
) -> tuple[Path, int]:
    """Fetch label, description and P31 of every linked QID into ``wikidata-facts.ttl`` in the
    vault; ``build`` puts it in a named graph of its own (``{base}wikidata``) for offline queries."""
    from .building import build

    root = Path(vault)
    dataset = build(root, None, config=config, render=False).dataset
    qids = sorted({t.object.value.removeprefix(WD) for t in dataset.triples()
                   if t.predicate.value.endswith("#sameAs") and t.object.value.startswith(WD)})  # fmt: skip
    client = WikidataClient(endpoint, cache_dir=cache_dir, offline=offline, agent=user_agent(contact))
    triples: set[ox.Triple] = set()
    rdfs_label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    description = ox.NamedNode("http://schema.org/description")
    p31 = ox.NamedNode("http://www.wikidata.org/prop/direct/P31")
    for start in range(0, len(qids), batch):
        for row in client.select(details_query(qids[start : start + batch], languages)):
            item = ox.NamedNode(row["item"]["value"])
            for key, predicate in (("label", rdfs_label), ("description", description)):
                if key in row:
                    value = row[key]
                    triples.add(ox.Triple(item, predicate, ox.Literal(value["value"], language=value.get("xml:lang"))))
            if "class" in row:
                triples.add(ox.Triple(item, p31, ox.NamedNode(row["class"]["value"])))
    path = root / FACTS_FILE
    from .writers import rdf_bytes

    body = rdf_bytes(sorted(triples, key=str), ox.RdfFormat.TURTLE, {
        "wd": WD, "wdt": WDT, "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "schema": "http://schema.org/"})  # fmt: skip
    header = b"# Facts about the vault's linked Wikidata items, fetched by `vaultkg link --enrich`.\n"
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(header + body)
    os.replace(tmp, path)
    return path, len(triples)


def read_facts(vault: Path) -> tuple[list[ox.Triple], str | None]:
    """The triples of ``wikidata-facts.ttl`` (strictly parsed), or an error message with the line."""
    path = vault / FACTS_FILE
    if not path.is_file():
        return [], None
    try:
        return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)], None
    except (SyntaxError, ValueError, OSError) as exc:
        return [], str(exc)
