"""Running jobs from their cards: progress, success, cancel, refusal, delete."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.services.jobs import JobService, TableSpec, job_lock
from tests.gui.helpers import (
    active_modal,
    card_rect,
    click_card_button,
    confirm,
    orders_table,
)
from tests.integration.engine_helpers import (
    make_job,
    pg_exec,
    save_connection,
    warehouse_rows,
)
from ui.job_model import LastRunRole, Progress, ProgressRole


def _job_card(window, name):
    return card_rect(window.jobs, name)


def _click(qtbot, window, name, key):
    click_card_button(qtbot, window.jobs, name, key)


def _detail(window, name) -> str:
    _, index = _job_card(window, name)
    return window.jobs.delegate.content(index).extra


def test_run_from_the_card_shows_the_rows_that_landed(qtbot, make_window, ctx, pg_db):
    orders_table(pg_db, 25)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "Orders", "src", [TableSpec("orders")])
    window = make_window()
    assert _detail(window, "Orders") == "Replace  ·  Never run"
    _click(qtbot, window, "Orders", "run")
    qtbot.waitUntil(lambda: _job_card(window, "Orders")[1].data(LastRunRole) is not None,
                    timeout=30_000)
    assert warehouse_rows("select count(*) from orders") == [(25,)]
    assert _detail(window, "Orders").startswith("Replace  ·  Last run: 25 rows, ")
    assert window.statusBar().currentMessage().startswith("Job “Orders” finished: 25 rows")
    # The source connection's card counts the job.
    assert "Used by: 1 job " in window.connections.delegate.content(
        window.connections.proxy.index(0, 0)).detail


def test_the_card_says_how_many_values_the_destination_could_not_hold(
        qtbot, make_window, ctx, pg_db, tmp_path):
    pg_exec(pg_db, "create table events (id int, ends_at timestamp)",
            "insert into events values (1, 'infinity'), (2, '2024-01-01'), (3, '-infinity')")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    save_connection(ctx, "parquet", "lake", {"path": str(tmp_path)})
    make_job(ctx, "Events", "src", [TableSpec("events")], destination="lake")
    window = make_window()
    _click(qtbot, window, "Events", "run")
    qtbot.waitUntil(lambda: _job_card(window, "Events")[1].data(LastRunRole) is not None,
                    timeout=30_000)
    assert _detail(window, "Events").endswith(
        "Last run: 3 rows, just now  ·  2 values the destination cannot hold (infinity, a year "
        "outside 1-9999) were stored as NULL: ends_at 2")


def _ten_rows_landed_then_two_million(ctx, pg_db) -> None:
    """Orders: a job whose last run landed 10 rows, and 2,000,000 at the source now."""
    orders_table(pg_db, 10)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "Orders", "src", [TableSpec("orders")])
    assert JobService(ctx).run("Orders").status == "succeeded"
    orders_table(pg_db, 2_000_000)


def test_cancel_a_long_run_keeps_the_destination(qtbot, make_window, ctx, pg_db):
    _ten_rows_landed_then_two_million(ctx, pg_db)
    window = make_window()
    _click(qtbot, window, "Orders", "run")
    qtbot.waitUntil(lambda: (_job_card(window, "Orders")[1].data(ProgressRole) or 0) and
                    _job_card(window, "Orders")[1].data(ProgressRole).rows > 0, timeout=30_000)
    assert _detail(window, "Orders").startswith("Running: ")
    _, index = _job_card(window, "Orders")
    # The last run moved 10 rows, so by that measure this one is already past them.
    assert window.jobs.delegate.content(index).progress == 1.0
    _click(qtbot, window, "Orders", "cancel")
    qtbot.waitUntil(lambda: _job_card(window, "Orders")[1].data(ProgressRole) is None,
                    timeout=30_000)
    assert _job_card(window, "Orders")[1].data(LastRunRole).status == "cancelled"
    assert warehouse_rows("select count(*) from orders") == [(10,)]


def _running(qtbot, window, name: str) -> None:
    _click(qtbot, window, name, "run")
    qtbot.waitUntil(lambda: (_job_card(window, name)[1].data(ProgressRole) or 0) and
                    _job_card(window, name)[1].data(ProgressRole).rows > 0, timeout=30_000)


def test_quitting_during_a_run_asks_and_can_cancel_it(qtbot, make_window, ctx, pg_db):
    _ten_rows_landed_then_two_million(ctx, pg_db)
    window = make_window()
    _running(qtbot, window, "Orders")
    window.close()
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    box = active_modal()
    assert box.text() == "A job is running: “Orders”."
    assert window.isVisible()  # nothing happens until the user says
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # stay
    qtbot.waitUntil(lambda: not box.isVisible())
    assert window.isVisible() and window.handles
    window.close()
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    confirm(qtbot, "Cancel the run and quit")
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: JobService(ctx).runs("Orders", 1)[0].status == "cancelled",
                    timeout=30_000)
    assert warehouse_rows("select count(*) from orders") == [(10,)]


def test_quitting_can_wait_for_the_run_to_finish(qtbot, make_window, ctx, pg_db):
    orders_table(pg_db, 300_000)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "Orders", "src", [TableSpec("orders")])
    window = make_window()
    _running(qtbot, window, "Orders")
    window.close()
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    confirm(qtbot, "Quit when finished")
    assert window.statusBar().currentMessage() == \
        "Sluice will quit when the running jobs finish."
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=60_000)
    assert JobService(ctx).runs("Orders", 1)[0].status == "succeeded"
    assert warehouse_rows("select count(*) from orders") == [(300_000,)]


def test_a_job_running_elsewhere_is_refused_with_a_message(qtbot, make_window, ctx, pg_db):
    orders_table(pg_db, 5)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    job = make_job(ctx, "Orders", "src", [TableSpec("orders")])
    window = make_window()
    with job_lock(job.id, job.name):  # as if the CLI or the scheduler were running it
        _click(qtbot, window, "Orders", "run")
        qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox), timeout=10_000)
    box = active_modal()
    assert box.text() == "Job 'Orders' is already running."
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert _job_card(window, "Orders")[1].data(ProgressRole) is None


def test_delete_a_job_from_its_card(qtbot, make_window, ctx, pg_db):
    orders_table(pg_db, 5)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "Orders", "src", [TableSpec("orders")])
    window = make_window()
    JobService(ctx).run("Orders")
    _click(qtbot, window, "Orders", "delete")
    confirm(qtbot, "Delete, keep tables")
    qtbot.waitUntil(lambda: window.job_model.rowCount() == 0)
    assert window.jobs.stack.currentWidget() is window.jobs.empty
    assert JobService(ctx).list() == []
    assert warehouse_rows("select count(*) from orders") == [(5,)]


def test_delete_can_drop_the_destination_tables(qtbot, make_window, ctx, pg_db):
    orders_table(pg_db, 5)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "Orders", "src", [TableSpec("orders", dest_table="orders_copy")])
    JobService(ctx).run("Orders")
    window = make_window()
    _click(qtbot, window, "Orders", "delete")
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    box = active_modal()
    assert box.informativeText() == ("It loads orders_copy in the local warehouse. Keep those "
                                     "tables, or drop them (with their saved cursors)?")
    confirm(qtbot, "Delete, drop 1 table")
    qtbot.waitUntil(lambda: window.job_model.rowCount() == 0)
    assert window.statusBar().currentMessage() == "Job deleted; dropped orders_copy."
    names = [r[0] for r in warehouse_rows("select table_name from information_schema.tables")]
    assert "orders_copy" not in names


def test_history_lists_the_runs_with_their_rows_and_log(qtbot, make_window, ctx, pg_db):
    orders_table(pg_db, 7)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "Orders", "src", [TableSpec("orders")])
    JobService(ctx).run("Orders")
    pg_exec(pg_db, "drop table orders")
    JobService(ctx).run("Orders")  # fails: the table vanished
    window = make_window()
    _click(qtbot, window, "Orders", "history")
    dialog = window.history
    qtbot.waitExposed(dialog)
    table = dialog.table
    assert table.rowCount() == 2
    assert [table.item(r, 2).text() for r in range(2)] == ["failed", "succeeded"]
    assert table.item(1, 4).text() == "7"
    assert "does not exist (any more)" in dialog.log.toPlainText()  # newest run selected
    table.selectRow(1)
    assert dialog.log.toPlainText() == ("Tables:\n  ✓ public.orders — 7 rows\n\n"
                                        "public.orders: 7 rows written (replace)")
    assert dialog.summary.text() == "2 runs, 1 succeeded"
    assert not dialog.chart.grab().isNull()


@pytest.mark.parametrize("theme_name", ["light", "dark"])
def test_the_history_chart_shows_whole_seven_digit_labels(qtbot, theme_name):
    from datetime import UTC, datetime, timedelta

    from PySide6.QtWidgets import QApplication

    from app.services.jobs import RunView
    from ui import theme
    from ui.run_history import TrendChart

    theme.apply(QApplication.instance(), theme_name)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    runs = [RunView(str(i), "j", "manual", "succeeded", start, start + timedelta(seconds=s),
                    rows, rows, 0, None, None, None, None)
            for i, (rows, s) in enumerate([(11_865, 2), (3_000_000, 1234.5)])]
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.resize(500, 140)
    chart.set_runs(runs)
    assert chart.labels() == ("3,000,000", "1234.5s")
    image = chart.grab().toImage()
    background = image.pixelColor(0, image.height() // 2)
    # A label cut by the edge has ink in the outermost columns; a whole one does not.
    for x in (0, 1, image.width() - 1, image.width() - 2):
        assert all(image.pixelColor(x, y) == background for y in range(0, 30)), (x, theme_name)


def test_a_scheduled_job_runs_while_the_app_is_open(qtbot, make_window, ctx, pg_db):
    from app.scheduling.schedule import Schedule
    from app.services.jobs import JobDraft

    orders_table(pg_db, 9)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    JobService(ctx).create(JobDraft("Orders", "src", [TableSpec("orders")],
                                    schedule=Schedule("interval", "15m", "UTC")))
    window = make_window(schedule=True)
    other = make_window(schedule=True)  # a second window does not schedule twice
    assert window.scheduler is not None and other.scheduler is None
    assert other.statusBar().currentMessage().startswith(
        f"Schedules are run by the app, pid {os.getpid()}; this window runs jobs when")
    job = JobService(ctx).get("Orders")
    assert window.scheduler.next_run(job.id) == job.next_run()
    assert _schedule_line(window, "Orders").startswith("Every 15 minutes  ·  next ")

    window.scheduler.run_soon(job.id)  # as if its time had come
    qtbot.waitUntil(lambda: _job_card(window, "Orders")[1].data(LastRunRole) is not None,
                    timeout=30_000)
    run = _job_card(window, "Orders")[1].data(LastRunRole)
    assert (run.trigger, run.status, run.rows_written) == ("schedule", "succeeded", 9)
    assert _detail(window, "Orders").startswith("Replace  ·  Last run: 9 rows, ")
    assert warehouse_rows("select count(*) from orders") == [(9,)]


def _schedule_line(window, name) -> str:
    _, index = _job_card(window, name)
    return window.jobs.delegate.content(index).detail


def test_the_card_says_when_a_run_waits_for_the_warehouse(qtbot, make_window, ctx, pg_db):
    from app import paths
    from app.etl.destinations.duck import DuckDbDestination

    orders_table(pg_db, 12)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "Orders", "src", [TableSpec("orders")])
    window = make_window()
    holder = DuckDbDestination(paths.warehouse_path(), "job 'Nightly'")  # another writer
    try:
        _click(qtbot, window, "Orders", "run")
        qtbot.waitUntil(lambda: _detail(window, "Orders").startswith(
            "Waiting for warehouse.duckdb: job 'Nightly' (pid "), timeout=30_000)
    finally:
        holder.close()
    qtbot.waitUntil(lambda: _job_card(window, "Orders")[1].data(LastRunRole) is not None,
                    timeout=30_000)
    assert _job_card(window, "Orders")[1].data(LastRunRole).status == "succeeded"
    assert warehouse_rows("select count(*) from orders") == [(12,)]


def test_beside_the_background_scheduler_the_window_does_not_schedule(make_window, ctx):
    from app.scheduling.background import BackgroundScheduler

    background = BackgroundScheduler(ctx)
    assert background.scheduler.start()
    try:
        window = make_window(schedule=True)
        assert window.scheduler is None
        assert window.statusBar().currentMessage() == (
            f"Schedules are run by the background scheduler, pid {os.getpid()}; this window "
            "runs jobs when you press Run.")
    finally:
        background.scheduler.stop()


def test_a_command_line_run_shows_on_the_card_as_it_goes(qtbot, make_window, ctx, pg_db):
    import subprocess
    import sys
    from pathlib import Path

    import psycopg2

    from ui.job_model import ProgressRole

    orders_table(pg_db, 1000)
    pg_exec(pg_db, "create table customers (id int primary key)",
            "insert into customers values (1), (2)")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "Orders", "src", [TableSpec("orders"), TableSpec("customers")])
    window = make_window()
    # The run loads orders, then waits for customers, locked here, until the test lets go.
    holder = psycopg2.connect(host=pg_db.host, port=pg_db.port, user=pg_db.user,
                              dbname=pg_db.database)
    holder.cursor().execute("lock table customers in access exclusive mode")
    cli = subprocess.Popen([sys.executable, "main.py", "job", "run", "Orders"],
                           cwd=Path(__file__).resolve().parents[2], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        index = _job_card(window, "Orders")[1]
        qtbot.waitUntil(lambda: (index.data(ProgressRole) or Progress()).rows == 1000,
                        timeout=60_000)
        assert index.data(ProgressRole).elsewhere == "cli"
        assert _detail(window, "Orders") == "Running in the command line: 1,000 rows so far"
        content = window.jobs.delegate.content(index)
        assert [b.key for b in content.buttons] == ["history"]  # no Cancel for its run
        holder.rollback()  # customers can be read now
        assert cli.wait(120) == 0
    finally:
        holder.close()
        cli.kill()
        cli.communicate()
    qtbot.waitUntil(lambda: index.data(ProgressRole) is None, timeout=15_000)
    run = index.data(LastRunRole)
    assert (run.trigger, run.status, run.rows_written) == ("cli", "succeeded", 1002)
    assert _detail(window, "Orders").startswith("Replace  ·  Last run: 1,002 rows, ")
