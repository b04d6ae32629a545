"""``vaultkg site``: pages a person can read, made from a build.

One HTML page per IRI under the vault's base, without its fragment: ``{base}israel`` — the
note — and ``{base}israel#id`` — the country it describes — and its events ``{base}israel#event-…``
share ``israel.html``, each thing a section whose ``id`` is its fragment; tags get
``tag/….html``. Served at the base (GitHub Pages and most static hosts answer ``/israel`` with
``israel.html``), every IRI the graph mints leads to the page that describes it. Each page shows
the thing's facts, its milestones, the note (its Markdown, with raw HTML left as text) and what
refers to it, and carries the triples of its IRIs as JSON-LD; ``index.html`` lists everything by
class. Links stay relative, so the folder also works opened from disk. The same build gives the
same bytes; the folder is replaced whole.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import posixpath
import re
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox

from converters.links import SCHEME
from converters.markdown import without_html_comments
from converters.resolve import preference
from converters.vocab import RDF_TYPE, RDFS_LABEL, SCHEMA, SKOS, VKG

from . import __version__
from .errors import InputError, UsageError, not_nquads
from .fragments import Renderer
from .outputdir import exchange
from .parallel import fork_map

MARKER = ".vaultkg-site"  # in every folder this module writes: only such a folder is replaced
_LABEL, _TYPE = RDFS_LABEL.value, RDF_TYPE.value
_NAMES = (_LABEL, SKOS + "prefLabel", SCHEMA + "name")
_TEXT, _MILESTONE, _START = SCHEMA + "text", VKG + "milestone", SCHEMA + "startDate"
_PATH = VKG + "path"
_DATE_TEXT, _CONCEPT = VKG + "dateText", SKOS + "Concept"
_HIDDEN = {_TEXT}  # shown as the rendered note, not as a fact
_UNWRITTEN = "Named in notes, no note of their own"
Term = ox.NamedNode | ox.Literal | ox.BlankNode


@dataclass(slots=True)
class SiteResult:
    """What :func:`build_site` wrote: how many pages, where, in how long."""

    pages: int
    target: Path
    seconds: float


class Graph:
    """The union of a build's graphs, indexed both ways."""

    def __init__(self, triples: Iterable[ox.Triple], base: str, prefixes: Mapping[str, str]) -> None:
        """``triples`` in any order, a triple in several graphs as often as it is there."""
        self.base, self.prefixes = base, dict(prefixes)
        self._short: dict[str, str] = {}
        self.context: dict[str, str] = dict(prefixes)  # the JSON-LD context of the pages' data
        self._renderer: Renderer | None = None
        self.out: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        self.into: dict[str, list[tuple[str, str]]] = defaultdict(list)  # object IRI → (subject, predicate)
        for t in triples:
            s, p, o = t.subject, t.predicate.value, t.object
            if not isinstance(s, ox.NamedNode) or isinstance(o, ox.Triple):
                continue
            self.out[s.value][p].append(o)
            if isinstance(o, ox.NamedNode):
                self.into[o.value].append((s.value, p))
        for facts in self.out.values():
            for p, values in facts.items():
                facts[p] = sorted(set(values), key=_sort_key)
        for target, refs in self.into.items():
            self.into[target] = sorted(set(refs))

    def renderer(self) -> Renderer:
        """Compact JSON-LD nodes with the pages' context (made once)."""
        if self._renderer is None:
            self._renderer = Renderer(self.context)
        return self._renderer

    def label(self, iri: str) -> str:
        facts = self.out.get(iri, {})
        for p in _NAMES:
            if facts.get(p):
                return str(facts[p][0].value)
        return self.short(iri)

    def short(self, iri: str) -> str:
        """A prefixed name where a namespace fits (``vkg:Event``), else the IRI."""
        hit = self._short.get(iri)
        if hit is None:
            hit = self._short[iri] = self._shorten(iri)
        return hit

    def _shorten(self, iri: str) -> str:
        best = max((ns for ns in self.prefixes.values() if iri.startswith(ns) and len(iri) > len(ns)), key=len,
                   default=None)  # fmt: skip
        if best is None:
            return iri
        return f"{next(p for p, ns in self.prefixes.items() if ns == best)}:{iri[len(best) :]}"

    def page_of(self, iri: str) -> tuple[str, str] | None:
        """(page path without ``.html``, fragment) of an IRI under the base that a page describes."""
        if not iri.startswith(self.base):
            return None
        page, _, fragment = iri[len(self.base) :].partition("#")
        page = unquote(page)
        parts = page.split("/")
        if not page or any(part in ("", ".", "..") for part in parts) or "\\" in page or "\0" in page:
            return None
        return page, fragment


