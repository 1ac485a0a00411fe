"""A folder of Parquet, CSV or JSON-lines files as a destination: one file per table.

A run writes a hidden temporary file beside the target and renames it over the target
when it is complete (an atomic replace), so readers see the old file or the new one. The
writer holds a lock on its temporary file, so a later run can tell a killed run's leftover
(removed) from a file being written right now (kept).

File names keep tables apart: `[schema.]table.parquet`, where each part is written as it
is except `%`, `.`, path separators, control characters and the characters Windows
forbids, which become `%XX` (so `a/b` is `a%2Fb`, `.hidden` is `%2Ehidden`, and the name
can be read back).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from app import locks
from app.etl.destinations import BaseDestination, Target
from app.etl.errors import RunError
from app.etl.types import INTERVAL, Fit, as_text_only

SUFFIX = {"parquet": ".parquet", "csv": ".csv", "json": ".jsonl"}
STATE_FILE = "_sluice_state.json"


_UNSAFE = set('%./\\:*?"<>|') | {chr(c) for c in range(32)} | {"\x7f"}


def _encode(part: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in _UNSAFE else c for c in part) or "%00"


def file_name(table: str, schema: str | None = None) -> str:
    """The file (without suffix) holding `schema.table`; see the module's docstring."""
    return f"{_encode(schema)}.{_encode(table)}" if schema else _encode(table)


class FolderDestination(BaseDestination):
    @classmethod
    def open(cls, type_key, params, secrets, handle, owner) -> FolderDestination:
        return cls(type_key, params)

    def __init__(self, type_key: str, params: dict) -> None:
        self.kind = type_key
        self.folder = Path(str(params["path"])).expanduser()
        if not self.folder.is_dir():
            raise RunError(f"Destination folder not found: {self.folder}")

    def fit(self) -> Fit:
        return self.fit_for(self.kind)

    @staticmethod
    def fit_for(kind: str) -> Fit:
        """Parquet holds lists, JSON, UUIDs and any year, but no interval or infinity;
        CSV and JSON lines hold text, and years 1 to 9999."""
        if kind == "parquet":
            return Fit(lambda t: t != INTERVAL, infinity=False)
        return Fit(as_text_only, first_last=True)

    def read_state(self, key: str) -> dict | None:
        path = self.folder / STATE_FILE
        return json.loads(path.read_text()).get(key) if path.exists() else None

    def path(self, target: Target) -> Path:
        return self.folder / (file_name(target.table, target.schema) + SUFFIX[self.kind])

    def begin(self, target: Target, schema: pa.Schema, run_id: str) -> FileLoad:
        self.check_mode(self.kind, target)
        final = self.path(target)
        _remove_leftovers(final)
        return FileLoad(self.kind, final, schema, run_id)

    def drop(self, target: Target) -> bool:
        """Delete a job's file and forget its state; True when the file was there."""
        final = self.path(target)
        existed = final.exists()
        final.unlink(missing_ok=True)
        path = self.folder / STATE_FILE
        if path.exists():
            states = json.loads(path.read_text())
            if states.pop(target.state_key, None) is not None:
                path.write_text(json.dumps(states))
        return existed

class FileLoad:
    skipped = deleted = 0

    def __init__(self, kind: str, final: Path, schema: pa.Schema, run_id: str) -> None:
        self.kind, self.final, self.schema = kind, final, schema
        self.tmp = final.with_name(f".{final.name}.{run_id[:12]}.tmp")
        self.lock = None
        try:
            # We own the file handle: a writer that failed (disk full) may not close it,
            # and an open handle would keep the deleted temporary file's space in use.
            self.lock = _hold(self.tmp)  # before any content: never seen unlocked
            self.sink = pa.OSFile(str(self.tmp), "wb")
            if kind == "parquet":
                import pyarrow.parquet as pq

                self.writer = pq.ParquetWriter(self.sink, schema, compression="zstd")
            elif kind == "csv":
                from pyarrow import csv

                self.writer = csv.CSVWriter(self.sink, schema)
            else:
                self.writer = None
        except OSError as exc:
            if self.lock is not None:
                with contextlib.suppress(OSError):
                    self.tmp.unlink()
                self._unlock()
            raise RunError(f"Cannot write to {final.parent}: {exc.strerror or exc}") from exc

    def write(self, batch: pa.RecordBatch) -> None:
        try:
            if self.writer is None:  # JSON lines
                lines = "".join(json.dumps(row, default=str, ensure_ascii=False) + "\n"
                                for row in batch.to_pylist())
                self.sink.write(lines.encode())
            else:
                self.writer.write_batch(batch)
        except OSError as exc:
            raise RunError(f"Cannot write to {self.final.parent}: {exc.strerror or exc}") \
                from exc

    def commit(self, state: Mapping | None) -> None:
        try:
            if self.writer is not None:
                self.writer.close()
            self.sink.flush()
            self.sink.close()
            with self.tmp.open("rb") as fh:
                os.fsync(fh.fileno())
            os.replace(self.tmp, self.final)
            self._unlock()
        except OSError as exc:
            self.abort()
            raise RunError(f"Cannot write to {self.final.parent}: {exc.strerror or exc}") \
                from exc

    def abort(self) -> None:
        for closable in (self.writer, self.sink):
            with contextlib.suppress(Exception):
                if closable is not None:
                    closable.close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()
        self._unlock()

    def _unlock(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def _hold(path: Path) -> locks.FileLock:
    """Create `path`, locked for as long as the returned lock is held."""
    lock = locks.FileLock(path, exclusive_create=True)
    lock.acquire(wait=True)
    return lock


def _remove_leftovers(final: Path) -> None:
    """Remove the temporary files of `final` that no live writer holds (a killed run's)."""
    for tmp in final.parent.glob(f".{glob.escape(final.name)}.*.tmp"):
        if locks.free(tmp):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
