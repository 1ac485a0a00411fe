"""Runs of a job: the one-at-a-time lock, the run record and each table's outcome, and what
a fault is called when a run ends in it.

A run records, as it goes, each table's outcome ({"table", "status", "rows", "error"}), so
a run that fails at table 7 of 10 says which six are loaded (each table is committed on its
own: right for big jobs) and a run whose process died says what it had finished. Every run
ends in a record with a status: succeeded, failed, cancelled, or interrupted (its process
ended; marked by the next process that looks).
"""

from __future__ import annotations

import contextlib
import json
import logging
import traceback
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app import locks
from app.connectors.base import scrub
from app.etl.errors import RunCancelled, RunError
from app.etl.incremental import encode
from app.etl.pipeline import RunHandle
from app.services.errors import ServiceError
from app.services.views import RunView
from app.store.health import StoreError
from app.store.models import Connection, Run, new_id, utcnow
from app.vocabulary import DELETED_AT, RunStatus, TableStatus, Trigger

if TYPE_CHECKING:
    from app.etl.runner import TableResult
    from app.etl.spec import TableSpec

log = logging.getLogger("sluice.jobs")

INTERRUPTED = ("The process running it ended (it was killed, crashed, or the computer "
               "stopped) before the run finished. Tables it had finished stay loaded; the one "
               "in progress was left as it was.")


class JobBusy(ServiceError):
    pass


@contextlib.contextmanager
def job_lock(job_id: str, job_name: str) -> Iterator[None]:
    """One run of a job at a time, across processes (GUI, CLI, scheduler)."""
    lock = locks.FileLock(locks.folder() / f"job-{job_id}.lock")
    try:
        if not lock.acquire(wait=False):
            raise JobBusy(f"Job {job_name!r} is already running.")
        yield
    finally:
        lock.release()


def mark_interrupted(session: Any, job_id: str) -> int:
    """Mark the job's runs recorded as running as interrupted (call with its lock held)."""
    found = session.scalars(select(Run).where(Run.job_id == job_id,
                                              Run.status == "running")).all()
    for run in found:
        run.status, run.finished_at, run.error = "interrupted", utcnow(), INTERRUPTED
        run.tables = [{**t, "status": "interrupted"} if t["status"] == "running" else t
                      for t in run.tables or []]
        log.error("run %s of job %s was interrupted: its process ended", run.id, job_id)
    return len(found)


def reap(store: Any) -> int:
    """Mark as interrupted every run recorded as running whose job nobody runs (its lock is
    free: the process that ran it has ended). Returns how many."""
    with store.session() as s:
        jobs = set(s.scalars(select(Run.job_id).where(Run.status == "running")).all())
    marked = 0
    for job_id in jobs:
        try:
            with job_lock(job_id, job_id), store.session() as s:
                marked += mark_interrupted(s, job_id)
        except JobBusy:
            continue  # running now, in this process or another
    return marked


def failure(exc: BaseException, handle: RunHandle) -> tuple[RunStatus, str, bool]:
    """(status, message, whether the traceback belongs in the log) for what ended a run."""
    if handle.stalled:
        return "failed", handle.stalled, False
    if isinstance(exc, RunCancelled):
        return "cancelled", str(exc), False
    if isinstance(exc, RunError | ServiceError | StoreError):
        return "failed", str(exc), False
    return "failed", f"Internal error: {type(exc).__name__}: {exc}", True


