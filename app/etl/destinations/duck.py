"""DuckDB files as destinations, the local warehouse among them (Arrow scans, one transaction).

Only one process can open a DuckDB file for writing, so writers take turns: each holds an
exclusive lock (a file under the data directory's `locks/`, named after the DuckDB file)
while it has the file open, and the next one waits (bounded by WAIT_SECONDS, saying so in
the run's progress) instead of failing.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from app import locks
from app.etl.destinations.sql import SqlDestination
from app.etl.errors import RunCancelled, RunError
from app.etl.types import MAX_DECIMAL128

MEMORY_LIMIT_MB = 64
# Publishing (the reader is done) runs on every core. DuckDB keeps the rows a transaction
# deletes in memory (measured: about 21 bytes each; 9,900,000 rows rewritten by a merge
# need 224 MB): the pool grows by this much per staged row, which an upsert may replace.
REWRITE_BYTES = 24
WAIT_SECONDS = 30 * 60
POLL_SECONDS = 0.5


class WriterLock:
    """An exclusive lock standing for a DuckDB file, waited for within bounds.

    `waiting(text)` is called while another writer holds it; `cancelled()` ends the wait."""

    def __init__(self, path: Path, owner: str, waiting: Callable[[str], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> None:
        digest = hashlib.sha1(str(path.resolve()).encode(), usedforsecurity=False).hexdigest()
        try:
            self.lock = locks.FileLock(locks.folder() / f"duckdb-{digest[:16]}.lock")
        except OSError as exc:
            raise RunError(f"Cannot take the lock of {path.name}: {exc.strerror or exc}") \
                from exc
        deadline = time.monotonic() + WAIT_SECONDS
        said = False
        while not self.lock.acquire(wait=False):
            holder = self.lock.holder() or "another job"
            if cancelled is not None and cancelled():
                self.release()
                raise RunCancelled()
            if time.monotonic() > deadline:
                self.release()
                raise RunError(f"{path.name} stayed busy for {WAIT_SECONDS // 60} minutes "
                               f"({holder} is writing to it); try again later.")
            if waiting is not None and not said:
                waiting(f"Waiting for {path.name}: {holder} is writing to it")
                said = True
            # A wait that can be cancelled and bounded: look again shortly.
            time.sleep(POLL_SECONDS)
        self.lock.note(f"{owner} (pid {os.getpid()})")

    def release(self) -> None:
        self.lock.release()


class DuckDbDestination(SqlDestination):
    dialect = "duckdb"
    default_schema = "main"
    creates_schemas = True

    temp_schema = "main"  # DuckDB keeps a temporary table out of the file and its WAL

    def temp_relation(self, table: str) -> str:
        return f"temp.main.{self.q(table)}"

    def placeholders(self, count: int) -> list[str]:
        return ["?"] * count

    @classmethod
    def open(cls, type_key, params, secrets, handle, owner) -> DuckDbDestination:
        if handle is None:
            return cls(params["path"], owner)
        return cls(params["path"], owner, handle.say, handle.cancel.is_set)

    def __init__(self, path: str | Path, owner: str = "a job",
                 waiting: Callable[[str], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> None:
        import duckdb

        self.path = Path(path).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"Cannot create {self.path.parent}: {exc.strerror or exc}") from exc
        self.lock = WriterLock(self.path, owner, waiting, cancelled)
        self.memory_mb = MEMORY_LIMIT_MB
        self.staged, self.upsert = 0, False  # of the load under way (see finish_inserts)
        try:
            # A bounded buffer pool keeps a large load's memory flat: DuckDB writes row
            # groups of a big transaction to the file (or its temp dir) instead. One thread:
            # the load is one insert stream, and the reader needs the other core.
            self.conn = duckdb.connect(str(self.path), config={
                "memory_limit": f"{MEMORY_LIMIT_MB}MB", "threads": 1})
        except duckdb.Error as exc:
            self.lock.release()
            raise RunError(f"Cannot open the DuckDB file {self.path}: {exc}") from exc

    def execute(self, sql: str, params=None) -> list[tuple]:
        import duckdb

        try:
            return self.conn.execute(sql, params or []).fetchall()
        except duckdb.Error as exc:
            raise RunError(f"DuckDB refused: {str(exc).strip().splitlines()[0]}") from exc

    def changed(self, sql: str, params: list | None = None) -> int:
        return self.execute(sql, params)[0][0]  # DuckDB answers a DML statement with its count

    def begin(self, target, schema, run_id):
        self._tune(1, self.memory_mb)
        self.staged, self.upsert = 0, target.write == "upsert"
        return super().begin(target, schema, run_id)

    def finish_inserts(self) -> None:
        rewrite = (self.staged * REWRITE_BYTES) >> 20 if self.upsert else 0
        self._tune(os.cpu_count() or 1, self.memory_mb + rewrite)

    def _tune(self, threads: int, memory_mb: int) -> None:
        self.execute(f"SET threads = {threads}")
        self.execute(f"SET memory_limit = '{memory_mb}MB'")

    def insert_batch(self, relation: str, batch: pa.RecordBatch) -> None:
        import duckdb

        self._room_for(batch)
        self.staged += batch.num_rows
        try:
            # A relation over the batch, inserted and dropped: DuckDB scans the Arrow memory.
            self.conn.from_arrow(_storable(batch)).insert_into(relation)
        except duckdb.Error as exc:
            raise RunError(f"DuckDB refused the rows: {str(exc).strip().splitlines()[0]}") \
                from exc

    def _room_for(self, batch: pa.RecordBatch) -> None:
        """DuckDB holds a whole value in its buffer pool: make room for the widest one."""
        widest = 0
        for column in batch.columns:
            if pa.types.is_string(column.type) or pa.types.is_binary(column.type) or \
                    pa.types.is_large_string(column.type) or \
                    pa.types.is_large_binary(column.type):
                widest = max(widest, pc.max(pc.binary_length(column)).as_py() or 0)
        needed = MEMORY_LIMIT_MB + 3 * (widest >> 20)
        if needed > self.memory_mb:
            self.memory_mb = needed
            self.execute(f"SET memory_limit = '{needed}MB'")

    def close(self) -> None:
        try:
            self.conn.close()
            self._private()
        finally:
            self.lock.release()

    def _private(self) -> None:
        """The local warehouse holds business data: 0600 like the store (a DuckDB file of
        the user's own, elsewhere, keeps the permissions the user gave it)."""
        from app import paths
        from app.paths import make_private

        if self.path.parent.resolve() == paths.data_dir().resolve():
            make_private(self.path, self.path.with_name(self.path.name + ".wal"))


def _storable(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Decimals wider than DuckDB's 38 digits travel as their exact text (see types.to_sql)."""
    wide = [i for i, f in enumerate(batch.schema)
            if pa.types.is_decimal(f.type) and f.type.precision > MAX_DECIMAL128]
    for i in wide:
        batch = batch.set_column(i, batch.schema.field(i).name, batch.column(i).cast(pa.string()))
    return batch
