"""Readers: stream a source table as Arrow record batches.

`open_reader` picks the reader for a connection type: a COPY-based fast path for
PostgreSQL, DuckDB's own Arrow export, file readers, and SQLAlchemy (server-side
cursors) for every other SQL source.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

BATCH_ROWS = 65_536


@dataclass
class ReadRequest:
    table: str
    schema: str | None = None
    cursor: str | None = None  # incremental: read rows whose cursor >= `since`
    since: Any = None
    batch_rows: int = BATCH_ROWS


class Reader(Protocol):
    schema: pa.Schema  # known once opened

    def batches(self) -> Iterator[pa.RecordBatch]: ...
    def close(self) -> None: ...


def open_reader(type_key: str, params: dict, secrets: dict, request: ReadRequest,
                cancel: threading.Event) -> Reader:
    """Open `request.table` of a source; raises RunError when it cannot be read."""
    if type_key == "postgresql":
        from app.etl.readers.postgres import PostgresCopyReader

        return PostgresCopyReader(params, secrets, request, cancel)
    if type_key == "duckdb":
        from app.etl.readers.duck import DuckDbReader

        return DuckDbReader(params["path"], request, cancel)
    if type_key == "bigquery":
        from app.etl.readers.bigquery import BigQueryReader

        return BigQueryReader(params, request, cancel)
    if type_key in ("mysql", "mariadb"):
        from app.etl.readers.mysql import MySqlFastReader

        return MySqlFastReader(type_key, params, secrets, request, cancel)
    if type_key in ("csv", "json", "parquet", "avro", "excel", "text"):
        from app.etl.readers.files import open_file_reader

        return open_file_reader(type_key, params, request, cancel)
    from app.etl.readers.sql import SqlReader

    return SqlReader(type_key, params, secrets, request, cancel)
