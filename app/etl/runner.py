"""Run one table of a job: read, filter (incremental), load, commit with the state."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pyarrow as pa

from app.etl.destinations import FORGET_STATE, KEEP_STATE, Dedupe, Destination
from app.etl.incremental import CursorTracker, parse_lookback
from app.etl.pipeline import RunHandle, pump
from app.etl.readers import ReadAgain, Reader, ReadRequest, open_reader
from app.etl.spec import TableSpec
from app.etl.watchdog import watching


@dataclass
class TableResult:
    table: str
    rows_read: int
    rows_written: int
    cursor_before: object = None
    cursor_after: object = None
    null_cursor: int = 0  # rows whose cursor is NULL: loaded by a full run, else not synced
    full: bool = True  # the table was read in full (not from a saved mark)
    deleted: int = 0  # rows gone from the source, deleted or marked (detect deletes)
    notes: list[str] = field(default_factory=list)  # for the run log
    # Values the destination cannot hold (infinity, years outside 1-9999), stored as
    # NULL: how many, by column (see app.etl.types.fit_times).
    nulled: dict[str, int] = field(default_factory=dict)


@contextlib.contextmanager
def _breakable(handle: RunHandle, side: str, party: Reader | Destination) -> Iterator[None]:
    """Let the watchdog break `party`'s connection while the block runs."""
    handle.breakers[side].append(party.interrupt)
    try:
        yield
    finally:
        handle.breakers[side].remove(party.interrupt)


# A table is read again at most this often (a safer reader, then a roomier one).
READ_ATTEMPTS = 3


def run_table(job_name: str, source_type: str, source_params: dict, source_secrets: dict,
              destination: Destination, spec: TableSpec, run_id: str,
              handle: RunHandle) -> TableResult:
    """Move one table; the destination changes only if everything succeeded.

    When the reader asks to read the table again another way (ReadAgain: the fast reader
    refused a value, a row did not fit the read buffer) the partial load is abandoned and
    the table is read again from the start; the run log says so."""
    notes: list[str] = []
    request = ReadRequest(spec.table, spec.schema, exclude=frozenset(spec.exclude_columns),
                          query=spec.query)
    read_before, written_before = handle.rows_read, handle.rows_written
    for attempt in range(READ_ATTEMPTS):
        try:
            with watching(handle), _breakable(handle, "destination", destination):
                result = _attempt(job_name, source_type, source_params, source_secrets,
                                  destination, spec, run_id, handle, request)
        except ReadAgain as again:
            if attempt == READ_ATTEMPTS - 1:
                raise
            notes.append(again.note)
            request = again.request
            handle.rows_read, handle.rows_written = read_before, written_before
            continue
        result.rows_read = handle.rows_read - read_before
        result.rows_written = handle.rows_written - written_before
        result.notes[:0] = notes
        return result
    raise AssertionError("unreachable")


def _attempt(job_name: str, source_type: str, source_params: dict, source_secrets: dict,
             destination: Destination, spec: TableSpec, run_id: str, handle: RunHandle,
             request: ReadRequest) -> TableResult:
    tracker = None
    if spec.mode == "incremental":
        state = destination.read_state(spec.state_key_for(job_name))
        tracker = CursorTracker(spec.cursor or "", state, parse_lookback(spec.lookback))
        request = replace(request, cursor=spec.cursor, since=tracker.since,
                          with_nulls=not tracker.first_run)
    # An incremental table with no saved cursor is read in full and written as a replace.
    target = spec.target(job_name, first_run=tracker is not None and tracker.first_run)
    if tracker is not None and not tracker.first_run:
        # Rows re-read at the mark that the destination holds already are left out.
        target.dedupe = Dedupe(spec.cursor, tuple(tracker.old_columns) or None)
    elif target.write == "upsert":
        target.dedupe = Dedupe()  # a merge rewrites only the rows that changed
    # Without a cursor to save (that happens after the read): a rebuilt table starts its
    # cursor over, so a later switch to incremental loads in full rather than adding every
    # row again; an append leaves it alone.
    state = FORGET_STATE if target.write == "replace" else KEEP_STATE
    handle.table = spec.source_name
    handle.waiting_on = "source"  # opening it
    reader = open_reader(source_type, source_params, source_secrets, request, handle.cancel)
    handle.waiting_on = ""
    pipe_to = destination.pipe_params() if source_type == "postgresql" else None
    if pipe_to is not None:
        from app.etl.pg_pipe import pipe_table

        def marked(load) -> dict:  # an incremental run's mark, from the staged rows
            cursor = reader.schema.field(spec.cursor).type
            top, nulls = load.cursor_summary(spec.cursor, pa.types.is_string(cursor),
                                             drop_nulls=not tracker.first_run)
            tracker.observe(top, nulls, str(cursor), reader.schema.names)
            if not tracker.first_run:  # read only to be counted: not synced
                handle.rows_read -= nulls
                handle.rows_written -= nulls
            return tracker.state()

        try:
            with _breakable(handle, "source", reader):
                piped = pipe_table(reader, *pipe_to, target, run_id, handle,
                                   marked if tracker else state)
        finally:
            reader.close()
        handle.rows_written -= piped.skipped
        return _result(spec, tracker, piped.deleted, reader.notes)
    batches = reader.batches()
    fit = destination.fit()
    try:
        load = destination.begin(target, fit.schema(reader.schema), run_id)
        try:
            with _breakable(handle, "source", reader):
                pump(fit.batches(tracker.filter(batches) if tracker else batches),
                     load.write, handle, destination.write_rows)
            load.commit(tracker.state() if tracker else state)
            handle.rows_written -= load.skipped
            deleted = load.deleted
        except BaseException:
            load.abort()
            raise
    finally:
        batches.close()  # stop the source first (a COPY in flight is cancelled)
        reader.close()
    return _result(spec, tracker, deleted, reader.notes, fit.nulled)


def _result(spec: TableSpec, tracker: CursorTracker | None, deleted: int,
            notes: list[str], nulled: dict[str, int] | None = None) -> TableResult:
    """What a table's load did (its rows are counted by run_table)."""
    if tracker is None:
        return TableResult(spec.source_name, 0, 0, deleted=deleted, notes=list(notes),
                           nulled=dict(nulled or {}))
    return TableResult(spec.source_name, 0, 0, tracker.old_mark, tracker.mark,
                       tracker.null_rows, tracker.first_run, deleted, list(notes),
                       dict(nulled or {}))
