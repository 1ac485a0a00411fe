"""Copying a job's tables, and trying again after a transient failure: the loop every run
goes through, from the app, the CLI, the scheduler or the cloud runner (which has no store:
its RunBook is kept in memory)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from app.etl import naming
from app.etl.errors import RunCancelled, RunError
from app.etl.pipeline import RunHandle
from app.etl.spec import TableSpec
from app.services import retry
from app.services.runs import RunBook, stops_process


@dataclass(frozen=True)
class Side:
    """One end of a job as the engine takes it: a type (None: the local warehouse), its
    parameters and its secrets."""

    type_key: str | None
    params: dict = field(default_factory=dict)
    secrets: dict = field(default_factory=dict)


def copy_tables(job_name: str, tables: list[TableSpec], source: Side, dest: Side,
                book: RunBook, handle: RunHandle) -> None:
    """Open the destination and copy each table not loaded yet (each committed on its own),
    recording each outcome in `book`."""
    from app.etl.destinations import open_destination
    from app.etl.runner import run_table

    book.secrets.update(source.secrets)
    book.secrets.update(dest.secrets)
    problem = naming.collision(tables, dest.type_key, dest.params)
    if problem:
        raise RunError(f"Nothing was loaded: {problem} (Edit the job.)")
    destination = open_destination(dest.type_key, dest.params, dest.secrets, handle,
                                   owner=f"job {job_name!r}")
    try:
        for index, spec in enumerate(tables):
            if book.done(index):
                continue  # loaded by an earlier attempt of this run
            book.table_started(index, handle)
            result = run_table(job_name, source.type_key or "", source.params, source.secrets,
                               destination, spec, run_id=book.id, handle=handle)
            book.table_done(index, spec, result, handle)
    finally:
        with contextlib.suppress(Exception):
            destination.close()


def attempts(copy: Callable[[], None], book: RunBook, handle: RunHandle, job_name: str,
             tries: int, backoff_seconds: float) -> None:
    """Call `copy` until it succeeds, fails in a way not worth another try, or `tries` are
    used up (waiting the backoff between; a cancel ends the wait), then record how the run
    ended. Whatever ends it is recorded, never lost; a KeyboardInterrupt or SystemExit goes
    on once it is (see stops_process)."""
    while True:
        try:
            copy()
        except BaseException as exc:
            if not stops_process(exc) and _again(book, handle, exc, tries, backoff_seconds):
                continue
            if handle.cancel.is_set() and not handle.stalled:
                exc = RunCancelled()  # (while waiting to try again)
            book.failed(exc, handle)
            if stops_process(exc):
                book.finish(job_name, handle)
                raise
        break
    book.finish(job_name, handle)


def _again(book: RunBook, handle: RunHandle, exc: BaseException, tries: int,
           backoff_seconds: float) -> bool:
    """After a failure worth another try (app.services.retry) and tries left, wait the
    backoff and say whether to go on."""
    if book.attempts >= tries or handle.cancel.is_set() or handle.stalled or \
            not retry.transient(exc):
        return False
    delay = retry.backoff(book.attempts, backoff_seconds)
    book.retrying(exc, handle, delay, tries)
    if handle.cancel.wait(delay):
        return False
    book.attempts += 1
    handle.say("")
    return True
