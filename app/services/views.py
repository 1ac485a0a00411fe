"""What the front ends are shown of connections, jobs and runs: plain snapshots, safe to
hand to any thread or to print, built from a stored row by one function each.

Light to import (no SQLAlchemy, no Arrow): the window lists its connections and jobs from
these before the services and the engine have loaded (see app.services.first_look).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.connectors import registry
from app.etl.spec import TableSpec
from app.scheduling.schedule import Schedule, ScheduleError
from app.vocabulary import MISSED_GRACE_SECONDS, RETRIES, STALL_SECONDS

LOCAL = "local"  # how a job names the local warehouse as its destination
WAREHOUSE = "the local warehouse"  # and how a sentence names it
WAREHOUSE_CHOICE = "Local warehouse (DuckDB, on this computer)"  # and a list of choices


@dataclass
class ConnectionView:
    """A plain snapshot of a saved connection, safe to hand to any thread or to print."""

    id: str
    name: str
    type_key: str
    params: dict
    has_secret: bool
    last_test_status: str
    last_test_at: datetime | None
    last_test_message: str | None
    last_test_version: str | None
    last_test_latency_ms: int | None
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime
    used_by: list[str]

    @property
    def type_label(self) -> str:
        return registry.get_type(self.type_key).label

    def to_json(self) -> dict:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id, "name": self.name, "type": self.type_key, "params": self.params,
            "has_secret": self.has_secret,
            "last_test": {"status": self.last_test_status, "at": iso(self.last_test_at),
                          "message": self.last_test_message,
                          "server_version": self.last_test_version,
                          "latency_ms": self.last_test_latency_ms},
            "last_used_at": iso(self.last_used_at), "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at), "used_by": self.used_by,
        }


@dataclass
class JobDraft:
    name: str
    source: str  # connection name or id
    tables: list[TableSpec]
    destination: str = LOCAL  # connection name or id, or "local"
    schedule: Schedule = field(default_factory=Schedule)
    # A run with nothing moving for this long is stopped (None: STALL_SECONDS; 0: never).
    stall_seconds: int | None = None
    unattended: Unattended = field(default_factory=lambda: Unattended())
    # The webhook URL to set ("" removes it; None keeps what the job has).
    webhook: str | None = None


@dataclass(frozen=True)
class Unattended:
    """How a job behaves with nobody watching: tries after a failure that looks transient
    (app.services.retry), how late a missed scheduled run may still start, and whether a
    success is reported too (failures and skipped runs always are)."""

    retries: int = RETRIES
    missed_grace_seconds: int = MISSED_GRACE_SECONDS
    notify_success: bool = False


@dataclass
class JobView:
    id: str
    name: str
    source_id: str
    source_name: str
    source_type: str
    destination_id: str | None
    destination_name: str
    tables: list[TableSpec]
    schedule_kind: str
    schedule_expr: str | None
    timezone: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    stall_seconds: int | None = None
    unattended: Unattended = field(default_factory=lambda: Unattended())
    has_webhook: bool = False
    # Where it is deployed in Google Cloud: {"project", "region", "job", "image", "tasks",
    # "schedule", "deployed_at", "last_execution"} (app.cloud.deploy), or None.
    cloud: dict | None = None

    @property
    def destination_label(self) -> str:
        """The destination as a sentence names it ("Sales DWH", "the local warehouse")."""
        return self.destination_name if self.destination_id else WAREHOUSE

    @property
    def stall_bound(self) -> float:
        """Seconds without movement before a run is stopped (0: never)."""
        return STALL_SECONDS if self.stall_seconds is None else self.stall_seconds

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.schedule_kind, self.schedule_expr, self.timezone)

    def next_run(self, after: datetime | None = None) -> datetime | None:
        """When the schedule fires next (intervals count from the job's last edit)."""
        if not self.enabled:
            return None
        try:
            runs = self.schedule.next_runs(1, after=after, anchor=self.updated_at)
        except ScheduleError:
            return None
        return runs[0] if runs else None

    def draft(self) -> JobDraft:
        """This job as a draft, the starting point of an edit."""
        return JobDraft(self.name, self.source_id, [TableSpec.from_json(t.to_json())
                                                    for t in self.tables],
                        self.destination_id or LOCAL, self.schedule, self.stall_seconds,
                        self.unattended)

    def to_json(self) -> dict:
        next_run = self.next_run()
        return {"id": self.id, "name": self.name,
                "source": {"id": self.source_id, "name": self.source_name,
                           "type": self.source_type},
                "destination": {"id": self.destination_id, "name": self.destination_name},
                "tables": [t.to_json() for t in self.tables],
                "schedule": {"kind": self.schedule_kind, "expr": self.schedule_expr,
                             "timezone": self.timezone, "words": self.schedule.describe(),
                             "next_run": next_run.isoformat() if next_run else None},
                "enabled": self.enabled, "stall_seconds": self.stall_bound,
                "retries": self.unattended.retries,
                "missed_grace_seconds": self.unattended.missed_grace_seconds,
                "webhook": self.has_webhook,
                "notify_success": self.unattended.notify_success,
                "cloud": self.cloud,
                "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}


@dataclass
class RunView:
    id: str
    job_id: str
    trigger: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    rows_read: int
    rows_written: int
    bytes: int
    cursor_before: dict | None
    cursor_after: dict | None
    error: str | None
    log: str | None
    tables: list[dict] = field(default_factory=list)  # each table's outcome, in job order
    attempts: int = 1  # tries it took (see app.services.retry)

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    def to_json(self) -> dict:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {"id": self.id, "job_id": self.job_id, "trigger": self.trigger,
                "status": self.status, "started_at": iso(self.started_at),
                "finished_at": iso(self.finished_at), "seconds": self.seconds,
                "rows_read": self.rows_read, "rows_written": self.rows_written,
                "bytes": self.bytes, "cursor_before": self.cursor_before,
                "cursor_after": self.cursor_after, "error": self.error, "log": self.log,
                "tables": self.tables, "attempts": self.attempts}


def run_view(row: Any) -> RunView:
    """The view of a `run` row (an ORM object or anything with its columns)."""
    def parse(text: str | None) -> dict | None:
        return json.loads(text) if text else None

    return RunView(row.id, row.job_id, row.trigger, row.status, row.started_at,
                   row.finished_at, row.rows_read, row.rows_written, row.bytes,
                   parse(row.cursor_before), parse(row.cursor_after), row.error, row.log,
                   list(row.tables or []), row.attempts)


def connection_view(row: Any, used_by: list[str]) -> ConnectionView:
    """The view of a `connection` row (an ORM object or anything with its columns)."""
    return ConnectionView(
        row.id, row.name, row.type_key, dict(row.params), row.secret_ref is not None,
        row.last_test_status, row.last_test_at, row.last_test_message,
        row.last_test_version, row.last_test_latency_ms, row.last_used_at,
        row.created_at, row.updated_at, used_by,
    )


def job_view(row: Any, source: Any, dest: Any | None) -> JobView:
    """The view of a `job` row, with its source's and destination's rows (None: local)."""
    return JobView(row.id, row.name, source.id, source.name, source.type_key,
                   dest.id if dest else None, dest.name if dest else LOCAL,
                   [TableSpec.from_json(t) for t in row.tables], row.schedule_kind,
                   row.schedule_expr, row.timezone, bool(row.enabled), row.created_at,
                   row.updated_at, row.stall_seconds,
                   Unattended(row.retries, row.missed_grace_seconds, bool(row.notify_success)),
                   row.webhook_ref is not None, row.cloud or None)


def used_by(jobs: Iterable[tuple[str, str, str | None]]) -> dict[str, list[str]]:
    """Job names per connection id, from (job name, source id, destination id) rows."""
    users: dict[str, list[str]] = {}
    for name, source, destination in jobs:
        for cid in {source, destination} - {None}:
            users.setdefault(cid, []).append(name)
    return users
