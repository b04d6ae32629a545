"""Benchmark `vaultkg validate` on generated vaults: build, SHACL (pySHACL, whole graph, shapes
split over the cores) and SPARQL checks, each timed.

    python benchmarks/bench_validate.py --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    from generate import generate

    from vaultkg import build
    from vaultkg.validation import check_results, findings_from, load_checks, load_shapes, shacl_results

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("| notes | triples | build | SHACL, 1 process | SHACL, 2 processes | checks | locate | results |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        vault = HERE / "vaults" / f"vault-{size}-{args.seed}"
        if not vault.is_dir():
            generate(vault, size, args.seed)
        t = time.perf_counter()
        dataset = build(vault, None).dataset
        t_build = time.perf_counter() - t
        shapes = load_shapes()
        t = time.perf_counter()
        one, _ = shacl_results(dataset, shapes, workers=1)
        t_one = time.perf_counter() - t
        t = time.perf_counter()
        two, _ = shacl_results(dataset, shapes, workers=2)
        t_two = time.perf_counter() - t
        assert sorted(map(str, one)) == sorted(map(str, two)), "parallel results differ"
        t = time.perf_counter()
        rows = check_results(dataset, load_checks())
        t_checks = time.perf_counter() - t
        t = time.perf_counter()
        findings = findings_from(dataset, two + rows, "shacl")
        t_locate = time.perf_counter() - t
        print(
            f"| {size:,} | {dataset.triple_count:,} | {t_build:.1f} s | {t_one:.1f} s | {t_two:.1f} s | "
            f"{t_checks:.1f} s | {t_locate:.1f} s | {len(findings):,} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
