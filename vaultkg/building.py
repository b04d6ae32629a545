"""``build``: read a vault, convert every note, write the outputs (or check them)."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyoxigraph import Triple

from converters import Config, Dataset, Diagnostic, Severity, assemble
from converters.assemble import NoteResult, sort_triples
from converters.context import output_prefixes
from converters.vocab import WDT

from . import __version__
from .buildcache import (
    CACHE_DIR,
    CACHE_FILE,
    BuildCache,
    Earlier,
    load_cache,
    pack,
    save_cache,
    save_layout,
    unpack_many,
    vault_triples,
)
from .config import load_config
from .errors import InputError
from .fragments import GraphPart, Renderer
from .gctools import gc_paused
from .linking import FACTS_FILE, WIKIDATA_GRAPH, accepted_links, read_facts
from .outputdir import build_hashes, locked, publish, recover
from .parallel import Forked, ForkMapper, fork_map, fork_mapper
from .splice import LAYOUT_FILES
from .vault import Scan, read_vault, scan_vault
from .writers import (
    differing_files,
    graph_parts,
    layout_of,
    render_all,
    sha256_of,
    use_layout,
    use_light_parts,
    use_parts,
)

#: ``on_event(name, **details)``: "read" (done, total) per file, "convert" (done, total) per note.
EventCallback = Callable[..., None]


@dataclass(slots=True)
class BuildResult:
    """What a build did: the dataset, the files it rendered, and what it found."""

    _dataset: Dataset
    files: Mapping[str, bytes]  # by name (a writers.Files: joined on access)
    output: Path
    config_path: Path | None
    seconds: float
    written: bool
    stale: list[str] = field(default_factory=list)
    config: Config | None = None  # the effective mapping config

    @property
    def dataset(self) -> Dataset:
        """The built dataset, every graph with its triples (after an incremental build, the
        graphs reused from the cache are unpacked on first access)."""
        self._dataset.complete()
        return self._dataset

    @property
    def lazy_dataset(self) -> Dataset:
        """The built dataset as it is: graphs rendered by worker processes or reused from the
        build cache (:attr:`Dataset.reused`) hold no triples until :meth:`Dataset.complete`
        (``writers.graph_parts`` has them all rendered, N-Triples included)."""
        return self._dataset

    @property
    def notes(self) -> int:
        return self._dataset.notes

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self._dataset.diagnostics

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    def summary(self) -> dict[str, Any]:
        from .writers import link_coverage, union_of

        coverage = link_coverage(self._dataset)
        return {
            "notes": self._dataset.notes,
            "linked": coverage["linked"],
            "linkable": coverage["linkable"],
            "triples": union_of(self._dataset).triples,
            "warnings": self.warnings,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
        }


def build(
    vault: str | Path,
    output: str | Path | None = "output",
    *,
    config: str | Path | None = None,
    base: str | None = None,
    check: bool = False,
    render: bool = True,
    on_event: EventCallback | None = None,
    cache_from: str | Path | None = None,
    mentions: bool | Callable[[int], bool | None] | None = None,
) -> BuildResult:
    """Build the vault at ``vault`` into ``output``.

    With ``check=True`` nothing is written and :attr:`BuildResult.stale` lists the files in
    ``output`` that differ from a fresh build. With ``output=None`` nothing is written either
    (the rendered files are in :attr:`BuildResult.files`; ``render=False`` skips rendering when
    only the dataset is wanted, e.g. to validate it). Raises :class:`InputError` when
    there is no vault or no note in it, and :class:`ConfigFileError` for a bad config.
    ``cache_from`` names a build folder whose build cache may be used (read, never written)
    when nothing is written: notes unchanged since that build are not converted again.
    ``mentions`` overrides the config's ``mentions`` (``False``: no unlinked mentions are looked
    for, e.g. when nothing that reads the dataset can see them), or says so once the notes are
    read: called with their number, it returns the override or ``None``.
    """
    out = Path(output) if output is not None and not check else None
    if out is not None and out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; give another --output")
    if out is None:
        with gc_paused():
            return _build(vault, output, config=config, base=base, check=check, render=render, on_event=on_event,
                          cache_from=Path(cache_from) if cache_from is not None else None,
                          mentions=mentions)  # fmt: skip
    with locked(out), gc_paused():  # a second build of the same folder fails at once, with a clear message
        return _build(vault, output, config=config, base=base, check=check, render=render, on_event=on_event,
                      mentions=mentions)  # fmt: skip


def _build(
    vault: str | Path,
    output: str | Path | None,
    *,
    config: str | Path | None,
    base: str | None,
    check: bool,
    render: bool,
    on_event: EventCallback | None,
    cache_from: Path | None = None,
    mentions: bool | Callable[[int], bool | None] | None = None,
) -> BuildResult:
    started = time.perf_counter()
    root = Path(vault)
    out = Path(output) if output is not None else None
    cfg, cfg_path = load_config(Path(config) if config else None, vault=root, base=base)
    emit = on_event or (lambda *_a, **_k: None)
    skip = (out,) if out is not None else ()
    cache_dir = out if out is not None and not check else cache_from
    with _scan_beside(root, cfg, skip, cache_dir) as scan:  # the vault's files listed while the cache loads
        cache = load_cache(out, root) if out is not None and not check else None
        if cache is None and cache_from is not None and (cache_from / CACHE_DIR).is_dir():
            cache = load_cache(cache_from, root)
        contents = read_vault(root, cfg, skip=skip, on_file=lambda i, n: emit("read", done=i, total=n),
                              known=cache.read if cache else None, mapper=fork_map, scanned=scan.result)  # fmt: skip
    if contents.files == 0:
        raise InputError(f"{root}: no notes found (no .md files)")
    total = len(contents.notes)
    if callable(mentions):
        mentions = mentions(total)
    if mentions is not None and mentions != cfg.mentions:
        cfg = dataclasses.replace(cfg, mentions=mentions)
    steps = 0

    def on_steps(count: int) -> None:  # two steps a note: "convert" moves through both
        nonlocal steps
        steps += count
        emit("convert", done=steps // 2, total=total)

    facts, facts_error = read_facts(root)
    prefixes = output_prefixes(cfg)
    if facts:
        prefixes.setdefault("wdt", WDT)
    if cache is not None and cache.prefixes != prefixes:  # its rendered graphs no longer fit
        cache.results, cache.parts = {}, {}
    if cache is not None and out is None:  # what validation compares with (vaultkg.revalidation)
        earlier_parts = cache.parts
        dataset_earlier = {part.graph: part for part in earlier_parts.values()}
    else:
        dataset_earlier = {}
    unchanged = (
        {p for p, r in contents.read.items() if p in cache.read and cache.read[p].stamp == r.stamp} if cache else set()
    )
    keep: dict[str, NoteResult] = {}
    earlier = cache.earlier_results(unchanged) if cache else None
    files_wanted = render or out is not None
    mapper = fork_mapper(renderer=Renderer(prefixes), light=not files_wanted)  # light: enough to validate
    rendered = Rendered(earlier, cache, mapper)
    dataset = assemble(
        contents.notes, cfg, on_steps=on_steps, links=accepted_links(root), mapper=mapper,
        earlier=earlier, earlier_digest=cache.digest if cache else "", keep=keep,
        rendered_vault=rendered.vault_triples, earlier_mentions=cache.mentions if cache else None,
        earlier_names=cache.names if cache and earlier else None,
        earlier_unwritten=cache.unwritten if cache else None,
    )  # fmt: skip
    _add_wikidata_facts(dataset, facts, facts_error, cfg.base)
    dataset.cached("earlier parts", lambda: dataset_earlier)
    if dataset.prefixes != prefixes:
        raise AssertionError(f"prefixes changed while building: {sorted(set(dataset.prefixes) ^ set(prefixes))}")
    if dataset.reused:  # graphs rendered by the workers or kept in the cache: no triples yet
        packed_paths = [p for p, r in keep.items() if r.rendered]
        parts = {p: rendered.parts(p) for p in packed_paths}
        ready = {keep[p].graph: part for p, part in parts.items()}
        (use_parts if files_wanted else use_light_parts)(dataset, ready)
        if cache is not None and cache.layout is not None:  # unchanged graphs: in the previous files
            use_layout(dataset, cache.layout)
        dataset._unpack = _completer(dataset, {p: rendered.packed(p) for p in packed_paths}, parts)
    dataset.diagnostics[:0] = contents.diagnostics
    dataset.diagnostics.sort(key=lambda d: (d.path, d.line, d.severity.rank, d.code, d.message))
    token = None
    if out is not None and not check and cache is not None:
        token = _save_cache(out, dataset, contents.read, keep, rendered, cache)
    emit("render")
    files = render_all(dataset, version=__version__) if files_wanted else {}
    written = False
    stale: list[str] = []
    if out is not None:
        if check:
            stale = differing_files(out, files)
        else:
            from .querying import refresh_store, store_is_current, store_lock

            digests = {name: sha256_of(files, name) for name in LAYOUT_FILES}  # computed for the report
            if _holds(out, files, digests, cache):  # the same bytes: leave the files (and their times) alone
                recover(out, files)
            else:
                previous = build_hashes(out) if store_is_current(out) else None
                if previous is None:
                    publish(out, files)
                else:  # someone queries this folder: keep its store in step, no query reading in between
                    with store_lock(out, exclusive=True):
                        publish(out, files)
                        refresh_store(out, previous, {g: (p.hash, p.nq) for g, p in graph_parts(dataset).items()})
            written = True
            if token is not None and cache is not None:
                save_layout(out, layout_of(dataset), token, cache.vault, digests)
    took = time.perf_counter() - started
    return BuildResult(dataset, files, out or Path(), cfg_path, took, written, stale, cfg)


def _holds(out: Path, files: Mapping[str, bytes], digests: dict[str, str], cache: BuildCache | None) -> bool:
    """Whether ``out`` holds these files already: the large ones untouched since the last build
    wrote them (its layout noted their size, time, inode and SHA-256), the others byte for byte."""
    layout = cache.layout if cache is not None else None
    if layout is None or not layout.holds(out, digests):
        return False
    return not differing_files(out, {name: files[name] for name in files if name not in LAYOUT_FILES})


def _scan_beside(root: Path, config: Config, skip: tuple[Path, ...], cache_dir: Path | None) -> Forked[Scan]:
    """:func:`scan_vault` in a forked process when a big build cache is about to be loaded here
    (10,000 notes: the 0.07 s scan hidden behind the 0.2 s load), else in this process."""

    def scan() -> Scan:
        return scan_vault(root, config, skip)

    try:
        big = cache_dir is not None and (cache_dir / CACHE_DIR / CACHE_FILE).stat().st_size > _BIG_CACHE
    except OSError:
        big = False
    return Forked(scan, fork=big and root.is_dir())


#: A build cache above this size (~1,600 notes) loads long enough to scan the vault beside it.
_BIG_CACHE = 4 * 1024 * 1024


def _save_cache(
    out: Path,
    dataset: Dataset,
    read: dict[str, Any],
    keep: Mapping[str, NoteResult],
    rendered: Rendered,
    cache: BuildCache,
) -> int:
    """For the next build: what was read and the packed results (saved before the files are
    rendered: the two are never in memory at once). Returns the cache's token."""
    packed = {p: rendered.packed(p) if r.rendered else pack(r, rendered=True) for p, r in keep.items()}
    by_graph = graph_parts(dataset)
    kept = BuildCache(vault=cache.vault, digest=dataset.digest, read=read, results=packed)
    kept.parts = {p: by_graph[r.graph] for p, r in keep.items()}
    kept.prefixes = dict(dataset.prefixes)
    kept.mentions = dataset.mentions
    kept.names = dataset.names
    kept.unwritten = dataset.unwritten
    reused = {p for p, r in keep.items() if r.rendered and p in rendered.earlier}
    return save_cache(out, kept, cache, {p for p in read if p not in reused})


