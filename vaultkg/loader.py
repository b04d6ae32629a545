"""``load``: push a build into a triple store, graph by graph, and keep it in step.

Each note's named graph (and the vault graph) is sent with the SPARQL 1.1 Graph Store HTTP
Protocol (``PUT ?graph=<note IRI>``), or as ``DROP SILENT GRAPH`` + ``INSERT DATA`` through
SPARQL Update for stores without it. A manifest per endpoint (graph → content hash) makes the
next load send only the graphs whose content changed — including notes that changed because
*another* note did (a new alias, a renamed target) — and delete the graphs of deleted or renamed
notes. The manifest only records what the store acknowledged, so a load that dies half-way can
simply be run again.
"""

from __future__ import annotations

import hashlib
import json
import netrc
import os
import random
import threading
import time
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from .errors import InputError, VaultkgError
from .outputdir import build_hashes
from .profiles import PROFILES, StoreProfile

MANIFEST_DIR = ".vaultkg-load"
#: The largest answer read from a store (graph lists of big vaults included).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class LoadError(VaultkgError):
    """The store cannot be reached or refuses the data (exit 2)."""


@dataclass(slots=True)
class LoadResult:
    """What a load did."""

    sent: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    seconds: float = 0.0
    dry_run: bool = False


def redact(url: str) -> str:
    """The URL without user information (credentials never reach output or the manifest)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def credentials(url: str) -> httpx.Auth | None:
    """Credentials from ``VAULTKG_USER``/``VAULTKG_PASSWORD``, ``VAULTKG_TOKEN`` (bearer), or
    ``~/.netrc`` for the endpoint's host — never from the command line."""
    token = os.environ.get("VAULTKG_TOKEN")
    if token:
        return _Bearer(token)
    user, password = os.environ.get("VAULTKG_USER"), os.environ.get("VAULTKG_PASSWORD")
    if user is None:
        host = urlsplit(url).hostname or ""
        try:
            entry = netrc.netrc().authenticators(host)
        except (FileNotFoundError, netrc.NetrcParseError, OSError):
            entry = None
        if entry:
            user, _account, password = entry
    if user is None:
        return None
    return ("basic", user, password or "")  # type: ignore[return-value]


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "<Bearer ***>"


def _auth(url: str, profile: StoreProfile) -> httpx.Auth | None:
    found = credentials(url)
    if isinstance(found, tuple):
        _kind, user, password = found
        return httpx.DigestAuth(user, password) if profile.digest else httpx.BasicAuth(user, password)
    return found


# -- the build side ----------------------------------------------------------------------------


def read_graphs(output: Path, only: set[str] | None = None) -> dict[str, bytes]:
    """Graph IRI → its triples as N-Triples, from ``output/graph.nq`` (only the ``only`` graphs,
    when given). The build writes every quad on one line ending in ``<graph> .``, so a graph's
    triples are its lines with the graph name cut off — no RDF parsing needed."""
    nq = output / "graph.nq"
    if not nq.is_file():
        raise InputError(f"{output}: no graph.nq here; run 'vaultkg build' first")
    # a few graphs (an edit changes its note's and the vault's): each costs a search of the file,
    # ~30 ms at 10k notes, where reading every line costs ~0.5 s — cheaper from ~20 graphs on
    if only is not None and len(only) <= 8:
        found = _graph_blocks(nq.read_bytes(), only)
        if found is not None:
            return found
    graphs: dict[str, list[bytes]] = {}
    with open(nq, "rb") as handle:
        for line in handle:
            line = line.rstrip(b"\n")
            if not line or line.startswith(b"#"):
                continue
            cut = line.rfind(b" <", 0, len(line) - 2)
            if cut < 0 or not line.endswith(b"> ."):
                raise InputError(f"{nq}: a line is not an N-Quads statement with a graph; run 'vaultkg build' again")
            graph = line[cut + 2 : -3].decode("utf-8")
            if only is None or graph in only:
                graphs.setdefault(graph, []).append(line[:cut] + b" .\n")
    return {g: b"".join(lines) for g, lines in graphs.items()}


def _graph_blocks(data: bytes, only: set[str]) -> dict[str, bytes] | None:
    """A few graphs of ``graph.nq`` found by their line ending ``" <graph> .\n"`` (a line break in
    N-Quads only ends a statement), without reading every line: the build writes each graph as
    one block of lines. ``None`` when a graph's lines are not one block (a file from elsewhere)."""
    graphs: dict[str, bytes] = {}
    for graph in only:
        end = f" <{graph}> .\n".encode()
        first = data.find(end)
        if first < 0:
            continue
        start = data.rfind(b"\n", 0, first) + 1
        stop = data.rfind(end) + len(end)
        block = data[start:stop]
        if block.count(b"\n") != block.count(end):  # other graphs' lines in between
            return None
        graphs[graph] = block.replace(end, b" .\n")
    return graphs


