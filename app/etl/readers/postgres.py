"""PostgreSQL fast path: COPY (SELECT ...) TO STDOUT as CSV, parsed by Arrow's C++ reader.

The server streams text through a pipe; Arrow converts it with the exact column types
read from the catalogue, so nothing is inferred. Cancelling sends a cancel request to the
backend, which ends the COPY at once.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import pyarrow as pa

from app.etl import types
from app.etl.errors import RunCancelled, RunError
from app.etl.readers import ReadRequest

_COLUMNS = """
select a.attname, format_type(a.atttypid, a.atttypmod)
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped
order by a.attnum
"""


def connect(params: dict, secrets: dict, timeout: int = 10):
    import psycopg2

    try:
        conn = psycopg2.connect(
            host=params["host"], port=params["port"], dbname=params["database"],
            user=params["user"], password=secrets.get("password"),
            sslmode=params.get("sslmode", "prefer"), connect_timeout=timeout,
            application_name="Sluice",
        )
    except psycopg2.OperationalError as exc:
        raise RunError(f"Cannot connect to PostgreSQL at {params['host']}: "
                       f"{str(exc).strip().splitlines()[0]}") from exc
    return conn


class PostgresCopyReader:
    def __init__(self, params: dict, secrets: dict, request: ReadRequest,
                 cancel: threading.Event) -> None:
        from psycopg2 import sql

        self.request, self.cancel = request, cancel
        self.conn = connect(params, secrets)
        schema = request.schema or "public"
        with self.conn.cursor() as cur:
            # One snapshot for the whole read; text forms that Arrow parses exactly.
            cur.execute("set transaction isolation level repeatable read, read only")
            cur.execute("set local timezone = 'UTC'; set local datestyle = 'ISO, YMD'; "
                        "set local bytea_output = 'hex'; set local extra_float_digits = 3; "
                        "set local intervalstyle = 'iso_8601'")
            cur.execute(_COLUMNS, (schema, request.table))
            columns = cur.fetchall()
        if not columns:
            self.close()
            raise RunError(f"Table {schema}.{request.table} does not exist (any more) "
                           f"on {params['host']}/{params['database']}.")
        names = [name for name, _ in columns]
        if request.cursor and request.cursor not in names:
            self.close()
            raise RunError(f"Cursor column {request.cursor!r} is not in table "
                           f"{schema}.{request.table} (columns: {', '.join(names)}).")
        self.schema = pa.schema([(name, types.from_postgres(t)) for name, t in columns])
        self.pg_types = dict(columns)  # exact declared types, for a PostgreSQL destination
        query = sql.SQL("select {} from {}.{}").format(
            sql.SQL(", ").join(sql.Identifier(n) for n in names),
            sql.Identifier(schema), sql.Identifier(request.table))
        if request.cursor and request.since is not None:
            query = sql.SQL("{} where {} >= {}").format(
                query, sql.Identifier(request.cursor), sql.Literal(request.since))
        self.copy = sql.SQL("copy ({}) to stdout with (format csv)").format(query) \
            .as_string(self.conn)
        self.copy_binary = sql.SQL("copy ({}) to stdout with (format binary)").format(query) \
            .as_string(self.conn)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _pump(self, fd: int) -> None:
        try:
            with open(fd, "wb", buffering=1 << 20) as sink, self.conn.cursor() as cur:
                cur.copy_expert(self.copy, sink)
        except BrokenPipeError:
            pass  # the reading side stopped (cancelled or failed) and said why
        except BaseException as exc:  # noqa: BLE001 - re-raised in batches()
            self._error = exc

    def copy_binary_to(self, sink) -> None:
        """Stream the rows in PostgreSQL's binary COPY format into `sink` (a file object)."""
        with self.conn.cursor() as cur:
            cur.copy_expert(self.copy_binary, sink, size=1 << 20)

    def _convert(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """bytea arrives as hex text (\\x...); everything else is parsed to its type."""
        columns = []
        for field, column in zip(self.schema, batch.columns, strict=True):
            if pa.types.is_binary(field.type):
                column = pa.array([None if v is None else bytes.fromhex(v[2:])
                                   for v in column.to_pylist()], pa.binary())
            columns.append(column)
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)

    def batches(self) -> Iterator[pa.RecordBatch]:
        from pyarrow import csv

        read_fd, write_fd = os.pipe()
        self._thread = threading.Thread(target=self._pump, args=(write_fd,), daemon=True,
                                        name="sluice-pg-copy")
        self._thread.start()
        text_types = {f.name: (pa.string() if pa.types.is_binary(f.type) else f.type)
                      for f in self.schema}
        binary = any(pa.types.is_binary(f.type) for f in self.schema)
        try:
            with open(read_fd, "rb", buffering=1 << 20) as source:
                reader = csv.open_csv(
                    source,
                    # One parsing thread: on two cores the other belongs to the writer and
                    # the servers; measured faster, and memory stays lower.
                    read_options=csv.ReadOptions(column_names=self.schema.names,
                                                 use_threads=False, block_size=1 << 20),
                    convert_options=csv.ConvertOptions(
                        column_types=text_types, true_values=["t"], false_values=["f"],
                        # Only an unquoted empty field is NULL in COPY's CSV; "NaN" and
                        # "NULL" are values (Arrow would read them as null by default).
                        null_values=[""], strings_can_be_null=True,
                        quoted_strings_can_be_null=False),
                )
                for batch in reader:
                    if self.cancel.is_set():
                        self.conn.cancel()
                        raise RunCancelled()
                    yield self._convert(batch) if binary else batch
        except pa.ArrowInvalid as exc:
            self._thread.join()
            if self._error is not None:
                raise self._failure() from self._error
            if "Empty CSV file" in str(exc):
                return  # a table without rows
            raise RunError(f"Could not read the COPY output: {exc}") from exc
        except GeneratorExit:
            with contextlib.suppress(Exception):  # the connection may be closed already
                self.conn.cancel()
            raise
        self._thread.join()
        if self._error is not None:
            raise self._failure() from self._error

    def _failure(self) -> RunError:
        if self.cancel.is_set():
            return RunCancelled()
        first = str(self._error).strip().splitlines()[0] if str(self._error) else \
            type(self._error).__name__
        return RunError(f"The source stopped mid-read: {first}")

    def close(self) -> None:
        if self._thread_alive():
            self.conn.cancel()
            self._thread.join(10)
        self.conn.close()

    def _thread_alive(self) -> bool:
        return getattr(self, "_thread", None) is not None and self._thread.is_alive()
