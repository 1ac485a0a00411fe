"""SQLite files as destinations: everything in one transaction."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from app.etl.destinations.sql import SqlDestination
from app.etl.errors import RunError
from app.etl.pipeline import rows_of
from app.etl.types import Fit, as_text_only, duration_text


def _value(v):
    if isinstance(v, Decimal):
        return str(v)  # exact; SQLite would round it through a float
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, timedelta):
        return duration_text(v)
    return v


class SqliteDestination(SqlDestination):
    dialect = "sqlite"
    default_schema = None

    def fit(self) -> Fit:
        return Fit(as_text_only, first_last=True)  # all text; ISO 8601 holds years 1-9999

    def placeholders(self, count: int) -> list[str]:
        return ["?"] * count

    @classmethod
    def open(cls, type_key, params, secrets, handle, owner) -> SqliteDestination:
        return cls(params["path"])

    def __init__(self, path: str) -> None:
        self.path = Path(path).expanduser()
        try:
            # The pipeline writes from its own thread; one thread at a time uses it.
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30,
                                        check_same_thread=False)
        except sqlite3.Error as exc:
            raise RunError(f"Cannot open SQLite file {self.path}: {exc}") from exc

    def execute(self, sql: str, params=None) -> list[tuple]:
        return self._run(sql, params).fetchall()

    def changed(self, sql: str, params: list | None = None) -> int:
        return self._run(sql, params).rowcount

    def _run(self, sql: str, params) -> sqlite3.Cursor:
        try:
            # Values are stored as the loads store them (text for times and decimals).
            return self.conn.execute(sql, [_value(v) for v in params or []])
        except sqlite3.Error as exc:
            raise RunError(f"SQLite refused: {exc}") from exc

    def same(self, left: str, right: str, declared: str) -> str:
        return f"{left} IS {right}"

    def begin_tx(self) -> None:
        self.execute("BEGIN IMMEDIATE")

    def commit_tx(self) -> None:
        self.execute("COMMIT")

    def rollback_tx(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def columns(self, schema: str | None, table: str) -> dict[str, str] | None:
        rows = self.execute(f"PRAGMA table_info({self.q(table)})")
        return {r[1]: r[2] for r in rows} if rows else None

    def table_names(self, schema: str | None) -> list[str]:
        return [r[0] for r in self.execute("select name from sqlite_master where type='table'")]

    def insert_batch(self, relation: str, batch: pa.RecordBatch) -> None:
        cols = ", ".join(self.q(n) for n in batch.schema.names)
        marks = ", ".join(["?"] * batch.num_columns)
        try:
            self.conn.executemany(f"INSERT INTO {relation} ({cols}) VALUES ({marks})",
                                  (tuple(_value(v) for v in row) for row in rows_of(batch)))
        except sqlite3.Error as exc:
            raise RunError(f"SQLite refused the rows: {exc}") from exc

    def close(self) -> None:
        self.conn.close()
