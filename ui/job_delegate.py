"""What a job card shows: last run (or progress), source -> destination, Run / Cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt

from app.connectors import registry
from app.timefmt import ago
from app.words import plural
from ui import theme
from ui.cards import Button, CardContent, CardDelegate
from ui.job_model import JobRole, LastRunRole, ProgressRole

if TYPE_CHECKING:
    from app.services.jobs import JobView, RunView
    from ui.job_model import Progress

IDLE = [Button("run", "Run", 44, tip="Run this job now"),
        Button("preview", "Preview", 62, tip="The first rows of each table it landed"),
        Button("edit", "Edit", 44, tip="Change the tables, modes, destination or schedule"),
        Button("history", "History", 60, tip="Runs of this job, their logs and a trend"),
        Button("cloud", "Google Cloud…", 0, in_menu=True,
               tip="Export for Google Cloud Run, or deploy it there and run it in the cloud"),
        Button("delete", "Delete", 0, danger=True, in_menu=True, tip="Delete this job")]
RUNNING = [Button("cancel", "Cancel", 68, tip="Stop this run; the destination stays as it was")]
ELSEWHERE = [Button("history", "History", 60, tip="Runs of this job, their logs and a trend")]
WHO = {"cli": "the command line", "schedule": "the background scheduler",
       "cloud": "the cloud"}
DOT = {"succeeded": "ok", "failed": "failed", "interrupted": "failed", "cancelled": "error"}


def route(job: JobView) -> str:
    tables = ", ".join(t.source_name for t in job.tables)
    destination = job.destination_label
    return f"{job.source_name} → {destination}: {tables}"


def schedule_line(job: JobView) -> str:
    """"Every day at 06:00 Europe/Warsaw  ·  next Mon 30 Nov 06:00", and where the job is
    deployed in Google Cloud."""
    from app.scheduling.schedule import when

    cloud = f"  ·  ☁ {cloud_words(job, short=True)}" if job.cloud else ""
    words = job.schedule.describe()
    if job.schedule_kind == "manual":
        return "Manual — runs when you press Run" + cloud
    next_run = job.next_run()
    return (f"{words}  ·  next {when(next_run, job.timezone)}" if next_run else words) + cloud


def cloud_words(job: JobView, short: bool = False) -> str:
    """"Deployed to acme / europe-west1 as sluice-x  ·  last cloud run: succeeded" (short:
    "Cloud Run acme/europe-west1, last run succeeded")."""
    cloud = job.cloud or {}
    unfinished = not cloud.get("complete", True)
    last = (cloud.get("last_execution") or {}).get("status")
    if short:
        return f"Cloud Run {cloud.get('project')}/{cloud.get('region')}" + (
            " (deploy unfinished)" if unfinished else "") + (
            f", last run {last}" if last else "")
    return (f"Deployed to {cloud.get('project')} / {cloud.get('region')} as "
            f"{cloud.get('job')}" + (" (the last deploy did not finish)" if unfinished else "")
            + (f"  ·  last cloud run: {last}" if last else ""))


def last_run_line(job: JobView, run: RunView | None) -> str:
    modes = sorted({t.mode for t in job.tables})
    prefix = f"{' / '.join(modes).capitalize()}  ·  "
    if run is None:
        return prefix + "Never run"
    rows = f"{run.rows_written:,} row{'s' if run.rows_written != 1 else ''}"
    when = ago(run.finished_at or run.started_at)
    if run.status == "succeeded":
        # What the user should know of the rows: some not synced, some gone at the source.
        said = [n for t in run.tables for n in (t.get("notice") or "").split("; ")
                if "not synced" in n or "gone from the source" in n or "stored as NULL" in n]
        return prefix + f"Last run: {rows}, {when}" + (f"  ·  {said[0]}" if said else "")
    return prefix + f"Last run {run.status} {when}: {run.error or ''}"


def expected_share(job: JobView, run: RunView | None, progress: Progress) -> float:
    """How far a run is, judged by the last full run's rows; -1 when that says nothing."""
    full = all(t.mode != "incremental" for t in job.tables)
    if not full or run is None or run.status != "succeeded" or run.rows_written <= 0:
        return -1.0
    return min(1.0, progress.rows / run.rows_written)


def progress_line(progress: Progress) -> str:
    if progress.elsewhere:
        who = WHO.get(progress.elsewhere, "another Sluice window")
        return f"Running in {who}: {plural(progress.rows, 'row')} so far"
    if progress.note:
        return f"{progress.note}…"
    return (f"Running: {plural(progress.rows, 'row')}  ·  {progress.rate:,.0f} rows/s  ·  "
            f"{progress.megabytes:,.0f} MB read")


class JobCardDelegate(CardDelegate):
    height = 108
    buttons_beside_title = True

    def content(self, index: QModelIndex) -> CardContent:
        job: JobView = index.data(JobRole)
        run: RunView | None = index.data(LastRunRole)
        progress: Progress | None = index.data(ProgressRole)
        source_label = registry.get_type(job.source_type).label
        subtitle = f"{source_label} · {route(job)}"  # cut at its end: the tables
        right = Qt.TextElideMode.ElideRight
        if progress is not None:
            return CardContent(job.id, job.name, subtitle, schedule_line(job),
                               theme.type_icon(job.source_type), "testing", pulsing=True,
                               buttons=ELSEWHERE if progress.elsewhere else RUNNING,
                               extra=progress_line(progress),
                               progress=expected_share(job, run, progress),
                               subtitle_elide=right)
        return CardContent(job.id, job.name, subtitle, schedule_line(job),
                           theme.type_icon(job.source_type),
                           DOT.get(run.status, "unknown") if run else "unknown", buttons=IDLE,
                           extra=last_run_line(job, run), subtitle_elide=right)
