"""Locks across processes, on files: one run of a job, one scheduling process per computer,
one writer of a DuckDB file, a folder load's temporary file, the vault's read-modify-write.

A lock belongs to an open file and ends when the file is closed or the process ends, however
it ends (a killed run leaves no stale lock). POSIX uses flock(2); Windows locks the file's
first byte with msvcrt.locking. The platform module is imported on first use.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

PRIVATE = 0o600


def folder() -> Path:
    """The data directory's `locks/` (0700), for locks that have no file of their own."""
    from app import paths

    path = paths.data_dir() / "locks"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


class FileLock:
    """An exclusive lock on `path` (created if missing, unless `create` is False)."""

    def __init__(self, path: Path, create: bool = True, exclusive_create: bool = False
                 ) -> None:
        flags = os.O_RDWR | (os.O_CREAT if create or exclusive_create else 0) | \
            (os.O_EXCL if exclusive_create else 0)
        self.path = path
        self.fd: int | None = os.open(path, flags, PRIVATE)

    def acquire(self, wait: bool = False) -> bool:
        """Take the lock: block until it is free (`wait`), or say at once whether it was."""
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            os.lseek(self.fd, 0, os.SEEK_SET)
            while True:
                try:
                    msvcrt.locking(self.fd, msvcrt.LK_NBLCK, 1)
                    return True
                except OSError:
                    if not wait:
                        return False
                    msvcrt.locking(self.fd, msvcrt.LK_LOCK, 1)  # retries for ~10 s
                    return True
        import fcntl

        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True

    def note(self, text: str) -> None:
        """Say who holds the lock (read by whoever waits for it)."""
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, text.encode(), 0)

    def holder(self) -> str:
        with contextlib.suppress(OSError):
            return os.pread(self.fd, 200, 0).decode("utf-8", "replace").strip()
        return ""

    def release(self) -> None:
        """Let the lock go (closing the file does: the one way that also works for a process
        that dies)."""
        fd, self.fd = self.fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


@contextlib.contextmanager
def held(path: Path) -> Iterator[FileLock]:
    """Hold the lock on `path` for the block, waiting for it if another process has it."""
    lock = FileLock(path)
    try:
        lock.acquire(wait=True)
        yield lock
    finally:
        lock.release()


def free(path: Path) -> bool:
    """Whether nobody holds the lock on an existing file (a leftover of a dead process)."""
    try:
        lock = FileLock(path, create=False)
    except OSError:
        return False
    try:
        return lock.acquire(wait=False)
    finally:
        lock.release()
