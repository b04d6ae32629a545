"""Shared fixtures: notes from text, expected triples written as Turtle, fixture vaults on disk,
the example vault built once, and a real Oxigraph server on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from converters import Config, Dataset, Note, assemble
from converters.vocab import PREFIXES
from vaultkg.config import default_config
from vaultkg.reader import parse_note

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_VAULT = ROOT / "examples" / "vault"
FIXTURE_VAULTS = Path(__file__).resolve().parent / "vaults"
PEER_FIXTURES = ROOT.parent / "shared" / "peer-fixtures"
BASE = "https://example.org/vault/"

_HEADER = "".join(
    f"@prefix {p}: <{ns}> .\n"
    for p, ns in {**PREFIXES, "vault": BASE, "tag": BASE + "tag/", "prop": BASE + "property/"}.items()
)


def ttl(text: str) -> set[ox.Triple]:
    """Expected triples, written as Turtle with the usual prefixes (vault:, tag:, prop: …)."""
    return {q.triple for q in ox.parse(_HEADER + text, format=ox.RdfFormat.TURTLE)}


def make_note(path: str, text: str) -> Note:
    """A note as the reader would make it from ``text`` (no disk involved)."""
    note, _ = parse_note(path, text)
    return note


def build_notes(notes: dict[str, str], config: Config | None = None) -> Dataset:
    """Assemble a dataset from ``{path: text}``, with the default mapping."""
    return assemble([make_note(p, t) for p, t in notes.items()], config or default_config())


def graph_of(dataset: Dataset, slug: str) -> set[ox.Triple]:
    return set(dataset.graphs[BASE + slug])


def vault_graph(dataset: Dataset) -> set[ox.Triple]:
    return set(dataset.graphs[BASE])


def messages(dataset: Dataset) -> list[str]:
    return [str(d) for d in dataset.diagnostics]


@pytest.fixture(scope="session")
def defaults() -> Config:
    return default_config()


def _fixture_vaults() -> list[str]:
    return sorted(p.name for p in FIXTURE_VAULTS.iterdir() if p.is_dir()) if FIXTURE_VAULTS.is_dir() else []


@pytest.fixture(params=_fixture_vaults())
def fixture_vault(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Each folder in tests/vaults/ is a scenario, copied so a test may change it."""
    dest = tmp_path / request.param
    shutil.copytree(FIXTURE_VAULTS / request.param, dest)
    return dest


@pytest.fixture(scope="session")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example vault built once into a temporary output folder."""
    from vaultkg import build

    out = tmp_path_factory.mktemp("example-output")
    build(EXAMPLE_VAULT, out)
    return out


@pytest.fixture(scope="session")
def odd_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small vault of odd names and text (Arabic, Hebrew, IRI-breaking characters, quotes,
    backslashes, control characters, percent-encoded URLs), built once."""
    from vaultkg import build

    root = tmp_path_factory.mktemp("odd")
    notes = {
        "إسرائيل.md": '---\naliases: [ישראל, "Quote \\"q\\" \\\\ back"]\ntags: [région/μέση, 🚀]\n---\n'
        "See [[Ωmega]].\n",
        'Odd <>"{}|^` name.md': '---\ntype: person\nnote: "tab\\there, bell \\a, line\\nbreak"\n---\n[[إسرائيل]]\n',
        "Ωmega.md": "---\ntype: event\ndate: 2024-02-29\nwebsite: https://example.com/a?b=1&c=%20d#frag\n---\n"
        "| Year | Event |\n|---|---|\n| 1948 | Founded [[Ωmega]] — «quoted» 'text' \\ back |\n"
        "\n## Sources\n- [Pub - Title «x»](https://example.com/path%20with%20space?q=ü)\n",
        "Folder/Ünïcödé Nāme.md": "Mentions ישראל and Ωmega. %%hidden%% `[[code]]` ^block\n",
    }
    vault = root / "vault"
    for name, text in notes.items():
        (vault / name).parent.mkdir(parents=True, exist_ok=True)
        (vault / name).write_text(text, encoding="utf-8")
    build(vault, root / "out")
    return root / "out"


def stop_process(proc: subprocess.Popen, timeout: float) -> None:
    """Ask a server process to end (SIGTERM), and kill it if it has not within ``timeout``."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OxigraphServer:
    """A real ``oxigraph serve`` process on a loopback port (restartable on the same port)."""

    def __init__(self, location: Path, port: int | None = None) -> None:
        self.location = location
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> OxigraphServer:
        binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
        if not Path(binary).exists():
            pytest.fail("the 'oxigraph' server (PyPI package oxigraph) is not installed")
        self.proc = subprocess.Popen(
            [binary, "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/query?query=ASK%7B%7D", timeout=1):
                    return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                    pytest.fail(f"oxigraph server did not start: {err}")
                time.sleep(0.05)

    def stop(self, kill: bool = False) -> None:
        if self.proc is not None and self.proc.poll() is None:
            if kill:
                self.proc.kill()
            stop_process(self.proc, 10)

    def quads(self) -> set[tuple[str, str, str, str]]:
        """Every quad in the store, as N-Triples-ish strings (for comparison with graph.nq)."""
        req = urllib.request.Request(self.url + "/store", headers={"Accept": "application/n-quads"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            data = resp.read()
        return {(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name))
                for q in ox.parse(data, format=ox.RdfFormat.N_QUADS)}  # fmt: skip


def nquads_of(path: Path) -> set[tuple[str, str, str, str]]:
    return {(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name))
            for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)}  # fmt: skip


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``oxigraph serve`` on a free loopback port for the whole session; yields its URL."""
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph-store")).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def fresh_oxigraph(tmp_path: Path) -> Iterator[OxigraphServer]:
    """An empty Oxigraph server of this test's own (stopped at the end)."""
    server = OxigraphServer(tmp_path / "oxigraph-store").start()
    try:
        yield server
    finally:
        server.stop()