class RunBook:
    """The record of one run, written as it goes (short transactions): each table's
    outcome as it ends, then the run's. With no store (`store` None: the cloud runner) the
    record is kept in memory only; `view()` gives it either way."""

    def __init__(self, store: Any, job_id: str, source_id: str | None, trigger: Trigger,
                 tables: list[str]) -> None:
        self.store, self.job_id, self.source_id = store, job_id, source_id
        self.trigger: Trigger = trigger
        self.id = new_id()
        self.started_at = utcnow()
        self.finished_at: datetime | None = None
        self.log = ""
        self.rows = (0, 0, 0)  # read, written, bytes (as of the last table or the end)
        self.tables = [{"table": t, "status": "not run", "rows": 0, "error": None}
                       for t in tables]
        self.lines: list[str] = []
        self.status: RunStatus = "succeeded"
        self.error: str | None = None
        self.current: int | None = None  # the table being copied
        self.before: dict = {}  # incremental cursors, by table
        self.after: dict = {}
        self.secrets: dict = {}  # to scrub from what is recorded
        self.attempts = 1
        self._counted = (0, 0, 0)  # the handle's counters when the current table started
        if store is None:
            return
        with store.session() as s:
            mark_interrupted(s, job_id)
            s.add(Run(id=self.id, job_id=job_id, trigger=trigger, status="running",
                      started_at=self.started_at, tables=self.tables))

    def _table(self, index: int, status: TableStatus, rows: int, error: str | None,
               handle: RunHandle, notice: str | None = None, deleted: int = 0) -> None:
        self.tables[index] = {**self.tables[index], "status": status, "rows": rows,
                              "error": error}
        if notice:
            self.tables[index]["notice"] = notice
        if deleted:
            self.tables[index]["deleted"] = deleted
        self.rows = (handle.rows_read, handle.rows_written, handle.bytes)
        if status == "running" or self.store is None:
            return
        with self.store.session() as s:
            row = s.get(Run, self.id)
            row.tables = [dict(t) for t in self.tables]
            row.rows_read, row.rows_written = handle.rows_read, handle.rows_written
            row.bytes = handle.bytes

    def table_started(self, index: int, handle: RunHandle) -> None:
        self.current = index
        self._counted = (handle.rows_read, handle.rows_written, handle.bytes)
        self._table(index, "running", 0, None, handle)

    def moved(self, handle: RunHandle) -> None:
        """The rows so far, in the run's record: a window of another process shows them
        on the job's card. Best effort: a busy store never slows or fails the run."""
        if self.store is None:
            return
        try:
            with self.store.session() as s:
                row = s.get(Run, self.id)
                row.rows_read, row.rows_written = handle.rows_read, handle.rows_written
                row.bytes = handle.bytes
        except StoreError as exc:
            log.debug("progress of run %s not recorded: %s", self.id, exc)

    def done(self, index: int) -> bool:
        """Whether table `index` was loaded by an earlier attempt of this run."""
        return self.tables[index]["status"] == "succeeded"

    def retrying(self, exc: BaseException, handle: RunHandle, delay: float,
                 tries: int) -> None:
        """Attempt `self.attempts` failed in a way worth another try, after `delay` s: say
        so in the log and on the card; the table it failed in goes back to "not run" (its
        rows were not committed). The next attempt (the caller counts it once it starts)
        copies the tables not loaded yet."""
        message = self._in_table(*failure(exc, handle)[:2])
        self.lines.append(f"Attempt {self.attempts} of {tries} failed: "
                          f"{scrub(message, self.secrets)}. Trying again in {delay:g} s.")
        log.warning("attempt %d of %d of run %s failed (%s); again in %g s", self.attempts,
                    tries, self.id, message, delay)
        if self.current is not None:
            handle.rows_read, handle.rows_written, handle.bytes = self._counted
            self._table(self.current, "not run", 0, None, handle)
            self.current = None
        handle.say(f"Attempt {self.attempts} failed; trying again in {delay:g} s")

    def table_done(self, index: int, spec: TableSpec, result: TableResult,
                   handle: RunHandle) -> None:
        rows = result.rows_written
        self.lines.extend(result.notes)
        self.lines.append(f"{result.table}: {rows:,} row{'s' if rows != 1 else ''} written "
                          f"({spec.mode})")
        notices = [n for n in (_null_notice(spec, result), _deleted_notice(spec, result),
                               _nulled_notice(result)) if n]
        self.lines.extend(f"{result.table}: {n}" for n in notices)
        if spec.mode == "incremental":
            self.before[result.table] = encode(result.cursor_before)
            self.after[result.table] = encode(result.cursor_after)
        self._table(index, "succeeded", rows, None, handle, "; ".join(notices) or None,
                    result.deleted)
        self.current = None

    def failed(self, exc: BaseException, handle: RunHandle) -> None:
        """Note what ended the run, and in which table; every table failure names it."""
        status, message, trace = failure(exc, handle)
        if trace:
            self.lines.append(traceback.format_exc())
        message = self._in_table(status, message)
        if self.current is not None:
            self._table(self.current, status, 0, message, handle)
        self.status, self.error = status, message

    def _in_table(self, status: RunStatus, message: str) -> str:
        """A failure's message naming the table it happened in (when it does not)."""
        if self.current is None or status != "failed":
            return message
        table = self.tables[self.current]["table"]
        return message if table.rsplit(".", 1)[-1] in message else f"{table}: {message}"

    def finish(self, job_name: str, handle: RunHandle) -> None:
        """Record how the run ended, and log it (a failure at ERROR)."""
        error = self.error
        if error and len(self.tables) > 1 and self.status != "succeeded":
            done = sum(t["status"] == "succeeded" for t in self.tables)
            left = sum(t["status"] == "not run" for t in self.tables)
            error += (f" ({done} of {len(self.tables)} tables loaded before it"
                      + (f"; {left} not run)" if left else ")"))
        if error:
            error = scrub(error, self.secrets)  # drivers do not echo passwords; be sure
            self.lines.append(error)
        if self.attempts > 1:
            self.lines.append(f"Attempt {self.attempts} {self.status}.")
        self.error, self.finished_at = error, utcnow()
        self.rows = (handle.rows_read, handle.rows_written, handle.bytes)
        self.log = scrub("\n".join(self.lines), self.secrets)
        self.tables = [{**t, "error": scrub(t["error"], self.secrets) if t["error"]
                        else None} for t in self.tables]
        if self.store is not None:
            with self.store.session() as s:
                row = s.get(Run, self.id)
                row.status, row.finished_at, row.error = self.status, self.finished_at, error
                row.rows_read, row.rows_written, row.bytes = self.rows
                row.attempts = self.attempts
                row.cursor_before = json.dumps(self.before) if self.before else None
                row.cursor_after = json.dumps(self.after) if self.after else None
                row.log, row.tables = self.log, self.tables
                s.get(Connection, self.source_id).last_used_at = self.finished_at
        if self.status == "succeeded":
            log.info("run of %r succeeded: %s rows", job_name, handle.rows_written)
        else:
            log.error("run of %r %s: %s", job_name, self.status, error)


    def view(self) -> RunView:
        """The run as recorded so far (finished: as it ended)."""
        return RunView(self.id, self.job_id, self.trigger,
                       "running" if self.finished_at is None else self.status,
                       self.started_at, self.finished_at, *self.rows,
                       self.before or None, self.after or None, self.error, self.log or None,
                       [dict(t) for t in self.tables], self.attempts)


