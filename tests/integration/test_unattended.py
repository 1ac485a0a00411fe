"""Jobs with nobody watching: retries of transient failures, missed runs (caught up once
within the grace, recorded as skipped beyond it), webhooks, pausing."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.etl.pipeline import RunHandle
from app.scheduling import scheduler as scheduling
from app.scheduling.schedule import Schedule
from app.scheduling.scheduler import Scheduler
from app.services.errors import ValidationError
from app.services.jobs import JobDraft, JobService, TableSpec, Unattended
from tests.integration.engine_helpers import (
    pg_exec,
    save_connection,
    wait_until,
    warehouse_rows,
)


def _orders(pg_db, rows: int) -> None:
    pg_exec(pg_db, "drop table if exists orders",
            "create table orders (id bigint primary key, note text)",
            f"insert into orders select g, repeat('x', 20) from generate_series(1, {rows}) g")


def _job(ctx, pg_db, rows: int = 10, **draft) -> JobService:
    _orders(pg_db, rows)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    jobs = JobService(ctx)
    jobs.backoff_seconds = 0.05  # the waits between tries, not wall-clock minutes
    jobs.create(JobDraft("Orders", "src", [TableSpec("orders")], **draft))
    return jobs


# --- retries ----------------------------------------------------------------------------

def _kill_first_copy(pg_db):
    """(an event set once it struck, a progress callback): the first time rows move, the
    source's COPY is killed under the run (as a server restart or a dropped link would)."""
    killed = threading.Event()

    def kill_once(_: RunHandle) -> None:
        if not killed.is_set():
            killed.set()
            pg_exec(pg_db, "select pg_terminate_backend(pid) from pg_stat_activity "
                           "where application_name = 'Sluice' and pid <> pg_backend_pid() "
                           "and query ilike 'copy%'")

    return killed, kill_once


@pytest.mark.qt_no_exception_capture  # psycopg2 prints the killed COPY's error
def test_a_source_killed_mid_read_is_tried_again_and_the_run_says_so(ctx, pg_db):
    jobs = _job(ctx, pg_db, rows=2_000_000)
    killed, kill_once = _kill_first_copy(pg_db)
    run = jobs.run("Orders", handle=RunHandle(on_progress=kill_once))
    assert killed.is_set()
    assert (run.status, run.attempts, run.rows_written) == ("succeeded", 2, 2_000_000)
    assert "Attempt 1 of 3 failed: public.orders: The source stopped mid-read" in run.log
    assert run.log.rstrip().endswith("Attempt 2 succeeded.")
    assert run.to_json()["attempts"] == 2
    assert warehouse_rows("select count(*) from orders") == [(2_000_000,)]


def test_a_missing_table_is_not_tried_again(ctx, pg_db):
    jobs = _job(ctx, pg_db)
    pg_exec(pg_db, "drop table orders")
    run = jobs.run("Orders")
    assert (run.status, run.attempts) == ("failed", 1)
    assert "Attempt" not in run.log


def test_a_wrong_password_fails_at_once(ctx, mariadb_db):
    with mariadb_db_table(mariadb_db):
        view = save_connection(ctx, "mariadb", "maria", mariadb_db.params(
            password=mariadb_db.password))
        jobs = JobService(ctx)
        jobs.backoff_seconds = 0.05
        jobs.create(JobDraft("Items", "maria", [TableSpec("items")]))
        with ctx.store.session() as s:
            from app.store.models import Connection

            ref = s.get(Connection, view.id).secret_ref
        ctx.secrets.set(ref, {"password": "not-the-password"})
        run = jobs.run("Items")
    assert (run.status, run.attempts) == ("failed", 1)
    assert "Access denied" in run.error


