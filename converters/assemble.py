"""Assemble the outputs of all notes into one dataset: a named graph per note plus the vault
graph, sorted, de-duplicated and free of blank nodes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from pyoxigraph import Literal, NamedNode, Triple

from .config import Config
from .context import Context
from .model import Attachment, Diagnostic, Graph, Note, Notice, Severity, Statement, Unresolved
from .vocab import OWL_SAME_AS, RDFS_LABEL, WD


@dataclass(slots=True)
class Dataset:
    """The built graph: ``graphs`` maps a graph IRI to its sorted triples."""

    graphs: dict[str, list[Triple]]
    vault_graph: str
    prefixes: dict[str, str]
    notes: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unresolved: dict[str, dict] = field(default_factory=dict)
    attachments: list[dict] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)
    lines: dict[str, list[tuple[Triple, int]]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # note graph IRI → vault-relative path
    digest: str = ""  # what the notes' conversion depended on besides their own text
    reused: set[str] = field(default_factory=set)  # graphs left empty: taken from an earlier build
    mentions: Any = None  # the vault's mention index (with ``mentions: true``), for the next build
    names: Any = None  # the resolver's state (``Resolver.state``), for the next build
    #: names of things linked or named with no note behind them, ``(text, slug)``: looked for as mentions
    unwritten: tuple[tuple[str, str], ...] = ()
    _union: list[Triple] | None = None
    _cache: dict[str, Any] = field(default_factory=dict)  # renderings shared by several writers
    _unpack: Callable[[], None] | None = None  # fills in the reused graphs' triples

    def complete(self) -> None:
        """Fill in the triples of the graphs taken already rendered (:attr:`reused`), if any."""
        if self._unpack is not None:
            unpack, self._unpack = self._unpack, None
            unpack()

    def cached(self, name: str, make: Callable[[], Any]) -> Any:
        """A value derived from the dataset, computed once (the dataset is not changed after)."""
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    def has_cached(self, name: str) -> bool:
        return name in self._cache

    def triples(self) -> list[Triple]:
        """The union of all graphs, sorted, each triple once (computed once)."""
        self.complete()
        if self._union is None:
            seen: set[Triple] = set()
            for triples in self.graphs.values():
                seen.update(triples)
            self._union = sort_triples(seen)
        return self._union

    @property
    def triple_count(self) -> int:
        return len(self.triples())


def sort_triples(triples: Iterable[Triple]) -> list[Triple]:
    """Triples in the order of their N-Triples text: by subject, predicate, object."""
    return sorted(triples, key=str)


@dataclass(slots=True)
class NoteResult:
    """Everything one note contributed: its graph (triples with lines, sorted) and the rest."""

    path: str
    graph: str
    triples: list[tuple[Triple, int]]
    vault: list[tuple[Triple, int]]
    diagnostics: list[Diagnostic]
    unresolved: list[tuple[str, str, int]]  # entity IRI, text as written, line
    attachments: list[dict]
    notices: list[dict]
    claims: list[tuple[str, int]]  # Wikidata items the front matter links the thing to, with lines
    #: True when ``triples`` and ``vault`` are left empty because the caller already holds the
    #: graph rendered (a worker process rendered it, or the build cache kept it)
    rendered: bool = False
    #: ``triples`` as N-Triples (what sorting them made on the way), when :func:`convert_note` made them
    ntriples: bytes | None = None
    #: the source lines of ``ntriples``, when :func:`convert_note` was asked for no triples (``light``)
    lines: list[int] | None = None
    #: ``triples`` as (subject, predicate, object) tuples, when :func:`convert_note` made them (their
    #: terms are read faster from a tuple than from a ``Triple``, which makes a new object per access)
    terms: list[tuple[Any, Any, Any]] | None = None
    #: what :func:`finish_note` needs of a result :func:`convert_note` left unfinished
    pending: Any = None


def convert_note(
    note: Note, ctx: Context, links: Mapping[str, str] | None = None, *, light: bool = False, first: bool = False
) -> NoteResult:
    """Run every converter over one note (pure; independent of the other notes' conversion).

    ``light``: the caller needs the graph only as N-Triples (:attr:`NoteResult.ntriples`) and
    source lines (:attr:`NoteResult.lines`): its triples are not made as objects (a pyoxigraph
    ``Triple`` with a literal object costs ~4 µs to make) and :attr:`NoteResult.triples` stays empty.
    ``first``: run only the converters of :data:`converters.FIRST` and return the result
    unfinished (its :attr:`~NoteResult.unresolved` known): :func:`finish_note` runs the rest."""
    from . import convert_first

    result = NoteResult(note.path, ctx.document(note).value, [], [], [], [], [], [], [])
    own: dict[tuple[Any, Any, Any], int] = {}  # (subject, predicate, object) → first line
    vault: dict[Triple, int] = {}
    _gather(convert_first(note, ctx), note, result, own, vault)
    result.pending = (own, vault)
    return result if first else finish_note(result, note, ctx, links, light=light)


def finish_note(
    result: NoteResult, note: Note, ctx: Context, links: Mapping[str, str] | None = None, *, light: bool = False
) -> NoteResult:
    """Run the converters of :data:`converters.LAST` over a note :func:`convert_note` left
    unfinished and put its result in order (see :func:`convert_note` for ``light``)."""
    from . import convert_last

    own, vault = result.pending
    result.pending = None
    _gather(convert_last(note, ctx), note, result, own, vault)
    # each link once, in line order (the links converter and a table row or field both see it)
    result.unresolved = sorted(set(result.unresolved), key=lambda u: (u[2], u[0], u[1]))
    thing = ctx.thing(note)
    result.claims = [(o.value, line) for (s, p, o), line in own.items() if p == OWL_SAME_AS and s == thing]
    if links and not result.claims and thing.value in links:
        own.setdefault((thing, OWL_SAME_AS, NamedNode(WD + links[thing.value])), 1)
    if light:  # sorted by their N-Triples text, which is all that is kept
        texts = sorted([(f"{s} {p} {o}", line) for (s, p, o), line in own.items()])
        result.lines = [line for _, line in texts]
        result.ntriples = "".join([text + " .\n" for text, _ in texts]).encode()
    else:  # str() of a Triple is faster than formatting its three terms
        made = [(Triple(*key), key, line) for key, line in own.items()]
        keyed = sorted([(str(t), t, key, line) for t, key, line in made])  # distinct texts: sorted by them alone
        result.terms = [key for _, _, key, _ in keyed]
        result.triples = [(t, line) for _, t, _, line in keyed]
        result.ntriples = "".join([text + " .\n" for text, _, _, _ in keyed]).encode()
    result.vault = list(vault.items())
    return result


def _gather(
    outputs: Iterable[Any],
    note: Note,
    result: NoteResult,
    own: dict[tuple[Any, Any, Any], int],
    vault: dict[Triple, int],
) -> None:
    """Sort converters' outputs into ``result``: statements into ``own`` (or ``vault``) with
    their first line, and the rest into its lists."""
    for out in outputs:
        if type(out) is Statement:
            if out.graph is Graph.VAULT:
                vault.setdefault(Triple(out.subject, out.predicate, out.object), out.line)
            else:
                own.setdefault(out[:3], out.line)
        elif isinstance(out, Diagnostic):
            if out not in result.diagnostics:  # a link in a table row or field is read twice
                result.diagnostics.append(out)
        elif isinstance(out, Unresolved):
            result.unresolved.append((out.entity.value, out.text, out.line))
        elif isinstance(out, Attachment):
            result.attachments.append({"path": note.path, "line": out.line, "target": out.target})
        elif isinstance(out, Notice):
            result.notices.append({"kind": out.kind, "path": note.path, "line": out.line, **dict(out.detail)})


class Conversion:
    """Converting notes in two steps, because mentions need what every note names.

    :meth:`first` runs the converters of :data:`converters.FIRST` over a note (the step that
    finds which names have no note behind them); :meth:`meet` gathers those names from every
    note's first step (and from the results reused, given at the start); :meth:`finish` then
    runs :data:`converters.LAST`. A ``mapper`` may run the steps on other processes: each
    needs only :meth:`meet`'s value (:meth:`then` takes it there) between the two."""

    def __init__(
        self,
        ctx: Context,
        links: Mapping[str, str] | None,
        known: Iterable[NoteResult] = (),
        on_steps: Callable[[int], None] | None = None,
    ) -> None:
        self.ctx, self.links, self.on_steps = ctx, links, on_steps
        self._known = list(chain.from_iterable(r.unresolved for r in known))
        self.names: tuple[tuple[str, str], ...] | None = None

    def stepped(self, count: int) -> None:
        """Say that ``count`` more steps are done (a mapper calls it as first steps get done)."""
        if self.on_steps is not None and count:
            self.on_steps(count)

    def counted(self, results: Iterable[NoteResult]) -> Iterator[NoteResult]:
        """``results``, each finished one counted as a step done."""
        for result in results:
            self.stepped(1)
            yield result

    def first(self, note: Note) -> NoteResult:
        # looked up at each call: tests count the conversions by wrapping convert_note
        return convert_note(note, self.ctx, self.links, first=True)

    @staticmethod
    def found(result: NoteResult) -> list[tuple[str, str, int]]:
        """What :meth:`meet` needs of a first step's result (its unresolved records)."""
        return result.unresolved

    def meet(self, found: Iterable[Iterable[tuple[str, str, int]]]) -> tuple[tuple[str, str], ...]:
        """The names of things with no note: from these unresolved records (of the first steps)
        and the known results'. The same value once made (notes converted later, e.g. to
        follow changed names, name nothing new: they were known)."""
        if self.names is None:
            from .mentions import unwritten_names

            records = [*self._known, *(u for f in found for u in f)]
            self.names = unwritten_names(records, self.ctx.config.base) if self.ctx.config.mentions else ()
            self.then(self.names)
        return self.names

    def then(self, names: tuple[tuple[str, str], ...]) -> None:
        """Make ready to :meth:`finish`: the mention index knows ``names`` too."""
        self.names = names
        if self.ctx.config.mentions:
            from .mentions import mention_index

            self.ctx.replace_cached("full mentions", mention_index(self.ctx).with_names(names))

    def finish(self, result: NoteResult, note: Note, light: bool = False) -> NoteResult:
        return finish_note(result, note, self.ctx, self.links, light=light)

    def run(self, notes: Sequence[Note], light: bool = False) -> Iterator[NoteResult]:
        """Both steps here, in this process."""
        firsts = []
        for note in notes:
            firsts.append(self.first(note))
            self.stepped(1)
        self.meet(self.found(r) for r in firsts)
        for note, result in zip(notes, firsts, strict=True):
            yield self.finish(result, note, light)


#: Runs a :class:`Conversion` over notes: its :meth:`~Conversion.run`, or the same steps on
#: several processes (which may finish with ``light=True`` when only N-Triples and lines are needed:
#: see :func:`convert_note`); results in the order of the notes.
NoteMapper = Callable[[Conversion, Sequence[Note]], Iterable[NoteResult]]


def _run(conversion: Conversion, notes: Sequence[Note]) -> Iterator[NoteResult]:
    return conversion.run(notes)


def assemble(
    notes: Sequence[Note],
    config: Config,
    on_steps: Callable[[int], None] | None = None,
    links: Mapping[str, str] | None = None,
    mapper: NoteMapper | None = None,
    earlier: Mapping[str, NoteResult] | None = None,
    earlier_digest: str = "",
    keep: dict[str, NoteResult] | None = None,
    rendered_vault: Callable[[list[str]], Iterable[Triple]] | None = None,
    earlier_mentions: Any = None,
    earlier_names: Any = None,
    earlier_unwritten: tuple[tuple[str, str], ...] | None = None,
) -> Dataset:
    """Run the converters over every note and gather the dataset (pure: no I/O).

    ``on_steps(n)`` is told of work as it is done, two steps a note (its first step, then its
    finish; a reused note's two at once), for a progress bar.
    ``links`` maps entity IRIs to Wikidata QIDs a person accepted (``wikidata-links.yaml``);
    they are added where the note's front matter gives none (front matter always wins).
    ``mapper`` may convert the notes in parallel; the result is the same, byte for byte.
    ``earlier`` holds results of an earlier build for notes whose text is unchanged; they are
    reused when ``earlier_digest`` equals this build's :attr:`Dataset.digest` (the vault's name
    index, the config and the accepted links are the same), so only edited notes are converted
    again. Results (earlier ones, or those the ``mapper`` returns) may come without their
    triples (:attr:`NoteResult.rendered`): then ``rendered_vault(paths)`` gives their vault-graph
    triples, and their graphs stay empty in the dataset, named in :attr:`Dataset.reused` (the
    caller holds them rendered).
    ``keep`` collects every note's result for the next build. ``earlier_mentions``, the earlier
    build's :attr:`Dataset.mentions`, is used as well when the digests match (it depends on the
    notes' names, aliases and slugs only), and ``earlier_names`` (its :attr:`Dataset.names`)
    when no note was added, removed or renamed and those not in ``earlier`` pin the same slugs
    as before (see :meth:`Resolver.reused`). ``earlier_unwritten`` is its
    :attr:`Dataset.unwritten`: when the names of things without a note changed, reused notes
    whose text names one of those that changed are converted again (their mentions may differ).
    """
    from .resolve import Resolver

    notes = sorted(notes, key=lambda n: n.path)
    resolver = None
    if earlier_names is not None:
        changed = [n for n in notes if n.path not in (earlier or {})]
        resolver = Resolver.reused(earlier_names, notes, config, changed)
    ctx = Context(notes, config, resolver)
    digest = _digest(ctx.resolver.digest(), config, links)
    base_index = None
    if config.mentions:  # vault-wide index, built once here rather than in every worker
        from .mentions import mention_index

        if earlier_mentions is not None and earlier_digest == digest:
            ctx.cached("mentions", lambda: earlier_mentions)
        base_index = mention_index(ctx, earlier_mentions)  # names changed: the earlier index's tokens still serve
    reusable = dict(earlier) if earlier and earlier_digest == digest else {}
    if earlier and not reusable and earlier_names is not None:  # names changed: which notes can see it
        reusable = dict(_unaffected(notes, earlier, ctx, earlier_names, earlier_digest, config, links))
    todo = [n for n in notes if n.path not in reusable]
    conversion = Conversion(ctx, links, reusable.values(), on_steps)
    conversion.stepped(2 * len(reusable))
    fresh = {r.path: r for r in conversion.counted((mapper or _run)(conversion, todo))}
    unwritten = conversion.meet([])
    if config.mentions and reusable and earlier_unwritten != unwritten:  # mentions of those may differ
        if earlier_unwritten is None:  # not known: all of them
            redo = set(reusable)
        else:
            changed_names = {text for text, _ in set(unwritten) ^ set(earlier_unwritten)}
            redo = _naming(notes, reusable, changed_names, front_matter=False)  # mentions are in bodies
        for path in redo:
            del reusable[path]
        if redo:  # counted already, as reused
            fresh.update((r.path, r) for r in (mapper or _run)(conversion, [n for n in notes if n.path in redo]))
    results = [reusable.get(n.path) or fresh[n.path] for n in notes]
    if keep is not None:
        keep.update((r.path, r) for r in results)
    rendered = [r.path for r in results if r.rendered]
    shared = rendered_vault(rendered) if rendered and rendered_vault is not None else ()
    dataset = merge(ctx, notes, results, links, shared)
    dataset.digest = digest
    dataset.reused = {r.graph for r in results if r.rendered}
    dataset.mentions = base_index
    dataset.unwritten = unwritten
    dataset.names = ctx.resolver.state()  # the earlier one itself while the names are the same
    return dataset


def _unaffected(
    notes: Sequence[Note],
    earlier: Mapping[str, NoteResult],
    ctx: Context,
    names: Any,
    earlier_digest: str,
    config: Config,
    links: Mapping[str, str] | None,
) -> Mapping[str, NoteResult]:
    """The earlier results still true after notes were added, removed, renamed or given other
    aliases (the config and accepted links being the same): those of unchanged notes whose slug
    is the same and whose text names none of the keys that resolve differently now — a link, a
    name in the front matter or a mention needs every word of the key it resolves by (words
    compared case-folded; a name with none makes every note convert again)."""
    if _digest(names["digest"], config, links) != earlier_digest:  # another config or accepted links
        return {}
    keys, own = ctx.resolver.changed_since(names)
    naming = _naming(notes, earlier, keys)
    present = {n.path for n in notes}
    return {
        path: result for path, result in earlier.items() if path in present and path not in own and path not in naming
    }


def _naming(
    notes: Sequence[Note], among: Mapping[str, Any], keys: Iterable[str], *, front_matter: bool = True
) -> set[str]:
    """The paths (of ``among``) of the notes whose text names one of ``keys``: a link, a name in
    the front matter or a mention needs every word of the key it resolves by (words compared
    case-folded; a key with none: every note). Without ``front_matter``, only the bodies are
    read (where mentions are looked for)."""
    # each key's words, longest first: a note without the longest is passed over soonest
    words = [
        tuple(sorted(_WORDS.findall(unicodedata.normalize("NFC", key).casefold()), key=len, reverse=True))
        for key in sorted(keys)
    ]

    def names_a_key(note: Note) -> bool:
        for text in (note.body, repr(note.front_matter.data)) if front_matter else (note.body,):
            folded = text.lower() if text.isascii() else unicodedata.normalize("NFC", text).casefold()
            for key in words:  # loops, not any(all(…)): two generators a text cost ~1/3 of the time
                for word in key:
                    if word not in folded:
                        break
                else:  # every word found (a key without words: every note)
                    return True
        return False

    return {note.path for note in notes if note.path in among and names_a_key(note)}


_WORDS = re.compile(r"[^\W_]+")


def _digest(names: str, config: Config, links: Mapping[str, str] | None) -> str:
    """What every note's conversion depends on besides its own text: the name index's digest,
    the config and the accepted Wikidata links."""
    return hashlib.sha256(f"{names}\n{config!r}\n{sorted((links or {}).items())}".encode()).hexdigest()


def merge(
    ctx: Context,
    notes: Sequence[Note],
    results: Iterable[NoteResult],
    links: Mapping[str, str] | None = None,
    shared: Iterable[Triple] = (),
) -> Dataset:
    """Gather the notes' results into one dataset: shared facts, unresolved names, warnings.

    ``shared`` adds vault-graph triples of notes whose results come without them."""
    diagnostics: list[Diagnostic] = list(ctx.resolver.diagnostics)
    graphs: dict[str, list[Triple]] = {}
    lines: dict[str, list[tuple[Triple, int]]] = {}
    paths: dict[str, str] = {}
    vault: dict[Triple, int] = dict.fromkeys(shared, 0)
    missing: dict[str, Counter[str]] = defaultdict(Counter)
    missing_from: dict[str, list[dict]] = defaultdict(list)
    attachments: list[dict] = []
    notices: list[dict] = []
    qid_claims: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for result in results:
        diagnostics.extend(result.diagnostics)
        for entity, text, line in result.unresolved:
            missing[entity][text] += 1
            where = {"path": result.path, "line": line}
            if not missing_from[entity] or missing_from[entity][-1] != where:  # two spellings on a line
                missing_from[entity].append(where)
        attachments.extend(result.attachments)
        notices.extend(result.notices)
        for qid, line in result.claims:
            qid_claims[qid].append((result.path, line))
        for triple, line in result.vault:
            vault.setdefault(triple, line)
        graphs[result.graph] = [t for t, _ in result.triples]
        lines[result.graph] = result.triples
        paths[result.graph] = result.path
    for qid, claims in sorted(qid_claims.items()):
        for path, line in claims:
            others = sorted({p for p, _ in claims if p != path})
            if others:
                message = f"{qid.removeprefix(WD)} is also claimed by {', '.join(others)}"
                diagnostics.append(Diagnostic(path, line, Severity.WARNING, "duplicate-wikidata", message))
    unresolved: dict[str, dict] = {}
    for entity, spellings in missing.items():
        text = sorted(spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        node = NamedNode(entity)
        vault.setdefault(Triple(node, RDFS_LABEL, Literal(text)), 0)
        unresolved[entity] = {"label": text, "links": missing_from[entity]}
        if links and entity in links:
            vault.setdefault(Triple(node, OWL_SAME_AS, NamedNode(WD + links[entity])), 0)
    vault_graph = ctx.iris.vault_graph().value
    ordered_vault = sort_triples(vault)
    graphs[vault_graph] = ordered_vault
    lines[vault_graph] = [(t, 0) for t in ordered_vault]  # shared by many notes: no single line
    diagnostics.sort(key=lambda d: (d.path, d.line, d.severity.rank, d.code, d.message))
    return Dataset(
        graphs=dict(sorted(graphs.items())),
        vault_graph=vault_graph,
        prefixes=ctx.prefixes,
        notes=len(notes),
        diagnostics=diagnostics,
        unresolved=dict(sorted(unresolved.items())),
        attachments=sorted(attachments, key=lambda a: (a["path"], a["line"], a["target"])),
        notices=notices,
        lines=dict(sorted(lines.items())),
        paths=paths,
    )