class Rendered:
    """The results that come without triples, by note path: the build cache's (unchanged notes)
    and the worker processes' (packed results and rendered graphs)."""

    def __init__(self, earlier: Earlier | None, cache: BuildCache | None, mapper: ForkMapper) -> None:
        self.earlier: Mapping[str, tuple[Any, ...]] = earlier.packed if earlier is not None else {}
        self.cache, self.mapper = cache, mapper

    def packed(self, path: str) -> tuple[Any, ...]:
        return self.mapper.packed.get(path) or self.earlier[path]

    def parts(self, path: str) -> GraphPart:
        if path in self.mapper.parts:
            return self.mapper.parts[path]
        assert self.cache is not None
        return self.cache.parts[path]

    def vault_triples(self, paths: list[str]) -> list[Triple]:
        return vault_triples(self.packed(p) for p in paths)


def _completer(
    dataset: Dataset, packed: Mapping[str, tuple[Any, ...]], parts: Mapping[str, GraphPart]
) -> Callable[[], None]:
    def complete() -> None:
        for result in unpack_many(packed, parts).values():
            dataset.graphs[result.graph] = [t for t, _ in result.triples]
            dataset.lines[result.graph] = result.triples
        dataset.reused = set()
        dataset._union = None

    return complete


def _add_wikidata_facts(dataset: Dataset, facts: list[Triple], error: str | None, base: str) -> None:
    """Put ``wikidata-facts.ttl`` (from ``vaultkg link --enrich``) into the graph ``{base}wikidata``."""
    if error is not None:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", error)) else 1
        dataset.diagnostics.append(Diagnostic(FACTS_FILE, line, Severity.ERROR, "facts", f"invalid Turtle: {error}"))
    if facts:
        graph = base + WIKIDATA_GRAPH
        ordered = sort_triples(set(facts))
        dataset.graphs[graph] = ordered
        dataset.graphs = dict(sorted(dataset.graphs.items()))
        dataset.lines[graph] = [(t, 0) for t in ordered]
        dataset.lines = dict(sorted(dataset.lines.items()))
        dataset.prefixes.setdefault("wdt", WDT)
        dataset._union = None
