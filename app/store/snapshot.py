"""The rows the window lists, read with the standard library's sqlite3 (read-only, no
SQLAlchemy to import): the window shows them while the services load behind it.

Values come out as the models give them (JSON columns decoded, times as aware UTC
datetimes, booleans as bools), as attribute rows, so the services' own view builders make
the views. Only a store at the current revision is read; anything else (no store yet, an
older schema, a locked or damaged file) gives None and the window waits for the services,
which create, upgrade or explain the store.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from app.store import HEAD_REVISION

# Columns the models store as JSON, as UTCDateTime and as Boolean (a test checks these
# against app.store.models).
JSON_COLUMNS = frozenset({"params", "tables", "cloud"})
TIME_COLUMNS = frozenset({"created_at", "updated_at", "last_test_at", "last_used_at",
                          "started_at", "finished_at"})
BOOL_COLUMNS = frozenset({"enabled", "notify_success"})
# How long to wait for a writer that holds the file (WAL readers rarely wait at all).
WAIT_SECONDS = 0.2

# The same rows, in the same order, as ConnectionService.list, JobService.list and
# JobService.last_runs.
_CONNECTIONS = "select * from connection order by lower(name)"
_JOBS = "select * from job order by lower(name)"
_USERS = ("select name, source_connection_id, destination_connection_id from job "
          "order by name")
_LAST_RUNS = ("select run.* from run join (select job_id, max(started_at) as at from run "
              "group by job_id) as newest on run.job_id = newest.job_id "
              "and run.started_at = newest.at")


@dataclass
class Snapshot:
    connections: list[SimpleNamespace]
    jobs: list[SimpleNamespace]
    last_runs: list[SimpleNamespace]
    users: list[tuple[str, str, str | None]]  # (job name, source id, destination id)


def _value(column: str, value: object) -> object:
    if value is None:
        return None
    if column in JSON_COLUMNS:
        return json.loads(value)
    if column in TIME_COLUMNS:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if column in BOOL_COLUMNS:
        return bool(value)
    return value


def _rows(db: sqlite3.Connection, sql: str) -> list[SimpleNamespace]:
    cursor = db.execute(sql)
    names = [d[0] for d in cursor.description]
    return [SimpleNamespace(**{n: _value(n, v) for n, v in zip(names, row, strict=True)})
            for row in cursor]


def read(path: Path) -> Snapshot | None:
    """The store's connections, jobs and each job's newest run; None when the store at
    `path` is missing, not at the current revision, or cannot be read now."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                             timeout=WAIT_SECONDS, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        db.execute("begin")  # one consistent view across the queries
        revision = db.execute("select version_num from alembic_version").fetchone()
        if revision is None or revision[0] != HEAD_REVISION:
            return None
        return Snapshot(_rows(db, _CONNECTIONS), _rows(db, _JOBS), _rows(db, _LAST_RUNS),
                        db.execute(_USERS).fetchall())
    except (sqlite3.Error, ValueError):
        return None
    finally:
        db.close()
