"""app/etl/incremental.py on in-memory Arrow batches: no server needed."""

from __future__ import annotations

import json
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from app.etl.incremental import CursorTracker, parse_lookback


def _batch(rows: list[tuple[int, int | None]]) -> pa.RecordBatch:
    ids, marks = zip(*rows, strict=True) if rows else ((), ())
    return pa.record_batch([pa.array(ids, pa.int64()), pa.array(marks, pa.int64())],
                           names=["id", "at"])


def _run(table: list[tuple[int, int | None]], state: dict | None) -> tuple[list[int], dict,
                                                                           CursorTracker]:
    """One incremental run over `table`: the read a reader does, then the tracker's filter.
    The state goes through JSON as it does through `_sluice_state`."""
    tracker = CursorTracker("at", state, None)
    batch = _batch(table)
    if tracker.since is not None:
        at = batch.column("at")
        batch = batch.filter(pc.fill_null(pc.greater_equal(at, tracker.since), False))
    loaded = [r["id"] for b in tracker.filter(iter([batch])) for r in b.to_pylist()]
    return loaded, json.loads(json.dumps(tracker.state())), tracker


def test_the_first_run_takes_every_row_with_a_cursor_and_counts_the_others():
    loaded, state, tracker = _run([(1, 5), (2, 7), (3, None), (4, 7)], None)
    assert loaded == [1, 2, 4]
    assert tracker.null_rows == 1
    assert state["value"] == 7 and len(state["boundary"]) == 2  # the rows at the mark


def test_a_late_row_at_the_mark_is_loaded_and_nothing_twice():
    table = [(1, 5), (2, 7)]
    _, state, _ = _run(table, None)
    table.append((3, 7))  # same cursor as the mark, arrived after the run
    loaded, state, _ = _run(table, state)
    assert loaded == [3]
    loaded, _, _ = _run(table, state)
    assert loaded == []


def test_a_state_saved_for_another_column_means_a_fresh_start():
    tracker = CursorTracker("updated_at", {"cursor": "id", "value": 9, "type": "int64"}, None)
    assert tracker.old_mark is None and tracker.since is None


def test_a_look_back_moves_the_lower_bound():
    stamp = {"cursor": "at", "value": "2024-01-02T00:00:00", "type": "timestamp[us]"}
    tracker = CursorTracker("at", stamp, parse_lookback("1d"))
    assert tracker.since == datetime(2024, 1, 1)
    assert CursorTracker("at", {"cursor": "at", "value": 100, "type": "int64"},
                         parse_lookback("30")).since == 70


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), max_size=6), max_size=6))
def test_rows_never_below_the_mark_land_exactly_once(steps):
    """However rows arrive between runs (ties with the mark included), each row whose
    cursor is not below the mark when it arrives is loaded exactly once."""
    table: list[tuple[int, int]] = []
    state, loaded, top = None, [], 0
    for step in steps:
        for offset in step:  # new rows at or above the highest cursor so far
            table.append((len(table), top + offset))
            top = max(top, top + offset)
        got, state, _ = _run(table, state)
        loaded.extend(got)
    assert sorted(loaded) == [row_id for row_id, _ in table]
