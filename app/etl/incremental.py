"""Incremental state: the cursor's high-water mark and the rows that sit exactly on it.

Rows are read from `cursor >= mark` (minus an optional look-back), so a row that arrives
late with a cursor equal to the mark is not lost. Rows already loaded at the mark are
recognised by a hash of their values and dropped, so none is loaded twice. The mark is
computed from the rows read, in the same snapshot, and saved with the data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from app.etl.errors import RunError
from app.etl.pipeline import rows_of

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


def row_hash(values: tuple) -> str:
    return hashlib.sha1(repr(values).encode(), usedforsecurity=False).hexdigest()[:20]


class CursorTracker:
    """Filters a stream of batches for one incremental run and tracks its new state."""

    def __init__(self, cursor: str, state: dict | None, lookback: float | None) -> None:
        self.cursor = cursor
        if state and state.get("cursor", cursor) != cursor:
            state = None  # saved for another column: its mark means nothing here
        self.old_mark = decode(state.get("value"), state.get("type", "")) if state else None
        self.old_boundary = set(state.get("boundary", [])) if state else set()
        self.lookback = lookback
        self.mark: Any = self.old_mark
        self.type_name = state.get("type", "") if state else ""
        self.boundary: set[str] = set(self.old_boundary)
        self.null_rows = 0

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
            self.type_name = str(column.type)
            nulls = column.null_count
            if nulls:
                self.null_rows += nulls  # rows without a cursor cannot be tracked: skipped
                batch = batch.filter(pc.is_valid(column))
                column = batch.column(self.cursor)
            if self.old_mark is not None and self.old_boundary and not self.lookback:
                batch = self._drop_loaded(batch, column)
                column = batch.column(self.cursor)
            if batch.num_rows:
                self._track(batch, column)
            yield batch

    def _drop_loaded(self, batch: pa.RecordBatch, column: pa.Array) -> pa.RecordBatch:
        at_mark = pc.equal(column, pa.scalar(self.old_mark).cast(column.type))
        if not pc.any(at_mark).as_py():
            return batch
        # Only rows sitting on the old mark are hashed (few), never the whole batch.
        positions = pc.indices_nonzero(at_mark).to_pylist()
        loaded = [p for p, row in zip(positions, rows_of(batch.take(positions)), strict=True)
                  if row_hash(row) in self.old_boundary]
        if not loaded:
            return batch
        drop = pc.is_in(pa.array(range(batch.num_rows), pa.int64()),
                        value_set=pa.array(loaded, pa.int64()))
        return batch.filter(pc.invert(drop))

    def _track(self, batch: pa.RecordBatch, column: pa.Array) -> None:
        top = pc.max(column).as_py()
        if self.mark is None or top > self.mark:
            self.mark, self.boundary = top, set()
        if top == self.mark:
            at_mark = pc.equal(column, pa.scalar(top).cast(column.type))
            self.boundary.update(row_hash(row) for row in rows_of(batch.filter(at_mark)))

    def state(self) -> dict:
        return {"cursor": self.cursor, "value": encode(self.mark), "type": self.type_name,
                "boundary": sorted(self.boundary)}
