"""Publish a build folder atomically, and keep two builds from writing it at once.

The new build is written into a hidden sibling folder, then swapped with the old one in a single
``renameat2(RENAME_EXCHANGE)`` call (Linux), so a reader — or a build killed at any moment —
sees either the complete old build or the complete new one, never a mix. Things in the folder
that are not build outputs (load manifests, a user's own files) are moved into the new folder
after the swap; if the process dies in between, the next build moves them back. Where the
atomic exchange is not available, files are replaced one by one (each write still atomic).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from .errors import VaultkgError

STAGING_MARK = ".vaultkg-staging-"
#: Entries that belong to one build and are thrown away with it (the query store is a cache).

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class OutputBusy(VaultkgError):
    """Another vaultkg process is writing the same build folder."""


def _lock_path(directory: Path) -> Path:
    return directory.parent / f".{directory.name}.vaultkg.lock"


#: Descriptors of the build locks this process holds. A forked worker must not share them: a
#: worker that outlives a killed build would keep the folder locked (flock belongs to the open
#: file, which a fork shares), so in a child they are pointed at /dev/null at once.
_HELD: set[int] = set()


def _drop_locks_in_child() -> None:
    if _HELD:
        null = os.open(os.devnull, os.O_RDONLY)
        for fd in _HELD:
            os.dup2(null, fd)  # not close: the file object's later close must not hit another file
        os.close(null)
        _HELD.clear()


os.register_at_fork(after_in_child=_drop_locks_in_child)


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the folder's build lock (a sibling lock file, since the folder itself is swapped)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    path = _lock_path(directory)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputBusy(
                f"{directory}: another vaultkg build is writing this folder ({path} is locked); "
                "wait for it to finish and run again"
            ) from None
        _HELD.add(handle.fileno())
        try:
            yield
        finally:
            _HELD.discard(handle.fileno())
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _write_file(folder: Path, name: str, pieces: Iterable[bytes | memoryview]) -> None:
    with open(folder / name, "wb") as handle:
        handle.writelines(pieces)
        handle.flush()
        os.fsync(handle.fileno())


def recover(directory: Path, outputs: Iterable[str]) -> None:
    """Finish what an interrupted publish left: move kept entries back, drop staging folders."""
    names = set(outputs)
    for staging in directory.parent.glob(f".{directory.name}{STAGING_MARK}*"):
        if directory.is_dir():
            for entry in staging.iterdir():
                if entry.name not in names and not (directory / entry.name).exists():
                    os.rename(entry, directory / entry.name)
        shutil.rmtree(staging, ignore_errors=True)


def publish(directory: Path, files: Mapping[str, bytes]) -> None:
    """Make ``directory`` hold exactly these build files (plus whatever else it held), atomically."""
    from .threads import thread_map
    from .writers import pieces_of  # not at the top: `vaultkg load` reads build_hashes only

    parent = directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    recover(directory, files)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}{STAGING_MARK}", dir=parent))
    try:
        # side by side: writing and syncing let go of the GIL
        thread_map(lambda name: _write_file(staging, name, pieces_of(files, name)), list(files), workers=2)
        if not directory.exists():
            os.rename(staging, directory)
            return
        if not exchange(staging, directory):
            _replace_files(directory, staging, files)
            return
        # `directory` is the new build now; `staging` holds the old one: bring over what is not
        # a build output (load manifests, the query store — it knows which build it matches —,
        # the user's own files) and drop the rest
        for entry in staging.iterdir():
            if entry.name not in files and not (directory / entry.name).exists():
                os.rename(entry, directory / entry.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _replace_files(directory: Path, staging: Path, files: Mapping[str, bytes]) -> None:
    for name in files:
        os.replace(staging / name, directory / name)


def build_hashes(output: Path) -> dict[str, str] | None:
    """The per-graph content hashes the build wrote into report.json (``None`` if absent)."""
    try:
        hashes = json.loads((output / "report.json").read_text(encoding="utf-8"))["graph_hashes"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {str(g): str(h) for g, h in hashes.items()} if isinstance(hashes, dict) else None
