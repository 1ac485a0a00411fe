"""Runs of other processes on the window's cards (the command line, the background
scheduler), and jobs they added, edited, paused or deleted, in its list and its schedules:
the store is the meeting point, read on a worker every WATCH_MS (one query), and every
RELIST_EVERY looks the job list too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from ui.job_model import LastRunRole, Progress

if TYPE_CHECKING:
    from ui.main_window import MainWindow

WATCH_MS = 3000
RELIST_EVERY = 10


class RunWatch(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.elsewhere: set[str] = set()  # jobs whose cards show another process's run
        self._looking, self._looks = False, 0
        self.timer = QTimer(self)
        self.timer.setInterval(WATCH_MS)
        self.timer.timeout.connect(self._look)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _look(self) -> None:
        window = self.window
        if window.job_service is None or self._looking:
            return
        self._looking = True
        self._looks += 1
        if self._looks % RELIST_EVERY:
            window.bridge.submit(self, window.job_service.last_runs, on_done=self._runs_seen,
                                 on_error=self._look_failed)
        else:
            window.bridge.submit(self, self._relist, on_done=self._relisted,
                                 on_error=self._look_failed)

    def _look_failed(self, exc: BaseException) -> None:
        from app.services.errors import StoreError

        self._looking = False
        if not isinstance(exc, StoreError):
            raise exc

    def _relist(self) -> tuple[list, dict]:
        """(worker thread) The jobs and their newest runs; the schedules brought in line."""
        window = self.window
        if window.scheduler is not None:
            window.scheduler.sync()
        last = window.job_service.last_runs()
        return window.job_service.list(), last

    def _relisted(self, found: tuple[list, dict]) -> None:
        jobs, last = found
        self.window.job_model.set_jobs([(job, last.get(job.id)) for job in jobs])
        self._runs_seen(last)

    def _runs_seen(self, last: dict) -> None:
        self._looking = False
        model, handles = self.window.job_model, self.window.handles
        for job_id, run in last.items():
            row = model.row_of(job_id)
            if job_id in handles or row < 0:
                continue  # ours (its card follows its handle), or not listed
            shown = model.index(row).data(LastRunRole)
            if shown is not None and shown.id == run.id and shown.status != "running":
                continue  # read before it ended (ours, finished since)
            if run.status == "running":
                self.elsewhere.add(job_id)
                model.set_progress(job_id, Progress(run.rows_written, elsewhere=run.trigger))
                continue
            if job_id in self.elsewhere:
                self.elsewhere.discard(job_id)
                model.set_progress(job_id, None)
            if shown is None or (shown.id, shown.status) != (run.id, run.status):
                model.set_last_run(job_id, run)
