"""Benchmark `vaultkg site` on generated vaults' builds: wall time and peak memory of the command
in a fresh process (as a user runs it), next to the build it reads.

    python benchmarks/bench_site.py --sizes 1000 10000 40000

Builds the vault first when its build folder is missing (benchmarks/vaults/, git-ignored).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: `vaultkg site` in a fresh process: its imports, reading the build, the pages (peak memory: the
#: process or its largest worker)
SITE = r"""
import json, resource, sys, time
t = time.perf_counter()
from vaultkg.site import build_site
result = build_site(sys.argv[1], sys.argv[2])
peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({"seconds": time.perf_counter() - t, "pages": result.pages, "peak_mb": peak / 1024}))
"""


def main() -> None:
    from generate import generate
    from userenv import like_a_user

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="runs per size; the best is reported")
    args = parser.parse_args()
    like_a_user()
    print("| notes | pages | `vaultkg site` | pages/s | peak memory | site size |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        vault = HERE / "vaults" / f"vault-{size}-{args.seed}"
        out = HERE / "vaults" / f"out-{size}-{args.seed}"
        site = HERE / "vaults" / f"site-{size}-{args.seed}"
        if not vault.is_dir():
            generate(vault, size, args.seed)
        if not (out / "graph.nq").is_file():
            subprocess.run([sys.executable, "-m", "vaultkg", "build", str(vault), "-o", str(out), "-q"], check=True)
        runs = []
        for _ in range(args.repeat):
            shutil.rmtree(site, ignore_errors=True)
            proc = subprocess.run([sys.executable, "-c", SITE, str(out), str(site)],
                                  capture_output=True, text=True, check=True)  # fmt: skip
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["seconds"])
        mb = sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1e6
        print(f"| {size:,} | {best['pages']:,} | {best['seconds']:.2f} s | {best['pages'] / best['seconds']:,.0f} "
              f"| {best['peak_mb']:.0f} MB | {mb:.0f} MB |")  # fmt: skip
        print(json.dumps({"notes": size, **best}), file=sys.stderr)


if __name__ == "__main__":
    main()
