"""PostgreSQL as a destination: binary COPY through ADBC, everything in one transaction.

Measured (bench/etl.py): ADBC's binary COPY ingest loads Arrow about 2.5x faster than
COPY of CSV text, which the server must parse. Reading stays on the CSV fast path
(app.etl.readers.postgres), which is both faster and exact for numeric columns.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
from collections.abc import Callable
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

import pyarrow as pa

from app.connectors import tls
from app.connectors.base import url_host
from app.etl.destinations.sql import SqlDestination
from app.etl.errors import RunError
from app.etl.types import Fit


def _message(exc: Exception) -> str:
    """The server's own words, without the driver's prefixes."""
    text = str(exc)
    match = re.search(r"ERROR:\s+(.*)", text)
    return (match.group(1) if match else text).strip().splitlines()[0]


CATALOGUE_COLUMNS = (
    "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
    "join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace "
    "where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped "
    "order by a.attnum")


# Types without an equality operator: two values are compared by their text.
NO_EQUALITY = frozenset({"json", "xml", "point", "line", "lseg", "box", "path", "polygon",
                         "circle"})


class PgEquality:
    """How PostgreSQL tells rows apart quickly: IS NOT DISTINCT FROM cannot drive a hash
    join (a million staged rows against a million would be compared pair by pair), so the
    key's `=`, or without a key an equality of the rows' md5, leads, and the exact
    comparison follows it."""

    def same(self, left: str, right: str, declared: str) -> str:
        """Equal, NULLs included; a type without `=` (json, point ...) by its text."""
        if declared.split("(")[0].replace("[]", "").strip() in NO_EQUALITY:
            left, right = f"{left}::text", f"{right}::text"
        return f"{left} IS NOT DISTINCT FROM {right}"

    def rows_equal(self, left: str, right: str, columns: list[tuple[str, str]],
                   keys: list[str]) -> str:
        exact = SqlDestination.rows_equal(self, left, right, columns, keys)
        if keys:
            return exact

        def digest(row: str) -> str:
            return "md5(row({})::text)".format(", ".join(f"{row}.{self.q(c)}"
                                                          for c, _ in columns))
        return f"{digest(left)} = {digest(right)} AND {exact}"


def adbc_uri(params: dict, secrets: dict) -> str:
    user = url_quote(params["user"], safe="")
    password = secrets.get("password")
    auth = f"{user}:{url_quote(password, safe='')}" if password else user
    query = urlencode({**tls.postgres_options(params),
                       "application_name": "Sluice", "connect_timeout": 10,
                       # A peer that vanished (network gone, machine off) is noticed.
                       "keepalives": 1, "keepalives_idle": 60, "keepalives_interval": 10,
                       "keepalives_count": 6})
    host = str(params["host"])
    if host.startswith("/"):  # the folder of a Unix socket goes in the query (libpq)
        return (f"postgresql://{auth}@/{url_quote(params['database'], safe='')}?{query}&"
                f"{urlencode({'host': host, 'port': params['port']})}")
    return (f"postgresql://{auth}@{url_host(host)}:{params['port']}/"
            f"{url_quote(params['database'], safe='')}?{query}")


def _refuse_nul(batch: pa.RecordBatch, before: int) -> None:
    """PostgreSQL text cannot hold a NUL character (0x00); name the first one's column and
    row instead of the server's "invalid byte sequence" for the whole COPY."""
    import pyarrow.compute as pc

    for field, column in zip(batch.schema, batch.columns, strict=True):
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            continue
        found = pc.match_substring(column, "\x00")
        if pc.any(found).as_py():
            row = before + pc.index(found, True).as_py() + 1
            raise RunError(f"{field.name}, row {row:,}: text with a NUL character (\\0) "
                           "cannot be stored in PostgreSQL; leave the column out, or clean "
                           "it at the source.")


