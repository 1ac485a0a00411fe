"""The headless runner: a job spec run with no metadata store (`main.py run --spec`), the
entry point of the Cloud Run container.

Everything it needs is in the spec and the destination: the incremental cursors are read
from and written to the destination's `_sluice_state` under the job's name, exactly as a run
from the app does, so the two continue one cursor. Secrets are read through their
references (environment variables, or Secret Manager). It writes one JSON object per line
(severity, message, job, table, rows, seconds): Cloud Logging reads them as structured
entries. Under a Cloud Run Job with several tasks, each task copies its share of the tables
(table i goes to task i mod count): every table exactly once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO

from app.cloud.secrets import SpecSecrets
from app.cloud.spec import Endpoint, JobSpec
from app.etl.pipeline import RunHandle, throttled
from app.etl.spec import TableSpec
from app.secrets import SecretError
from app.services import notify, retry
from app.services.copying import Side, attempts, copy_tables
from app.services.errors import ServiceError
from app.services.runs import RunBook
from app.services.views import RunView
from app.vocabulary import STALL_SECONDS

log = logging.getLogger("sluice.cloud")
Emit = Callable[..., None]
PROGRESS_EVERY_SECONDS = 30.0  # a progress line while a big table is copied


def task_share(tables: list[TableSpec], index: int, count: int) -> list[TableSpec]:
    """The tables task `index` of `count` copies: every `count`-th from `index` on."""
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"task {index} of {count} does not exist")
    return [t for i, t in enumerate(tables) if i % count == index]


def json_lines(stream: IO[str], job: str, task: tuple[int, int]) -> Emit:
    """An Emit writing structured log lines to `stream`."""
    def emit(severity: str, message: str, **fields: object) -> None:
        entry = {"severity": severity, "message": message, "job": job,
                 "time": datetime.now(UTC).isoformat(timespec="milliseconds")}
        if task[1] > 1:
            entry["task"] = {"index": task[0], "count": task[1]}
        entry.update({k: v for k, v in fields.items() if v is not None})
        stream.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        stream.flush()
    return emit


class _LoggedBook(RunBook):
    """A run record kept in memory that says each step as a log line."""

    def __init__(self, spec: JobSpec, tables: list[TableSpec], emit: Emit) -> None:
        super().__init__(None, str(spec.exported.get("job_id") or spec.name), None, "cloud",
                         [t.source_name for t in tables])
        self.emit = emit
        self._began = time.monotonic()

    def table_started(self, index: int, handle: RunHandle) -> None:
        super().table_started(index, handle)
        self._began = time.monotonic()
        self.emit("INFO", f"{self.tables[index]['table']}: copying", run=self.id,
                  table=self.tables[index]["table"])

    def table_done(self, index, spec, result, handle) -> None:
        super().table_done(index, spec, result, handle)
        entry = self.tables[index]
        self.emit("INFO", f"{entry['table']}: {entry['rows']:,} rows written ({spec.mode})",
                  run=self.id, table=entry["table"], rows=entry["rows"], mode=spec.mode,
                  seconds=round(time.monotonic() - self._began, 3),
                  cursor=self.after.get(entry["table"]), notice=entry.get("notice"))

    def retrying(self, exc, handle, delay, tries) -> None:
        super().retrying(exc, handle, delay, tries)
        self.emit("WARNING", self.lines[-1], run=self.id)

    def moved(self, handle: RunHandle) -> None:
        self.emit("INFO", f"{handle.table}: {handle.rows_written:,} rows so far", run=self.id,
                  table=handle.table, rows=handle.rows_written)


def run_spec(spec: JobSpec, emit: Emit, task: tuple[int, int] = (0, 1),
             handle: RunHandle | None = None, resolver: SpecSecrets | None = None) -> RunView:
    """Run the spec's tables (this task's share of them); the run's record."""
    resolver = resolver or SpecSecrets()
    handle = handle or RunHandle()
    if handle.stall_seconds is None:
        handle.stall_seconds = STALL_SECONDS if spec.stall_seconds is None \
            else spec.stall_seconds
    tables = task_share(spec.tables, *task)
    book = _LoggedBook(spec, tables, emit)
    handle.on_progress = throttled(book.moved, PROGRESS_EVERY_SECONDS)
    emit("INFO", f"run of {spec.name!r} started: {len(tables)} of {len(spec.tables)} tables",
         run=book.id, tables=[t.source_name for t in tables])

    def copy() -> None:
        source = Side(spec.source.type_key, spec.source.params,
                      _secrets(spec.source, "source", resolver))
        dest = Side(spec.destination.type_key, spec.destination.params,
                    _secrets(spec.destination, "destination", resolver))
        copy_tables(spec.name, tables, source, dest, book, handle)

    if tables:
        attempts(copy, book, handle, spec.name, spec.unattended.retries + 1,
                 retry.BACKOFF_SECONDS)
    else:
        book.finish(spec.name, handle)
    run = book.view()
    seconds = run.seconds or 0.0
    emit("INFO" if run.status == "succeeded" else "ERROR",
         f"run of {spec.name!r} {run.status}: {run.rows_written:,} rows in {seconds:.1f} s"
         + (f": {run.error}" if run.error else ""),
         run=run.id, status=run.status, rows=run.rows_written, seconds=round(seconds, 3),
         tables=run.tables)
    _report(spec, run, resolver, emit)
    return run


def _secrets(end: Endpoint, role: str, resolver: SpecSecrets) -> dict:
    if not end.secret:
        return {}
    try:
        return resolver.get(end.secret)
    except SecretError as exc:
        raise ServiceError(f"The password of the {role} connection {end.name!r} is "
                           f"unavailable: {exc}") from exc


def _report(spec: JobSpec, run: RunView, resolver: SpecSecrets, emit: Emit) -> None:
    """Tell the spec's webhook of the run when it asks to hear of it (never fails the run)."""
    if not spec.webhook or not notify.wanted(run.status, spec.unattended.notify_success):
        return
    try:
        url = resolver.get(spec.webhook).get("url")
        if url:
            notify.post(url, notify.document(spec.name, run))
            emit("INFO", "the webhook was told of this run", run=run.id)
            return
        said = "its reference holds no url"
    except (notify.WebhookError, SecretError) as exc:
        said = str(exc)
    emit("WARNING", f"The webhook was not told of this run: {said}", run=run.id)


def task_from_environment(environ: dict[str, str]) -> tuple[int, int]:
    """(index, count) of this Cloud Run task (CLOUD_RUN_TASK_INDEX/COUNT; else (0, 1))."""
    try:
        index = int(environ.get("CLOUD_RUN_TASK_INDEX", "0"))
        count = int(environ.get("CLOUD_RUN_TASK_COUNT", "1"))
    except ValueError as exc:
        raise ValueError("CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT must be whole "
                         "numbers") from exc
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"CLOUD_RUN_TASK_INDEX {index} is not a task of "
                         f"CLOUD_RUN_TASK_COUNT {count}")
    return index, count

