"""The window's first look at the store (stdlib sqlite3) shows what the services would."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import JSON, Boolean

from app.services.connections import ConnectionService
from app.services.first_look import lists
from app.services.jobs import JobService
from app.store import snapshot
from app.store.db import Store, migrate, open_store
from app.store.models import Base, Connection, Job, Run, UTCDateTime, fold_name

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=UTC)


def _seed(ctx) -> None:
    """Connections, jobs and runs with every column the lists read set to something."""
    with ctx.store.session() as s:
        def connection(name: str, **extra) -> Connection:
            row = Connection(name=name, name_key=fold_name(name), **extra)
            s.add(row)
            s.flush()
            return row

        shop = connection("Shop (PostgreSQL)", type_key="postgresql",
                          params={"host": "db.example", "port": 5432, "database": "shop",
                                  "user": "etl", "sslmode": "require"},
                          secret_ref="keyring:sluice/abc", last_test_status="ok",
                          last_test_at=T0, last_test_message="Connected",
                          last_test_version="PostgreSQL 16.4", last_test_latency_ms=12,
                          last_used_at=T0 + timedelta(hours=1))
        dwh = connection("analytics", type_key="mariadb",
                         params={"host": "dwh", "port": 3306, "database": "dw"},
                         last_test_status="error", last_test_at=T0,
                         last_test_message="Access denied for user 'etl'")
        connection("Files", type_key="csv", params={"path": "/data/ünïcode"})
        daily = Job(name="Orders daily", name_key="orders daily",
                    source_connection_id=shop.id, destination_connection_id=dwh.id,
                    tables=[{"table": "orders", "schema": "sales", "mode": "merge",
                             "primary_key": ["id", "line"], "detect_deletes": "mark"},
                            {"table": "customers", "mode": "incremental",
                             "cursor": "updated_at", "lookback": "5m",
                             "exclude_columns": ["ssn"]}],
                    schedule_kind="cron", schedule_expr="0 6 * * 1-5",
                    timezone="Europe/Warsaw", stall_seconds=0)
        paused = Job(name="archive", name_key="archive", source_connection_id=shop.id,
                     tables=[{"table": "events", "mode": "append"}],
                     schedule_kind="interval", schedule_expr="15m", enabled=False)
        never = Job(name="Never run", name_key="never run", source_connection_id=dwh.id,
                    tables=[{"table": "t"}])
        s.add_all([daily, paused, never])
        s.flush()
        for i, status in enumerate(["succeeded", "failed", "cancelled"]):
            s.add(Run(job_id=daily.id, trigger="schedule", status=status,
                      started_at=T0 + timedelta(days=i), finished_at=T0 + timedelta(days=i,
                                                                                  seconds=9),
                      rows_read=3_000_000 + i, rows_written=2_999_999, bytes=10**9,
                      cursor_before='{"customers": "2026-03-28T00:00:00"}',
                      cursor_after='{"customers": "2026-03-29T00:00:00"}',
                      error="relation \"orders\" does not exist" if status == "failed"
                      else None, log="read orders\nwrote orders",
                      tables=[{"table": "sales.orders", "status": status, "rows": 12,
                               "error": None}]))
        s.add(Run(job_id=paused.id, trigger="manual", status="succeeded", started_at=T0,
                  finished_at=T0, rows_read=0, rows_written=0))


def _as_services_list(ctx):
    jobs = JobService(ctx)
    last = jobs.last_runs()
    return ConnectionService(ctx).list(), [(job, last.get(job.id)) for job in jobs.list()]


def test_the_first_look_shows_what_the_services_show(ctx):
    _seed(ctx)
    looked = lists(ctx.store.path)
    assert looked == _as_services_list(ctx)
    views, rows = looked
    assert [v.name for v in views] == ["analytics", "Files", "Shop (PostgreSQL)"]
    assert views[2].last_test_at == T0 and views[2].has_secret
    assert views[2].used_by == ["Orders daily", "archive"]
    assert [(job.name, run and run.status) for job, run in rows] == [
        ("archive", "succeeded"), ("Never run", None), ("Orders daily", "cancelled")]
    assert rows[2][0].tables[0].primary_key == ["id", "line"]
    assert rows[0][0].enabled is False


def test_an_empty_store_lists_nothing(ctx):
    assert lists(ctx.store.path) == ([], [])


def test_no_first_look_at_a_store_the_services_must_create_upgrade_or_explain(
        isolated_home, tmp_path):
    assert lists(tmp_path / "nowhere" / "sluice.db") is None
    old = Store(tmp_path / "old.db")
    migrate(old.engine, "0002")  # an older app's store
    old.close()
    assert lists(old.path) is None  # the services upgrade it first
    upgraded = open_store(old.path)
    assert lists(upgraded.path) == ([], [])
    upgraded.close()
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"not a database" * 100)
    assert lists(damaged) is None  # the services explain it


def test_the_column_kinds_it_decodes_are_the_models(ctx):
    kinds: dict[type, set[str]] = {JSON: set(), UTCDateTime: set(), Boolean: set()}
    for table in Base.metadata.sorted_tables:
        if table.name not in ("connection", "job", "run"):
            continue
        for column in table.columns:
            for kind, names in kinds.items():
                if isinstance(column.type, kind):
                    names.add(column.name)
    assert kinds[JSON] == snapshot.JSON_COLUMNS
    assert kinds[UTCDateTime] == snapshot.TIME_COLUMNS
    assert kinds[Boolean] == snapshot.BOOL_COLUMNS


def test_the_first_look_loads_neither_sqlalchemy_nor_the_engine():
    code = ("import sys\nimport app.services.first_look\n"
            "print(sorted(m for m in ('sqlalchemy', 'pyarrow', 'duckdb', 'alembic') "
            "if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
