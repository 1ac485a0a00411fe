"""MySQL and MariaDB as destinations (DDL commits by itself there: see SqlLoad)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from app.etl.destinations.sql import SqlDestination, rows_of
from app.etl.errors import RunError


def _value(v):
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC).replace(tzinfo=None)  # DATETIME holds UTC
    return v


class MySqlDestination(SqlDestination):
    dialect = "mysql"
    transactional_ddl = False
    type_column = "column_type"

    def __init__(self, params: dict, secrets: dict) -> None:
        import pymysql

        self.default_schema = params["database"]
        try:
            self.conn = pymysql.connect(
                host=params["host"], port=params["port"], user=params["user"],
                password=secrets.get("password", ""), database=params["database"],
                charset="utf8mb4", autocommit=True, connect_timeout=10)
        except pymysql.err.OperationalError as exc:
            raise RunError(f"Cannot connect to {params['host']}: {exc.args[-1]}") from exc
        self.execute("SET time_zone = '+00:00'")

    def execute(self, sql: str, params=None) -> list[tuple]:
        import pymysql

        try:
            with self.conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description else []
        except pymysql.err.MySQLError as exc:
            raise RunError(f"The server refused: {exc.args[-1]}") from exc

    def insert_batch(self, relation: str, batch: pa.RecordBatch) -> None:
        import pymysql

        cols = ", ".join(self.q(n) for n in batch.schema.names)
        marks = ", ".join(["%s"] * batch.num_columns)
        rows = [tuple(_value(v) for v in row) for row in rows_of(batch)]
        try:
            with self.conn.cursor() as cur:
                cur.executemany(f"INSERT INTO {relation} ({cols}) VALUES ({marks})", rows)
        except pymysql.err.MySQLError as exc:
            raise RunError(f"The server refused the rows: {exc.args[-1]}") from exc

    def swap_in(self, schema: str | None, stage: str, table: str, exists: bool) -> None:
        """RENAME TABLE of several pairs is atomic: readers see the old or the new table."""
        target, staged = self.qualified(schema, table), self.qualified(schema, stage)
        if not exists:
            self.execute(f"RENAME TABLE {staged} TO {target}")
            return
        old = self.qualified(schema, stage + "_old")
        self.execute(f"RENAME TABLE {target} TO {old}, {staged} TO {target}")
        self.execute(f"DROP TABLE {old}")

    def close(self) -> None:
        self.conn.close()
