"""Latency of every stored query on a generated vault's build: the embedded pyoxigraph store cold
(a fresh process that opens the store and runs the query once), warm (median of 5 runs) on the
on-disk store and on the in-memory one (``memory=True``), next to rdflib's in-memory SPARQL
engine on the same graph. Also the first query right after a build (the store is created then, or by
``vaultkg build --store``), and after a rebuild
(the build keeps an existing store in step).

    python benchmarks/bench_query.py --notes 10000 --rdflib-budget 300
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

COLD = r"""
import json, sys, time
t = time.perf_counter()
from pathlib import Path
from vaultkg.stored_queries import library
from vaultkg.querying import run_local
q = library()[sys.argv[1]]
result = run_local(q, json.loads(sys.argv[3]), Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(result.rows)}))
"""

RDFLIB = r"""
import json, sys, time
import rdflib
from vaultkg.stored_queries import library, bind, with_values
t = time.perf_counter()
graph = rdflib.Graph()
graph.parse(sys.argv[1], format="turtle")
print(json.dumps({"load": time.perf_counter() - t}), flush=True)
params = json.loads(sys.argv[2])
for qid, q in library().items():
    if qid not in params:
        continue
    text = with_values(q.text, bind(q, params[qid]))
    t = time.perf_counter()
    rows = len(list(graph.query(text)))
    print(json.dumps({"id": qid, "seconds": time.perf_counter() - t, "rows": rows}), flush=True)
