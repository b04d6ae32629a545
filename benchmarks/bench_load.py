"""Load a generated vault into a local Oxigraph server: a full `vaultkg load`, an incremental load
after editing one note, and, for comparison, one plain upload of graph.nq (POST /store).

    python benchmarks/bench_load.py --notes 10000
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def start_server(location: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    proc = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.1)
    raise SystemExit("oxigraph did not start")


def main() -> None:
    from generate import generate
    from userenv import like_a_user

    from vaultkg import build
    from vaultkg.loader import load

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    like_a_user()
    source = HERE / "vaults" / f"vault-{args.notes}-{args.seed}"
    if not source.is_dir():
        generate(source, args.notes, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        vault, out = Path(tmp) / "vault", Path(tmp) / "out"
        shutil.copytree(source, vault)
        build(vault, out)
        proc, url = start_server(Path(tmp) / "store")
        try:
            t = time.perf_counter()
            full = load(out, url, store="oxigraph")
            t_full = time.perf_counter() - t
            note = next(vault.rglob("*.md"))
            note.write_text(note.read_text(encoding="utf-8") + "\nEdited for the benchmark.\n", encoding="utf-8")
            build(vault, out)
            t = time.perf_counter()
            incremental = load(out, url, store="oxigraph")
            t_incremental = time.perf_counter() - t
            # what a user waits for: `vaultkg load` in a fresh process, after another edit
            note = sorted(vault.rglob("*.md"))[len(full.sent) // 2]
            note.write_text(note.read_text(encoding="utf-8") + "\nEdited again.\n", encoding="utf-8")
            build(vault, out)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "vaultkg", "load", "-o", str(out), "--endpoint", url,
                            "--store", "oxigraph", "-q"], check=True)  # fmt: skip
            t_cli = time.perf_counter() - t
        finally:
            proc.terminate()
            proc.wait()
        proc, url = start_server(Path(tmp) / "store3")
        try:  # the path other stores take: one PUT per graph (generic profile)
            shutil.rmtree(out / ".vaultkg-load", ignore_errors=True)
            t = time.perf_counter()
            load(out, url + "/store")
            t_graphwise = time.perf_counter() - t
        finally:
            proc.terminate()
            proc.wait()
        proc, url = start_server(Path(tmp) / "store2")
        try:
            data = (out / "graph.nq").read_bytes()
            t = time.perf_counter()
            req = urllib.request.Request(url + "/store", data=data, method="POST",
                                         headers={"Content-Type": "application/n-quads"})  # fmt: skip
            with urllib.request.urlopen(req, timeout=600):
                pass
            t_oneshot = time.perf_counter() - t
        finally:
            proc.terminate()
            proc.wait()
    print("| notes | full load, oxigraph profile (graphs) | incremental after one edit (graphs) "
          "| the same, `vaultkg load` in a fresh process | full load, one PUT per graph "
          "| plain POST of graph.nq |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.notes:,} | {t_full:.2f} s ({len(full.sent):,}) | {t_incremental:.2f} s "
          f"({len(incremental.sent)}) | {t_cli:.2f} s | {t_graphwise:.2f} s | {t_oneshot:.2f} s |")  # fmt: skip


if __name__ == "__main__":
    main()
