"""Benchmark `vaultkg validate` on generated vaults with injected faults: build, loading the store,
the shapes compiled to SPARQL, the checks and locating the results, each timed; and, up to
``--reference-up-to`` notes, pySHACL (the reference) on the same graph, whose results must be
identical to the SPARQL engine's. Then what a user waits for: ``vaultkg validate VAULT`` end to end
in a fresh process — next to the floor of bench_build.py (reading the files, their front matter and
one regex pass) measured right after, since this machine's pace drifts; with the cache of an
earlier build reused (``--cache-from``), which keeps the results beside it; and then after each
of four edits to one note (prose, a link to a new entity, a date, an alias), validated again from
the kept results (the best of ``--repeat`` runs from the same kept state, as bench_build.py takes
the best of its rebuilds) — each checked equal to a whole validation.

    python benchmarks/bench_validate.py --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def measure(script: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cli_seconds(vault: Path, *options: str) -> float:
    """Wall time of ``vaultkg validate VAULT OPTIONS`` in a fresh process (exit 1: it has findings)."""
    return cli_run(vault, *options)[0]


def cli_run(vault: Path, *options: str) -> tuple[float, list[dict]]:
    """Wall time and findings of ``vaultkg validate VAULT --format json OPTIONS`` in a fresh process."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "vaultkg", "validate", str(vault), "--format", "json", *options],
                          capture_output=True, check=False)  # fmt: skip
    took = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"vaultkg validate failed: {proc.stderr.decode()}")
    return took, json.loads(proc.stdout)["findings"]


#: One edit of each kind a user makes, to the note at the middle of the vault: prose only, a
#: link to a note that does not exist yet (a new entity), a date (a typed value: rules testing
#: datatypes run again), an alias (a new name: the build converts again every note that may
#: mention it, and the checks on labels and aliases run again).
EDITS = {
    "prose": lambda text: text + "\nEdited for the benchmark.\n",
    "new link": lambda text: text + "\nSee [[Benchmark Newcomer]].\n",
    "date": lambda text: (
        text.replace("---\n", "---\nstart: 2021-03-04\n", 1)
        if text.startswith("---\n")
        else "---\nstart: 2021-03-04\n---\n" + text
    ),
    "alias": lambda text: (
        text.replace("---\n", "---\naliases: [Benchmark Alias]\n", 1)
        if text.startswith("---\n")
        else "---\naliases: [Benchmark Alias]\n---\n" + text
    ),
}


def main() -> None:
    from bench_build import FLOOR
    from generate import generate, inject_faults
    from userenv import like_a_user

    from vaultkg import build
    from vaultkg.buildcache import CACHE_DIR
    from vaultkg.revalidation import STATE_FILE
    from vaultkg.validation import (
        Locator,
        check_results,
        data_store,
        findings_from,
        load_checks,
        load_shapes,
        shacl_results,
        validate,
    )

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reference-up-to", type=int, default=1000, help="run pySHACL too up to this many notes")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each one-edit validation from one kept state; the best counts")  # fmt: skip
    args = parser.parse_args()
    like_a_user()
    print("| notes | triples | build | store | SHACL as SPARQL | checks | locate | validation without build "
          "| results | pySHACL, 2 processes | same results | `validate` end to end "
          "| floor (read + YAML + scan) | end to end / floor | with the build cache, keeping the results "
          "| after one edit: prose / new link / date / alias |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|")
    gc.disable()  # as `validate` runs its stages
    for size in args.sizes:
        vault = HERE / "vaults" / f"faulty-{size}-{args.seed}"
        if not vault.is_dir():
            generate(vault, size, args.seed)
            inject_faults(vault, max(8, size // 50), args.seed)
        t0 = time.perf_counter()
        dataset = build(vault, None, render=False).lazy_dataset  # as validate has it: graphs stay rendered
        t_build = time.perf_counter() - t0
        shapes, checks = load_shapes(), load_checks()
        t = time.perf_counter()
        store = data_store(dataset)
        t_store = time.perf_counter() - t
        t = time.perf_counter()
        fast, engine = shacl_results(dataset, shapes, store=store)
        t_sparql = time.perf_counter() - t
        assert engine == "sparql", engine
        t = time.perf_counter()
        rows = check_results(dataset, checks, store)
        t_checks = time.perf_counter() - t
        t = time.perf_counter()
        located = Locator(dataset, {r["focus"] for r in fast + rows if r["focus"] is not None}, store)  # as validate
        findings = findings_from(dataset, fast + rows, "shacl", located)
        t_locate = time.perf_counter() - t
        total = t_store + t_sparql + t_checks + t_locate
        reference, same = "—", "—"
        if size <= args.reference_up_to:
            t = time.perf_counter()
            ref, _ = shacl_results(dataset, shapes, engine="pyshacl", workers=2)
            reference = f"{time.perf_counter() - t:.1f} s"
            key = lambda r: tuple(sorted((k, str(v)) for k, v in r.items()))  # noqa: E731
            assert Counter(map(key, fast)) == Counter(map(key, ref)), "the SPARQL engine differs from pySHACL"
            same = f"yes ({len(ref)})"
        triples = dataset.triple_count
        del dataset, store  # what follows is what a user waits for: `vaultkg validate` in a fresh process
        whole = validate(vault)
        t_e2e = cli_seconds(vault, "--no-cache")
        floor = min(measure(FLOOR, str(vault))["seconds"] for _ in range(3))  # the machine's pace now
        out = HERE / "vaults" / f"faulty-out-{size}-{args.seed}"
        build(vault, out)
        (out / CACHE_DIR / STATE_FILE).unlink(missing_ok=True)  # results kept by an earlier run
        t_keeping, kept = cli_run(vault, "--cache-from", str(out))  # whole, and keeps its results
        assert kept == whole.as_dict()["findings"]
        note = sorted(vault.rglob("*.md"))[size // 2]
        text = note.read_text(encoding="utf-8")
        t_edits = []
        try:
            for edit in EDITS.values():  # one after the other, each validated again
                note.write_text(edit(note.read_text(encoding="utf-8")), encoding="utf-8")
                kept_state = out.parent / f".{out.name}-state"  # what the run starts from, for the repeats
                shutil.rmtree(kept_state, ignore_errors=True)
                shutil.copytree(out / CACHE_DIR, kept_state)
                times = []
                for run in range(max(1, args.repeat)):  # as bench_build's rebuilds: the best of a few
                    if run:
                        shutil.rmtree(out / CACHE_DIR)
                        shutil.copytree(kept_state, out / CACHE_DIR)
                    took, found = cli_run(vault, "--cache-from", str(out))
                    times.append(took)
                shutil.rmtree(kept_state)
                t_edits.append(min(times))
                assert found == validate(vault).as_dict()["findings"], "validated again, it differs from a whole"
        finally:
            note.write_text(text, encoding="utf-8")
        shapes_hit = Counter(r["shape"] for r in fast)
        print(f"{size} notes: {dict(sorted(shapes_hit.items()))}", file=sys.stderr)
        print(
            f"| {size:,} | {triples:,} | {t_build:.1f} s | {t_store:.2f} s | {t_sparql:.2f} s | "
            f"{t_checks:.2f} s | {t_locate:.2f} s | {total:.1f} s | {len(findings):,} | {reference} | {same} "
            f"| {t_e2e:.1f} s | {floor:.2f} s | {t_e2e / floor:.1f}× | {t_keeping:.1f} s "
            f"| {' / '.join(f'{x:.2f}' for x in t_edits)} s |",
            flush=True,
        )
        if args.seed != 1:
            shutil.rmtree(vault)


if __name__ == "__main__":
    main()
