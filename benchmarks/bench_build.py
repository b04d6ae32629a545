"""Benchmark `vaultkg build` on generated vaults, next to the floor (read + front matter + scan).

    python benchmarks/bench_build.py --sizes 1000 10000

Each measurement runs in a fresh process so that peak memory (max RSS) is its own. Prints a
Markdown table; vaults are generated into benchmarks/vaults/ (git-ignored) and kept for reuse.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

FLOOR = r"""
import json, os, re, resource, sys, time
import yaml
t = time.perf_counter()
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
link = re.compile(r"\[\[([^\[\]\n]+?)\]\]")
n = links = 0
for dirpath, _, files in os.walk(sys.argv[1]):
    for f in files:
        if not f.endswith(".md"):
            continue
        text = open(os.path.join(dirpath, f), encoding="utf-8").read()
        body = text
        if text.startswith("---\n"):
            end = text.find("\n---", 4)
            yaml.load(text[4:end], Loader=loader)
            body = text[end + 4:]
        links += len(link.findall(body))
        n += 1
print(json.dumps({"seconds": time.perf_counter() - t, "notes": n,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

INCREMENTAL = r"""
import json, os, subprocess, sys, time
from pathlib import Path
from vaultkg import build
vault, out = Path(sys.argv[1]), Path(sys.argv[2])
build(vault, out)  # a full build leaves the cache
note = sorted(vault.rglob("*.md"))[len(list(vault.rglob("*.md"))) // 2]
text = note.read_text(encoding="utf-8")
if sys.argv[3] == "alias":  # a new name: notes naming it convert again (none here but the note itself)
    body = text.split("---\n", 2)[2] if text.startswith("---\n") else text
    head = text[4 : len(text) - len(body) - 4] if text.startswith("---\n") else ""
    note.write_text(f"---\naliases: [Benchmark Alias]\n{head}---\n{body}", encoding="utf-8")
else:
    note.write_text(text + "\nEdited for the benchmark.\n", encoding="utf-8")
past = time.time_ns() - 10_000_000_000  # written a while ago, as a person's edit is ("racy" files are read again)
os.utime(note, ns=(past, past))
try:  # `vaultkg build` as a user runs it: a new process, its start and imports included
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vaultkg", "build", str(vault), "-o", str(out), "-q"], check=True)
    seconds = time.perf_counter() - t
finally:
    note.write_text(text, encoding="utf-8")
print(json.dumps({"seconds": seconds}))
"""

BUILD = r"""
import json, resource, shutil, sys, time
from pathlib import Path
shutil.rmtree(Path(sys.argv[2]) / ".vaultkg-cache", ignore_errors=True)  # a full build, not an incremental one
t = time.perf_counter()
from vaultkg import build
result = build(sys.argv[1], sys.argv[2])
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "notes": result.notes, "triples": result.summary()["triples"],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


NAIVE = r"""
import json, resource, sys, time
from pathlib import Path
import rdflib
from converters import assemble
from vaultkg.config import load_config
from vaultkg.vault import read_vault
stages = {}
t = time.perf_counter()
root = Path(sys.argv[1])
cfg, _ = load_config(None, vault=root, base=None)
contents = read_vault(root, cfg)
try:  # what a tool that parses Markdown properly does first
    from markdown_it import MarkdownIt
    md = MarkdownIt("commonmark").enable("table")
    for note in contents.notes:
        md.parse(note.body)
except ImportError:
    pass
stages["read + markdown-it"] = time.perf_counter() - t
t = time.perf_counter()
dataset = assemble(contents.notes, cfg)  # the same converters, one process
stages["convert"] = time.perf_counter() - t
t = time.perf_counter()
terms = {}
def term(x):
    hit = terms.get(x)
    if hit is None:
        if type(x).__name__ == "NamedNode":
            hit = rdflib.URIRef(x.value)
        else:
            hit = rdflib.Literal(x.value, lang=x.language,
                                 datatype=None if x.language else rdflib.URIRef(x.datatype.value))
        terms[x] = hit
    return hit
ds = rdflib.Dataset()
union = rdflib.Graph()
for name, pref in dataset.prefixes.items():
    union.bind(name, pref)
for graph, triples in dataset.graphs.items():
    g = ds.graph(rdflib.URIRef(graph))
    for tr in triples:
        spo = (term(tr.subject), term(tr.predicate), term(tr.object))
        g.add(spo)
        union.add(spo)
stages["rdflib graph"] = time.perf_counter() - t
t = time.perf_counter()
ttl = union.serialize(format="turtle")
stages["rdflib Turtle"] = time.perf_counter() - t
t = time.perf_counter()
jsonld = union.serialize(format="json-ld", context=dict(dataset.prefixes), auto_compact=True)
stages["rdflib JSON-LD"] = time.perf_counter() - t
t = time.perf_counter()
nq = ds.serialize(format="nquads")
stages["rdflib N-Quads"] = time.perf_counter() - t
print(json.dumps({"seconds": sum(stages.values()), "stages": stages, "triples": len(union),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(script: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=False)
    if proc.returncode not in (0,):
        raise SystemExit(f"benchmark step failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    from generate import generate
    from userenv import like_a_user

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is reported")
    parser.add_argument("--naive-up-to", type=int, default=10000, metavar="N",
                        help="run the naive rdflib reference pipeline (once) on vaults of up to N notes")  # fmt: skip
    args = parser.parse_args()
    like_a_user()
    rows = []
    for size in args.sizes:
        vault = HERE / "vaults" / f"vault-{size}-{args.seed}"
        if not vault.is_dir():
            generate(vault, size, args.seed)
        out = HERE / "vaults" / f"out-{size}-{args.seed}"
        floor = min((measure(FLOOR, str(vault)) for _ in range(args.repeat)), key=lambda r: r["seconds"])
        built = min((measure(BUILD, str(vault), str(out)) for _ in range(args.repeat)), key=lambda r: r["seconds"])
        incremental = min((measure(INCREMENTAL, str(vault), str(out), "prose") for _ in range(args.repeat)),
                          key=lambda r: r["seconds"])  # fmt: skip
        aliased = min((measure(INCREMENTAL, str(vault), str(out), "alias") for _ in range(args.repeat)),
                      key=lambda r: r["seconds"])  # fmt: skip
        incremental["alias"] = aliased["seconds"]
        naive = measure(NAIVE, str(vault)) if size <= args.naive_up_to else None
        rows.append((size, floor, built, incremental, naive))
        print(f"{size} notes: floor {floor['seconds']:.2f} s, build {built['seconds']:.2f} s", file=sys.stderr)
        if naive is not None:
            stages = ", ".join(f"{k} {v:.1f} s" for k, v in naive["stages"].items())
            print(f"{size} notes, naive pipeline: {stages}", file=sys.stderr)
    print("| notes | triples | floor (read + YAML + scan) | full build | build / floor | notes/s "
          "| peak memory (worker) | `vaultkg build` after one edit (prose / a new alias) "
          "| naive rdflib pipeline | naive / build |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = rows[0]
    for size, floor, built, incremental, naive in rows:
        slower = "" if naive is None else f"{naive['seconds']:.1f} s"
        ratio = "" if naive is None else f"{naive['seconds'] / built['seconds']:.1f}×"
        print(
            f"| {size:,} | {built['triples']:,} | {floor['seconds']:.2f} s | {built['seconds']:.2f} s | "
            f"{built['seconds'] / floor['seconds']:.1f}× | {size / built['seconds']:,.0f} | {built['peak_mb']:.0f} MB "
            f"({built['worker_peak_mb']:.0f} MB) "
            f"| {incremental['seconds']:.2f} / {incremental['alias']:.2f} s | {slower or '—'} | {ratio or '—'} |"
        )
    if len(rows) > 1:  # linear or not: time per note against the smallest vault, measured in the same run
        for size, _floor, built, _incremental, _naive in rows[1:]:
            growth = (built["seconds"] / size) / (base[2]["seconds"] / base[0])
            print(f"\n{size:,} notes: {growth:.2f}× the time per note of {base[0]:,} notes", end="")
        print()


if __name__ == "__main__":
    main()