def build_site(
    output: str | Path = "output", target: str | Path = "site", on_event: Callable[..., None] | None = None
) -> SiteResult:
    """Write the pages of the build in ``output`` into ``target`` (replaced whole, atomically);
    ``on_event("site", done=…, total=…)`` as pages are made."""
    started = time.perf_counter()
    output, target = Path(output), Path(target)
    nq = output / "graph.nq"
    if not nq.is_file():
        raise InputError(f"{output}: no graph.nq here; run 'vaultkg build' first (or give --output-dir)")
    _check_target(target)
    from .querying import display_prefixes

    prefixes = display_prefixes(output)
    base = prefixes.get("vault", "")
    if not base:  # the pages are laid out under the vault's base IRI, which report.json gives
        raise InputError(f"{output / 'report.json'}: missing or unreadable (it gives the vault's base IRI); "
                         "run 'vaultkg build' again")  # fmt: skip
    try:
        graph = Graph((q.triple for q in ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS)), base, prefixes)
    except SyntaxError as exc:
        raise not_nquads(nq, exc) from None
    graph.context = _context(output, prefixes)
    pages: dict[str, list[str]] = defaultdict(list)  # page → its subjects
    for subject in sorted(graph.out):
        where = graph.page_of(subject)
        if where is not None:
            pages[where[0]].append(subject)
    order = sorted(pages)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.vaultkg-", dir=target.parent))
    try:  # each page written as it comes (40,000 notes: ~0.5 GB of pages never held at once)
        rendered = fork_map(lambda page: render_page(graph, page, pages[page]), order)  # markdown-it: ~1 ms a note
        for done, (page, text) in enumerate(zip(order, rendered, strict=True), 1):
            _write(staging, file_of(page), text)
            if on_event is not None:
                on_event("site", done=done, total=len(order))
        _write(staging, "index.html", render_index(graph, pages))
        _write(staging, "style.css", _CSS)
        _write(staging, MARKER, f"vaultkg {__version__}\n")
        _swap(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SiteResult(len(pages), target, time.perf_counter() - started)


def _write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    if "/" in name:
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def file_of(page: str) -> str:
    """The file of a page: ``{page}.html``; a note whose page would be the site's own
    ``index.html`` gets ``index.note.html``, and a name too long for a file system (255 bytes)
    is cut and given a hash of the whole."""
    if page == "index":
        return "index.note.html"
    parts = page.split("/")
    parts[-1] += ".html"
    return "/".join(_fitting(part) for part in parts)


def _fitting(name: str, limit: int = 255) -> str:
    data = name.encode()
    if len(data) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".") if name.endswith(".html") else (name, "", "")
    tail = f"-{hashlib.sha256(data).hexdigest()[:16]}{dot}{suffix}"
    return stem.encode()[: limit - len(tail.encode())].decode("utf-8", "ignore") + tail


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: exists and is not a folder; give another --to")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise UsageError(
            f"{target}: holds files vaultkg did not write (no {MARKER}); give another --to, or empty it first"
        )


def _swap(staging: Path, target: Path) -> None:
    """Put the folder ``staging`` in ``target``'s place (``staging`` then holds the old one)."""
    if not target.exists():
        os.rename(staging, target)
    elif not exchange(staging, target):  # no atomic swap here: two renames
        old = staging.with_name(staging.name + "-old")
        os.rename(target, old)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)


