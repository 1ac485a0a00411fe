"""Incremental state: the cursor's high-water mark, and what the run after it must know.

Rows are read from `cursor >= mark` (minus an optional look-back), so a row that arrives
late with a cursor equal to the mark is not lost. Rows already loaded at the mark are told
apart by the destination itself, not by hashes kept in the state: with a primary key they
are upserted; without one, a staged row equal to a row the destination already holds at
the mark (compared on the columns the table had when the mark was taken, so a column added
or dropped since changes nothing) is not inserted again. The state is a few hundred bytes:
the column, the mark, its type, and those columns. The mark is computed from the rows
read, in the same snapshot, and saved with the data.

Rows whose cursor is NULL cannot be tracked: the first run (a full load) loads them; later
runs read them only to count them, and the run record says how many were not synced.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from app.etl.errors import RunError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "": 1}


def parse_lookback(text: str | None) -> float | None:
    """"2h", "30m", "1d", "90s", or a bare number (for numeric cursors)."""
    if text in (None, ""):
        return None
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"Look-back {text!r} is not a duration such as 30m, 2h or 1d.")
    return float(match.group(1)) * _UNITS[match.group(2)]


def encode(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode(value: Any, type_name: str) -> Any:
    if value is None:
        return None
    if type_name.startswith("timestamp"):
        return datetime.fromisoformat(value)
    if type_name.startswith("date"):
        return date.fromisoformat(value)
    if type_name.startswith("time"):
        return time.fromisoformat(value)
    if type_name.startswith("decimal"):
        return Decimal(value)
    return value


class CursorTracker:
    """Filters a stream of batches for one incremental run and tracks its new state."""

    def __init__(self, cursor: str, state: dict | None, lookback: float | None) -> None:
        self.cursor = cursor
        if state and state.get("cursor", cursor) != cursor:
            state = None  # saved for another column: its mark means nothing here
        self.old_mark = decode(state.get("value"), state.get("type", "")) if state else None
        self.lookback = lookback
        self.mark: Any = self.old_mark
        self.type_name = state.get("type", "") if state else ""
        # The columns rows at the mark are compared on (those of the run that took it).
        self.old_columns: list[str] = list(state.get("columns") or []) if state else []
        self.columns: list[str] = list(self.old_columns)
        self.null_rows = 0

    @property
    def first_run(self) -> bool:
        """No saved mark: the table is read in full (and written as a replace)."""
        return self.old_mark is None

    @property
    def since(self) -> Any:
        """The lower bound of the read (inclusive)."""
        if self.old_mark is None or not self.lookback:
            return self.old_mark
        if isinstance(self.old_mark, datetime | date):
            return self.old_mark - timedelta(seconds=self.lookback)
        if isinstance(self.old_mark, int | float | Decimal):
            return self.old_mark - type(self.old_mark)(self.lookback)
        raise RunError(f"A look-back needs a time or number cursor, not {self.type_name}.")

    def filter(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            column = batch.column(self.cursor)
            nulls = column.null_count
            if nulls and not self.first_run:  # read only to be counted: not synced
                batch = batch.filter(pc.is_valid(column))
            top = pc.max(column).as_py() if nulls < len(column) else None
            self.observe(top, nulls, str(column.type), batch.schema.names)
            yield batch

    def observe(self, top: Any, nulls: int, type_name: str, columns: list[str]) -> None:
        """Rows were read whose greatest cursor is `top` (None: none had one), `nulls` of
        them without one; `columns` are the columns they have."""
        self.type_name = type_name
        self.null_rows += nulls
        if top is not None and (self.mark is None or top > self.mark):
            self.mark = top
            self.columns = list(columns)  # rows at the new mark

    def state(self) -> dict:
        return {"cursor": self.cursor, "value": encode(self.mark), "type": self.type_name,
                "columns": self.columns}
