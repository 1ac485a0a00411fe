"""`python main.py scheduler`: schedules with no window; stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.scheduling.background import BackgroundScheduler
from app.scheduling.schedule import Schedule
from app.services.jobs import JobDraft, JobService, TableSpec
from app.store.models import Job
from tests.integration.engine_helpers import (
    pg_exec,
    save_connection,
    wait_until,
    warehouse_rows,
)

ROOT = Path(__file__).resolve().parents[2]


def _orders(pg_db, rows: int) -> None:
    pg_exec(pg_db, "drop table if exists orders",
            "create table orders (id bigint primary key, note text)",
            f"insert into orders select g, repeat('x', 20) from generate_series(1, {rows}) g")


def _every_minute(ctx, pg_db) -> JobService:
    """A job "Orders" copying orders every minute."""
    save_connection(ctx, "postgresql", "src", pg_db.params())
    jobs = JobService(ctx)
    jobs.create(JobDraft("Orders", "src", [TableSpec("orders")],
                         schedule=Schedule("interval", "1m", "UTC")))
    return jobs


def _due_in_two_seconds(ctx, name: str) -> None:
    """An every-minute job whose minute is nearly up (intervals count from the last edit)."""
    with ctx.store.session() as s:
        row = s.query(Job).filter(Job.name == name).one()
        row.updated_at = datetime.now(UTC) - timedelta(seconds=58)


def test_sigterm_mid_run_cancels_it_and_keeps_the_destination(ctx, pg_db):
    _orders(pg_db, 500)
    jobs = _every_minute(ctx, pg_db)
    assert jobs.run("Orders").status == "succeeded"
    _orders(pg_db, 3_000_000)
    proc = subprocess.Popen([sys.executable, "main.py", "scheduler", "--grace", "20",
                             "--poll", "0.2"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=os.environ.copy())
    try:
        lines = iter(proc.stdout.readline, "")
        started = next(line for line in lines if "background scheduler started" in line)
        assert f"background scheduler started (pid {proc.pid}); " in started
        assert "1 job scheduled; next: Orders at " in started
        _due_in_two_seconds(ctx, "Orders")  # an edit elsewhere, noticed at the next poll
        wait_until(lambda: jobs.runs("Orders")[0].status == "running")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopping (SIGTERM): cancelling 1 running job(s), waiting up to 20 s" in out
    assert out.rstrip().endswith("background scheduler stopped")
    newest = jobs.runs("Orders")[0]
    assert (newest.status, newest.trigger) == ("cancelled", "schedule")
    assert warehouse_rows("select count(*) from orders") == [(500,)]


def test_a_second_scheduler_is_refused_and_says_who_schedules(ctx):
    running = BackgroundScheduler(ctx)
    assert running.scheduler.start()
    try:
        done = subprocess.run([sys.executable, "main.py", "scheduler"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60,
                              env=os.environ.copy())
    finally:
        running.scheduler.stop()
    assert done.returncode == 1
    assert done.stderr.strip() == (f"sluice: the schedules are already run by the background "
                                   f"scheduler, pid {os.getpid()}.")


def test_jobs_added_paused_or_deleted_elsewhere_are_noticed(ctx, pg_db):
    _orders(pg_db, 5)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    background = BackgroundScheduler(ctx, poll=0.1)
    serving = threading.Thread(target=background.serve)
    serving.start()
    try:
        wait_until(lambda: background.scheduler.running)
        other = JobService(ctx)  # another process's view of the store
        job = other.create(JobDraft("Orders", "src", [TableSpec("orders")],
                                    schedule=Schedule("interval", "15m", "UTC")))
        wait_until(lambda: background.scheduler.next_run(job.id) is not None)
        other.set_enabled(job.id, False)
        wait_until(lambda: background.scheduler.next_run(job.id) is None)
        other.set_enabled(job.id, True)
        wait_until(lambda: background.scheduler.next_run(job.id) is not None)
        other.delete(job.id)
        wait_until(lambda: background.scheduler.next_run(job.id) is None)
    finally:
        background.stop()
        serving.join(30)
    assert not serving.is_alive() and not background.scheduler.running


def test_a_due_job_runs_with_no_window(ctx, pg_db):
    _orders(pg_db, 7)
    jobs = _every_minute(ctx, pg_db)
    _due_in_two_seconds(ctx, "Orders")
    background = BackgroundScheduler(ctx, poll=0.1)
    serving = threading.Thread(target=background.serve)
    serving.start()
    try:
        wait_until(lambda: jobs.runs("Orders") and jobs.runs("Orders")[0].status == "succeeded")
    finally:
        background.stop()
        serving.join(30)
    run = jobs.runs("Orders")[0]
    assert (run.trigger, run.rows_written) == ("schedule", 7)
    assert warehouse_rows("select count(*) from orders") == [(7,)]


def test_a_run_longer_than_its_interval_never_overlaps(ctx, pg_db):
    import psycopg2

    _orders(pg_db, 10)
    jobs = _every_minute(ctx, pg_db)
    job = jobs.get("Orders")
    background = BackgroundScheduler(ctx)
    holder = psycopg2.connect(host=pg_db.host, port=pg_db.port, user=pg_db.user,
                              dbname=pg_db.database)
    try:
        # The run waits on a lock here: it outlasts its interval.
        holder.cursor().execute("lock table orders in access exclusive mode")
        background.fire(job.id)
        wait_until(lambda: jobs.runs("Orders") and jobs.runs("Orders")[0].status == "running")
        background.fire(job.id)  # its next time comes while it still runs
        background.fire(job.id)
        holder.rollback()
        wait_until(lambda: jobs.runs("Orders")[0].status == "succeeded")
    finally:
        holder.close()
        background.stop()
    assert [(r.status, r.trigger) for r in jobs.runs("Orders")] == [("succeeded", "schedule")]
