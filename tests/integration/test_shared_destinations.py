"""Jobs that share a destination take turns instead of tripping each other.

On MariaDB the staging clean-up matched by name prefix, so a job into `mid` dropped the
staging table of a job loading `mid_my`; two jobs into the local warehouse failed on
DuckDB's file lock; and a killed run's temporary file stayed in a folder for good.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from app.etl.destinations import Target
from app.etl.destinations.duck import DuckDbDestination
from app.etl.destinations.mysql import MySqlDestination
from app.services.jobs import JobService, TableSpec
from tests.integration.engine_helpers import (
    make_job,
    maria_exec,
    maria_rows,
    pg_exec,
    run,
    save_connection,
    warehouse_rows,
)

ROOT = Path(__file__).resolve().parents[2]


def test_a_job_into_mid_leaves_the_staging_table_of_mid_my_alone(ctx, mariadb_db):
    maria_exec(mariadb_db, "create table src (id int primary key)",
               "insert into src values (1), (2), (3)")
    params = mariadb_db.params(password=mariadb_db.password)
    save_connection(ctx, "mariadb", "maria", params)
    save_connection(ctx, "mysql", "maria out", params)
    make_job(ctx, "into mid", "maria", [TableSpec("src", dest_table="mid")],
             destination="maria out")
    # Another job is loading mid_my: its staging table exists and holds rows.
    other = MySqlDestination(params, {"password": mariadb_db.password})
    load = other.begin(Target("mid_my", None, "replace"), pa.schema([("id", pa.int32())]),
                       "0f0e0d0c-0b0a-0908-0706-050403020100")
    load.write(pa.record_batch([pa.array([7, 8], pa.int32())], names=["id"]))
    assert run(ctx, "into mid").status == "succeeded"
    load.commit(None)
    other.close()
    assert maria_rows(mariadb_db, "select count(*) from mid") == [(3,)]
    assert maria_rows(mariadb_db, "select id from mid_my order by id") == [(7,), (8,)]
    assert maria_rows(mariadb_db, "select count(*) from information_schema.tables where "
                                  "table_schema = database() and table_name like "
                                  "'\\_sluice\\_stage%'") == [(0,)]


def test_a_killed_runs_staging_table_is_dropped_by_the_next_run(ctx, mariadb_db):
    maria_exec(mariadb_db, "create table src (id int primary key)", "insert into src values (1)")
    params = mariadb_db.params(password=mariadb_db.password)
    save_connection(ctx, "mariadb", "maria", params)
    save_connection(ctx, "mysql", "maria out", params)
    make_job(ctx, "into mid", "maria", [TableSpec("src", dest_table="mid")],
             destination="maria out")
    # What a killed run leaves: its staging table, never published.
    dead = MySqlDestination(params, {"password": mariadb_db.password})
    dead.begin(Target("mid", None, "replace"), pa.schema([("id", pa.int32())]),
               "deadbeef-0000-0000-0000-000000000000")
    dead.close()  # the connection ends as a killed process's would; the lock goes with it
    assert run(ctx, "into mid").status == "succeeded"
    assert maria_rows(mariadb_db, "select table_name from information_schema.tables where "
                                  "table_schema = database() order by 1") == [("mid",),
                                                                              ("src",)]


def _orders(pg_db, rows: int) -> None:
    pg_exec(pg_db, "create table orders (id int primary key, note text)",
            f"insert into orders select g, 'n' || g from generate_series(1, {rows}) g",
            "create table lines (id int primary key)",
            f"insert into lines select g from generate_series(1, {rows}) g")


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "main.py", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=os.environ.copy())


def test_a_run_waits_while_another_writes_the_warehouse(ctx, pg_db):
    from app import paths

    _orders(pg_db, 1000)
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    make_job(ctx, "orders", "shop", [TableSpec("orders")])
    holder = DuckDbDestination(paths.warehouse_path(), "job 'Nightly'")
    proc = _cli("job", "run", "orders")
    line = proc.stderr.readline()
    assert line.startswith("Waiting for warehouse.duckdb: job 'Nightly' (pid "), line
    holder.close()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.startswith("succeeded: 1,000 rows")
    assert warehouse_rows("select count(*) from orders") == [(1000,)]


def test_two_jobs_writing_the_warehouse_at_once_both_succeed(ctx, pg_db):
    _orders(pg_db, 200_000)
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    make_job(ctx, "orders", "shop", [TableSpec("orders")])
    make_job(ctx, "lines", "shop", [TableSpec("lines")])
    first, second = _cli("job", "run", "orders"), _cli("job", "run", "lines")
    for proc in (first, second):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert warehouse_rows("select count(*) from orders") == [(200_000,)]
    assert warehouse_rows("select count(*) from lines") == [(200_000,)]
    assert [r.status for r in JobService(ctx).runs("orders") + JobService(ctx).runs("lines")] \
        == ["succeeded", "succeeded"]


def test_a_killed_runs_temporary_file_is_removed_by_the_next_run(ctx, pg_db, tmp_path):
    _orders(pg_db, 10)
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    lake = tmp_path / "lake"
    lake.mkdir()
    save_connection(ctx, "parquet", "lake", {"path": str(lake)})
    make_job(ctx, "orders", "shop", [TableSpec("orders")], destination="lake")
    # Two killed runs' leftovers, and a file another writer is writing right now.
    for run_id in ("0123456789ab", "ba9876543210"):
        (lake / f".orders.parquet.{run_id}.tmp").write_bytes(b"x" * 1000)
    busy = lake / ".orders.parquet.feedfacecafe.tmp"
    busy.write_bytes(b"y")
    writer = os.open(busy, os.O_RDONLY)
    fcntl.flock(writer, fcntl.LOCK_EX)
    try:
        assert run(ctx, "orders").status == "succeeded"
    finally:
        os.close(writer)
    assert sorted(p.name for p in lake.iterdir()) == [".orders.parquet.feedfacecafe.tmp",
                                                      "orders.parquet"]
    assert pq.read_table(lake / "orders.parquet").num_rows == 10
