"""The code base stays ruff-clean (lint and format), so CI catches what a reviewer would."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_ruff_check() -> None:
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_on_the_library() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy", "converters", "vaultkg"], cwd=ROOT, capture_output=True,
                          text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
