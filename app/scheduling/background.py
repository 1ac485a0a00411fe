"""`python main.py scheduler`: the scheduler with no window (a server, a container, a
systemd user service).

It takes the same per-computer lock as the app's embedded scheduler (the app then says who
schedules, and shows those runs on its cards from the store), logs to stdout, looks at the
job table every POLL_SECONDS for jobs added, edited, paused or deleted by another process,
and runs each due job on a thread of its own (one run of a job at a time, as everywhere).

SIGTERM or SIGINT stops it: nothing new starts, running jobs are cancelled (their
destinations stay as they were and their runs are recorded as cancelled) and waited for up
to the grace period; a run still going then is recorded as cancelled by the scheduler
before it exits, never left as "running".
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING

from app.scheduling.scheduler import Scheduler, holder

if TYPE_CHECKING:
    from app.services.context import AppContext

log = logging.getLogger("sluice.scheduler")
POLL_SECONDS = 30.0
GRACE_SECONDS = 30.0
STOPPED = ("The background scheduler was stopped ({signal}) and the run did not end within "
           "its {grace:g} s grace; the destination was left as it was.")


class BackgroundScheduler:
    def __init__(self, ctx: AppContext, grace: float = GRACE_SECONDS,
                 poll: float = POLL_SECONDS) -> None:
        from app.services.jobs import JobService

        self.jobs = JobService(ctx)
        self.grace, self.poll = grace, poll
        self.stopping = threading.Event()
        self.signal_name = "asked"
        self._runs: dict[str, tuple[threading.Thread, object]] = {}  # job id -> (thread, handle)
        self._lock = threading.Lock()
        self.scheduler = Scheduler(self.jobs, self.fire, owner="the background scheduler")

    def fire(self, job_id: str) -> None:
        """(a scheduler thread) Run a due job on a thread of its own."""
        from app.services.jobs import RunHandle

        with self._lock:
            if self.stopping.is_set():
                return
            running = self._runs.get(job_id)
            if running is not None and running[0].is_alive():
                log.info("job %s is still running; this firing is skipped", job_id)
                return
            handle = RunHandle()
            thread = threading.Thread(target=self._run, args=(job_id, handle),
                                      name=f"sluice-run-{job_id[:8]}", daemon=True)
            self._runs[job_id] = (thread, handle)
        thread.start()

    def _run(self, job_id: str, handle) -> None:
        from app.services.errors import NotFound
        from app.services.jobs import JobBusy

        try:
            run = self.jobs.run(job_id, trigger="schedule", handle=handle)
        except JobBusy as exc:
            log.warning("%s", exc)
        except NotFound:
            log.warning("job %s was deleted before its run", job_id)
        except Exception:  # recorded in the run; the scheduler goes on
            log.exception("run of job %s failed to be recorded", job_id)
        else:
            log.info("run %s of job %s: %s, %s rows", run.id, job_id, run.status,
                     run.rows_written)

    def stop(self, signum: int | None = None, _frame=None) -> None:
        """Stop soon (a signal handler, or another thread)."""
        if signum is not None:
            self.signal_name = signal.Signals(signum).name
        self.stopping.set()

    def serve(self) -> int:
        """Schedule until stopped; 0 when stopped cleanly, 1 when another process
        schedules already."""
        from app.services.retention import prune

        prune(self.jobs.ctx.store)  # run records past the kept days and runs
        if not self.scheduler.start():
            print(f"sluice: the schedules are already run by "
                  f"{holder() or 'another Sluice process'}.", file=sys.stderr)
            return 1
        log.info("background scheduler started (pid %s); %s", os.getpid(),
                 self.scheduler.summary())
        try:
            while not self.stopping.wait(self.poll):
                self.scheduler.sync()
        finally:
            self._shut_down()
        return 0

    def _shut_down(self) -> None:
        self.scheduler.stop()  # nothing new fires
        with self._lock:
            self.stopping.set()
            runs = dict(self._runs)
        alive = {job_id: run for job_id, run in runs.items() if run[0].is_alive()}
        if alive:
            log.info("stopping (%s): cancelling %d running job(s), waiting up to %g s",
                     self.signal_name, len(alive), self.grace)
        for _, handle in alive.values():
            handle.cancel.set()
        deadline = time.monotonic() + self.grace
        for thread, _ in alive.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        from app.services.runs import stop_running

        for job_id, (thread, _) in alive.items():
            if thread.is_alive():
                stop_running(self.jobs.ctx.store, job_id,
                             STOPPED.format(signal=self.signal_name, grace=self.grace))
        log.info("background scheduler stopped")


def serve(ctx: AppContext, grace: float = GRACE_SECONDS, poll: float = POLL_SECONDS) -> int:
    """Run the background scheduler in this (main) thread until SIGTERM or SIGINT."""
    scheduler = BackgroundScheduler(ctx, grace, poll)
    before = {sig: signal.signal(sig, scheduler.stop) for sig in (signal.SIGINT,
                                                                   signal.SIGTERM)}
    try:
        return scheduler.serve()
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
