"""app/etl/pipeline.py: every row moves once, cancel and a failing writer end the run."""

from __future__ import annotations

import pyarrow as pa
import pytest

from app.etl.errors import RunCancelled
from app.etl.pipeline import RunHandle, pump, rows_of, throttled


def _batches(count: int, rows: int = 10):
    for n in range(count):
        yield pa.record_batch([pa.array(range(n * rows, (n + 1) * rows))], names=["id"])


def test_every_row_arrives_once_and_small_batches_are_coalesced():
    written: list[pa.RecordBatch] = []
    handle = RunHandle()
    pump(_batches(25), written.append, handle, write_rows=100)
    assert [b.num_rows for b in written] == [100, 100, 50]
    assert [v for b in written for v in b.column(0).to_pylist()] == list(range(250))
    assert handle.rows_read == handle.rows_written == 250


def test_cancel_stops_the_read_and_says_so():
    handle = RunHandle()
    written: list[int] = []

    def write(batch: pa.RecordBatch) -> None:
        written.append(batch.num_rows)
        handle.cancel.set()  # the user pressed Cancel after the first batch

    with pytest.raises(RunCancelled):
        pump(_batches(100), write, handle, write_rows=0)
    assert handle.rows_read < 1000


def test_a_failing_writer_ends_the_run_with_its_error_and_the_reader_stops():
    read = []

    def source():
        for batch in _batches(1000):
            read.append(batch)
            yield batch

    def write(batch: pa.RecordBatch) -> None:
        raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space left"):
        pump(source(), write, RunHandle(), write_rows=0)
    assert len(read) < 1000


def test_rows_of_a_batch_are_tuples():
    batch = pa.record_batch([pa.array([1, 2]), pa.array(["a", None])], names=["n", "s"])
    assert list(rows_of(batch)) == [(1, "a"), (2, None)]


def test_progress_is_throttled_but_a_new_wait_is_said_at_once():
    said: list[str] = []
    report = throttled(lambda h: said.append(h.note), every=3600)
    handle = RunHandle()
    report(handle)
    report(handle)  # within the hour: dropped
    handle.note = "Waiting for warehouse.duckdb"
    report(handle)
    assert said == ["", "Waiting for warehouse.duckdb"]
