"""MySQL and MariaDB as destinations (DDL commits by itself there: see SqlLoad).

Rows are loaded with LOAD DATA LOCAL INFILE from a temporary file per batch: it is the
server's bulk path, and it takes values larger than max_allowed_packet (16 MB by default),
which an INSERT cannot carry. Where the server refuses local files (MySQL 8 ships with
local_infile off) the load falls back to batched INSERTs. A load holds a named lock on its
table (GET_LOCK), so two jobs writing one table take turns rather than dropping each
other's staging table.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa

from app.connectors import tls
from app.etl.destinations import Target
from app.etl.destinations.sql import SqlDestination
from app.etl.errors import RunError
from app.etl.pipeline import rows_of
from app.etl.types import Fit, as_text_only, duration_text

LOCK_WAIT_SECONDS = 30 * 60
LOCAL_FILES_OFF = (1148, 3948, 2068)  # "not allowed" / "disabled" / "refused by client"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def _value(v):
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC).replace(tzinfo=None)  # DATETIME holds UTC
    return v


def _field(v) -> bytes:
    """One value in LOAD DATA's tab-separated form (ESCAPED BY '\\\\', NULL as \\N)."""
    if v is None:
        return b"\\N"
    if isinstance(v, bytes):
        return (v.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")
                .replace(b"\r", b"\\r").replace(b"\0", b"\\0"))
    if isinstance(v, bool):
        return b"1" if v else b"0"
    if isinstance(v, datetime):
        v = _value(v).isoformat(sep=" ")
    elif isinstance(v, date):
        v = v.isoformat()
    elif isinstance(v, timedelta):
        v = duration_text(v)
    elif isinstance(v, float):
        v = repr(v)
    elif isinstance(v, Decimal | int):
        v = str(v)
    elif not isinstance(v, str):
        v = str(v)  # a time of day
    return v.translate(_ESCAPES).encode()


