"""The embedded scheduler: fires jobs on their schedules while Sluice runs.

The job table is the source of truth: `sync` makes APScheduler's in-memory jobs match it
(one per enabled, scheduled job; coalesced, one instance at a time, a grace period for
runs missed while the computer slept). Only one process on the machine schedules: the
first to take the lock; another window, or the CLI, runs jobs only when asked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app import locks
from app.scheduling.schedule import ScheduleError

if TYPE_CHECKING:
    from app.services.jobs import JobService

log = logging.getLogger("sluice.scheduler")
MISFIRE_GRACE_SECONDS = 600


class Scheduler:
    """`fire(job_id)` is called on a scheduler thread when a job is due; it should hand the
    run to whoever shows it (the GUI) or run it (headless)."""

    def __init__(self, jobs: JobService, fire: Callable[[str], None],
                 misfire_grace: int = MISFIRE_GRACE_SECONDS) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        self.jobs, self.fire = jobs, fire
        self._lock: locks.FileLock | None = None
        self._keys: dict[str, tuple] = {}  # job id -> what it was scheduled from
        self._scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1,
                                        "misfire_grace_time": misfire_grace})

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def start(self) -> bool:
        """Start scheduling; False (and nothing started) when another process schedules."""
        lock = locks.FileLock(locks.folder() / "scheduler.lock")
        if not lock.acquire(wait=False):
            lock.release()
            log.info("another Sluice process runs the schedules")
            return False
        self._lock = lock
        self._scheduler.start()
        self.sync()
        return True

    def sync(self) -> None:
        """Make the scheduled set match the job table (after a create, edit or delete)."""
        if not self.running:
            return
        wanted = {}
        for job in self.jobs.list():
            if job.enabled and job.schedule_kind != "manual":
                key = (job.schedule, job.updated_at)
                if self._keys.get(job.id) == key:
                    wanted[job.id] = None  # unchanged: keeps its next fire time
                    continue
                try:
                    wanted[job.id] = (job.name, key, job.schedule.trigger(job.updated_at))
                except ScheduleError as exc:
                    log.warning("job %r is not scheduled: %s", job.name, exc)
        for scheduled in self._scheduler.get_jobs():
            if scheduled.id not in wanted:
                scheduled.remove()
                self._keys.pop(scheduled.id, None)
        for job_id, change in wanted.items():
            if change is None:
                continue
            name, key, trigger = change
            self._scheduler.add_job(self._fire, trigger, args=[job_id], id=job_id, name=name,
                                    replace_existing=True)
            self._keys[job_id] = key
            log.info("scheduled %r: %s", name, trigger)

    def next_run(self, job_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id) if self.running else None
        return job.next_run_time if job is not None else None

    def run_soon(self, job_id: str) -> None:
        """Fire a scheduled job now, as if its time had come (its schedule goes on after)."""
        self._scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))

    def _fire(self, job_id: str) -> None:
        log.info("schedule fires job %s", job_id)
        self.fire(job_id)

    def stop(self) -> None:
        if self.running:
            self._scheduler.shutdown(wait=False)
        if self._lock is not None:
            self._lock.release()
            self._lock = None
