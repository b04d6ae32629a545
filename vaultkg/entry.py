"""The ``vaultkg`` command: :func:`vaultkg.cli.main` with no cyclic garbage collection.

A command is a short-lived process that makes many objects and few reference cycles: the
collector's passes over a growing heap cost it time (importing the build's modules: ~0.04 s of a
rebuild) and free next to nothing. The build and validation pause it anyway (see
:mod:`vaultkg.gctools`); ``serve``, which runs until stopped, turns it back on."""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    from .cli import main as run

    run()