class MySqlDestination(SqlDestination):
    dialect = "mysql"
    transactional_ddl = False
    type_column = "column_type"

    def fit(self) -> Fit:
        """Lists and JSON as JSON text, UUIDs and intervals as text; DATETIME and DATE
        hold years 1 to 9999."""
        return Fit(as_text_only, first_last=True)

    def __init__(self, params: dict, secrets: dict) -> None:
        import pymysql

        self.default_schema = params["database"]
        self.local_files = True
        self._loaded: dict[str, int] = {}  # rows loaded so far, by staging table
        try:
            self.conn = tls.connect(
                params, host=params["host"], port=int(params["port"]), user=params["user"],
                password=secrets.get("password", ""), database=params["database"],
                charset="utf8mb4", autocommit=True, connect_timeout=10, local_infile=True)
        except tls.Refused as exc:
            raise RunError(str(exc)) from exc
        except pymysql.err.OperationalError as exc:
            raise RunError(f"Cannot connect to {params['host']}: {exc.args[-1]}") from exc
        self.execute("SET time_zone = '+00:00'")

    def q(self, name: str) -> str:
        """A quoted identifier, with `%` doubled: every statement goes through PyMySQL's
        %-formatting (see execute), so a `%` in a name reaches the server as itself."""
        if any(ord(c) > 0xFFFF for c in name):
            raise RunError(f"MySQL and MariaDB cannot name anything {name!r}: their names hold "
                           "no 4-byte characters such as emoji. Give the table another "
                           "destination name, or leave the column out.")
        return super().q(name).replace("%", "%%")

    def same(self, left: str, right: str, declared: str) -> str:
        return f"{left} <=> {right}"

    prunes_stage = True

    def prune(self, stage, target, held, columns, keys) -> None:
        """MariaDB joins without an index pair by pair: index the staging table on the key
        (or the cursor and the next two columns; text by its first 32 characters), and
        delete the staged rows the target holds through it. The staging table then holds
        the rows to write, so nothing more is compared."""
        lead = [c for c, _ in columns if c in keys] or [c for c, _ in columns[:3]]
        declared = dict(columns)
        parts = ", ".join(f"{self.q(c)}(32)" if _long_text(declared[c]) else self.q(c)
                          for c in lead)
        self.execute(f"ALTER TABLE {stage} ADD INDEX ({parts})")
        self.execute(f"DELETE s FROM {stage} s JOIN {target} t ON {held('t', 's')}")

    def execute(self, sql: str, params=None) -> list[tuple]:
        return self._run(sql, params,
                         lambda cur: list(cur.fetchall()) if cur.description else [])

    def changed(self, sql: str, params: list | None = None) -> int:
        return self._run(sql, params, lambda cur: cur.rowcount)

    def _run(self, sql: str, params, result: Callable):
        import pymysql

        try:
            with self.conn.cursor() as cur:
                cur.execute(sql, params if params is not None else ())
                return result(cur)
        except pymysql.err.MySQLError as exc:
            raise RunError(f"The server refused: {exc.args[-1]}") from exc

    # --- one writer per table ------------------------------------------------------------

    @staticmethod
    def _lock_name(schema: str | None, table: str) -> str:
        digest = hashlib.sha1(f"{schema}.{table}".encode(), usedforsecurity=False).hexdigest()
        return f"sluice_{digest}"  # named locks are at most 64 characters

    def claim(self, target: Target) -> None:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        name = self._lock_name(target.schema, target.table)
        # GET_LOCK waits on the server; two seconds at a time keeps the wait bounded.
        while self.execute("SELECT GET_LOCK(%s, 2)", [name])[0][0] != 1:
            if time.monotonic() > deadline:
                raise RunError(f"Table {target.table} stayed busy for "
                               f"{LOCK_WAIT_SECONDS // 60} minutes (another job is loading "
                               "it); try again later.")

    def release(self, target: Target) -> None:
        with contextlib.suppress(RunError):
            self.execute("SELECT RELEASE_LOCK(%s)", [self._lock_name(target.schema,
                                                                     target.table)])

    # --- rows ----------------------------------------------------------------------------

    def insert_batch(self, relation: str, batch: pa.RecordBatch) -> None:
        if self.local_files:
            try:
                self._load_file(relation, batch)
                return
            except _LocalFilesOff:
                self.local_files = False
        self._insert(relation, batch)

    def _load_file(self, relation: str, batch: pa.RecordBatch) -> None:
        import pymysql

        cols = ", ".join(self.q(n) for n in batch.schema.names)
        handle, path = tempfile.mkstemp(prefix="sluice-load-", suffix=".tsv")
        try:
            with os.fdopen(handle, "wb", buffering=1 << 20) as out:
                for row in rows_of(batch):
                    out.write(b"\t".join(_field(v) for v in row) + b"\n")
            with self.conn.cursor() as cur:
                # CHARACTER SET binary: the file's bytes are stored as they are (text is
                # UTF-8 already; binary columns get their bytes).
                cur.execute(f"LOAD DATA LOCAL INFILE %s INTO TABLE {relation} "
                            "CHARACTER SET binary FIELDS TERMINATED BY '\\t' "
                            "ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
                            f"({cols})", [path])
                loaded, warned = cur.rowcount, cur.warning_count
                # LOCAL turns data errors into warnings (the server cannot stop the client
                # mid-file): any warning fails the load rather than keep a changed value.
                if warned:
                    cur.execute("SHOW WARNINGS LIMIT 3")
                    done = self._loaded.get(relation, 0)
                    # "at row 3" of this batch, as a row of the table being loaded.
                    said = "; ".join(re.sub(r"at row (\d+)",
                                            lambda m: f"at row {done + int(m.group(1)):,}",
                                            str(w[2])) for w in cur.fetchall())
                    raise RunError(f"The server refused values while loading: {said}")
                self._loaded[relation] = self._loaded.get(relation, 0) + batch.num_rows
                if loaded != batch.num_rows:
                    raise RunError(f"The server took {loaded:,} of {batch.num_rows:,} "
                                   "rows of a batch.")
        except OSError as exc:
            raise RunError(f"Cannot write a temporary file for the load: "
                           f"{exc.strerror or exc}") from exc
        except pymysql.err.MySQLError as exc:
            if exc.args and exc.args[0] in LOCAL_FILES_OFF:
                raise _LocalFilesOff() from exc
            raise RunError(f"The server refused the rows: {exc.args[-1]}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def _insert(self, relation: str, batch: pa.RecordBatch) -> None:
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

    def interrupt(self) -> None:
        from app.etl.watchdog import break_socket

        sock = getattr(self.conn, "_sock", None)
        if sock is not None:
            break_socket(sock.fileno())

    def close(self) -> None:
        self.conn.close()


class _LocalFilesOff(Exception):
    """The server (or its configuration) refuses LOAD DATA LOCAL."""


def _long_text(declared: str) -> bool:
    """Whether an index on the column must take a prefix (of 32 characters)."""
    sized = re.search(r"(char|binary)\((\d+)\)", declared, re.I)
    return bool(re.search(r"text|blob", declared, re.I)) or \
        (sized is not None and int(sized.group(2)) > 32)