def render_page(graph: Graph, page: str, subjects: list[str]) -> str:
    """One page: its main thing (``#id``, else the page's own IRI) first, then the rest."""
    depth = page.count("/")
    main = next((s for s in subjects if s.endswith("#id")), subjects[0])
    doc = graph.base + page
    rest = [s for s in subjects if s != main]
    body: list[str] = [f"<h1>{_e(graph.label(main))}</h1>"]
    types = [graph.short(t.value) for t in graph.out[main].get(_TYPE, [])]
    if types:
        body.append(f'<p class="types">{" ".join(f"<span>{_e(t)}</span>" for t in types)}</p>')
    if doc not in graph.out and main.endswith("#id"):
        body.append('<p class="unwritten">Named in the vault; no note describes it yet.</p>')
    events = _chronological(graph, [e for e in graph.out[main].get(_MILESTONE, []) if isinstance(e, ox.NamedNode)])
    body.append(_section(graph, main, depth, heading=False, hide={_TYPE, _LABEL, *([_MILESTONE] if events else [])}))
    if events:
        body.append(_milestones(graph, events, depth))
    in_order = [e.value for e in events if e.value in rest]  # the events' sections as the milestones list them
    placed = set(in_order)
    for subject in in_order + [s for s in rest if s not in placed]:
        if subject == doc:
            continue
        body.append(_section(graph, subject, depth, heading=True))
    if doc in graph.out and doc != main:
        body.append(_section(graph, doc, depth, heading=True, title="The note"))
        targets = _link_targets(graph, main)
        folder = posixpath.dirname(next((str(p.value) for p in graph.out[doc].get(_PATH, [])), ""))
        for text in graph.out[doc].get(_TEXT, []):
            rendered = _with_links(
                _markdown(str(text.value)), lambda name: _target_href(graph, targets, name, depth, folder), folder
            )
            body.append(f'<div class="note-text">{rendered}</div>')
    body.append(_referrers(graph, subjects, depth))
    return _document(graph.label(main), body, depth, data=_jsonld(graph, subjects))


