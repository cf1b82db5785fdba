"""Durable file writes and output-folder locks.

Atomic: nothing half-written is ever visible under a final name (a temporary file in the same folder,
renamed into place). Durable: the file and then its folder are fsynced, so a renamed file survives a power
loss, not only a ``kill -9``. Locked: :func:`folder_lock` gives one process at a time an output folder.
"""
from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synta.errors import InputError

LOCK_NAME = ".lock"


class FolderLocked(InputError):
    """Another process holds the lock of an output folder."""


def fsync_dir(folder: str | Path) -> None:
    """fsync ``folder`` itself, which makes the renames and new entries in it durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: str | Path) -> None:
    """fsync the data of the file at ``path`` (written by code that does not hand us its descriptor)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_durably(tmp: str | Path, path: str | Path) -> None:
    """Rename the finished file ``tmp`` to ``path`` durably: fsync its data, rename, fsync the folder."""
    fsync_file(tmp)
    os.replace(tmp, path)
    fsync_dir(Path(path).parent)


def make_folder(path: str | Path, what: str = "output folder") -> Path:
    """Create the folder ``path`` (and its parents) or raise :class:`InputError` if it, or a folder on the
    way, is a file."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        raise InputError(f"{what} {path}: {blocker} is a file, not a folder") from None
    return path


def read_text_input(path: str | Path, error: type[InputError] = InputError, encoding: str = "utf-8") -> str:
    """The text of the input file ``path``, refusing anything that is not a readable regular text file.

    A FIFO, device or socket is refused before it could block a read; bytes that are not ``encoding`` or a
    NUL byte (a binary file) raise ``error`` naming the file and line. A missing file raises
    ``FileNotFoundError``; other OS errors propagate.
    """
    path = Path(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: opening a FIFO must not wait for a writer
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise error(f"{path}: not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read()
    finally:
        os.close(fd)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise error(f"{path}:{_line_at(data, nul)}: binary data (a NUL byte), not a text file")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise error(f"{path}:{_line_at(data, err.start)}: not {encoding} text "
                    f"(byte {data[err.start]:#04x} at offset {err.start})") from None


def _line_at(data: bytes, offset: int) -> int:
    """1-based line number of byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``path`` through a temporary file in the same folder, fsync it, rename it into place and fsync
    the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


@contextmanager
def folder_lock(folder: str | Path, name: str = LOCK_NAME, what: str = "output folder") -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (created if needed) for the ``with`` block.

    The lock is ``fcntl.flock`` on ``<folder>/<name>`` (pass e.g. ``.lock-shard3`` for one shard of a shared
    folder); the kernel drops it when the process dies, even by ``kill -9``, so a stale lock file never
    blocks a rerun. Raises :class:`FolderLocked` at once, naming the holder's pid, if another process holds
    it, and :class:`InputError` if ``folder`` is a file. Children forked inside the block (DataLoader workers)
    close their copy of the lock at once: otherwise they would keep it for the seconds they outlive a killed
    parent and refuse its ``--resume``. Not reliable on network file systems without ``flock`` support.
    """
    folder = make_folder(folder, what)
    lock = folder / name
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise
        raise FolderLocked(f"{what} {folder} is in use by another synta run (pid {holder}); "
                           "wait for it to finish or choose another folder") from None
    _HELD_LOCKS.add(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield lock
    finally:
        if fd in _HELD_LOCKS:  # not in a forked child, which closed its copy already
            _HELD_LOCKS.discard(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


_HELD_LOCKS: set[int] = set()  # descriptors of the folder locks this process holds


def _drop_inherited_locks() -> None:
    # flock belongs to the open file, which a fork shares: closing the child's descriptor leaves the
    # parent's lock in place but makes it end with the parent.
    for fd in _HELD_LOCKS:
        os.close(fd)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)