class mariadb_db_table:  # noqa: N801 - a context manager named for what it holds
    def __init__(self, db) -> None:
        self.db = db

    def __enter__(self):
        import pymysql

        with pymysql.connect(host=self.db.host, port=self.db.port, user=self.db.user,
                             password=self.db.password, database=self.db.database,
                             autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("create table items (id int primary key)")
            cur.execute("insert into items values (1), (2)")

    def __exit__(self, *_):
        return False


def test_retries_are_bounded_and_checked(ctx, pg_db):
    with pytest.raises(ValidationError) as refused:
        _job(ctx, pg_db, unattended=Unattended(retries=9))
    assert refused.value.errors == {"retries": "Retries must be from 0 to 5."}


@pytest.mark.qt_no_exception_capture
def test_no_retries_means_one_attempt(ctx, pg_db):
    jobs = _job(ctx, pg_db, rows=2_000_000, unattended=Unattended(retries=0))
    _, kill_once = _kill_first_copy(pg_db)
    run = jobs.run("Orders", handle=RunHandle(on_progress=kill_once))
    assert (run.status, run.attempts) == ("failed", 1)


@pytest.mark.qt_no_exception_capture
def test_cancel_while_waiting_to_try_again_is_a_cancel(ctx, pg_db):
    jobs = _job(ctx, pg_db, rows=2_000_000)
    jobs.backoff_seconds = 60  # long: the cancel comes first
    handle = RunHandle()

    _, kill_once = _kill_first_copy(pg_db)

    def kill_then_cancel(h: RunHandle) -> None:
        if h.note.startswith("Attempt 1 failed"):
            h.cancel.set()  # pressing Cancel while the card says it will try again
        elif h.rows_read:
            kill_once(h)

    handle.on_progress = kill_then_cancel
    run = jobs.run("Orders", handle=handle)
    assert (run.status, run.attempts) == ("cancelled", 1)


# --- webhooks ---------------------------------------------------------------------------

class Hook:
    """A local HTTP server that keeps what is POSTed to it."""

    def __init__(self, status: int = 200) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, self.headers["Content-Type"], json.loads(body)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/T0KEN"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_failed_run_is_posted_to_the_webhook(ctx, pg_db):
    hook = Hook()
    try:
        jobs = _job(ctx, pg_db, webhook=hook.url)
        assert jobs.get("Orders").has_webhook
        pg_exec(pg_db, "drop table orders")
        run = jobs.run("Orders")
    finally:
        hook.close()
    assert len(hook.received) == 1
    path, content_type, doc = hook.received[0]
    assert (path, content_type) == ("/hooks/T0KEN", "application/json")
    assert doc == {"job": "Orders", "status": "failed", "rows": 0,
                   "duration_seconds": run.seconds, "error": run.error, "run_id": run.id,
                   "attempts": 1, "trigger": "manual",
                   "started_at": run.started_at.isoformat(),
                   "text": f"Sluice: job “Orders” failed: {run.error}"}
    # The URL (and its token) lives with the passwords, not in the store.
    with ctx.store.session() as s:
        from app.store.models import Job

        row = s.query(Job).one()
        assert "T0KEN" not in json.dumps([row.webhook_ref, row.tables])
        assert ctx.secrets.get(row.webhook_ref) == {"url": hook.url}


def test_success_is_posted_only_when_asked(ctx, pg_db):
    hook = Hook()
    try:
        jobs = _job(ctx, pg_db, webhook=hook.url)
        assert jobs.run("Orders").status == "succeeded"
        assert hook.received == []
        draft = jobs.get("Orders").draft()
        draft.unattended = Unattended(notify_success=True)
        jobs.update("Orders", draft)
        run = jobs.run("Orders")
    finally:
        hook.close()
    assert [d["status"] for _, _, d in hook.received] == ["succeeded"]
    assert hook.received[0][2]["text"].startswith("Sluice: job “Orders” succeeded: 10 rows")
    assert hook.received[0][2]["run_id"] == run.id


def test_a_dead_webhook_never_fails_the_run(ctx, pg_db):
    hook = Hook(status=500)
    try:
        jobs = _job(ctx, pg_db, webhook=hook.url, unattended=Unattended(notify_success=True))
        run = jobs.run("Orders")
    finally:
        hook.close()
    assert run.status == "succeeded"
    log = jobs.runs("Orders")[0].log
    assert log.endswith("The webhook was not told of this run: http://127.0.0.1 answered "
                        "HTTP 500 Internal Server Error")
    assert "T0KEN" not in log
    hook.close()  # nobody listens any more
    run = jobs.run("Orders")
    assert run.status == "succeeded"
    assert "could not be reached" in jobs.runs("Orders")[0].log


def test_a_webhook_is_removed_with_an_empty_url_and_checked(ctx, pg_db):
    jobs = _job(ctx, pg_db, webhook="https://hooks.example.com/T0KEN")
    with ctx.store.session() as s:
        from app.store.models import Job

        ref = s.query(Job).one().webhook_ref
    draft = jobs.get("Orders").draft()
    assert draft.webhook is None  # kept unless changed
    jobs.update("Orders", draft)
    assert jobs.get("Orders").has_webhook
    draft.webhook = ""
    jobs.update("Orders", draft)
    assert not jobs.get("Orders").has_webhook
    from app.secrets import SecretError

    with pytest.raises(SecretError):
        ctx.secrets.get(ref)
    draft.webhook = "ftp://nope"
    with pytest.raises(ValidationError) as refused:
        jobs.update("Orders", draft)
    assert "webhook" in refused.value.errors


# --- missed runs ------------------------------------------------------------------------

def _scheduled(jobs: JobService, fired: list) -> Scheduler:
    def fire(job_id: str) -> None:
        fired.append(job_id)

    scheduler = Scheduler(jobs, fire)
    assert scheduler.start()
    return scheduler


def test_after_a_long_sleep_a_frequent_job_catches_up_once(ctx, pg_db):
    jobs = _job(ctx, pg_db, schedule=Schedule("interval", "15m", "UTC"))
    job = jobs.get("Orders")
    fired: list[str] = []
    scheduler = _scheduled(jobs, fired)
    try:
        scheduler.wake(job.id, datetime.now(UTC) - timedelta(hours=3))  # 12 runs missed
        wait_until(lambda: fired, 20)
        assert fired == [job.id]  # once, not twelve times
        assert scheduler.next_run(job.id) > datetime.now(UTC)  # and on with its schedule
    finally:
        scheduler.stop()
    assert [r.status for r in jobs.runs("Orders")] == []  # the last miss is within grace


def test_a_miss_beyond_the_grace_is_recorded_as_skipped(ctx, pg_db):
    hook = Hook()
    try:
        jobs = _job(ctx, pg_db, schedule=Schedule("daily", "06:00", "UTC"), webhook=hook.url,
                    unattended=Unattended(missed_grace_seconds=3600))
        job = jobs.get("Orders")
        fired: list[str] = []
        scheduler = _scheduled(jobs, fired)
        try:
            due = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
            scheduler.wake(job.id, due)
            wait_until(lambda: jobs.runs("Orders"), 20)
        finally:
            scheduler.stop()
    finally:
        hook.close()
    assert fired == []
    [run] = jobs.runs("Orders")
    assert (run.status, run.trigger, run.started_at) == ("skipped", "schedule", due)
    assert run.error.startswith(f"Missed its run due at {due:%Y-%m-%d %H:%M} UTC: Sluice was "
                                "not running")
    assert "more than 1 hour late" in run.error
    assert run.to_json()["status"] == "skipped"
    assert [d["status"] for _, _, d in hook.received] == ["skipped"]


# --- pausing ----------------------------------------------------------------------------

def test_pausing_every_schedule_survives_a_restart(ctx, pg_db):
    jobs = _job(ctx, pg_db, schedule=Schedule("interval", "15m", "UTC"))
    job = jobs.get("Orders")
    fired: list[str] = []
    scheduler = _scheduled(jobs, fired)
    try:
        assert scheduler.next_run(job.id) is not None
        scheduling.set_paused(ctx.store, True)
        scheduler.sync()
        assert scheduler.next_run(job.id) is None
        assert scheduler.summary().startswith("schedules are paused")
    finally:
        scheduler.stop()
    again = _scheduled(jobs, fired)  # a new process: still paused
    try:
        assert again.next_run(job.id) is None
        scheduling.set_paused(ctx.store, False)
        again.sync()
        assert again.next_run(job.id) == jobs.get(job.id).next_run()
    finally:
        again.stop()


def test_pausing_one_job(ctx, pg_db):
    jobs = _job(ctx, pg_db, schedule=Schedule("interval", "15m", "UTC"))
    fired: list[str] = []
    scheduler = _scheduled(jobs, fired)
    try:
        job = jobs.set_enabled("Orders", False)
        scheduler.sync()
        assert scheduler.next_run(job.id) is None and job.next_run() is None
        jobs.set_enabled("Orders", True)
        scheduler.sync()
        assert scheduler.next_run(job.id) is not None
    finally:
        scheduler.stop()
