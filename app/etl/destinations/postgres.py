"""PostgreSQL as a destination: COPY FROM STDIN (CSV written by Arrow), one transaction."""

from __future__ import annotations

import io

import pyarrow as pa

from app.etl.destinations.sql import SqlDestination
from app.etl.errors import RunError
from app.etl.readers.postgres import connect


def _hex(column: pa.Array) -> pa.Array:
    return pa.array([None if v is None else "\\x" + v.hex() for v in column.to_pylist()],
                    pa.string())


COPY_CHUNK = 1 << 20  # bytes handed to libpq per call (psycopg2's default is 8 KiB)


class PostgresDestination(SqlDestination):
    dialect = "postgresql"
    default_schema = "public"
    freeze = True

    def __init__(self, params: dict, secrets: dict) -> None:
        self.params = params
        self.conn = connect(params, secrets)
        with self.conn.cursor() as cur:
            cur.execute("set timezone = 'UTC'")
        self.conn.commit()

    def execute(self, sql: str, params=None) -> list[tuple]:
        import psycopg2

        try:
            with self.conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else []
        except psycopg2.Error as exc:
            raise RunError(f"PostgreSQL refused: {str(exc).strip().splitlines()[0]}") from exc

    def begin_tx(self) -> None:
        pass  # psycopg2 opens a transaction with the first statement

    def commit_tx(self) -> None:
        self.conn.commit()

    def rollback_tx(self) -> None:
        self.conn.rollback()

    def columns(self, schema: str | None, table: str) -> dict[str, str] | None:
        rows = self.execute(
            "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
            "join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped "
            "order by a.attnum", [schema or self.default_schema, table])
        return dict(rows) if rows else None

    def table_names(self, schema: str | None) -> list[str]:
        return [r[0] for r in self.execute(
            "select tablename from pg_tables where schemaname = %s",
            [schema or self.default_schema])]

    def insert_batch(self, relation: str, batch: pa.RecordBatch) -> None:
        import psycopg2
        from pyarrow import csv

        columns = [_hex(c) if pa.types.is_binary(c.type) else c for c in batch.columns]
        names = batch.schema.names
        table = pa.Table.from_arrays(columns, names=names)
        buffer = io.BytesIO()
        csv.write_csv(table, buffer, csv.WriteOptions(include_header=False,
                                                      quoting_style="needed"))
        buffer.seek(0)
        cols = ", ".join(self.q(n) for n in names)
        try:
            with self.conn.cursor() as cur:
                # The staging table was created in this transaction, so FREEZE may skip
                # the hint-bit rewrite that would otherwise follow the load.
                cur.copy_expert(f"COPY {relation} ({cols}) FROM STDIN WITH (FORMAT csv, "
                                f"FREEZE {'true' if self.freeze else 'false'})", buffer,
                                size=COPY_CHUNK)
        except psycopg2.Error as exc:
            raise RunError(f"PostgreSQL refused the rows: {str(exc).strip().splitlines()[0]}") \
                from exc

    def begin(self, target, schema, run_id):
        if target.schema and target.schema != self.default_schema:
            self.execute(f"CREATE SCHEMA IF NOT EXISTS {self.q(target.schema)}")
        return super().begin(target, schema, run_id)

    def close(self) -> None:
        self.conn.close()
