"""A run that fails, is cancelled or is killed leaves the destination as it was."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.etl.pipeline import RunHandle
from app.services.jobs import JobBusy, JobService, TableSpec
from tests.integration.engine_helpers import (
    make_job,
    pg_exec,
    pg_rows,
    run,
    save_connection,
    warehouse_rows,
)

ROOT = Path(__file__).resolve().parents[2]


def _orders(pg_db, rows: int, table: str = "orders") -> None:
    pg_exec(pg_db, f"drop table if exists {table}",
            f"create table {table} (id bigint primary key, amount numeric(12,2), "
            f"updated_at timestamptz, note text)",
            f"insert into {table} select g, g / 100.0, timestamp '2024-01-01' + g * interval "
            f"'1 second', repeat('x', 20) from generate_series(1, {rows}) g")


def _kill_sluice_backends(pg_db) -> None:
    pg_exec(pg_db, "select pg_terminate_backend(pid) from pg_stat_activity "
                   "where application_name = 'Sluice' and pid <> pg_backend_pid() "
                   "and query ilike 'copy%'")


# psycopg2 prints (through sys.excepthook) the error of a connection killed during COPY;
# pytest-qt would count that print as a failure of its own.
@pytest.mark.qt_no_exception_capture
def test_source_dying_mid_read_keeps_the_old_table(ctx, pg_db):
    _orders(pg_db, 1000)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "orders", "src", [TableSpec("orders")], retries=0)  # (see test_unattended)
    assert run(ctx, "orders").rows_written == 1000
    _orders(pg_db, 2_000_000)  # more than Arrow's read-ahead: the COPY is still running
    killed = threading.Event()

    def kill_once(handle: RunHandle) -> None:
        if not killed.is_set():
            killed.set()
            _kill_sluice_backends(pg_db)

    result = JobService(ctx).run("orders", handle=RunHandle(on_progress=kill_once))
    assert result.status == "failed"
    assert result.error.startswith("public.orders: The source stopped mid-read:")
    assert warehouse_rows("select count(*), max(id) from orders") == [(1000, 1000)]
    assert warehouse_rows("select count(*) from information_schema.tables "
                          "where table_name like '_sluice_stage_%'") == [(0,)]


def test_cancel_keeps_the_old_table_and_records_it(ctx, pg_db):
    _orders(pg_db, 1000)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "orders", "src", [TableSpec("orders")])
    run(ctx, "orders")
    _orders(pg_db, 300_000)
    handle = RunHandle()
    handle.on_progress = lambda h: h.cancel.set()
    result = JobService(ctx).run("orders", handle=handle)
    assert result.status == "cancelled"
    assert warehouse_rows("select count(*) from orders") == [(1000,)]
    assert [r.status for r in JobService(ctx).runs("orders")] == ["cancelled", "succeeded"]


def _loading(job: str) -> subprocess.Popen:
    """`job run` in another process, once its first progress line says rows are moving."""
    proc = subprocess.Popen([sys.executable, "main.py", "job", "run", job], cwd=ROOT,
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=os.environ.copy())
    line = proc.stderr.readline()
    assert "rows" in line, line
    return proc


@pytest.mark.parametrize("destination", ["local", "postgres"])
def test_sigkill_mid_replace_never_leaves_a_partial_table(ctx, pg_db, pg_admin, destination):
    from tests.server_fixtures import _pg_database, _pg_drop

    server, admin = pg_admin
    target = _pg_database(server, admin)
    try:
        _orders(pg_db, 500)
        save_connection(ctx, "postgresql", "src", pg_db.params())
        dest = "local"
        if destination == "postgres":
            save_connection(ctx, "postgresql", "dst", target.params())
            dest = "dst"
        make_job(ctx, "orders", "src", [TableSpec("orders")], destination=dest)
        assert run(ctx, "orders").status == "succeeded"
        _orders(pg_db, 3_000_000)
        proc = _loading("orders")
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)

        def count():
            if destination == "local":
                return warehouse_rows("select count(*), max(id) from orders")
            return pg_rows(target, "select count(*), max(id) from public.orders")

        assert count() == [(500, 500)]
        again = JobService(ctx).run("orders")
        assert again.status == "succeeded", again.error
        assert count() == [(3_000_000, 3_000_000)]
        statuses = [r.status for r in JobService(ctx).runs("orders")]
        assert statuses == ["succeeded", "interrupted", "succeeded"]  # the killed run
        assert JobService(ctx).runs("orders")[1].error.startswith(
            "The process running it ended (it was killed, crashed, or the computer stopped) "
            "before the run finished.")
    finally:
        _pg_drop(admin, target.database)


def test_vanished_table_dropped_cursor_and_changed_type(ctx, pg_db):
    _orders(pg_db, 10)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "inc", "src", [TableSpec("orders", mode="incremental", cursor="updated_at")])
    first = run(ctx, "inc")
    assert first.status == "succeeded" and first.cursor_after == {
        "public.orders": "2024-01-01T00:00:10+00:00"}

    pg_exec(pg_db, "alter table orders drop column updated_at")
    dropped = run(ctx, "inc")
    assert dropped.status == "failed"
    assert dropped.error.startswith("Cursor column 'updated_at' is not in table public.orders")

    pg_exec(pg_db, "drop table orders")
    vanished = run(ctx, "inc")
    assert vanished.status == "failed"
    assert vanished.error.startswith("Table public.orders does not exist (any more)")

    _orders(pg_db, 12)
    pg_exec(pg_db, "alter table orders alter column amount type text")
    changed = run(ctx, "inc")
    assert changed.status == "failed"
    assert "changed type" in changed.error and "'amount'" in changed.error
    assert warehouse_rows("select count(*) from orders") == [(10,)]
    # The cursor did not move: the state in the destination is still the first run's.
    pg_exec(pg_db, "alter table orders alter column amount type numeric(12,2) "
                   "using amount::numeric")
    again = run(ctx, "inc")
    assert again.status == "succeeded", again.error
    assert again.cursor_before == {"public.orders": "2024-01-01T00:00:10+00:00"}
    assert warehouse_rows("select count(*) from orders") == [(12,)]


def test_read_only_destination_fails_cleanly(ctx, pg_db, pg_admin):
    from tests.server_fixtures import _pg_database, _pg_drop

    server, admin = pg_admin
    target = _pg_database(server, admin)
    reader_role = f"ro_{target.database}"
    try:
        pg_exec(target, f'create role "{reader_role}" login',
                'revoke create on schema public from public',
                f'grant usage on schema public to "{reader_role}"')
        _orders(pg_db, 10)
        save_connection(ctx, "postgresql", "src", pg_db.params())
        save_connection(ctx, "postgresql", "ro", target.params(user=reader_role))
        make_job(ctx, "to ro", "src", [TableSpec("orders")], destination="ro")
        result = run(ctx, "to ro")
        assert result.status == "failed"
        assert result.error.startswith(
                "public.orders: PostgreSQL refused: permission denied for schema public")
    finally:
        _pg_drop(admin, target.database)
        with admin.cursor() as cur:
            cur.execute(f'drop role if exists "{reader_role}"')


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tiny file system needs root")
def test_full_disk_fails_cleanly_and_keeps_the_old_file(ctx, pg_db, tmp_path):
    _orders(pg_db, 100)
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(small)], check=True)
    try:
        save_connection(ctx, "postgresql", "src", pg_db.params())
        save_connection(ctx, "csv", "tiny", {"path": str(small)})
        make_job(ctx, "to tiny", "src", [TableSpec("orders")], destination="tiny")
        assert run(ctx, "to tiny").status == "succeeded"
        before = (small / "orders.csv").read_bytes()
        _orders(pg_db, 200_000)
        result = run(ctx, "to tiny")
        assert result.status == "failed"
        assert "No space left on device" in result.error
        assert (small / "orders.csv").read_bytes() == before
        assert sorted(p.name for p in small.iterdir()) == ["orders.csv"]
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_a_running_job_cannot_start_twice(ctx, pg_db):
    _orders(pg_db, 200_000)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "orders", "src", [TableSpec("orders")])
    second: dict = {}

    def try_again(handle: RunHandle) -> None:
        if "error" not in second:
            try:
                JobService(ctx).run("orders")
                second["error"] = None
            except JobBusy as exc:
                second["error"] = str(exc)

    first = JobService(ctx).run("orders", handle=RunHandle(on_progress=try_again))
    assert first.status == "succeeded"
    assert second["error"] == "Job 'orders' is already running."


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_cancel_the_run_cleanly(ctx, pg_db, signum, code):
    _orders(pg_db, 500)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "orders", "src", [TableSpec("orders")])
    assert run(ctx, "orders").status == "succeeded"
    _orders(pg_db, 3_000_000)
    proc = _loading("orders")
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "sluice: run cancelled: Run cancelled; the destination was left as it was.")
    assert out.startswith("cancelled: ")
    assert warehouse_rows("select count(*), max(id) from orders") == [(500, 500)]
    assert [r.status for r in JobService(ctx).runs("orders")] == ["cancelled", "succeeded"]


def test_a_killed_run_is_marked_interrupted_by_the_next_look(ctx, pg_db):
    _orders(pg_db, 3_000_000)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "orders", "src", [TableSpec("orders")])
    proc = _loading("orders")
    # While it runs, looking changes nothing.
    assert [r.status for r in JobService(ctx).runs("orders")] == ["running"]
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    # Any look afterwards (here `job runs` in another process) tells it ended.
    from tests.integration.test_cli import sluice

    runs = json.loads(sluice("job", "runs", "orders", "--json").stdout)
    assert [r["status"] for r in runs] == ["interrupted"]
    assert runs[0]["finished_at"] is not None


def test_each_tables_outcome_is_recorded_when_one_fails(ctx, pg_db):
    from tests.integration.test_cli import sluice

    pg_exec(pg_db, "create table a (id int primary key)", "insert into a values (1), (2)",
            "create table b (id int primary key)", "create table c (id int primary key)")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "three", "src", [TableSpec("a"), TableSpec("b"), TableSpec("c")])
    pg_exec(pg_db, "drop table b")
    ran = sluice("job", "run", "three")
    assert ran.returncode == 1
    [record] = json.loads(sluice("job", "runs", "three", "--json").stdout)
    assert record["status"] == "failed"
    where = f"on {pg_db.host}/{pg_db.database}"
    assert record["error"] == (f"Table public.b does not exist (any more) {where}. "
                               "(1 of 3 tables loaded before it; 1 not run)")
    assert record["tables"] == [
        {"table": "public.a", "status": "succeeded", "rows": 2, "error": None},
        {"table": "public.b", "status": "failed", "rows": 0,
         "error": f"Table public.b does not exist (any more) {where}."},
        {"table": "public.c", "status": "not run", "rows": 0, "error": None}]
    assert record["rows_written"] == 2
    assert warehouse_rows("select count(*) from a") == [(2,)]  # committed on its own
