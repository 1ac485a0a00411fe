"""Snowflake as a source: a table (or a custom query, read as a derived table) in Arrow,
straight from the connector's `fetch_arrow_batches` (result chunks as Snowflake returns
them, the next one downloaded as the last is used up), each batch cast to one column plan.

The plan comes from describing the SELECT (the connector's describe-only request: nothing
runs, so saving a job with a query checks it without reading it): NUMBER with scale 0 →
64-bit integer (a value past it makes the table be read again with those columns as
decimal(38, 0)), NUMBER(p, s) → decimal(p, s), FLOAT → double, TEXT → text, BOOLEAN,
DATE, TIME → time (µs), TIMESTAMP_NTZ → time without zone, TIMESTAMP_LTZ/TZ → UTC time
(both to the microsecond: Snowflake's nanoseconds are cut), BINARY → binary, VARIANT,
OBJECT, ARRAY, GEOGRAPHY, GEOMETRY → text (JSON for the semi-structured ones).

Incremental: `WHERE cursor >= mark` (and, after the first run, `OR cursor IS NULL`, read to
be counted), as for the other SQL sources.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc

from app.etl.errors import RunCancelled, RunError
from app.etl.readers import BaseReader, ReadAgain, ReadRequest, check_columns
from app.etl.readers.documents import UNFIT

# The connector's type codes (snowflake.connector.constants.FIELD_TYPES).
FIXED, REAL, TEXT, DATE, TIMESTAMP, VARIANT, TIMESTAMP_LTZ, TIMESTAMP_TZ, TIMESTAMP_NTZ, \
    OBJECT, ARRAY, BINARY, TIME, BOOLEAN = range(14)


def arrow_type(column, safe: bool = False) -> pa.DataType:
    """The column type for a result column the connector describes."""
    code = column.type_code
    if code == FIXED:
        if column.scale:
            return pa.decimal128(min(column.precision or 38, 38), column.scale)
        return pa.decimal128(38, 0) if safe else pa.int64()
    return {REAL: pa.float64(), DATE: pa.date32(), TIME: pa.time64("us"),
            TIMESTAMP_NTZ: pa.timestamp("us"), TIMESTAMP: pa.timestamp("us"),
            TIMESTAMP_LTZ: pa.timestamp("us", tz="UTC"),
            TIMESTAMP_TZ: pa.timestamp("us", tz="UTC"), BINARY: pa.binary(),
            BOOLEAN: pa.bool_()}.get(code, pa.string())


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SnowflakeReader(BaseReader):
    def __init__(self, params: dict, secrets: dict, request: ReadRequest,
                 cancel: threading.Event) -> None:
        from snowflake.connector.errors import Error

        from app.connectors.drivers import snowflake_connect

        super().__init__()
        self.request, self.cancel = request, cancel
        schema = request.schema or params.get("schema") or "PUBLIC"
        if request.query:
            self.source = f"({request.query.strip().rstrip(';')}) as {quote('query')}"
            self.where = f"query {request.table}"
        else:
            self.source = ".".join(quote(p) for p in (params["database"], schema,
                                                      request.table))
            self.where = f"table {schema}.{request.table}"
        try:
            self.conn = snowflake_connect(params, secrets, 60)
        except Error as exc:
            raise RunError(f"Snowflake refused the connection: {exc}") from exc
        try:
            described = self.conn.cursor().describe(f"select * from {self.source}")
        except Error as exc:
            self.conn.close()
            raise RunError(f"Snowflake: {self.where}: {exc.msg or exc}") from exc
        types = {c.name: arrow_type(c, request.safe) for c in described}
        kept = check_columns(request, [c.name for c in described], self.where)
        self.schema = pa.schema([pa.field(n, types[n]) for n in kept])
        self.cursor = None

    def _select(self) -> tuple[str, tuple]:
        r = self.request
        sql = f"select {', '.join(quote(n) for n in self.schema.names)} from {self.source}"
        if r.cursor and r.since is not None:
            sql += f" where {quote(r.cursor)} >= %s"
            if r.with_nulls:
                sql += f" or {quote(r.cursor)} is null"
            return sql, (r.since,)
        return sql, ()

    def batches(self) -> Iterator[pa.RecordBatch]:
        from snowflake.connector.errors import Error

        sql, params = self._select()
        try:
            self.cursor = self.conn.cursor()
            self.cursor.execute(sql, params or None)
            for table in self.cursor.fetch_arrow_batches():
                if self.cancel.is_set():
                    raise RunCancelled()
                yield from self._cast(table).to_batches(self.request.batch_rows)
        except Error as exc:
            if self.cancel.is_set():
                raise RunCancelled() from exc
            raise RunError(f"Snowflake stopped mid-read: {exc.msg or exc}") from exc

    def _cast(self, table: pa.Table) -> pa.Table:
        columns = []
        for field in self.schema:
            column = table.column(field.name)
            if pa.types.is_timestamp(field.type) and column.type.tz is None \
                    and field.type.tz is not None:
                column = pc.assume_timezone(column, "UTC")
            try:
                columns.append(column.cast(field.type, safe=not pa.types.is_temporal(
                    field.type)))
            except UNFIT as exc:
                if self.request.safe:
                    raise RunError(f"{self.where}: column {field.name} ({column.type}) cannot "
                                   f"be read as {field.type}: {exc}") from exc
                raise ReadAgain(f"{self.request.table}: a number did not fit a 64-bit "
                                f"integer ({exc}); read again with whole numbers as "
                                "decimal(38, 0).", replace(self.request, safe=True)) from exc
        return pa.Table.from_arrays(columns, schema=self.schema)

    def interrupt(self) -> None:
        if self.cursor is not None and self.cursor.sfqid:
            # If it cannot, the watchdog goes on to ask the run to stop.
            with contextlib.suppress(Exception):
                self.cursor.abort_query(self.cursor.sfqid)

    def close(self) -> None:
        self.conn.close()


def open_snowflake_reader(type_key: str, params: dict, secrets: dict, request: ReadRequest,
                          cancel: threading.Event) -> SnowflakeReader:
    return SnowflakeReader(params, secrets, request, cancel)
