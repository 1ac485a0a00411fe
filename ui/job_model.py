"""The list model behind the job cards: jobs, their last run, and runs in progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

if TYPE_CHECKING:  # the services import SQLAlchemy: not at window start-up
    from app.services.jobs import JobView, RunView

JobRole = Qt.ItemDataRole.UserRole + 1
LastRunRole = Qt.ItemDataRole.UserRole + 2
ProgressRole = Qt.ItemDataRole.UserRole + 3
FilterRole = Qt.ItemDataRole.UserRole + 4

Index = QModelIndex | QPersistentModelIndex


@dataclass
class Progress:
    """A running job as the card shows it (copied from the run's handle)."""

    rows: int = 0
    rate: float = 0.0
    megabytes: float = 0.0
    note: str = ""  # what the run waits for, if it waits
    elsewhere: str = ""  # run by another process: its trigger ("cli", "schedule")


class JobListModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[JobView, RunView | None]] = []
        self._running: dict[str, Progress] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        job, last = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return job.name
        if role == JobRole:
            return job
        if role == LastRunRole:
            return last
        if role == ProgressRole:
            return self._running.get(job.id)
        if role == FilterRole:
            return " ".join([job.name, job.source_name, job.destination_name,
                             *(t.source_name for t in job.tables)])
        if role == Qt.ItemDataRole.ToolTipRole:
            error = f"<br>Last error: {last.error}" if last and last.error else ""
            return f"<b>{job.name}</b>{error}"
        if role == Qt.ItemDataRole.AccessibleTextRole:  # what a screen reader says
            state = "running" if job.id in self._running else \
                f"last run {last.status}" if last else "never run"
            return f"{job.name}, ETL job: {state}"
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            said = f"{last.error} " if last and last.error else ""
            return said + "Enter: run (or cancel a run). Delete: delete. Menu key: all actions."
        return None

    def set_jobs(self, rows: list[tuple[JobView, RunView | None]]) -> None:
        if rows == self._rows:
            return  # as shown (the services' read after the first look): keep the selection
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def jobs(self) -> list[JobView]:
        return [job for job, _ in self._rows]

    def row_of(self, job_id: str) -> int:
        return next((i for i, (j, _) in enumerate(self._rows) if j.id == job_id), -1)

    def _changed(self, job_id: str) -> None:
        row = self.row_of(job_id)
        if row >= 0:
            self.dataChanged.emit(self.index(row), self.index(row))

    def set_progress(self, job_id: str, progress: Progress | None) -> None:
        if progress is None:
            self._running.pop(job_id, None)
        else:
            self._running[job_id] = progress
        self._changed(job_id)

    def set_last_run(self, job_id: str, run: RunView) -> None:
        row = self.row_of(job_id)
        if row >= 0:
            self._rows[row] = (self._rows[row][0], run)
            self._changed(job_id)

    def running(self, job_id: str) -> bool:
        return job_id in self._running

    @property
    def any_running(self) -> bool:
        return bool(self._running)
