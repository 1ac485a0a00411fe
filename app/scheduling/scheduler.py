"""The scheduler: fires jobs on their schedules, in the app (embedded) or with no window
(`python main.py scheduler`, app.scheduling.background).

The job table is the source of truth: `sync` makes APScheduler's in-memory jobs match it
(one per enabled, scheduled job; coalesced, one instance at a time) unless schedules are
paused for the whole computer (a setting: `scheduler pause`, the tray). A run missed while
the computer was off or asleep starts once on wake when it is within the job's grace
(coalesced: one catch-up run however many were missed); later than that, the miss is
recorded as a `skipped` run, so History shows the gap. Only one process on the machine
schedules: the first to take the lock, which notes who it is; another window, or the CLI,
runs jobs only when asked.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app import locks
from app.scheduling.schedule import ScheduleError

if TYPE_CHECKING:
    from app.services.jobs import JobService, RunView

log = logging.getLogger("sluice.scheduler")
PAUSED = "schedules_paused"  # the setting: schedules paused on this computer
LOCK_NAME = "scheduler.lock"


def paused(store) -> bool:
    return bool(store.get_setting(PAUSED, False))


def set_paused(store, value: bool) -> None:
    """Pause or resume every schedule (each scheduler notices at its next sync)."""
    store.set_setting(PAUSED, bool(value))
    log.info("schedules %s", "paused" if value else "resumed")


def holder() -> str:
    """Who runs the schedules on this computer ("the background scheduler, pid 4711"), or
    "" when nobody does."""
    path = locks.folder() / LOCK_NAME
    if not path.exists() or locks.free(path):
        return ""
    lock = locks.FileLock(path)
    try:
        return lock.holder()
    finally:
        lock.release()


class Scheduler:
    """`fire(job_id)` is called on a scheduler thread when a job is due; it should hand the
    run to whoever shows it (the GUI) or run it (headless). `missed(job_id, run)`, when
    given, hears of each `skipped` run recorded. `owner` says who schedules ("the app",
    "the background scheduler"), for the other processes to tell."""

    def __init__(self, jobs: JobService, fire: Callable[[str], None],
                 owner: str = "the app",
                 missed: Callable[[str, RunView], None] | None = None) -> None:
        from apscheduler.events import EVENT_JOB_MISSED
        from apscheduler.schedulers.background import BackgroundScheduler

        self.jobs, self.fire, self.owner, self.missed = jobs, fire, owner, missed
        self._lock: locks.FileLock | None = None
        self._keys: dict[str, tuple] = {}  # job id -> what it was scheduled from
        self._scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
        self._scheduler.add_listener(self._missed, EVENT_JOB_MISSED)

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def start(self) -> bool:
        """Start scheduling; False (and nothing started) when another process schedules."""
        lock = locks.FileLock(locks.folder() / LOCK_NAME)
        if not lock.acquire(wait=False):
            lock.release()
            log.info("the schedules are run by %s", holder() or "another Sluice process")
            return False
        lock.note(f"{self.owner}, pid {os.getpid()}")
        self._lock = lock
        self._scheduler.start()
        self.sync()
        return True

    def sync(self) -> None:
        """Make the scheduled set match the job table (after a create, edit, pause or
        delete, here or in another process) and the computer-wide pause."""
        if not self.running:
            return
        wanted = {}
        stop_all = paused(self.jobs.ctx.store)
        for job in [] if stop_all else self.jobs.list():
            if job.enabled and job.schedule_kind != "manual":
                grace = job.unattended.missed_grace_seconds
                key = (job.schedule, job.updated_at, grace)
                if self._keys.get(job.id) == key:
                    wanted[job.id] = None  # unchanged: keeps its next fire time
                    continue
                try:
                    wanted[job.id] = (job.name, key, job.schedule.trigger(job.updated_at),
                                      grace)
                except ScheduleError as exc:
                    log.warning("job %r is not scheduled: %s", job.name, exc)
        for scheduled in self._scheduler.get_jobs():
            if scheduled.id not in wanted:
                scheduled.remove()
                self._keys.pop(scheduled.id, None)
        for job_id, change in wanted.items():
            if change is None:
                continue
            name, key, trigger, grace = change
            # A grace of 0 ("never catch up") still allows the scheduler's own lateness.
            self._scheduler.add_job(self._fire, trigger, args=[job_id], id=job_id, name=name,
                                    misfire_grace_time=max(grace, 1), replace_existing=True)
            self._keys[job_id] = key
            log.info("scheduled %r: %s", name, trigger)

    def summary(self) -> str:
        """"3 jobs scheduled; next: Orders ETL at 2026-11-30 06:00 UTC" (or why none)."""
        if paused(self.jobs.ctx.store):
            return "schedules are paused (`scheduler resume` resumes them)"
        jobs = [j for j in self._scheduler.get_jobs() if j.next_run_time is not None]
        if not jobs:
            return "no job is scheduled"
        first = min(jobs, key=lambda j: j.next_run_time)
        return (f"{len(jobs)} job{'s' if len(jobs) != 1 else ''} scheduled; next: "
                f"{first.name} at {first.next_run_time:%Y-%m-%d %H:%M %Z}")

    def next_run(self, job_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id) if self.running else None
        return job.next_run_time if job is not None else None

    def run_soon(self, job_id: str) -> None:
        """Fire a scheduled job now, as if its time had come (its schedule goes on after)."""
        self._scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))

    def wake(self, job_id: str, missed_since: datetime) -> None:
        """As if the computer had slept from `missed_since`: the job's next fire time goes
        back there and the scheduler looks at once (what it does on a real wake)."""
        self._scheduler.modify_job(job_id, next_run_time=missed_since)
        self._scheduler.wakeup()

    def _fire(self, job_id: str) -> None:
        log.info("schedule fires job %s", job_id)
        self.fire(job_id)

    def _missed(self, event) -> None:
        """(a scheduler thread) A run missed beyond the job's grace: record it."""
        log.warning("job %s missed its run of %s (beyond its grace)", event.job_id,
                    event.scheduled_run_time)
        try:
            run = self.jobs.record_skipped(event.job_id, event.scheduled_run_time)
        except Exception:  # the scheduler goes on
            log.exception("the missed run of job %s was not recorded", event.job_id)
            return
        if self.missed is not None:
            self.missed(event.job_id, run)

    def stop(self) -> None:
        if self.running:
            self._scheduler.shutdown(wait=False)
        if self._lock is not None:
            self._lock.release()
            self._lock = None
