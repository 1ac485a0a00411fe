"""Readers: stream a source table as Arrow record batches.

`open_reader` picks the reader for a connection type: a COPY-based fast path for
PostgreSQL, DuckDB's own Arrow export, file readers, and SQLAlchemy (server-side
cursors) for every other SQL source.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

from app.etl.errors import RunError

BATCH_ROWS = 65_536


@dataclass(frozen=True)
class ReadRequest:
    table: str
    schema: str | None = None
    cursor: str | None = None  # incremental: read rows whose cursor >= `since`
    since: Any = None
    with_nulls: bool = False  # ...and those whose cursor is NULL (read to be counted)
    batch_rows: int = BATCH_ROWS
    exclude: frozenset[str] = field(default_factory=frozenset)  # columns left out
    # Set when a table is read again after the fast path refused it (see ReadAgain).
    safe: bool = False
    block_bytes: int | None = None  # PostgreSQL: the CSV block that holds the widest row
    text_columns: frozenset[str] = frozenset()  # PostgreSQL: read as their text (see arrays)
    # A custom query read as the table `table` (a temporary view of it in the reader's
    # session, so columns, types and the cursor filter work as for a table).
    query: str | None = None


class ReadAgain(RunError):
    """The reader cannot go on with this request but can with `request` (a safer or roomier
    way). The runner throws away what was loaded of the table and reads it again."""

    def __init__(self, note: str, request: ReadRequest) -> None:
        super().__init__(note)
        self.note, self.request = note, request


class Reader(Protocol):
    schema: pa.Schema  # known once opened
    notes: list[str]  # what the run log should say about how the table was read
    primary_key: list[str]  # the table's key, where the source says (the wizard shows it)

    def batches(self) -> Iterator[pa.RecordBatch]: ...
    def interrupt(self) -> None: ...
    def close(self) -> None: ...


class BaseReader:
    """What a reader does not have to support, said once: no key known, no way to break
    its connection from outside (the watchdog then only asks it to stop), nothing to
    close."""

    schema: pa.Schema
    notes: list[str]
    primary_key: list[str]

    def __init__(self) -> None:
        self.notes, self.primary_key = [], []

    def batches(self) -> Iterator[pa.RecordBatch]:
        raise NotImplementedError

    def interrupt(self) -> None:
        """Break the connection now (not supported here)."""

    def close(self) -> None:
        """Nothing to release."""


def check_columns(request: ReadRequest, names: list[str], where: str) -> list[str]:
    """The columns to read (all but the excluded ones); RunError if the request names a
    column the table lacks."""
    missing = sorted(request.exclude - set(names))
    if missing:
        raise RunError(f"Column(s) {', '.join(missing)} to leave out are not in {where} "
                       f"(columns: {', '.join(names)}).")
    if request.cursor and request.cursor not in names:
        raise RunError(f"Cursor column {request.cursor!r} is not in {where} "
                       f"(columns: {', '.join(names)}).")
    if request.cursor in request.exclude:
        raise RunError(f"The cursor column {request.cursor!r} of {where} cannot be left out.")
    kept = [n for n in names if n not in request.exclude]
    if not kept:
        raise RunError(f"Every column of {where} is left out; nothing would be read.")
    return kept


def open_reader(type_key: str, params: dict, secrets: dict, request: ReadRequest,
                cancel: threading.Event) -> Reader:
    """Open `request.table` of a source with the reader its type declares (the registry's
    `Engine.reader`); raises RunError when it cannot be read."""
    from app.connectors import registry

    where = registry.engine(type_key).reader
    if where is None:
        raise RunError(f"Reading tables from {registry.get_type(type_key).label} is not "
                       "supported yet.")
    return load(where)(type_key, params, secrets, request, cancel)


def load(where: str):
    """The object named "module:attribute", imported now (drivers load only when used)."""
    import importlib

    module, _, name = where.partition(":")
    return getattr(importlib.import_module(module), name)
