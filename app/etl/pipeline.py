"""Reader -> bounded queue -> writer thread, with progress and cancellation.

The reader fills a queue of at most QUEUE_BATCHES batches while a second thread writes,
so reading overlaps writing and memory stays flat whatever the table's size.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from app.etl.errors import RunCancelled

QUEUE_BATCHES = 2
WRITE_ROWS = 65_536
_DONE = object()


@dataclass
class RunHandle:
    """Shared by the GUI, the CLI and the scheduler: watch progress, ask to cancel."""

    cancel: threading.Event = field(default_factory=threading.Event)
    on_progress: Callable[[RunHandle], None] | None = None
    table: str = ""
    rows_read: int = 0
    rows_written: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)
    note: str = ""  # what the run waits for, when it waits ("Waiting for warehouse.duckdb")
    # The watchdog (app.etl.watchdog): its bound, what it said when it tripped, the side
    # the pipeline waits on now ("" while nothing is watched), and how to break each side's
    # connection.
    stall_seconds: float | None = None
    stalled: str = ""
    waiting_on: str = ""
    breakers: dict[str, list[Callable[[], None]]] = field(
        default_factory=lambda: {"source": [], "destination": []})

    @property
    def rate(self) -> float:
        """Rows written per second so far."""
        elapsed = time.monotonic() - self.started
        return self.rows_written / elapsed if elapsed > 0 else 0.0

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self)

    def say(self, note: str) -> None:
        """Show `note` with the progress until the next one ("" clears it)."""
        self.note = note
        self._progress()


def pump(batches: Iterator[pa.RecordBatch], write: Callable[[pa.RecordBatch], None],
         handle: RunHandle, write_rows: int = WRITE_ROWS) -> None:
    """Move every batch from `batches` to `write` (on its own thread); raise what failed.

    Batches are coalesced to about `write_rows` rows (0: passed on as they come).
    """
    slots: queue.Queue = queue.Queue(maxsize=QUEUE_BATCHES)
    failure: list[BaseException] = []
    stop = threading.Event()

    def deliver(pending: list[pa.RecordBatch]) -> None:
        batch = pending[0] if len(pending) == 1 else \
            pa.Table.from_batches(pending).combine_chunks().to_batches()[0]
        write(batch)
        handle.rows_written += batch.num_rows
        handle._progress()

    def writer() -> None:
        # Small batches from the reader are coalesced: one Parquet row group, one insert
        # per chunk instead of dozens.
        pending: list[pa.RecordBatch] = []
        rows = 0
        while True:
            item = slots.get()
            if stop.is_set():
                if item is _DONE:
                    return
                continue  # drain so the reader never blocks on a full queue
            try:
                if item is not _DONE and item.num_rows:
                    pending.append(item)
                    rows += item.num_rows
                if pending and (rows >= write_rows or item is _DONE):
                    deliver(pending)
                    pending, rows = [], 0
            except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
                failure.append(exc)
                stop.set()
            if item is _DONE:
                return

    thread = threading.Thread(target=writer, name="sluice-writer", daemon=True)
    thread.start()
    try:
        handle.waiting_on = "source"
        for batch in batches:
            if stop.is_set():
                break
            if handle.cancel.is_set():
                raise RunCancelled()
            handle.rows_read += batch.num_rows
            handle.bytes += batch.nbytes
            handle.waiting_on = "destination"  # a full queue: the writer is behind
            slots.put(batch)
            handle.waiting_on = "source"
        handle.waiting_on = "destination"  # the last batches are being written
    except BaseException:
        stop.set()
        raise
    finally:
        slots.put(_DONE)
        thread.join()
        handle.waiting_on = ""
    if failure:
        raise failure[0]
    if handle.cancel.is_set():
        raise RunCancelled()


def rows_of(batch: pa.RecordBatch) -> Iterator[tuple]:
    """The rows of a batch as tuples of Python values (column by column, then zipped)."""
    return zip(*(column.to_pylist() for column in batch.columns), strict=True)


def throttled(report: Callable[[RunHandle], None], every: float
              ) -> Callable[[RunHandle], None]:
    """`report` at most every `every` seconds, and at once when what the run waits for
    changes (the progress callback of a card, a CLI line)."""
    last = [float("-inf"), ""]  # (monotonic time may start near 0)

    def progress(handle: RunHandle) -> None:
        now = time.monotonic()
        if now - last[0] >= every or handle.note != last[1]:
            last[:] = [now, handle.note]
            report(handle)

    return progress
