"""Work done in forked processes: the same result as in this process, and no process left over."""

from __future__ import annotations

import os
import pickle
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


def test_a_child_reaped_by_someone_else_or_cut_short_still_gives_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    real_waitpid = os.waitpid

    def reaped(pid: int, options: int) -> tuple[int, int]:
        real_waitpid(pid, options)
        raise ChildProcessError("no child")  # as where SIGCHLD is ignored: the system reaped it

    monkeypatch.setattr(os, "waitpid", reaped)
    with Forked(lambda: [1, 2, 3]) as forked:
        assert forked.result() == [1, 2, 3]
    parent = os.getpid()
    real_dumps = pickle.dumps

    def cut_short(value: object, protocol: int | None = None) -> bytes:
        data = real_dumps(value, protocol=protocol)
        return data[: len(data) // 2] if os.getpid() != parent else data

    monkeypatch.setattr(pickle, "dumps", cut_short)  # the child writes half its result, and ends well
    with Forked(lambda: ("child" if os.getpid() != parent else "here", list(range(1000)))) as forked:
        assert forked.result() == ("here", list(range(1000)))  # done again here
