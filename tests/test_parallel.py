"""Work done in forked processes: the same result as in this process, and no process left over."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vaultkg.parallel import Forked


def test_forked_work_runs_in_a_child_and_returns_its_result() -> None:
    with Forked(lambda: (os.getpid(), "é" * 100_000)) as forked:  # more than a pipe's buffer
        pid, text = forked.result()
    assert pid != os.getpid() and text == "é" * 100_000
    with Forked(os.getpid, fork=False) as here:
        assert here.result() == os.getpid()


def test_when_the_child_fails_the_work_is_done_here(tmp_path: Path) -> None:
    parent = os.getpid()

    def only_here() -> int:
        if os.getpid() != parent:
            raise RuntimeError("not in the child")
        return 7

    with Forked(only_here) as forked:
        assert forked.result() == 7
    with Forked(lambda: 1 // 0 if os.getpid() == parent else 1) as child:  # the child's result, not run again here
        assert child.result() == 1
    with pytest.raises(ZeroDivisionError), Forked(lambda: 1 // 0) as everywhere:
        everywhere.result()


def test_a_result_not_asked_for_leaves_no_process_behind() -> None:
    with Forked(lambda: "x" * 1_000_000) as forked:  # the child blocks on the full pipe
        pid = forked.pid
        assert pid > 0
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no such child any more
