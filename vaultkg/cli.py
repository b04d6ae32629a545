"""The ``vaultkg`` command line: parse options, call one library function, render."""

from __future__ import annotations

import gc
import os
import shutil
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import UsageError, VaultkgError
from .profiles import PROFILES
from .reportformat import ReportFormat
from .wording import counted

DEFAULT_VAULT = Path("examples/vault")


class _Group(click.Group):
    """Turns vaultkg's typed errors into messages and exit codes, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VaultkgError as exc:
            click.echo(f"vaultkg: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("vaultkg: interrupted", err=True)
            ctx.exit(130)
        except OSError as exc:  # the file system said no (no such folder, read-only, full disk …)
            if os.environ.get("VAULTKG_DEBUG") or isinstance(exc, BrokenPipeError):
                raise
            click.echo(_refused(exc), err=True)
            ctx.exit(2)
        except Exception as exc:  # a bug: say so briefly, no traceback unless asked for
            if os.environ.get("VAULTKG_DEBUG"):
                raise
            click.echo(
                f"vaultkg: internal error: {type(exc).__name__}: {exc} "
                "(set VAULTKG_DEBUG=1 for details; please report it)",
                err=True,
            )
            ctx.exit(3)


def _refused(exc: OSError) -> str:
    """What the file system refused, as one line: the path and the reason."""
    where = f"{exc.filename}: " if exc.filename else ""
    return f"vaultkg: error: {where}{exc.strerror or exc}"


@click.group("vaultkg", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vaultkg")
def cli() -> None:
    """Publish a vault of Markdown notes as a linked-data knowledge graph."""


def _vault_or_default(vault: Path | None) -> Path:
    """VAULT as given, else examples/vault when run in this repository, else the current folder."""
    if vault is not None:
        return vault
    return DEFAULT_VAULT if DEFAULT_VAULT.is_dir() else Path(".")


def mapping_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--base and --config, shared by every command that builds."""
    fn = click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False),
                      help="Mapping config (YAML). Default: vaultkg.yaml in the vault, if any.")(fn)  # fmt: skip
    return click.option("--base", metavar="IRI", help="Base IRI of the vault (overrides the config).")(fn)


def output_dir_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """-o/--output-dir (default output/), shared by the commands that read or write a build."""
    return click.option("-o", "--output-dir", type=click.Path(path_type=Path, file_okay=False),
                        default=Path("output"), show_default=True, help=help_text)  # fmt: skip


