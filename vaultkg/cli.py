"""The ``vaultkg`` command line: parse options, call one library function, render."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from . import __version__
from .build import build as build_vault
from .errors import VaultkgError

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
        except Exception as exc:  # a bug: say so briefly, no traceback unless asked for
            if os.environ.get("VAULTKG_DEBUG"):
                raise
            click.echo(
                f"vaultkg: internal error: {type(exc).__name__}: {exc} "
                "(set VAULTKG_DEBUG=1 for details; please report it)",
                err=True,
            )
            ctx.exit(3)


@click.group("vaultkg", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vaultkg")
def cli() -> None:
    """Publish a vault of Markdown notes as a linked-data knowledge graph."""


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

    def on_event(name: str, done: int = 0, total: int = 0) -> None:
        if name not in ("read", "convert") or total < 200:
            return
        if name not in tasks:
            tasks[name] = progress.add_task(name, total=total)
        progress.update(tasks[name], completed=done)

    with progress:
        yield on_event


@cli.command()
@click.argument("vault", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output"),
    show_default=True,
    help="Folder to write the graph files into.",
)
@click.option("--base", metavar="IRI", help="Base IRI of the vault (overrides the config).")
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Mapping config (YAML). Default: vaultkg.yaml in the vault, if any.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 and name the files in the output folder that a build would change.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def build(vault: Path | None, output: Path, base: str | None, config: Path | None, check: bool, quiet: bool) -> None:
    """Build VAULT (default: examples/vault if present, else .) into the output folder.

    Writes graph.ttl, graph.jsonld + context.jsonld, graph.nq (one named graph per note)
    and report.json. Exit codes: 0 built, 1 notes with errors (or stale output with --check),
    2 usage or input errors.
    """
    if vault is None:
        vault = DEFAULT_VAULT if DEFAULT_VAULT.is_dir() else Path(".")
    with _progress(_show_progress() and not quiet) as on_event:
        result = build_vault(vault, output, config=config, base=base, check=check, on_event=on_event)
    for d in result.diagnostics:
        if quiet and d.severity.value != "error":
            continue
        click.echo(f"{_shown(vault, d.path)}:{d.line}: {d.severity.value}: {d.message}", err=True)
    s = result.summary()
    if check:
        if result.stale:
            click.echo(f"{output} is stale: {', '.join(result.stale)} would change (run 'vaultkg build')", err=True)
            sys.exit(1)
        if not quiet:
            click.echo(f"{output} is up to date ({s['notes']} notes, {s['triples']} triples)")
    elif not quiet:
        click.echo(
            f"built {s['notes']} notes → {output}/: {s['triples']} triples, "
            f"{s['warnings']} warnings, {s['errors']} errors in {s['seconds']:.2f} s"
        )
    if result.errors:
        sys.exit(1)


def _shown(vault: Path, rel: str) -> str:
    return rel if str(vault) in ("", ".") else f"{vault.as_posix().rstrip('/')}/{rel}"


def main() -> None:
    cli(prog_name="vaultkg")
