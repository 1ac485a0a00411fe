"""SQLAlchemy models of the metadata store. Secrets never live here, only references."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def fold_name(name: str) -> str:
    """The key that makes names unique regardless of case ("Sales" == "sales" == "SALES")."""
    return name.strip().casefold()


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware (SQLite drops tz)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Connection(Base):
    __tablename__ = "connection"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    type_key: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    secret_ref: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_test_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_test_status: Mapped[str] = mapped_column(String(10), default="unknown")
    last_test_message: Mapped[str | None] = mapped_column(Text)
    last_test_version: Mapped[str | None] = mapped_column(String(200))
    last_test_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Job(Base):
    """An ETL job: a source, a destination, tables with their sync modes, a schedule."""

    __tablename__ = "job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    source_connection_id: Mapped[str] = mapped_column(ForeignKey("connection.id"))
    # NULL means the local warehouse.
    destination_connection_id: Mapped[str | None] = mapped_column(ForeignKey("connection.id"))
    tables: Mapped[list] = mapped_column(JSON, default=list)
    schedule_kind: Mapped[str] = mapped_column(String(10), default="manual")
    schedule_expr: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # A run with no rows moving for this long is stopped (NULL: the default bound).
    stall_seconds: Mapped[int | None] = mapped_column(Integer)
    # Unattended runs: tries after a failure that looks transient, how late a missed
    # scheduled run may still start, where to report (a secret reference: webhook URLs
    # carry tokens) and whether a success is reported too.
    retries: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    missed_grace_seconds: Mapped[int] = mapped_column(Integer, default=3600,
                                                      server_default="3600")
    webhook_ref: Mapped[str | None] = mapped_column(String(400))
    notify_success: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())
    # Where the job is deployed in Google Cloud (app.cloud.deploy.Deployment), or NULL.
    cloud: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Run(Base):
    __tablename__ = "run"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))  # app.vocabulary.RunStatus
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    cursor_before: Mapped[str | None] = mapped_column(Text)
    cursor_after: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    log: Mapped[str | None] = mapped_column(Text)
    # Each table's outcome: [{"table", "status", "rows", "error"}] in the job's order.
    tables: Mapped[list | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Setting(Base):
    """App preferences that must follow the store (secret backend, test timeout, ...)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
