"""The embedded scheduler against a real PostgreSQL source: due jobs run, the job table
decides what is scheduled, and only one process schedules."""

from __future__ import annotations

import threading

from app.scheduling.schedule import Schedule
from app.scheduling.scheduler import Scheduler
from app.services.jobs import JobDraft, JobService, TableSpec
from tests.integration.engine_helpers import pg_exec, save_connection, warehouse_rows


def test_a_due_job_runs_and_edits_reschedule(ctx, pg_db):
    pg_exec(pg_db, "create table t (id int)", "insert into t select generate_series(1, 12)")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    jobs = JobService(ctx)
    hourly = jobs.create(JobDraft("hourly", "src", [TableSpec("t")],
                                  schedule=Schedule("interval", "1h", "UTC")))
    jobs.create(JobDraft("by hand", "src", [TableSpec("t", dest_table="t2")]))
    ran, runs = threading.Event(), []

    def fire(job_id: str) -> None:  # what the headless runner does with a due job
        runs.append(jobs.run(job_id, trigger="schedule"))
        ran.set()

    scheduler = Scheduler(jobs, fire)
    try:
        assert scheduler.start()
        assert scheduler.next_run(hourly.id) == jobs.get(hourly.id).next_run()
        assert scheduler.next_run(jobs.get("by hand").id) is None  # manual: not scheduled

        second = Scheduler(jobs, fire)
        assert not second.start() and not second.running  # one scheduling process

        scheduler.run_soon(hourly.id)
        assert ran.wait(30)
        assert (runs[0].status, runs[0].trigger, runs[0].rows_written) == ("succeeded",
                                                                          "schedule", 12)
        assert warehouse_rows("select count(*) from t") == [(12,)]
        assert scheduler.next_run(hourly.id) > runs[0].finished_at  # and it goes on

        draft = jobs.get(hourly.id).draft()
        draft.schedule = Schedule("daily", "06:00", "Europe/Warsaw")
        jobs.update(hourly.id, draft)
        scheduler.sync()
        assert scheduler.next_run(hourly.id) == jobs.get(hourly.id).next_run()
        jobs.delete(hourly.id)
        scheduler.sync()
        assert scheduler.next_run(hourly.id) is None
    finally:
        scheduler.stop()
    after = Scheduler(jobs, fire)  # the lock is released with the first
    assert after.start()
    after.stop()