class IngestStream:
    """One binary COPY for a whole load: ADBC reads the batches as they are put.

    Measured: a single COPY stream of 2,000,000 rows takes 2.8 s where one COPY per
    64k-row batch took 3.6 s (each COPY starts with catalogue queries).
    """

    _END, _ABORT = object(), object()

    def __init__(self, conn, schema: str, table: str, arrow_schema: pa.Schema) -> None:
        import adbc_driver_postgresql.dbapi as adbc

        self.slots: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None

        def batches():
            while (item := self.slots.get()) is not self._END:
                if item is self._ABORT:
                    raise RunError("load abandoned")
                yield item

        reader = pa.RecordBatchReader.from_batches(arrow_schema, batches())

        def run() -> None:
            try:
                with conn.cursor() as cur:
                    cur.adbc_ingest(table, reader, mode="append", db_schema_name=schema)
            except adbc.Error as exc:
                self.error = RunError(f"PostgreSQL refused the rows: {_message(exc)}")
            except BaseException as exc:  # noqa: BLE001 - raised by put() or finish()
                self.error = exc

        self.thread = threading.Thread(target=run, name="sluice-pg-ingest", daemon=True)
        self.thread.start()

    def put(self, batch: pa.RecordBatch) -> None:
        while True:
            try:
                self.slots.put(batch, timeout=0.5)
                return
            except queue.Full:
                if not self.thread.is_alive():  # the COPY failed; say why
                    raise self.error or RunError("PostgreSQL stopped taking rows") from None

    def finish(self) -> None:
        if self.thread.is_alive():
            self.put(self._END)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        with contextlib.suppress(queue.Full):
            self.slots.put(self._ABORT, timeout=1)
        self.thread.join(10)


class PostgresDestination(PgEquality, SqlDestination):
    dialect = "postgresql"
    default_schema = "public"
    creates_schemas = True
    write_rows = 0  # one COPY stream takes batches of any size: no coalescing copy

    def __init__(self, params: dict, secrets: dict) -> None:
        import adbc_driver_postgresql.dbapi as adbc

        self.params, self.secrets = params, secrets
        self._stream: IngestStream | None = None
        self._rows: dict[str, int] = {}  # rows given so far, by staging table
        try:
            self.conn = adbc.connect(adbc_uri(params, secrets))
        except adbc.Error as exc:
            raise RunError(f"Cannot connect to PostgreSQL at {params['host']}: "
                           f"{_message(exc)}") from exc
        self.execute("set timezone = 'UTC'")
        self.conn.commit()

    def placeholders(self, count: int) -> list[str]:
        return [f"${i}" for i in range(1, count + 1)]

    def fit(self) -> Fit:
        """PostgreSQL holds every type and year; infinity reaches it only from another
        PostgreSQL, through the pipe (ADBC would not write Arrow's infinity as its own)."""
        return Fit(infinity=False)

    def execute(self, sql: str, params=None) -> list[tuple]:
        return self._run(sql, params, lambda cur: cur.fetchall() if cur.description else [])

    def changed(self, sql: str, params: list | None = None) -> int:
        return self._run(sql, params, lambda cur: cur.rowcount)

    def _run(self, sql: str, params, result: Callable):
        import adbc_driver_postgresql.dbapi as adbc

        try:
            with self.conn.cursor() as cur:
                cur.execute(sql, params)
                return result(cur)
        except adbc.Error as exc:
            raise RunError(f"PostgreSQL refused: {_message(exc)}") from exc

    def begin_tx(self) -> None:
        pass  # ADBC connections are not in autocommit: a transaction is always open

    def columns(self, schema: str | None, table: str) -> dict[str, str] | None:
        rows = self.execute(CATALOGUE_COLUMNS, [schema or self.default_schema, table])
        return dict(rows) if rows else None

    def pipe_params(self) -> tuple[dict, dict]:
        """Where a PostgreSQL source may COPY straight into (see app.etl.pg_pipe)."""
        return self.params, self.secrets

    def insert_batch(self, relation: str, batch: pa.RecordBatch) -> None:
        _refuse_nul(batch, self._rows.get(relation, 0))
        self._rows[relation] = self._rows.get(relation, 0) + batch.num_rows
        if self._stream is None:
            schema, table = self._split(relation)
            self._stream = IngestStream(self.conn, schema, table, batch.schema)
        self._stream.put(batch)

    def finish_inserts(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.finish()

    def abort_inserts(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()

    def _split(self, relation: str) -> tuple[str, str]:
        """Back from a quoted "schema"."table" to its two names (ADBC quotes them itself)."""
        match = re.fullmatch(r'"((?:[^"]|"")*)"\."((?:[^"]|"")*)"', relation)
        if not match:
            raise RunError(f"Unexpected relation {relation}")
        return match.group(1).replace('""', '"'), match.group(2).replace('""', '"')

    def close(self) -> None:
        self.conn.close()
