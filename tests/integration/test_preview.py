"""Preview: the first rows of what a job landed, for each kind of destination, read back
through the readers (the local warehouse, DuckDB, SQLite, PostgreSQL, MariaDB, and folders
of Parquet, CSV and JSON lines); `job preview --json` as the CLI prints it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.etl.spec import TableSpec
from app.services.preview import PreviewService
from tests.integration.engine_helpers import make_job, pg_exec, run, save_connection
from tests.integration.test_cli import sluice

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def source(ctx, pg_db):
    pg_exec(pg_db, "create schema sales",
            "create table sales.orders (id int primary key, who text, total numeric(8,2), "
            "at timestamptz)",
            "insert into sales.orders select i, case when i = 2 then null else 'Zoë ' || i "
            "end, i * 1.25, '2026-03-01 09:30+00'::timestamptz from generate_series(1, 250) i")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    return pg_db


@pytest.mark.parametrize("kind", ["local", "duckdb", "sqlite", "postgresql", "mariadb",
                                  "parquet", "csv", "json"])
def test_each_destination_shows_its_first_rows(ctx, source, pg_db, mariadb_db, tmp_path,
                                               kind):
    dest = "local"
    if kind in ("duckdb", "sqlite"):
        import sqlite3

        import duckdb

        path = tmp_path / f"out.{kind}"
        (duckdb if kind == "duckdb" else sqlite3).connect(str(path)).close()
        save_connection(ctx, kind, "out", {"path": str(path)})
        dest = "out"
    elif kind == "postgresql":
        dest = "src"  # into another schema of the source's database
    elif kind == "mariadb":
        save_connection(ctx, "mariadb", "out", mariadb_db.params(password=mariadb_db.password))
        dest = "out"
    elif kind in ("parquet", "csv", "json"):
        folder = tmp_path / "folder"
        folder.mkdir()
        save_connection(ctx, kind, "out", {"path": str(folder)})
        dest = "out"
    spec = TableSpec("orders", "sales", dest_schema="copy" if kind == "postgresql" else None)
    make_job(ctx, "Orders", "src", [spec], destination=dest)
    service = PreviewService(ctx)
    if kind == "local":
        (before,) = service.job("Orders")
        assert before.error == "Nothing has landed yet: run the job first."
    assert run(ctx, "Orders").status == "succeeded"
    (preview,) = service.job("Orders", limit=100)
    assert preview.error is None, preview.error
    assert preview.columns == ["id", "who", "total", "at"]
    assert len(preview.rows) == 100 and preview.more
    ids = [row[0] for row in preview.rows]
    assert ids == list(range(1, 101))
    first, second = preview.rows[0], preview.rows[1]
    # NULL stays NULL (CSV has no NULL: an empty field)
    assert first[1] == "Zoë 1" and second[1] == ("" if kind == "csv" else None)
    assert Decimal(str(first[2])) == Decimal("1.25")
    at = first[3] if isinstance(first[3], datetime) else datetime.fromisoformat(str(first[3]))
    assert (at if at.tzinfo else at.replace(tzinfo=UTC)) == AT
    (page,) = service.job("Orders", limit=100, offset=200)
    assert [row[0] for row in page.rows] == list(range(201, 251)) and not page.more


def test_job_preview_on_the_command_line(ctx, source):
    make_job(ctx, "Orders", "src", [TableSpec("orders", "sales")])
    run(ctx, "Orders")
    done = sluice("job", "preview", "Orders", "--table", "sales.orders", "--limit", "2",
                  "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{
        "table": "sales.orders", "columns": ["id", "who", "total", "at"],
        "rows": [[1, "Zoë 1", "1.25", "2026-03-01T09:30:00+00:00"],
                 [2, None, "2.50", "2026-03-01T09:30:00+00:00"]]}]
    text = sluice("job", "preview", "Orders", "--limit", "2")
    assert text.stdout.splitlines()[0] == "sales.orders:"
    assert "NULL" in text.stdout
    missing = sluice("job", "preview", "Orders", "--table", "nope")
    assert missing.returncode == 1
    assert "Job 'Orders' has no table 'nope' (its tables: sales.orders)." in missing.stderr