def watch_options(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--watch (with its help) and --interval, shared by build and validate."""

    def add(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn = click.option("--interval", type=click.FloatRange(min=0.05), default=0.5, show_default=True,
                          help="With --watch: seconds between looks at the vault.")(fn)  # fmt: skip
        return click.option("--watch", is_flag=True, help=help_text)(fn)

    return add


def _keep_watching(vault: Path, output: Path, config: Path | None, interval: float, once: Callable[[], object]) -> None:
    """Run ``once()`` now and after every settled change of the vault, until Ctrl-C; an error
    of a round is printed, and the next change tries again."""
    from .watching import fingerprint, watch

    gc.enable()  # off for a command (vaultkg.entry); this one runs until stopped

    def round_() -> None:
        try:
            once()
        except VaultkgError as exc:
            click.echo(f"vaultkg: error: {exc}", err=True)
        except OSError as exc:  # a full disk, a folder moved away …: it may be mended while we watch
            click.echo(_refused(exc), err=True)

    click.echo(f"watching {vault}/ (Ctrl-C stops)", err=True)
    try:
        watch(round_, lambda: fingerprint(vault, output, config), interval=interval)
    except KeyboardInterrupt:
        click.echo("stopped watching", err=True)


def _show_progress() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI") and not os.environ.get("NO_COLOR_PROGRESS")


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[..., None]]:
    """An ``on_event`` callback that draws a progress bar on stderr (only on a terminal)."""
    if not enabled:
        yield lambda *_a, **_k: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description:<8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def on_event(name: str, done: int = 0, total: int = 0, **_details: Any) -> None:
        if name not in ("read", "convert", "load", "link", "site") or total < 200:
            return
        if name not in tasks:
            tasks[name] = progress.add_task(name, total=total)
        progress.update(tasks[name], completed=done)

    with progress:
        yield on_event


@cli.command(short_help="Build a vault into Turtle, JSON-LD, N-Quads and a report.")
@click.argument("vault", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output"),
    show_default=True,
    help="Folder to write the graph files into.",
)
@mapping_options
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 and name the files in the output folder that a build would change.",
)
@click.option(
    "--store",
    is_flag=True,
    help="Also create the query store now, so that the first 'vaultkg query' only opens it "
    "(the store is kept in step by later builds either way).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@watch_options(
    "Build, then build again whenever a note (or the config) changes, until Ctrl-C; "
    "after the first build only new findings are printed."
)
def build(
    vault: Path | None,
    output: Path,
    base: str | None,
    config: Path | None,
    check: bool,
    store: bool,
    quiet: bool,
    watch: bool,
    interval: float,
) -> None:
    """Build VAULT (default: examples/vault if present, else .) into the output folder.

    Writes graph.ttl, graph.jsonld + context.jsonld, graph.nq (one named graph per note)
    and report.json. Exit codes: 0 built (or --watch stopped with Ctrl-C), 1 notes with errors
    (or stale output with --check), 2 usage or input errors.
    """
    if vault is None:
        vault = _vault_or_default(vault)
    if watch:
        if check:
            raise UsageError("--watch and --check do not go together (--check writes nothing to watch)")
        _watch(vault, output, base, config, store, quiet, interval)
        return
    errors = _build_once(vault, output, base, config, check, store, quiet)
    if errors:
        sys.exit(1)


def _watch(
    vault: Path, output: Path, base: str | None, config: Path | None, store: bool, quiet: bool, interval: float
) -> None:
    if not vault.is_dir():
        raise UsageError(f"{vault}: no such folder")
    seen: set[str] = set()
    _keep_watching(
        vault, output, config, interval,
        lambda: _build_once(vault, output, base, config, False, store, quiet, seen=seen, stamp=True),
    )  # fmt: skip


def _build_once(
    vault: Path,
    output: Path,
    base: str | None,
    config: Path | None,
    check: bool,
    store: bool,
    quiet: bool,
    *,
    seen: set[str] | None = None,
    stamp: bool = False,
) -> int:
    """One build as ``vaultkg build`` reports it; ``seen``: findings printed before, printed
    again only if they went away and came back. Returns the number of errors."""
    with _progress(_show_progress() and not quiet) as on_event:
        from .building import build as build_vault

        result = build_vault(vault, output, config=config, base=base, check=check, on_event=on_event)
    shown = [f"{_shown(vault, d.path)}:{d.line}: {d.severity.value}: {d.message}" for d in result.diagnostics
             if not quiet or d.severity.value == "error"]  # fmt: skip
    for line in shown:
        if seen is None or line not in seen:
            click.echo(line, err=True)
    if seen is not None:
        seen.clear()
        seen.update(shown)
    s = result.summary()
    if check:
        if result.stale:
            click.echo(f"{output} is stale: {', '.join(result.stale)} would change (run 'vaultkg build')", err=True)
            sys.exit(1)
        if not quiet:
            click.echo(f"{output} is up to date ({counted(s['notes'], 'note')}, {counted(s['triples'], 'triple')})")
    elif not quiet:
        when = time.strftime("%H:%M:%S ") if stamp else ""
        click.echo(
            f"{when}built {counted(s['notes'], 'note')} → {output}/: {counted(s['triples'], 'triple')}, "
            f"{counted(s['warnings'], 'warning')}, {counted(s['errors'], 'error')}, {s['linked']}/{s['linkable']} "
            f"entities linked to Wikidata in {s['seconds']:.2f} s"
        )
    if store and not check:
        from .querying import STORE_DIR, prepare_store

        started = time.perf_counter()
        if prepare_store(output) and not quiet:
            click.echo(f"query store ready → {output}/{STORE_DIR}/ in {time.perf_counter() - started:.2f} s")
    return result.errors


@cli.command(short_help="Validate a vault or build with SHACL shapes and checks.")
@click.argument("target", required=False, type=click.Path(path_type=Path, file_okay=False))
@mapping_options
@click.option(
    "--fail-on",
    type=click.Choice(["violation", "warning", "info", "none"]),
    default="violation",
    show_default=True,
    help="Exit 1 when a finding is at least this severe.",
)
@click.option(
    "--max-warnings", type=click.IntRange(min=0), metavar="N", help="Exit 1 when there are more than N warnings."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ReportFormat]),
    default="text",
    show_default=True,
    help="Format written to standard output.",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write a report file; the format comes from the ending "
    "(.txt, .json, .xml = JUnit, .sarif, .ttl). Repeatable.",
)
@click.option(
    "--prefix",
    metavar="DIR",
    help="Folder to put before note paths in the report (default: TARGET for a vault, nothing for a build folder).",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "sparql", "pyshacl"]),
    default="auto",
    show_default=True,
    help="What runs the shapes: compiled to SPARQL on Oxigraph (fast), pySHACL (the reference), or "
    "SPARQL when the shapes allow it, else pySHACL.",
)
@click.option(
    "--cache-from",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Build folder of TARGET whose build cache to reuse: unchanged notes are not converted again, and "
    "the results are kept beside the cache so that the next validation runs again only what an edit can "
    "change (same findings, faster). Default: ./output when it holds a build of TARGET.",
)
@click.option("--no-cache", is_flag=True, help="Convert every note, even when a build cache could be reused.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary line.")
@watch_options(
    "Validate, then again whenever a note (or the config) changes, until Ctrl-C; "
    "after the first round only new findings are printed, and how many went away."
)
def validate(
    target: Path | None,
    base: str | None,
    config: Path | None,
    fail_on: str,
    max_warnings: int | None,
    fmt: str,
    outputs: tuple[Path, ...],
    prefix: str | None,
    engine: str,
    cache_from: Path | None,
    no_cache: bool,
    quiet: bool,
    watch: bool,
    interval: float,
) -> None:
    """Validate TARGET — a vault, or a build folder — with the SHACL shapes and SPARQL checks.

    Every result is printed as `path:line: severity: message [rule]`, grouped by note.
    Exit codes: 0 clean; 1 findings at or above --fail-on (or more than --max-warnings
    warnings); 2 when vaultkg cannot validate (bad arguments, no notes, shapes that do not load).
    """
    from .reports import render, summary_line
    from .validation import validate as run_validation

    files = []
    for out in outputs:
        kind = ReportFormat.from_filename(out.name)
        if kind is None:
            raise UsageError(f"--output {out}: unknown report format (use .txt, .json, .xml, .sarif or .ttl)")
        files.append((out, kind))
    if target is None:
        target = _vault_or_default(target)
    from .buildcache import CACHE_DIR

    if cache_from is not None and not (cache_from / CACHE_DIR).is_dir():
        raise UsageError(f"--cache-from {cache_from}: no build cache there (vaultkg build TARGET -o {cache_from})")
    cache = None if no_cache else cache_from or Path("output")
    if watch:
        from .validation import is_output_dir

        if files or fmt != "text" or max_warnings is not None:
            raise UsageError("--watch prints findings as text: it goes with none of --format, --output, --max-warnings")
        if not target.is_dir() or (is_output_dir(target) and not any(target.glob("*.md"))):
            raise UsageError(f"{target}: --watch watches a vault's notes; give the vault, not a build folder")
        _watch_validation(target, config, base, engine, cache, prefix, interval)
        return
    with _progress(_show_progress() and not quiet) as on_event:
        report = run_validation(target, config=config, base=base, on_event=on_event, engine=engine, cache_from=cache)
    if engine == "auto" and report.engine != "sparql" and not quiet:
        reason = report.engine.removeprefix("pyshacl (").removesuffix(")")
        click.echo(f"note: pySHACL validates these shapes, which is slower: {reason}", err=True)
    if prefix is not None:
        report.vault = prefix
    if files:
        from .writers import write_text_atomically

        for out, kind in files:
            write_text_atomically(out, render(report, kind, fail_on))
    if quiet:
        click.echo(summary_line(report))
    else:
        click.echo(render(report, ReportFormat(fmt), fail_on), nl=False)
        if fmt not in ("text", "github"):
            click.echo(summary_line(report), err=True)
    failed = bool(report.at_or_above(fail_on))
    if max_warnings is not None and report.count("warning") > max_warnings:
        click.echo(f"{report.count('warning')} warnings, more than --max-warnings {max_warnings}", err=True)
        failed = True
    if failed:
        sys.exit(1)


def _watch_validation(
    target: Path,
    config: Path | None,
    base: str | None,
    engine: str,
    cache: Path | None,
    prefix: str | None,
    interval: float,
) -> None:
    from .reports import finding_line, summary_line
    from .validation import validate as run_validation

    seen: set[str] = set()

    def once() -> None:
        report = run_validation(target, config=config, base=base, engine=engine, cache_from=cache)
        if prefix is not None:
            report.vault = prefix
        lines = [finding_line(report, f) for f in report.findings]
        for line in lines:
            if line not in seen:
                click.echo(line)
        gone = len(seen - set(lines))
        seen.clear()
        seen.update(lines)
        click.echo(time.strftime("%H:%M:%S ") + summary_line(report) + (f"; {gone} went away" if gone else ""))

    _keep_watching(target, cache or Path("output"), config, interval, once)


@cli.group()
def query() -> None:
    """The library of stored SPARQL queries: list, show and run them."""


#: Above this many rows a table is laid out plainly: rich takes ~0.3 ms a row (7,500 rows: 2.5 s)
RICH_ROWS = 200


def _table(headers: list[str], rows: list[list[str]]) -> None:
    """A table on a terminal, on standard output: rich's for a few rows, a plain one for many."""
    if len(rows) > RICH_ROWS:
        click.echo(_plain_table(headers, rows, shutil.get_terminal_size().columns))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*headers, show_lines=False, header_style="bold")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def _plain_table(headers: list[str], rows: list[list[str]], width: int) -> str:
    """Columns two spaces apart within ``width``: the widest are narrowed first, and a cell too
    long for its column ends in "…" (the whole values: --format csv or json)."""
    lines = [[" ".join(cell.split()) for cell in row] for row in [headers, *rows]]
    natural = [max(_columns(line[i]) for line in lines) for i in range(len(headers))]
    room = max(width - 2 * (len(headers) - 1), 4 * len(headers))
    widths = list(natural)
    while sum(widths) > room:  # narrow the widest column to the next width down (or to fit)
        widest = max(widths)
        at = widths.index(widest)
        below = max([w for w in widths if w < widest], default=0)
        widths[at] = max(4, below, widest - (sum(widths) - room))
        if widths[at] == widest:
            break
    out = []
    for n, line in enumerate(lines):
        cells = [_fit(cell, w) for cell, w in zip(line, widths, strict=True)]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes (East Asian wide characters take two)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` columns: padded, or cut with "…"."""
    used = _columns(text)
    if used <= width:
        return text + " " * (width - used)
    kept, room = [], width - 1
    for c in text:
        room -= _columns(c)
        if room < 0:
            break
        kept.append(c)
    cut = "".join(kept) + "…"
    return cut + " " * (width - _columns(cut))


@query.command("list")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default=None,
    help="Default: table on a terminal, markdown when piped.",
)
def query_list(fmt: str | None) -> None:
    """List the stored queries: id, summary and parameters."""
    import json as jsonlib

    from .stored_queries import describe, library

    queries = list(library().values())
    fmt = fmt or ("table" if sys.stdout.isatty() else "markdown")
    rows = [[q.id, q.summary, ", ".join(p.describe() for p in q.params)] for q in queries]
    if fmt == "json":
        click.echo(jsonlib.dumps([describe(q) for q in queries], indent=1, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo("| id | summary | parameters |\n|---|---|---|")
        for row in rows:
            click.echo("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    else:
        _table(["id", "summary", "parameters"], rows)


@query.command("show", short_help="Show a stored query with its parameters.")
@click.argument("ref")
def query_show(ref: str) -> None:
    """Show a stored query: its description, parameters (with examples) and SPARQL text."""
    from .stored_queries import defaults_of, resolve

    q = resolve(ref)
    click.echo(f"# {q.id}: {q.summary}")
    if q.description:
        click.echo(f"# {q.description}")
    examples = defaults_of(q)
    for p in q.params:
        example = f" — e.g. {examples[p.name]}" if p.name in examples else ""
        click.echo(f"# parameter {p.describe()}{example}")
    click.echo(q.text, nl=not q.text.endswith("\n"))


@query.command("run")
@click.argument("ref", required=False)
@click.argument("pairs", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("-e", "--expression", "text", help="Run this SPARQL text instead of a stored query.")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="A parameter value (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "tsv", "json", "markdown"]),
    default=None,
    help="Default: table on a terminal, csv when piped. json/csv/tsv follow the SPARQL 1.1 results specs.",
)
@output_dir_option("Build folder whose graph is queried (embedded store).")
@click.option("--endpoint", metavar="URL", help="Query this SPARQL 1.1 endpoint instead of the build folder.")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for an endpoint.")
def query_run(
    ref: str | None,
    pairs: tuple[str, ...],
    text: str | None,
    params: tuple[str, ...],
    fmt: str | None,
    output_dir: Path,
    endpoint: str | None,
    timeout: float,
) -> None:
    """Run a stored query (by id), a .rq file, or -e 'SPARQL'.

    Parameters (NAME=VALUE after the query, or -p NAME=VALUE) are bound as RDF terms, never
    pasted into the query. Exit codes: 0 ran (even with no rows); 2 unknown query, missing or
    malformed parameter, invalid SPARQL, no build, endpoint unreachable.
    """
    from .loader import redact
    from .querying import (
        display,
        display_prefixes,
        empty_default_graph,
        run_endpoint,
        run_local,
        run_local_serialized,
        serialize,
    )
    from .stored_queries import resolve

    if text is not None and ref is not None and "=" in ref:  # -e 'SPARQL' name=value: no query named
        pairs, ref = (ref, *pairs), None
    elif ref is not None and "=" in ref and not ref.endswith(".rq"):  # `run name=x`: the query left out
        raise UsageError(f"{ref!r} is a parameter: give the query first (vaultkg query run QUERY {ref})")
    values = {}
    for item in (*params, *pairs):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            where = f"--param {item!r}" if item in params else f"{item!r}"
            raise UsageError(f"{where}: write NAME=VALUE")
        values[name.strip()] = value
    q = resolve(ref, text=text)
    prefixes = display_prefixes(output_dir)  # tables and markdown are for people: prefixed names, both ways

    def making() -> None:  # said once the query and its parameters are found sound
        click.echo(f"vaultkg: making the query store of {output_dir} (once a build; 'vaultkg build --store' "
                   "makes it during the build)", err=True)  # fmt: skip

    fmt = fmt or ("table" if sys.stdout.isatty() else "csv")
    if not endpoint and fmt in ("csv", "tsv", "json"):  # written from the store's answer as it comes
        click.echo(run_local_serialized(q, values, output_dir, fmt, on_create=making), nl=False)
        return
    result = (
        run_endpoint(q, values, endpoint, timeout, prefixes)
        if endpoint
        else run_local(q, values, output_dir, on_create=making)
    )
    if endpoint and not (result.rows or result.boolean or result.triples) and empty_default_graph(endpoint, timeout):
        click.echo(f"vaultkg: {redact(endpoint)} has named graphs but an empty default graph, so the query saw "
                   "no data: ask for their union (Oxigraph: add ?union-default-graph to the URL; Fuseki: "
                   "unionDefaultGraph; GraphDB and Virtuoso query their union as it is)", err=True)  # fmt: skip
    if fmt == "table" and result.form == "SELECT":
        _table(result.variables, [[display(t, prefixes) for t in row] for row in result.rows])
    else:
        # bytes, so the CRLF line ends the SPARQL CSV/TSV specs require reach the output as they are
        text = serialize(result, "csv" if fmt == "table" else fmt, prefixes)
        click.echo(text.encode("utf-8"), nl=False)


@cli.command(short_help="Load a build into a triple store, sending only what changed.")
@click.option(
    "--endpoint",
    required=True,
    metavar="URL",
    help="The store: its Graph Store Protocol URL (generic) or base URL (with --store).",
)
@click.option(
    "--store",
    type=click.Choice(sorted(PROFILES)),
    default="generic",
    show_default=True,
    help="Where this kind of store keeps its services (see the README).",
)
@click.option(
    "--method",
    type=click.Choice(["gsp", "update"]),
    default="gsp",
    show_default=True,
    help="Graph Store Protocol PUT/DELETE, or SPARQL Update (DROP + INSERT DATA).",
)
@output_dir_option("The build folder to load.")
@click.option("--full", is_flag=True, help="Send every graph, whatever the manifest says.")
@click.option("--dry-run", is_flag=True, help="Say what would be sent and deleted; send nothing.")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per request.")
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=4,
    show_default=True,
    help="Retries (with backoff) on connection errors, 429 and 5xx.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def load(
    endpoint: str,
    store: str,
    method: str,
    output_dir: Path,
    full: bool,
    dry_run: bool,
    timeout: float,
    retries: int,
    quiet: bool,
) -> None:
    """Load the build into a triple store, one named graph per note, sending only what changed.

    Credentials come from VAULTKG_USER / VAULTKG_PASSWORD, VAULTKG_TOKEN or ~/.netrc, never from
    the command line. Exit codes: 0 loaded; 2 no build, store unreachable or refusing.
    """
    from .loader import load as run_load
    from .loader import redact

    with _progress(_show_progress() and not quiet) as on_event:
        result = run_load(
            output_dir,
            endpoint,
            store=store,
            method=method,
            full=full,
            dry_run=dry_run,
            timeout=timeout,
            retries=retries,
            on_event=on_event,
        )
    if quiet:
        return
    if dry_run:
        for graph in result.sent:
            click.echo(f"send   {graph}")
        for graph in result.deleted:
            click.echo(f"delete {graph}")
    verb, deleted = ("would send", "would delete") if dry_run else ("sent", "deleted")
    click.echo(
        f"{verb} {counted(len(result.sent), 'graph')}, {deleted} {len(result.deleted)}, "
        f"{result.unchanged} unchanged → {redact(endpoint)} in {result.seconds:.2f} s"
    )


@cli.command(short_help="Serve a build with a local Oxigraph server and query UI.")
@click.argument("vault", required=False, type=click.Path(path_type=Path, file_okay=False))
@output_dir_option("Build folder (rebuilt first when the vault is given).")
@click.option("--bind", default="127.0.0.1:7878", show_default=True, help="Host and port to listen on.")
def serve(vault: Path | None, output_dir: Path, bind: str) -> None:
    """Start a local Oxigraph server (with its query UI) on the build, until Ctrl-C.

    With VAULT (or when the build folder has no graph yet) the vault is built first. A later
    `vaultkg build` into the folder is served once it is done.
    """
    from .server import serve as run_server

    if vault is not None or not (output_dir / "graph.nq").is_file():
        vault = _vault_or_default(vault)
        from .building import build as build_vault

        result = build_vault(vault, output_dir)
        click.echo(f"built {counted(result.notes, 'note')} → {output_dir}/", err=True)
    gc.enable()  # off for the command (vaultkg.entry); a server runs until stopped
    run_server(
        output_dir,
        bind,
        on_ready=lambda url: click.echo(f"serving {output_dir} at {url} (Ctrl-C stops)"),
        on_reload=lambda url: click.echo(f"serving the new build of {output_dir} at {url}"),
    )


@cli.command(short_help="Write pages a person can read: one HTML page per note and entity.")
@output_dir_option("The build folder to make pages of.")
@click.option("--to", "target", type=click.Path(path_type=Path, file_okay=False), default=Path("site"),
              show_default=True, help="Folder to write the pages into (replaced whole).")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def site(output_dir: Path, target: Path, quiet: bool) -> None:
    """Write the build as static HTML pages: one per note (with the thing it describes, its
    milestones and what refers to it), per entity named without a note and per tag, and an
    index. Served at the vault's base IRI, every IRI of the graph leads to its page."""
    from .site import build_site

    with _progress(_show_progress() and not quiet) as on_event:
        result = build_site(output_dir, target, on_event=on_event)
    if not quiet:
        click.echo(f"wrote {counted(result.pages, 'page')} → {target}/ in {result.seconds:.2f} s")


@cli.command(short_help="Propose Wikidata links for review; use accepted ones.")
@click.argument("vault", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--endpoint",
    default="https://query.wikidata.org/sparql",
    show_default=True,
    metavar="URL",
    help="SPARQL endpoint with Wikidata's data model.",
)
@click.option("--accept-matches", is_flag=True, help="Accept the clear matches (score ≥ 95, 10 points ahead).")
@click.option(
    "--write-front-matter",
    is_flag=True,
    help="Write accepted QIDs into the notes' front matter (one `wikidata:` line, nothing else).",
)
@click.option("--offline", is_flag=True, help="Use only cached answers; send nothing.")
@click.option(
    "--enrich",
    is_flag=True,
    help="Also fetch label, description and P31 of every linked item into wikidata-facts.ttl "
    "(the build puts them in the graph {base}wikidata).",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where answers are cached (default: $XDG_CACHE_HOME/vaultkg or ~/.cache/vaultkg).",
)
@click.option("--contact", metavar="TEXT", help="Contact (e-mail or URL) for the User-Agent Wikidata asks for.")
@click.option(
    "--language",
    "languages",
    multiple=True,
    default=("en",),
    show_default=True,
    help="Label languages to match (repeatable).",
)
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Mapping config (YAML). Default: vaultkg.yaml in the vault, if any.",
)
def link(
    vault: Path | None,
    endpoint: str,
    accept_matches: bool,
    write_front_matter: bool,
    offline: bool,
    enrich: bool,
    cache_dir: Path | None,
    contact: str | None,
    languages: tuple[str, ...],
    config: Path | None,
) -> None:
    """Propose Wikidata items for entities without one, into VAULT/wikidata-links.yaml for review.

    Nothing is linked silently: a person sets `status: accepted` (or uses --accept-matches for
    the clear ones) and `vaultkg build` uses the accepted links. Exit codes: 0 done; 2 endpoint
    unreachable or refusing, or --offline without the needed answers cached.
    """
    from .linking import link as run_link

    vault = _vault_or_default(vault)
    with _progress(_show_progress()) as on_event:
        result = run_link(vault, endpoint=endpoint, config=config, cache_dir=cache_dir, offline=offline,
                          accept_matches=accept_matches, write_front_matter=write_front_matter,
                          languages=languages, contact=contact, on_event=on_event)  # fmt: skip
    click.echo(
        f"{counted(result.entities, 'entity', 'entities')}: {counted(result.matches, 'clear match', 'clear matches')}, "
        f"{result.ambiguous} ambiguous, {result.proposed} to review, {result.unmatched} without candidates; "
        f"{result.accepted} accepted → {result.path} ({counted(result.requests, 'request')} sent)"
    )
    for note in result.written_notes:
        click.echo(f"wrote wikidata: into {note}")
    if enrich:
        from .linking import enrich as run_enrich

        path, count = run_enrich(vault, endpoint=endpoint, config=config, cache_dir=cache_dir, offline=offline,
                                 languages=languages, contact=contact)  # fmt: skip
        click.echo(f"wrote {counted(count, 'Wikidata fact')} → {path}")


def _shown(vault: Path, rel: str) -> str:
    return rel if str(vault) in ("", ".") else f"{vault.as_posix().rstrip('/')}/{rel}"


def main() -> None:
    """The console entry point: run the command, then end the process at once.

    Python's own ending frees every object one by one: 0.3 s of a 2 s rebuild of a 10,000-note
    vault. Everything vaultkg writes is closed (and synced) before a command returns, so only
    the standard streams are left to flush."""
    try:
        cli(prog_name="vaultkg")
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # sys.exit("message"), as Python would print it
            print(exc.code, file=sys.stderr)
            code = 1
    _end(code)


def _end(code: int) -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # a reader that went away: Python's own exit code then
        code = code or 120
    os._exit(code)