"""


def representative_params(output: Path) -> dict[str, dict[str, str]]:
    """Parameter values that exist in the generated vault (the defaults name example notes)."""
    from vaultkg.querying import open_store
    from vaultkg.stored_queries import library

    store = open_store(output)

    def one(sparql: str) -> str:
        for row in store.query(sparql, use_default_graph_as_union=True):
            return row[0].value
        return ""

    vkg, schema = "https://w3id.org/vaultkg#", "https://schema.org/"
    actor = one(f"SELECT ?a (COUNT(*) AS ?n) WHERE {{ ?s <{vkg}linksTo> ?a . ?a <{schema}subjectOf> ?d }} "
                "GROUP BY ?a ORDER BY DESC(?n) LIMIT 1")  # fmt: skip
    second = one(f"SELECT ?a (COUNT(*) AS ?n) WHERE {{ ?s <{vkg}linksTo> ?a . ?a <{schema}subjectOf> ?d }} "
                 "GROUP BY ?a ORDER BY DESC(?n) OFFSET 1 LIMIT 1")  # fmt: skip
    source = one(f"SELECT ?w WHERE {{ ?n <{schema}citation> ?w FILTER(isIRI(?w)) }} LIMIT 1")
    # each query gets values it finds rows for: the actor in most relationships, the entity
    # mentioned most and the one mentioned most often beside it
    party = one(f"SELECT ?a (COUNT(*) AS ?n) WHERE {{ ?r a <{vkg}Relationship> ; <{vkg}actor> ?a }} "
                "GROUP BY ?a ORDER BY DESC(?n) ?a LIMIT 1") or actor  # fmt: skip
    mentioned = one(f"SELECT ?e (COUNT(*) AS ?n) WHERE {{ ?d <{schema}mentions> ?e }} "
                    "GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1") or actor  # fmt: skip
    beside = one(f"SELECT ?e (COUNT(*) AS ?n) WHERE {{ ?d <{schema}mentions> <{mentioned}>, ?e "
                 f"FILTER(?e != <{mentioned}>) }} GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1") or second  # fmt: skip
    per_query = {"relationships": {"actor": party}, "mentions-of": {"entity": mentioned},
                 "co-mentions": {"first": mentioned, "second": beside}}  # fmt: skip
    values = {
        "actor": actor, "entity": actor, "first": actor, "second": second,
        "note": one(f"SELECT ?n WHERE {{ ?n <{schema}citation> ?w }} LIMIT 1"),
        "source": source,
        "publisher": one(f"SELECT ?p WHERE {{ ?w <{schema}publisher> ?p }} LIMIT 1"),
        "subject": one(f"SELECT ?s WHERE {{ ?s <{vkg}milestone> ?e }} LIMIT 1"),
        "tag": one("SELECT ?t WHERE { ?t <http://www.w3.org/2004/02/skos/core#prefLabel> 'region' } LIMIT 1"),
        "since": "2000-01-01", "name": "an", "status": "alliance", "from": "1990", "to": "2020",
    }  # fmt: skip
    out = {}
    for qid, q in library().items():
        if "federated" in q.tags:
            continue
        out[qid] = {p.name: per_query.get(qid, {}).get(p.name, values[p.name])
                    for p in q.params if p.required or p.name in ("from", "to")}  # fmt: skip
    return out


def main() -> None:
    from generate import generate
    from userenv import like_a_user

    from vaultkg import build
    from vaultkg.querying import STORE_DIR, open_store, prepare_store, run_local
    from vaultkg.stored_queries import library

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rdflib-budget", type=float, default=300, help="seconds for all rdflib queries")
    args = parser.parse_args()
    like_a_user()
    vault = HERE / "vaults" / f"vault-{args.notes}-{args.seed}"
    out = HERE / "vaults" / f"out-{args.notes}-{args.seed}"
    if not vault.is_dir():
        generate(vault, args.notes, args.seed)
    build(vault, out)
    shutil.rmtree(out / STORE_DIR, ignore_errors=True)  # as right after a build
    proc = subprocess.run([sys.executable, "-c", COLD, "summary", str(out), "{}"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    first = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
    shutil.rmtree(out / STORE_DIR, ignore_errors=True)  # again, now as `vaultkg build --store` leaves it
    t = time.perf_counter()
    prepare_store(out)
    prepared = time.perf_counter() - t
    proc = subprocess.run([sys.executable, "-c", COLD, "summary", str(out), "{}"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    first_prepared = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
    note = sorted(vault.rglob("*.md"))[args.notes // 2]
    text = note.read_text(encoding="utf-8")
    note.write_text(text + "\nEdited for the benchmark.\n", encoding="utf-8")
    try:
        build(vault, out)  # the store exists now: the build replaces the changed graphs in it
        proc = subprocess.run([sys.executable, "-c", COLD, "summary", str(out), "{}"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        after_edit = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
    finally:
        note.write_text(text, encoding="utf-8")
        build(vault, out)
    t = time.perf_counter()
    open_store(out, memory=True)
    in_memory = time.perf_counter() - t
    params = representative_params(out)
    rows: dict[str, dict] = {}
    for qid, q in library().items():
        if "federated" in q.tags:  # needs the network (SERVICE to Wikidata)
            continue
        proc = subprocess.run([sys.executable, "-c", COLD, qid, str(out), json.dumps(params[qid])],
                              capture_output=True, text=True, check=True)  # fmt: skip
        cold = json.loads(proc.stdout.strip().splitlines()[-1])
        warm = []
        for _ in range(5):
            t = time.perf_counter()
            result = run_local(q, params[qid], out)
            warm.append(time.perf_counter() - t)
        memory = []
        for _ in range(5):
            t = time.perf_counter()
            run_local(q, params[qid], out, memory=True)
            memory.append(time.perf_counter() - t)
        rows[qid] = {"cold": cold["seconds"], "warm": statistics.median(warm), "rows": len(result.rows),
                     "memory": statistics.median(memory)}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", RDFLIB, str(out / "graph.ttl"), json.dumps(params)],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    watchdog = threading.Timer(args.rdflib_budget, proc.kill)  # a slow query cannot outlast the budget
    watchdog.start()
    load = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            data = json.loads(line)
            if "load" in data:
                load = data["load"]
            else:
                rows[data["id"]]["rdflib"] = data["seconds"]
                rows[data["id"]]["rdflib_rows"] = data["rows"]
    finally:
        watchdog.cancel()
        proc.kill()
    print(
        f"{args.notes:,} notes; first query after a build (creates the on-disk store) {first:.2f} s, "
        f"after `vaultkg build --store` {first_prepared:.2f} s (the build spent {prepared:.2f} s on the store), "
        f"after a rebuild that followed an edit (the build kept the store in step) {after_edit:.2f} s; "
        f"loading the in-memory store {in_memory:.2f} s" + (f"; rdflib loads graph.ttl in {load:.1f} s" if load else "")
    )
    print()
    print("| query | rows | oxigraph cold | oxigraph warm, on disk | oxigraph warm, in memory | rdflib |")
    print("|---|---:|---:|---:|---:|---:|")
    for qid, r in rows.items():
        rdf = f"{r['rdflib'] * 1000:,.0f} ms" if "rdflib" in r else f"> budget ({args.rdflib_budget:.0f} s)"
        same = "" if r.get("rdflib_rows", r["rows"]) == r["rows"] else f" ({r['rdflib_rows']} rows!)"
        print(f"| `{qid}` | {r['rows']:,} | {r['cold'] * 1000:,.0f} ms | {r['warm'] * 1000:,.1f} ms "
              f"| {r['memory'] * 1000:,.1f} ms | {rdf}{same} |")  # fmt: skip


if __name__ == "__main__":
    main()