def content_hash(data: bytes) -> str:
    """A graph's content hash, as the build writes it into report.json."""
    return hashlib.sha256(data).hexdigest()[:16]


def manifest_path(output: Path, endpoint: str, profile: StoreProfile) -> Path:
    key = hashlib.sha256(f"{profile.name} {redact(endpoint)}".encode()).hexdigest()[:16]
    return output / MANIFEST_DIR / f"{key}.json"


def read_manifest(path: Path) -> dict[str, str]:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8"))["graphs"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def write_manifest(path: Path, endpoint: str, profile: StoreProfile, graphs: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"endpoint": redact(endpoint), "store": profile.name, "graphs": dict(sorted(graphs.items()))}
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# -- the store side ----------------------------------------------------------------------------


class StoreClient:
    """Talks to one store: PUT/DELETE graphs (or SPARQL Update), with retries and clear errors."""

    def __init__(
        self,
        endpoint: str,
        profile: StoreProfile,
        *,
        method: str = "gsp",
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise LoadError(f"--endpoint {redact(endpoint)!r}: give an http(s) URL")
        self.endpoint = endpoint.rstrip("/") if profile.gsp else endpoint
        self.profile, self.method = profile, method
        self.retries, self.backoff = retries, backoff
        parts = urlsplit(endpoint)
        if parts.username or parts.password:
            raise LoadError("put credentials in VAULTKG_USER / VAULTKG_PASSWORD or ~/.netrc, not in the URL")
        self.client = httpx.Client(
            timeout=timeout, auth=_auth(endpoint, profile), follow_redirects=False, transport=transport,
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
        )  # fmt: skip

    def close(self) -> None:
        self.client.close()

    def _url(self, path: str) -> str:
        return self.endpoint + path

    def put(self, graph: str, data: bytes) -> None:
        if self.method == "update":
            body = f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n".encode() + data + b"}}"
            self._send("POST", self._url(self.profile.update), content=body,
                       headers={"Content-Type": "application/sparql-update"})  # fmt: skip
        else:
            self._send("PUT", self._url(self.profile.gsp), params={self.profile.graph_param: graph}, content=data,
                       headers={"Content-Type": "application/n-triples"})  # fmt: skip

    def post_dataset(self, nquads: bytes) -> None:
        """Add a whole N-Quads dataset in one request (stores with a bulk endpoint only)."""
        self._send(
            "POST", self._url(self.profile.bulk), content=nquads, headers={"Content-Type": "application/n-quads"}
        )

    def delete(self, graph: str) -> None:
        if self.method == "update":
            self._send("POST", self._url(self.profile.update), content=f"DROP SILENT GRAPH <{graph}>".encode(),
                       headers={"Content-Type": "application/sparql-update"})  # fmt: skip
        else:
            self._send("DELETE", self._url(self.profile.gsp), params={self.profile.graph_param: graph},
                       ok_missing=True)  # fmt: skip

    def graphs_in_store(self) -> set[str] | None:
        """The named graphs the store holds (``None`` when its query service is unknown)."""
        if self.method != "update" and not self.profile.query:
            return None
        url = self._url(self.profile.query if self.profile.query else self.profile.update)
        try:
            response = self._send("POST", url, data={"query": self.profile.graphs_query},
                                  headers={"Accept": "application/sparql-results+json"})  # fmt: skip
        except LoadError:
            if self.profile.query:
                raise
            return None  # an update URL that answers no queries (Oxigraph's /update): not known
        try:
            return {b["g"]["value"] for b in response.json()["results"]["bindings"]}
        except (ValueError, KeyError, TypeError):
            return None

    def _send(self, method: str, url: str, *, ok_missing: bool = False, **kwargs: object) -> httpx.Response:
        where = redact(url)
        for attempt in range(self.retries + 1):
            try:
                response = self._request(method, url, **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise LoadError(f"{where}: cannot reach the store ({type(exc).__name__}: {exc})") from None
                self._sleep(attempt, None)
                continue
            status = response.status_code
            if status < 300 or (ok_missing and status == 404):
                return response
            if status in (429, 500, 502, 503, 504) and attempt < self.retries:
                self._sleep(attempt, response.headers.get("Retry-After"))
                continue
            raise LoadError(_refusal(where, method, response))
        raise LoadError(f"{where}: no answer after {self.retries + 1} attempts")  # pragma: no cover

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request whose answer is read up to ``MAX_RESPONSE_BYTES`` (a store's answers are
        small: acknowledgements, a graph list); a larger one is refused."""
        with self.client.stream(method, url, **kwargs) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise LoadError(f"{redact(url)}: the answer is larger than {MAX_RESPONSE_BYTES:,} bytes; refused")
        headers = [(k, v) for k, v in response.headers.items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]  # fmt: skip
        return httpx.Response(response.status_code, headers=headers, content=body, request=response.request)

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2**attempt) * (1 + random.random() / 4)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), 60.0))
        time.sleep(delay)


def _refusal(where: str, method: str, response: httpx.Response) -> str:
    status = response.status_code
    named = {
        401: "401 Unauthorized: the store wants credentials "
        "(VAULTKG_USER / VAULTKG_PASSWORD, VAULTKG_TOKEN or ~/.netrc)",
        403: "403 Forbidden: the store takes no writes from these credentials, or none at all",
        404: "404 Not Found: no such service here — check --endpoint and --store",
        405: "405 Method Not Allowed: this URL does not take Graph Store Protocol requests "
        "(try --store or --method update)",
        413: "413 Payload Too Large: the store refused a graph as too large",
    }.get(status)
    if 300 <= status < 400:
        named = (
            f"{status} redirect to {redact(response.headers.get('Location', '?'))}: not followed (give the final URL)"
        )
    said = response.text[:200].strip() if "html" not in response.headers.get("Content-Type", "") else ""
    if named and said and "\n" not in said:  # the store's own words: "The server is read-only"
        named += f" (it says: {said})"
    detail = named or f"{status} {response.reason_phrase}: {said}"
    return f"{where}: the store refused {method}: {detail}"


# -- the load ----------------------------------------------------------------------------------


def load(
    output: str | Path = "output",
    endpoint: str = "",
    *,
    store: str = "generic",
    method: str = "gsp",
    full: bool = False,
    dry_run: bool = False,
    timeout: float = 30.0,
    retries: int = 4,
    backoff: float = 0.5,
    workers: int = 4,
    on_event: Callable[..., None] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> LoadResult:
    """Make the store hold exactly the build in ``output``: send changed graphs, delete gone ones."""
    started = time.perf_counter()
    if store not in PROFILES:
        raise LoadError(f"--store {store!r}: one of {', '.join(PROFILES)}")
    if method not in ("gsp", "update"):
        raise LoadError(f"--method {method!r}: gsp or update")
    profile = PROFILES[store]
    out = Path(output)
    known = build_hashes(out)
    graphs = read_graphs(out) if known is None else None
    hashes = known if known is not None else {g: content_hash(data) for g, data in (graphs or {}).items()}
    mpath = manifest_path(out, endpoint, profile)
    manifest = {} if full else read_manifest(mpath)
    client = StoreClient(endpoint, profile, method=method, timeout=timeout, retries=retries, backoff=backoff,
                         transport=transport)  # fmt: skip
    result = LoadResult(dry_run=dry_run)
    try:
        if manifest and not dry_run:
            present = client.graphs_in_store()
            if present is not None:  # the store lost graphs (wiped, restored): send them again
                manifest = {g: h for g, h in manifest.items() if g in present or g not in hashes}
        to_send = sorted(g for g in hashes if manifest.get(g) != hashes[g])
        to_delete = sorted(g for g in manifest if g not in hashes)
        result.unchanged = len(hashes) - len(to_send)
        if dry_run:
            result.sent, result.deleted = to_send, to_delete
            return result
        if not manifest and profile.bulk and method == "gsp" and len(to_send) == len(hashes) > 1:
            present = client.graphs_in_store()
            if present is not None and not present & set(hashes):
                # none of the build's graphs is in the store yet: one upload of graph.nq adds
                # exactly them, several times faster than one request per graph
                client.post_dataset((out / "graph.nq").read_bytes())
                write_manifest(mpath, endpoint, profile, dict(hashes))
                result.sent = to_send
                result.seconds = time.perf_counter() - started
                if on_event:
                    on_event("load", done=len(to_send), total=len(to_send))
                return result
        if graphs is None:
            graphs = read_graphs(out, set(to_send)) if to_send else {}
        data = graphs
        done = dict(manifest)
        lock = threading.Lock()
        counter = [0]
        total = len(to_send) + len(to_delete)

        def send(graph: str) -> None:
            client.put(graph, data[graph])
            with lock:
                done[graph] = hashes[graph]
                result.sent.append(graph)
                counter[0] += 1
                if on_event:
                    on_event("load", done=counter[0], total=total, graph=graph)
                if counter[0] % 500 == 0:
                    write_manifest(mpath, endpoint, profile, done)

        def drop(graph: str) -> None:
            client.delete(graph)
            with lock:
                done.pop(graph, None)
                result.deleted.append(graph)
                counter[0] += 1
                if on_event:
                    on_event("load", done=counter[0], total=total, graph=graph)

        pool = ThreadPoolExecutor(max_workers=max(1, workers))
        try:
            futures = [pool.submit(send, g) for g in to_send] + [pool.submit(drop, g) for g in to_delete]
            for future in as_completed(futures):
                future.result()  # the first failure stops the load; what was acknowledged is kept
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            write_manifest(mpath, endpoint, profile, done)
    finally:
        client.close()
    result.sent.sort()
    result.deleted.sort()
    result.seconds = time.perf_counter() - started
    return result
