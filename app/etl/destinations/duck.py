"""DuckDB files as destinations, the local warehouse among them (Arrow scans, one transaction).

Only one process can open a DuckDB file for writing, so writers take turns: each holds an
exclusive lock (a file under the data directory's `locks/`, named after the DuckDB file)
while it has the file open, and the next one waits (bounded by WAIT_SECONDS, saying so in
the run's progress) instead of failing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from app import locks
from app.etl.destinations import STAGE_PREFIX
from app.etl.destinations.sql import SqlDestination
from app.etl.errors import RunCancelled, RunError
from app.etl.types import MAX_DECIMAL128

MEMORY_LIMIT_MB = 64
# DuckDB keeps the rows a transaction deletes or updates in memory until it ends
# (measured: about 21 bytes each; 9,900,000 rows deleted needed a 224 MB pool), and its
# joins over a whole table of an upsert need room of their own: an anti join of two
# million staged rows with the two million of the table runs in the usual 64 MB; ten
# million with ten million failed in 190 MB and ran in 250 MB.
CHANGE_BYTES = 24
JOIN_BYTES = 24
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
        self.threads, self.pool_mb = 1, MEMORY_LIMIT_MB
        self.held_mb = 0  # by the rows the transaction under way changed
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

    # DuckDB runs a correlated [NOT] EXISTS as a mark join, which does not spill (on ten
    # million rows it ran out of a 290 MB pool); semi and anti joins do. The keys of the
    # rows to change are found first, so that the pool can grow by what they will hold.
    def delete_rows(self, target, keys, stage, on, having) -> int:
        with self._affected(target, keys, stage, on, having) as (where, count):
            return self.changed(f"DELETE FROM {target} WHERE {where}") if count else 0

    def mark_rows(self, target, keys, stage, on, column, at) -> int:
        with self._affected(target, keys, stage, on, False) as (where, count):
            return self.changed(f"UPDATE {target} SET {self.q(column)} = ? WHERE "
                                f"{self.q(column)} IS NULL AND {where}", [at]) if count else 0

    @contextlib.contextmanager
    def _affected(self, target, keys, stage, on, having):
        """(SQL that a target row is one of the rows found, how many were found)."""
        found = f"temp.main.{self.q(STAGE_PREFIX + 'keys')}"
        row = ", ".join(f"{target}.{self.q(k)}" for k in keys)
        self._join_room(target)
        self.execute(f"CREATE TEMPORARY TABLE {found} AS SELECT "
                     + ", ".join(f"t2.{self.q(k)}" for k in keys) + f" FROM {target} t2 "
                     f"{'SEMI' if having else 'ANTI'} JOIN {stage} s ON {on('t2')}")
        (count,) = self.execute(f"SELECT count(*) FROM {found}")[0]
        self.held_mb += (count * CHANGE_BYTES) >> 20
        self._join_room(target)
        # (A failure aborts the transaction: its rollback drops the table of keys.)
        yield f"({row}) IN (SELECT * FROM {found})", count
        self.execute(f"DROP TABLE {found}")

    def _join_room(self, table: str) -> None:
        """Size the pool for a join over `table` beside what the transaction holds. It
        only grows until the transaction ends: DuckDB refuses to shrink below what it
        holds (the next load starts over, see begin)."""
        (rows,) = self.execute(f"SELECT count(*) FROM {table}")[0]
        pool = self.held_mb + max(self.memory_mb, (rows * JOIN_BYTES) >> 20)
        if pool > self.pool_mb:
            self._tune(self.threads, pool)

    def holds_all(self, stage, target, columns, cursor) -> bool:
        """The staged rows, and the target's from the lowest staged cursor on, are the
        same multiset by count and by the sum and the xor of each row's 64-bit hash: then
        nothing new was read (a run with no change), told without the join that compares
        them row by row (0.4 s for 2,000,000 rows against 2,000,000). Two different sets
        of rows agreeing on all three would be taken as equal: a chance of the order of
        2^-64 per run, where the join would be exact."""
        q = self.q
        (low,) = self.execute(f"SELECT min({q(cursor)}) FROM {stage}")[0]
        if low is None:
            return False

        def fingerprint(relation: str, where: str, params: list) -> tuple:
            row = "hash(" + ", ".join(f"r.{q(c)}" for c in columns) + ")"
            return self.execute(f"SELECT count(*), sum({row}::HUGEINT), bit_xor({row}) "
                                f"FROM {relation} r{where}", params)[0]

        staged = fingerprint(stage, "", [])
        return staged[0] > 0 and staged == fingerprint(target, f" WHERE r.{q(cursor)} >= ?",
                                                       [low])

    def fresh_rows(self, stage, target, columns, held) -> str:
        self._join_room(target)
        cols = ", ".join(f"s.{self.q(c)}" for c in columns)
        return f"SELECT {cols} FROM {stage} s ANTI JOIN {target} t ON {held('t', 's')}"

    def changed(self, sql: str, params: list | None = None) -> int:
        return self.execute(sql, params)[0][0]  # DuckDB answers a DML statement with its count

    def begin(self, target, schema, run_id):
        self.held_mb = 0
        self._tune(1, self.memory_mb)
        return super().begin(target, schema, run_id)

    def finish_inserts(self) -> None:
        """Publishing (the reader is done) runs on every core."""
        self._tune(os.cpu_count() or 1, self.pool_mb)

    def _tune(self, threads: int, memory_mb: int) -> None:
        self.threads, self.pool_mb = threads, memory_mb
        self.execute(f"SET threads = {threads}")
        self.execute(f"SET memory_limit = '{memory_mb}MB'")

    def insert_batch(self, relation: str, batch: pa.RecordBatch) -> None:
        import duckdb

        self._room_for(batch)
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
            self.pool_mb += needed - self.memory_mb
            self.memory_mb = needed
            self._tune(self.threads, self.pool_mb)

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
    for i in wide:  # in positional notation (Arrow's cast writes -1E-10)
        text = pa.array([None if v is None else f"{v:f}" for v in batch.column(i).to_pylist()],
                        pa.string())
        batch = batch.set_column(i, batch.schema.field(i).name, text)
    return batch
