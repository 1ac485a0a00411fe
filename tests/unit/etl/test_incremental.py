"""Incremental runs end to end without a server: a Parquet file as the source, a DuckDB
file as the destination, the real reader, tracker, loader and state."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.etl.destinations.duck import DuckDbDestination
from app.etl.incremental import CursorTracker, parse_lookback
from app.etl.pipeline import RunHandle
from app.etl.runner import TableSpec, run_table


class Source:
    """A table the test changes between runs, kept as events.parquet in a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.rows: list[dict] = []
        self.schema = pa.schema([("id", pa.int64()), ("at", pa.int64()), ("what", pa.string())])

    def add(self, *rows: dict) -> None:
        self.rows.extend(rows)
        pq.write_table(pa.Table.from_pylist(self.rows, schema=self.schema),
                       self.folder / "events.parquet")

    def add_column(self, name: str, arrow_type: pa.DataType, value) -> None:
        self.schema = self.schema.append(pa.field(name, arrow_type))
        self.rows = [{**r, name: value} for r in self.rows]
        self.add()

    def drop_column(self, name: str) -> None:
        self.schema = self.schema.remove(self.schema.get_field_index(name))
        self.rows = [{k: v for k, v in r.items() if k != name} for r in self.rows]
        self.add()


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / "source"
    folder.mkdir()
    return Source(folder)


def _run(source: Source, warehouse: Path, key: list[str] | None = None):
    spec = TableSpec("events", mode="incremental", cursor="at", primary_key=key or [])
    destination = DuckDbDestination(warehouse)
    try:
        result = run_table("job", "parquet", {"path": str(source.folder)}, {}, destination,
                           spec, "run-0123456789ab", RunHandle())
        rows = destination.execute("select id from events order by id")
        state = destination.read_state("job:events")
    finally:
        destination.close()
    return result, [r[0] for r in rows], state


def test_the_first_run_loads_every_row_even_without_a_cursor(source, tmp_path):
    source.add({"id": 1, "at": 5, "what": "a"}, {"id": 2, "at": 7, "what": "b"},
               {"id": 3, "at": None, "what": "no cursor"}, {"id": 4, "at": 7, "what": "c"})
    result, ids, state = _run(source, tmp_path / "w.duckdb")
    assert ids == [1, 2, 3, 4] and result.null_cursor == 1 and result.full
    assert state == {"cursor": "at", "value": 7, "type": "int64",
                     "columns": ["id", "at", "what"]}
    assert len(json.dumps(state)) < 200  # a mark, not the rows at it


def test_rows_at_the_mark_are_not_loaded_twice_and_late_ones_are_loaded(source, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    source.add({"id": 1, "at": 5, "what": "a"}, {"id": 2, "at": 7, "what": "b"})
    _run(source, warehouse)
    result, ids, _ = _run(source, warehouse)
    assert result.rows_written == 0 and ids == [1, 2]
    source.add({"id": 3, "at": 7, "what": "late, on the mark"}, {"id": 4, "at": None,
                                                                 "what": "none"})
    result, ids, _ = _run(source, warehouse)
    assert result.rows_written == 1 and ids == [1, 2, 3]
    assert result.null_cursor == 1 and not result.full  # counted, not synced


@pytest.mark.parametrize("change", ["added", "dropped"])
def test_a_column_added_or_dropped_loads_no_row_twice(source, tmp_path, change):
    warehouse = tmp_path / "w.duckdb"
    source.add({"id": 1, "at": 5, "what": "a"}, {"id": 2, "at": 7, "what": "b"},
               {"id": 3, "at": 7, "what": "c"})
    _run(source, warehouse)
    if change == "added":
        source.add_column("region", pa.string(), "eu")
    else:
        source.drop_column("what")
    for _ in range(2):  # and again, with the mark unchanged
        result, ids, _ = _run(source, warehouse)
        assert result.rows_written == 0 and ids == [1, 2, 3]
    source.add({"id": 4, "at": 7, **({"region": "us"} if change == "added" else {})})
    result, ids, _ = _run(source, warehouse)
    assert result.rows_written == 1 and ids == [1, 2, 3, 4]


def test_with_a_key_rows_at_the_mark_are_upserted(source, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    source.add({"id": 1, "at": 5, "what": "a"}, {"id": 2, "at": 7, "what": "b"})
    _run(source, warehouse, key=["id"])
    source.add({"id": 3, "at": 7, "what": "c"})
    _run(source, warehouse, key=["id"])
    source.rows[1]["what"] = "b, changed at the same instant"
    source.add()
    result, ids, _ = _run(source, warehouse, key=["id"])
    # Re-read at the mark: b and c; c is held unchanged and stays, b is replaced.
    assert result.rows_written == 1 and ids == [1, 2, 3]
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("select what from events order by id").fetchall() == [
            ("a",), ("b, changed at the same instant",), ("c",)]


def test_a_state_saved_for_another_column_means_a_fresh_start():
    tracker = CursorTracker("updated_at", {"cursor": "id", "value": 9, "type": "int64"}, None)
    assert tracker.first_run and tracker.since is None


def test_a_look_back_moves_the_lower_bound():
    stamp = {"cursor": "at", "value": "2024-01-02T00:00:00", "type": "timestamp[us]"}
    assert CursorTracker("at", stamp, parse_lookback("1d")).since == datetime(2024, 1, 1)
    assert CursorTracker("at", {"cursor": "at", "value": 100, "type": "int64"},
                         parse_lookback("30")).since == 70


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.integers(0, 2), max_size=5), max_size=5))
def test_rows_never_below_the_mark_land_exactly_once(tmp_path_factory, steps):
    """However rows arrive between runs (ties with the mark included), each row whose
    cursor is not below the mark when it arrives is loaded exactly once."""
    folder = tmp_path_factory.mktemp("src")
    source = Source(folder)
    warehouse = folder / "w.duckdb"
    top = 0
    for step in steps:
        for offset in step:  # new rows at or above the highest cursor so far
            top += offset
            source.add({"id": len(source.rows), "at": top, "what": "x"})
        if source.rows:
            _, ids, _ = _run(source, warehouse)
            assert ids == list(range(len(source.rows)))
