"""What can go wrong with the metadata store file, said in one line, and its backups.

A damaged store is never written to, moved or deleted by Sluice on its own: the user
restores a backup (which moves the damaged file aside, keeping it) or moves it away.
Backups are made with SQLite's online backup API when a healthy store that changed is
opened (one an hour, the newest always current, the last BACKUPS_KEPT kept), in `backups/`
beside the store.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.paths import make_private

log = logging.getLogger("sluice.store")

HEADER = b"SQLite format 3\x00"
BACKUPS_KEPT = 5
BACKUP_EVERY = timedelta(hours=1)
PRIVATE_DIR = 0o700


class StoreError(Exception):
    """The metadata store cannot be used; the message names the file, the fault and what
    to do. `kind` is corrupt, readonly, full or unreadable."""

    def __init__(self, message: str, path: Path, kind: str) -> None:
        super().__init__(message)
        self.path, self.kind = path, kind


def backup_dir(path: Path) -> Path:
    return path.parent / "backups"


def backups(path: Path) -> list[Path]:
    """The store's backups, newest first."""
    folder = backup_dir(path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{path.stem}-*.db"), reverse=True)


def fault(exc: BaseException, path: Path) -> StoreError | None:
    """The StoreError an sqlite3/SQLAlchemy/OS error means for the store, or None."""
    import errno

    text = str(getattr(exc, "orig", None) or exc)
    low = text.lower()
    code = getattr(exc, "errno", None)
    if "not a database" in low or "malformed" in low or "file is encrypted" in low:
        return corrupt(path, text)
    if "disk is full" in low or code == errno.ENOSPC or (
            ("disk i/o error" in low or "unable to open" in low) and _no_space(path)):
        return StoreError(f"The disk holding the metadata store {path} is full: free some "
                          "space and try again (nothing was lost).", path, "full")
    if "readonly" in low or "read-only" in low or code in (errno.EROFS, errno.EACCES,
                                                          errno.EPERM):
        return StoreError(f"The metadata store {path} cannot be written ({text.strip()}): "
                          f"make the file and its folder {path.parent} writable (Sluice "
                          "keeps two working files beside it).", path, "readonly")
    if "unable to open database file" in low or "disk i/o error" in low:
        return StoreError(f"The metadata store {path} cannot be opened ({text.strip()}): "
                          f"check that its folder {path.parent} exists, is writable and has "
                          "free space.", path, "unreadable")
    return None


def _no_space(path: Path) -> bool:
    """Whether the store's disk is (all but) full: SQLite then says only "disk I/O error"
    or "unable to open database file" (its working files cannot be made)."""
    import shutil

    try:
        return shutil.disk_usage(path.parent).free < (1 << 20)
    except OSError:
        return False


def corrupt(path: Path, reason: str) -> StoreError:
    found = backups(path)
    if found:
        what = (f"restore the latest automatic backup (of {_stamp(found[0]):%Y-%m-%d %H:%M} "
                "UTC) with `python main.py store restore` or the app's Restore button; the "
                "damaged file is kept beside it")
    else:
        what = "there is no backup yet: move the file away and Sluice starts an empty store"
    return StoreError(f"The metadata store {path} is damaged ({reason.strip()}); it was left "
                      f"as it is. To go on, {what}.", path, "corrupt")


def check(path: Path) -> None:
    """Raise StoreError when the file at `path` is not a healthy SQLite database (a
    missing file is fine: it is created). A zero-length file is removed (SQLite would
    treat it as empty anyway) and the log says so."""
    folder = path.parent
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        where = "its folder " + str(folder) if not os.access(folder, os.W_OK) else "the file"
        raise StoreError(f"The metadata store {path} cannot be written: {where} is read-only. "
                         "Make the file and its folder writable (Sluice keeps two working "
                         "files beside it), or set SLUICE_HOME to a writable folder.", path,
                         "readonly")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    except OSError as exc:
        raise fault(exc, path) or StoreError(f"Cannot read the metadata store {path}: {exc}",
                                             path, "unreadable") from exc
    if size == 0:
        log.warning("%s was empty (0 bytes): starting a new, empty store", path)
        path.unlink()
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(len(HEADER))
    except OSError as exc:
        raise fault(exc, path) or StoreError(f"Cannot read the metadata store {path}: {exc}",
                                             path, "unreadable") from exc
    if head != HEADER:
        raise corrupt(path, "it does not start like an SQLite database")
    problem = _quick_check(path)
    if problem:
        raise corrupt(path, problem)


def _quick_check(path: Path) -> str | None:
    """SQLite's own quick check, read-only; the problem in words, or None."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = conn.execute("pragma quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        error = fault(exc, path)
        if error is not None and error.kind != "corrupt":
            raise error from exc
        return str(exc)
    finally:
        conn.close()
    return None if rows == [("ok",)] else "; ".join(str(r[0]) for r in rows[:3])


def _changed(path: Path) -> float:
    """When the store last changed (the file or its write-ahead log)."""
    times = [p.stat().st_mtime for p in (path, path.with_name(path.name + "-wal"))
             if p.exists()]
    return max(times, default=0.0)


def backup(path: Path, now: datetime | None = None) -> Path | None:
    """Copy a healthy store to backups/ if it changed since the newest copy: that copy is
    refreshed while it is younger than BACKUP_EVERY, otherwise a new one is added; the
    newest BACKUPS_KEPT are kept (so there is one an hour, and the last one is current).
    Returns the backup written, or None. Never fails the caller: a backup that cannot be
    made is logged."""
    now = now or datetime.now(UTC)
    found = backups(path)
    if found and _changed(path) <= found[0].stat().st_mtime:
        return None
    folder = backup_dir(path)
    target = folder / f"{path.stem}-{now:%Y%m%dT%H%M%S}Z.db"
    if found and now - _stamp(found[0]) < BACKUP_EVERY:
        target = found[0]
    try:
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(target)  # a refreshed copy is overwritten page by page
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
        make_private(folder, target)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            target.unlink()
        log.warning("could not back up %s to %s: %s", path, folder, exc)
        return None
    for old in backups(path)[BACKUPS_KEPT:]:
        with contextlib.suppress(OSError):
            old.unlink()
    return target


def restore(path: Path, source: Path | None = None) -> tuple[Path, Path | None]:
    """Put a backup (the newest healthy one unless given) in place of the store; the file
    it replaces is moved aside, never deleted. Returns (backup used, where the old file
    went). Raises StoreError when no usable backup exists."""
    candidates = [source] if source else backups(path)
    for candidate in candidates:
        if candidate.exists() and _quick_check(candidate) is None:
            break
    else:
        raise StoreError(f"No usable backup of {path} was found in {backup_dir(path)}.",
                         path, "corrupt")
    aside = None
    if path.exists():
        aside = path.with_name(f"{path.name}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%S}Z")
        os.replace(path, aside)
    for extra in ("-wal", "-shm"):  # they belong to the file moved aside
        stale = path.with_name(path.name + extra)
        if stale.exists() and aside is not None:
            os.replace(stale, aside.with_name(aside.name + extra))
    source_conn = sqlite3.connect(f"file:{candidate}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(path)
        try:
            source_conn.backup(target)
        finally:
            target.close()
    finally:
        source_conn.close()
    make_private(path)
    log.warning("restored %s from %s (the replaced file is %s)", path, candidate, aside)
    return candidate, aside


def _stamp(backup_path: Path) -> datetime:
    text = backup_path.stem.rsplit("-", 1)[-1]
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(backup_path.stat().st_mtime, UTC)