def stops_process(exc: BaseException) -> bool:
    """A KeyboardInterrupt or SystemExit goes on once the run is recorded; a native
    driver's panic (pyo3's PanicException, also a BaseException) does not."""
    return not isinstance(exc, Exception) and type(exc).__name__ != "PanicException"


def _null_notice(spec: TableSpec, result: TableResult) -> str | None:
    """"12 rows have no updated_at and were not synced" (see CursorTracker)."""
    n = result.null_cursor
    if not n:
        return None
    if result.full:
        return f"{n:,} {'rows have' if n != 1 else 'row has'} no {spec.cursor} " \
               "(loaded by this full run)"
    return f"{n:,} {'rows have' if n != 1 else 'row has'} no {spec.cursor} and " \
           f"{'were' if n != 1 else 'was'} not synced"


def _nulled_notice(result: TableResult) -> str | None:
    """"2 values the destination cannot hold (infinity, a year outside 1-9999) were
    stored as NULL: ends_at 2"."""
    n = sum(result.nulled.values())
    if not n:
        return None
    where = ", ".join(f"{column} {count:,}" for column, count in result.nulled.items())
    return f"{n:,} {'values' if n != 1 else 'value'} the destination cannot hold (infinity, " \
           f"a year outside 1-9999) {'were' if n != 1 else 'was'} stored as NULL: {where}"


def _deleted_notice(spec: TableSpec, result: TableResult) -> str | None:
    """"3 rows gone from the source were deleted" (or marked, see detect deletes)."""
    n = result.deleted
    if not n:
        return None
    done = "deleted" if spec.detect_deletes == "delete" else f"marked in {DELETED_AT}"
    return f"{n:,} {'rows' if n != 1 else 'row'} gone from the source " \
           f"{'were' if n != 1 else 'was'} {done}"


def append_log(store: Any, run_id: str, line: str) -> None:
    """Add a line to a finished run's log (what happened after it ended: a webhook)."""
    with store.session() as s:
        row = s.get(Run, run_id)
        if row is not None:
            row.log = f"{row.log}\n{line}" if row.log else line


def stop_running(store: Any, job_id: str, reason: str) -> int:
    """Record the job's runs still marked running as cancelled, with `reason` (a process
    that stops without waiting for them: the background scheduler past its grace)."""
    with store.session() as s:
        found = s.scalars(select(Run).where(Run.job_id == job_id,
                                            Run.status == "running")).all()
        for run in found:
            run.status, run.finished_at, run.error = "cancelled", utcnow(), reason
            run.log = f"{run.log}\n{reason}" if run.log else reason
            run.tables = [{**t, "status": "cancelled"} if t["status"] == "running" else t
                          for t in run.tables or []]
        return len(found)