def _context(output: Path, prefixes: Mapping[str, str]) -> dict[str, str]:
    """The build's JSON-LD context (``context.jsonld``: its prefixes), else ``prefixes``."""
    try:
        context = json.loads((output / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    except (OSError, ValueError, KeyError, TypeError):
        return dict(prefixes)
    if not isinstance(context, dict):
        return dict(prefixes)
    return {k: v for k, v in context.items() if isinstance(k, str) and isinstance(v, str)}


def _jsonld(graph: Graph, subjects: list[str]) -> str:
    """The page's subjects and their triples as compact JSON-LD, for machines (safe in a
    ``<script>``: ``<``, ``>`` and ``&`` only occur in JSON strings, where they are escaped)."""
    renderer = graph.renderer()
    nodes = []
    for subject in subjects:
        node = ox.NamedNode(subject)
        triples = [(node, ox.NamedNode(p), o) for p, values in sorted(graph.out[subject].items()) for o in values]
        nodes.append(renderer.node_and_stats(triples)[0])
    text = f'{{"@context": {json.dumps(graph.context, sort_keys=True)}, "@graph": [{", ".join(nodes)}]}}'
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _section(
    graph: Graph, subject: str, depth: int, *, heading: bool, title: str | None = None, hide: set[str] = _HIDDEN
) -> str:
    where = graph.page_of(subject)
    anchor = f' id="{_e(where[1])}"' if where and where[1] else ""
    rows = []
    for predicate, values in sorted(graph.out[subject].items(), key=lambda kv: graph.short(kv[0])):
        if predicate in _HIDDEN or predicate in hide:
            continue
        cells = ", ".join(_value(graph, v, depth) for v in values)
        rows.append(f"<tr><th>{_e(graph.short(predicate))}</th><td>{cells}</td></tr>")
    head = f"<h2>{_e(title or graph.label(subject))}</h2>" if heading else ""
    iri = f'<p class="iri"><code>{_e(subject)}</code></p>'
    return f'<section{anchor}>{head}{iri}<table class="facts">{"".join(rows)}</table></section>'


def _first(graph: Graph, event: ox.NamedNode, predicate: str) -> str:
    values = graph.out.get(event.value, {}).get(predicate, [])
    return str(values[0].value) if values else ""


def _chronological(graph: Graph, events: list[ox.NamedNode]) -> list[ox.NamedNode]:
    """Events by start date (undated last), then label."""

    def order(event: ox.NamedNode) -> tuple[bool, str, str]:
        start = _first(graph, event, _START)
        return start == "", start, graph.label(event.value)

    return sorted(events, key=order)


def _milestones(graph: Graph, events: list[ox.NamedNode], depth: int) -> str:
    rows = [  # the date as written ("1980s", "c. 1992") where the note gave one, else the start
        f"<tr><td>{_e(_first(graph, e, _DATE_TEXT) or _first(graph, e, _START))}</td>"
        f"<td>{_link(graph, e.value, depth)}</td></tr>"
        for e in events
    ]
    return f'<section><h2>Milestones</h2><table class="milestones">{"".join(rows)}</table></section>'


def _referrers(graph: Graph, subjects: list[str], depth: int) -> str:
    own = set(subjects)
    refs = sorted(
        {(graph.short(p), s) for target in subjects for s, p in graph.into.get(target, []) if s not in own},
        key=lambda r: (r[0], graph.label(r[1]), r[1]),
    )
    if not refs:
        return ""
    items = "".join(f'<li>{_link(graph, s, depth)} <span class="via">{_e(p)}</span></li>' for p, s in refs)
    return f'<section><h2>Referred to by</h2><ul class="refs">{items}</ul></section>'


def render_index(graph: Graph, pages: Mapping[str, list[str]]) -> str:
    """Every page, by the classes of its main thing (notes' pages under their thing's class)."""
    by_class: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for page, subjects in pages.items():
        main = next((s for s in subjects if s.endswith("#id")), subjects[0])
        classes = [str(t.value) for t in graph.out[main].get(_TYPE, [])]
        for name in [("Tags" if c == _CONCEPT else graph.short(c)) for c in classes] or [_UNWRITTEN]:
            by_class[name].append((graph.label(main), page))
    body = ["<h1>The vault</h1>"]
    body.append(f"<p>{len(pages):,} pages.</p>")
    rank = {"Tags": 2, _UNWRITTEN: 3}  # the vault's own classes first, then other classes
    for name in sorted(by_class, key=lambda n: (rank.get(n, 0 if n.startswith("vkg:") else 1), n)):
        items = "".join(
            f'<li><a href="{_e(_href(page, "", 0))}">{_e(label)}</a></li>' for label, page in sorted(by_class[name])
        )
        body.append(f'<section><h2>{_e(name)} ({len(by_class[name]):,})</h2><ul class="index">{items}</ul></section>')
    return _document("Index", body, 0)


def _value(graph: Graph, term: Term, depth: int) -> str:
    if isinstance(term, ox.NamedNode):
        return _link(graph, term.value, depth)
    if isinstance(term, ox.Literal):
        tip = term.language or graph.short(term.datatype.value)
        return f'<span class="literal" title="{_e(tip)}">{_e(term.value)}</span>'
    return _e(str(term))


def _link(graph: Graph, iri: str, depth: int) -> str:
    where = graph.page_of(iri)
    label = _e(graph.label(iri))
    if where is not None:
        return f'<a href="{_e(_href(*where, depth))}">{label}</a>'
    if iri.startswith(("http://", "https://")):
        return f'<a class="external" href="{_e(iri)}">{label}</a>'
    return label


def _href(page: str, fragment: str, depth: int) -> str:
    """A relative link to a page (path segments percent-encoded where a URL needs it)."""
    from urllib.parse import quote

    target = "../" * depth + quote(file_of(page), safe="/")
    return target + (f"#{quote(fragment, safe='/-_.~')}" if fragment else "")


def _link_targets(graph: Graph, thing: str) -> dict[str, list[tuple[str, str]]]:
    """What the note's ``[[links]]`` can name: the labels and aliases of the things it links to
    (as the build resolved them), case-folded, each with the things of that name and the paths
    of the notes that describe them (``""`` for a thing without a note)."""
    keys: dict[str, dict[str, str]] = defaultdict(dict)
    for target in graph.out.get(thing, {}).get(VKG + "linksTo", []):
        facts = graph.out.get(target.value, {})
        page = graph.page_of(target.value)
        names = [*facts.get(_LABEL, []), *facts.get(SKOS + "altLabel", [])]
        if page is not None:
            names.append(ox.Literal(page[0]))  # slugs
        paths = [
            str(p.value)
            for doc in facts.get(SCHEMA + "subjectOf", [])
            for p in graph.out.get(doc.value, {}).get(_PATH, [])
        ]
        names += [ox.Literal(path.removesuffix(".md")) for path in paths]  # [[Folder/Note]], [text](Folder/Note.md)
        for name in names:
            keys[str(name.value).casefold()][target.value] = min(paths, default="")
    return {key: sorted(found.items()) for key, found in keys.items()}


def _target_href(
    graph: Graph, targets: Mapping[str, list[tuple[str, str]]], name: str, depth: int, folder: str = ""
) -> str | None:
    """The page of what a link names: when two of the note's link targets share the name, the one
    the build takes too (a note in the same folder, else the shortest path, else the first; a
    thing without a note last)."""
    name = name.strip().removesuffix(".md")
    key = name.casefold()
    found = targets.get(key)
    if found is None and "/" in key:  # a path: as written from the vault's root, else its end
        ends = {c for path, cs in targets.items() if ("/" + path).endswith("/" + key.lstrip("./")) for c in cs}
        found = sorted(ends) if len(ends) == 1 else None
    found = found or targets.get(key.rpartition("/")[2])
    if not found:
        return None
    iri = min(found, key=lambda c: (not c[1], *preference(c[1], folder)))[0]
    where = graph.page_of(iri)
    return _href(*where, depth) if where is not None else None


_WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n|#^]+)(?:#[^\[\]\n|]*)?(?:\|([^\[\]\n]+))?\]\]")
_CODE = re.compile(r"(<code[^>]*>.*?</code>)", re.S)
_HREF = re.compile(r'<a href="([^"]*)">')  # as markdown-it writes a Markdown link


def _with_links(rendered: str, href_of: Callable[[str], str | None], folder: str = "") -> str:
    """Rendered Markdown with its ``[[links]]``, and its Markdown links to ``.md`` files (relative
    to the note's ``folder`` when they start with ``./`` or ``../``), made links to the pages of
    the things they name (not inside code; the text is escaped HTML, so names are unescaped)."""

    def link(m: re.Match[str]) -> str:
        href = href_of(html.unescape(m.group(2)))
        if href is None:
            return m.group(0)
        return f'<a href="{_e(href)}">{m.group(3) or m.group(2)}</a>'

    def md_link(m: re.Match[str]) -> str:
        path = unquote(html.unescape(m.group(1)).partition("#")[0])
        if SCHEME.match(path) or not path.lower().endswith(".md"):
            return m.group(0)
        if path.startswith(("./", "../")):
            path = posixpath.normpath(posixpath.join(folder, path))
        elif folder and (href := href_of(posixpath.join(folder, path))) is not None:
            return f'<a href="{_e(href)}">'  # as the build reads it: next to the note first
        href = href_of(path)
        return m.group(0) if href is None else f'<a href="{_e(href)}">'

    pieces = _CODE.split(rendered)
    return "".join(piece if i % 2 else _HREF.sub(md_link, _WIKILINK.sub(link, piece)) for i, piece in enumerate(pieces))


@cache
def _markdown_it() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _markdown(text: str) -> str:
    """HTML of a note's Markdown (raw HTML shown as text; HTML comments, hidden by any renderer
    that lets HTML through, left out)."""
    return str(_markdown_it().render(without_html_comments(text)))


def _document(title: str, body: list[str], depth: int, *, data: str | None = None) -> str:
    up = "../" * depth
    script = f'<script type="application/ld+json">{data}</script>\n' if data is not None else ""
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="vaultkg">\n<title>{_e(title)}</title>\n'
        f'<link rel="stylesheet" href="{up}style.css">\n{script}</head>\n<body>\n'
        f'<nav><a href="{up}index.html">Index</a></nav>\n<main>\n'
    )
    return head + "\n".join(b for b in body if b) + "\n</main>\n</body>\n</html>\n"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _sort_key(term: Term) -> tuple[int, str]:
    return (0 if isinstance(term, ox.NamedNode) else 1, str(term))


_CSS = """body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #222; }
nav { margin-bottom: 1rem; } a { color: #0b5cad; } code { font-size: 85%; color: #555; }
.types span { background: #eef; border-radius: 3px; padding: 0 .4em; margin-right: .3em; font-size: 90%; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .2em .6em; }
table.facts th { color: #555; font-weight: normal; white-space: nowrap; } tr { border-bottom: 1px solid #eee; }
.unwritten { color: #a60; } .via { color: #777; font-size: 85%; } .iri { margin: 0; }
.note-text { border-left: 3px solid #ddd; padding-left: 1rem; }
"""

__all__ = ["MARKER", "Graph", "SiteResult", "build_site", "render_index", "render_page"]
