"""`vaultkg build --watch`: a rebuild per settled change, new findings only, Ctrl-C ends it cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner

from vaultkg.cli import cli
from vaultkg.watching import fingerprint, watch


def test_a_change_is_built_once_it_has_settled() -> None:
    states = iter([0, 0, 0, 1, 2, 2, 2, 2, 3, 3, 3])  # 1 → 2 while being written, then 3
    seen: list[object] = []
    builds: list[object] = []
    current = [0]

    def look() -> object:
        current[0] = next(states)
        seen.append(current[0])
        return current[0]

    watch(lambda: builds.append(current[0]), look, interval=0.0, sleep=lambda _s: None, rounds=2)
    assert builds == [0, 2, 3]  # the first build, then each change once it held for a look


def test_the_fingerprint_follows_notes_config_and_links_files(tmp_path: Path) -> None:
    (tmp_path / "A.md").write_text("a\n")
    out = tmp_path / "output"
    first = fingerprint(tmp_path, out)
    assert first == fingerprint(tmp_path, out)
    out.mkdir()
    (out / "B.md").write_text("an output folder is not the vault\n")
    assert fingerprint(tmp_path, out) == first
    for name, text in [("A.md", "a, edited\n"), ("vaultkg.yaml", "mentions: false\n"),
                       ("wikidata-links.yaml", "{}\n"), ("C.md", "new\n")]:  # fmt: skip
        before = fingerprint(tmp_path, out)
        (tmp_path / name).write_text(text)
        assert fingerprint(tmp_path, out) != before, name


def test_watch_and_check_do_not_go_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(tmp_path), "--watch", "--check"])
    assert result.exit_code == 2
    assert result.output == "vaultkg: error: --watch and --check do not go together (--check writes nothing to watch)\n"


def _wait(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextmanager
def watching(tmp_path: Path, *args: str) -> Iterator[tuple[Path, Path]]:
    """``vaultkg ARGS --watch --interval 0.1`` in a process of its own, its output in two files;
    the block must end it with Ctrl-C, and it must end with exit 0 (else it is killed)."""
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with open(stdout, "wb") as so, open(stderr, "wb") as se:
        proc = subprocess.Popen([sys.executable, "-m", "vaultkg", *args, "--watch", "--interval", "0.1"],
                                stdout=so, stderr=se, env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    try:
        yield stdout, stderr
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


def test_watching_a_vault_as_a_user_does(tmp_path: Path) -> None:
    vault, out = tmp_path / "vault", tmp_path / "out"
    vault.mkdir()
    (vault / "Sweden.md").write_text("---\ntype: country\n---\nNeighbours: [[Norway]].\n")
    (vault / "Norway.md").write_text("---\ntype: country\n---\n")
    with watching(tmp_path, "build", str(vault), "-o", str(out)) as (stdout, stderr):
        _wait(lambda: stdout.read_text().count(" built 2 notes") == 1, "the first build")
        (vault / "Sweden.md").write_text("---\ntype: country\naliases: [Sverige]\n---\nNeighbours: [[Norway]].\n")
        _wait(lambda: '"Sverige"' in (out / "graph.ttl").read_text(), "the edit in graph.ttl")
        (vault / "Broken.md").write_text("---\ntype: [country\n---\n")
        _wait(lambda: " built 3 notes" in stdout.read_text(), "the new note")
        (vault / "Norway.md").write_text("---\ntype: country\n---\nNorth of [[Sweden]].\n")
        _wait(lambda: stdout.read_text().count(" built 3 notes") == 2, "the next edit")
    err = stderr.read_text().splitlines()
    broken = f"{vault}/Broken.md:3: error: invalid YAML in front matter: did not find expected ',' or ']' " \
             "(while parsing a flow sequence that began on line 2); the front matter is ignored"  # fmt: skip
    assert err == [f"watching {vault}/ (Ctrl-C stops)", broken, "stopped watching"]  # printed once, when new
    lines = stdout.read_text().splitlines()
    assert len(lines) == 4 and all(" built " in line and " 0 warnings" in line for line in lines)
    assert [line.split(" built ")[1].split(" notes")[0] for line in lines] == ["2", "2", "3", "3"]


def test_a_file_system_refusal_is_reported_and_watching_goes_on(tmp_path: Path) -> None:
    vault, parent = tmp_path / "vault", tmp_path / "parent"
    vault.mkdir()
    (vault / "A.md").write_text("a\n")
    with watching(tmp_path, "build", str(vault), "-o", str(parent / "out")) as (stdout, stderr):
        _wait(lambda: " built 1 note " in stdout.read_text(), "the first build")
        (parent / "out").rename(tmp_path / "moved")
        shutil.rmtree(parent)  # the output and its lock file beside it
        parent.write_text("a file where the output's folder was")
        (vault / "B.md").write_text("b\n")
        _wait(lambda: f"vaultkg: error: {parent}: " in stderr.read_text(), "the refusal")
        parent.unlink()
        (vault / "C.md").write_text("c\n")
        _wait(lambda: " built 3 notes" in stdout.read_text(), "the build after the mend")


def test_validate_watch_prints_new_findings_and_how_many_went_away(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "Sweden.md").write_text("---\ntype: country\n---\nNeighbour: [[Norway]].\n")  # found every time
    with watching(tmp_path, "validate", str(vault), "--no-cache") as (stdout, stderr):
        _wait(lambda: " validated 1 note: 0 violations, 1 warning, 0 infos" in stdout.read_text(), "the first round")
        (vault / "Olof.md").write_text("---\ntype: person\nborn: 1970-13-01\n---\n")
        _wait(lambda: " validated 2 notes: 1 violation," in stdout.read_text(), "the new note")
        (vault / "Olof.md").write_text("---\ntype: person\nborn: 1970-12-01\n---\n")
        _wait(lambda: "went away" in stdout.read_text(), "the mend")
    lines = stdout.read_text().splitlines()
    olof = f"{vault}/Olof.md:3"
    assert lines[0] == f"{vault}/Sweden.md:4: warning: 'Norway' is linked but has no note [UnwrittenEntityShape]"
    assert lines[2:4] == [  # then only what is new
        f"{olof}: violation: a birth date must be one date (YYYY-MM-DD) (value: 1970-13-01) [PersonShape]",
        f"{olof}: warning: born: '1970-13-01' is not a valid date; kept as text [bad-date]",
    ]
    assert " validated 2 notes: 0 violations, 1 warning, 0 infos in " in lines[-1]
    assert lines[-1].endswith("; 2 went away") and len(lines) == 6
    assert stderr.read_text().splitlines() == [f"watching {vault}/ (Ctrl-C stops)", "stopped watching"]


def test_validate_watch_takes_a_vault_and_prints_text(example_build: Path) -> None:
    runner = CliRunner()
    built = runner.invoke(cli, ["validate", str(example_build), "--watch"])
    assert built.exit_code == 2
    assert (
        built.output
        == f"vaultkg: error: {example_build}: --watch watches a vault's notes; give the vault, not a build folder\n"
    )
    json_ = runner.invoke(cli, ["validate", str(example_build), "--watch", "--format", "json"])
    assert json_.exit_code == 2 and "goes with none of --format, --output, --max-warnings" in json_.output
