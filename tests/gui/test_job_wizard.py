"""The ETL job wizard, clicked through as a user would, against a real PostgreSQL source."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from app.services.jobs import JobService, TableSpec
from tests.gui.helpers import (
    BACK,
    FINISH,
    LEFT,
    NEXT,
    active_modal,
    at_step_2,
    at_step_3,
    back_step,
    card_line,
    card_rect,
    choose,
    choose_type,
    click_card_button,
    confirm,
    fill,
    listed,
    next_step,
    open_job_wizard,
    pick_source,
    rows_at_step_3,
    run_test,
    sales_tables,
    save_button,
    tick,
    type_job_name,
    wait_columns,
    wait_tables,
)
from tests.integration.engine_helpers import (
    make_job,
    pg_exec,
    save_connection,
    warehouse_rows,
)
from ui.connection_wizard import WIZARD_SIZE
from ui.job_model import JobRole, LastRunRole


def test_create_a_job_in_three_steps_run_it_and_see_its_rows(qtbot, make_window, ctx, pg_db):
    sales_tables(pg_db)
    save_connection(ctx, "postgresql", "Sales", pg_db.params())
    window = make_window()
    wizard = open_job_wizard(qtbot, window)
    assert wizard.size() == WIZARD_SIZE  # as big as the connection wizard
    assert wizard.source_page.source().name == "Sales"  # the only one: chosen already

    # Step 1: the connection with its status dot, and a name suggested from it.
    pick_source(qtbot, wizard, "Sales")
    assert wizard.source_page.name.text() == "Sales ETL"
    type_job_name(qtbot, wizard, "Orders nightly")
    next_step(qtbot, wizard)

    # Step 2: listed in the background; Back and Next wait for it.
    page = wizard.tables_page
    assert page.loading and not wizard.button(NEXT).isEnabled()
    assert not wizard.button(BACK).isEnabled()
    wait_tables(qtbot, wizard)
    assert wizard.button(BACK).isEnabled() and not wizard.button(NEXT).isEnabled()
    rows = {page.proxy.index(r, 1).data(): page.proxy.index(r, 2).data()
            for r in range(page.proxy.rowCount())}
    assert rows == {"customers": "2", "orders": "40"}
    qtbot.keyClicks(page.filter, "ord")
    assert page.proxy.rowCount() == 1
    tick(qtbot, wizard, "orders")
    assert page.count.text() == "1 of 2 tables selected"
    next_step(qtbot, wizard)

    # Step 3: the cursor suggested, the key taken from the source, a daily schedule.
    settings = wizard.settings_page
    wait_columns(qtbot, wizard)
    assert settings.destination.currentText().startswith("Local warehouse")
    mode, cursor, key = settings._widgets(0)
    assert key.text() == "id" and not cursor.isEnabled()
    choose(qtbot, mode, "incremental")
    assert cursor.isEnabled() and cursor.currentText() == "updated_at"
    key.setFocus()
    key.selectAll()
    qtbot.keyClicks(key, "order_id")  # a column the table does not have
    assert not wizard.button(FINISH).isEnabled()
    assert settings.status.text() == "public.orders has no column order_id."
    key.selectAll()
    qtbot.keyClicks(key, "id")
    assert cursor.itemText(0) == "updated_at"  # suggestions come first
    choose(qtbot, settings.schedule.kind, "Daily at")
    zone = settings.schedule.zone.lineEdit()
    zone.selectAll()
    qtbot.keyClicks(zone, "Europe/Warsaw")
    preview = settings.schedule.preview.text()
    assert preview.startswith("Every day at 06:00 Europe/Warsaw. Next: ")
    assert preview.count("06:00") == 6  # the words and five run times
    review = settings.review.text()
    assert "<b>Orders nightly</b> copies 1 table from <b>Sales</b> (PostgreSQL)" in review
    assert "public.orders → main.orders: incremental on updated_at, key id" in review
    assert wizard.button(FINISH).text() == "Create ETL job"
    qtbot.mouseClick(wizard.button(FINISH), LEFT)
    qtbot.waitUntil(lambda: window.job_model.rowCount() == 1, timeout=20_000)
    assert active_modal() is None  # the wizard closed

    # The card says when it runs; Run moves the rows; card and history show them.
    assert card_line(window, "Orders nightly", "detail").startswith(
        "Every day at 06:00 Europe/Warsaw  ·  next ")
    click_card_button(qtbot, window.jobs, "Orders nightly", "run")
    qtbot.waitUntil(lambda: card_rect(window.jobs, "Orders nightly")[1].data(LastRunRole)
                    is not None, timeout=30_000)
    landed = warehouse_rows("select count(*) from orders")[0][0]
    assert landed == 40
    assert card_line(window, "Orders nightly", "extra").startswith(
        f"Incremental  ·  Last run: {landed} rows, ")
    click_card_button(qtbot, window.jobs, "Orders nightly", "history")
    qtbot.waitExposed(window.history)
    assert window.history.table.item(0, 4).text() == str(landed)
    assert window.history.log.toPlainText().startswith(
        f"Tables:\n  ✓ public.orders — {landed} rows\n\n")
    job = card_rect(window.jobs, "Orders nightly")[1].data(JobRole)
    assert (job.schedule_kind, job.schedule_expr, job.timezone) == ("daily", "06:00",
                                                                   "Europe/Warsaw")


def test_invalid_cron_disables_create_and_says_why(qtbot, make_window, ctx, pg_db):
    window, wizard = at_step_3(qtbot, make_window, ctx, pg_db, "customers")
    settings = wizard.settings_page
    assert wizard.button(FINISH).isEnabled()
    choose(qtbot, settings.schedule.kind, "Cron expression")
    # Before anything is typed: how to write one, not an error.
    assert settings.schedule.preview.text().startswith("Five fields: minute hour")
    assert settings.schedule.preview.property("tone") == ""
    assert not wizard.button(FINISH).isEnabled()
    qtbot.keyClicks(settings.schedule.cron, "0 6 * *")
    assert not wizard.button(FINISH).isEnabled()
    message = "A cron expression has 5 fields (minute hour day month weekday); “0 6 * *” has 4."
    assert settings.schedule.preview.text() == message
    assert settings.schedule.preview.property("tone") == "failed"
    qtbot.keyClicks(settings.schedule.cron, " 1-5")
    assert wizard.button(FINISH).isEnabled()
    preview = settings.schedule.preview.text()
    assert preview.startswith("At 06:00, Monday through Friday (")  # in words as you type
    assert preview.count("\u00a006:00") == 5  # five dates, none broken across lines


def test_duplicate_job_name_is_refused_as_you_type(qtbot, make_window, ctx, pg_db):
    sales_tables(pg_db)
    save_connection(ctx, "postgresql", "Sales", pg_db.params())
    make_job(ctx, "Orders", "Sales", [TableSpec("orders")])
    window = make_window()
    wizard = open_job_wizard(qtbot, window)
    pick_source(qtbot, wizard, "Sales")
    type_job_name(qtbot, wizard, "ORDERS")
    page = wizard.source_page
    assert page.name_error.isVisible()
    assert page.name_error.text() == "A job named 'ORDERS' already exists."
    assert not wizard.button(NEXT).isEnabled()
    qtbot.keyClicks(page.name, " 2")
    assert not page.name_error.isVisible() and wizard.button(NEXT).isEnabled()


def test_the_suggested_name_fits_even_for_the_longest_connection_name(qtbot, make_window, ctx,
                                                                     pg_db):
    from app.connectors.registry import NAME_MAX

    sales_tables(pg_db)
    long_name = "S" * NAME_MAX
    save_connection(ctx, "postgresql", long_name, pg_db.params())
    make_job(ctx, "S" * (NAME_MAX - 8) + " ETL", long_name, [TableSpec("orders")])
    window = make_window()
    wizard = open_job_wizard(qtbot, window)
    pick_source(qtbot, wizard, long_name)
    assert wizard.source_page.name.text() == "S" * (NAME_MAX - 8) + " ETL 2"
    assert wizard.button(NEXT).isEnabled()


def test_edit_changes_the_mode_and_the_next_run_uses_it(qtbot, make_window, ctx, pg_db):
    sales_tables(pg_db)
    save_connection(ctx, "postgresql", "Sales", pg_db.params())
    make_job(ctx, "Orders", "Sales", [TableSpec("orders")])
    assert JobService(ctx).run("Orders").rows_written == 40
    window = make_window()
    click_card_button(qtbot, window.jobs, "Orders", "edit")
    wizard = window.job_wizard
    qtbot.waitExposed(wizard)
    assert wizard.currentId() == 2 and wizard.button(FINISH).text() == "Save changes"
    settings = wizard.settings_page
    wait_columns(qtbot, wizard)
    mode, _, _ = settings._widgets(0)
    assert mode.currentText() == "replace"
    assert settings.modes_help.text() == ("Replace: the destination table is the source "
                                          "table as it was at the run.")
    choose(qtbot, mode, "append")
    # What the edit changes comes first in the review, seen without scrolling.
    assert settings.review.text().startswith(
        "<b>What changes:</b><br>&nbsp;• public.orders: replace → append: each run adds "
        "every source row to orders; rows already there stay, so repeated runs add the same "
        "rows again.")
    assert settings.modes_help.text().startswith("Append: every source row is added again")

    # The earlier steps are reachable, and keep what was chosen.
    wait_tables(qtbot, wizard)
    qtbot.mouseClick(wizard.button(BACK), LEFT)
    assert wizard.currentId() == 1
    assert wizard.tables_page.count.text() == "1 of 2 tables selected"
    next_step(qtbot, wizard)
    assert settings._widgets(0)[0].currentText() == "append"

    qtbot.mouseClick(wizard.button(FINISH), LEFT)
    qtbot.waitUntil(lambda: active_modal() is None, timeout=20_000)
    assert JobService(ctx).get("Orders").tables[0].mode == "append"
    assert card_line(window, "Orders", "extra").startswith("Append  ·  Last run: 40 rows")
    click_card_button(qtbot, window.jobs, "Orders", "run")
    qtbot.waitUntil(lambda: JobService(ctx).runs("Orders", 1)[0].log ==
                    "public.orders: 40 rows written (append)", timeout=30_000)
    assert warehouse_rows("select count(*) from orders") == [(80,)]


def test_a_failed_connection_needs_a_warning_and_a_listing_failure_offers_retry(
        qtbot, make_window, ctx, tmp_path):
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table items (id integer primary key, name text)")
    save_connection(ctx, "sqlite", "Shop", {"path": str(db)})
    window = make_window()
    window.test_one(window.model.views()[0].id)  # passes now
    db.unlink()
    window.test_one(window.model.views()[0].id)  # fails now: red dot
    qtbot.waitUntil(lambda: window.model.views()[0].last_test_status == "failed",
                    timeout=10_000)
    wizard = open_job_wizard(qtbot, window)
    pick_source(qtbot, wizard, "Shop")
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    assert "failed its last test" in active_modal().text()
    qtbot.keyClick(active_modal(), Qt.Key.Key_Escape)
    assert wizard.source_page.source() is None and not wizard.button(NEXT).isEnabled()
    pick_source(qtbot, wizard, "Shop")
    confirm(qtbot, "Use it anyway")
    next_step(qtbot, wizard)
    wait_tables(qtbot, wizard)
    page = wizard.tables_page
    assert page.status.property("tone") == "failed"
    assert page.status.text().startswith("Cannot list the tables of Shop: ")
    assert page.retry.isVisible() and not wizard.button(NEXT).isEnabled()
    with sqlite3.connect(db) as conn:
        conn.execute("create table items (id integer primary key, name text)")
    qtbot.mouseClick(page.retry, LEFT)
    wait_tables(qtbot, wizard)
    assert page.model.rowCount() == 1 and not page.retry.isVisible()


def test_declining_a_failed_connection_brings_back_the_previous_choice(
        qtbot, make_window, ctx, tmp_path):
    for name in ("Good", "Shop"):
        with sqlite3.connect(tmp_path / f"{name}.db") as conn:
            conn.execute("create table items (id integer primary key)")
        save_connection(ctx, "sqlite", name, {"path": str(tmp_path / f"{name}.db")})
    window = make_window()
    shop = next(v for v in window.model.views() if v.name == "Shop")
    (tmp_path / "Shop.db").unlink()
    window.test_one(shop.id)
    qtbot.waitUntil(lambda: next(v for v in window.model.views()
                                 if v.name == "Shop").last_test_status == "failed",
                    timeout=10_000)
    wizard = open_job_wizard(qtbot, window)
    assert wizard.source_page.source() is None  # two to choose from: none chosen for you
    pick_source(qtbot, wizard, "Good")
    assert wizard.source_page.source().name == "Good"
    pick_source(qtbot, wizard, "Shop")
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    qtbot.keyClick(active_modal(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not isinstance(active_modal(), QMessageBox))
    assert wizard.source_page.source().name == "Good"
    assert wizard.source_page.name.text() == "Good ETL"  # the name follows the choice back
    assert wizard.button(NEXT).isEnabled()


def test_the_only_connection_is_chosen_already(qtbot, make_window, ctx, tmp_path):
    with sqlite3.connect(tmp_path / "crm.db") as conn:
        conn.execute("create table leads (id integer primary key)")
    save_connection(ctx, "sqlite", "CRM", {"path": str(tmp_path / "crm.db")})
    window = make_window()
    wizard = open_job_wizard(qtbot, window)
    assert wizard.source_page.source().name == "CRM"
    assert wizard.button(NEXT).isEnabled()


def test_new_connection_from_the_wizard_comes_back_selected(qtbot, make_window, ctx, tmp_path):
    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table leads (id integer primary key)")
    window = make_window()
    wizard = open_job_wizard(qtbot, window)
    assert wizard.source_page.hidden.text().startswith("No connections yet")
    qtbot.mouseClick(wizard.source_page.new_button, LEFT)
    inner = wizard.source_page.connection_wizard
    qtbot.waitExposed(inner)
    details = choose_type(qtbot, inner, "sqlite")
    fill(qtbot, details, path=str(db), name="CRM")
    assert run_test(qtbot, details)[0] == "ok"
    qtbot.mouseClick(save_button(inner), LEFT)
    qtbot.waitUntil(lambda: wizard.source_page.source() is not None)
    assert wizard.source_page.source().name == "CRM"
    assert wizard.source_page.name.text() == "CRM ETL"
    assert window.model.rowCount() == 1  # the main window's list has it too


def test_five_thousand_tables_stay_responsive(qtbot, make_window, ctx, tmp_path):
    db = tmp_path / "wide.db"
    with sqlite3.connect(db) as conn:
        conn.executescript("".join(f"create table t{i:04d} (id integer);" for i in range(5000)))
    save_connection(ctx, "sqlite", "Wide", {"path": str(db)})
    window = make_window()
    wizard = open_job_wizard(qtbot, window)
    pick_source(qtbot, wizard, "Wide")

    clock, longest = QElapsedTimer(), [0]
    clock.start()
    ticker = QTimer()
    ticker.setInterval(10)

    def tick() -> None:
        longest[0] = max(longest[0], clock.restart())

    ticker.timeout.connect(tick)
    ticker.start()
    next_step(qtbot, wizard)
    wait_tables(qtbot, wizard)
    page = wizard.tables_page
    assert page.model.rowCount() == 5000
    qtbot.keyClicks(page.filter, "t4999")
    assert page.proxy.rowCount() == 1
    page.filter.clear()
    qtbot.mouseClick(page.select_shown, LEFT)
    assert page.count.text() == "5,000 of 5,000 tables selected"
    qtbot.wait(50)
    ticker.stop()
    assert longest[0] < 250, f"the event loop stalled for {longest[0]} ms"


def test_a_table_that_vanished_before_create_is_named_and_nothing_is_saved(
        qtbot, make_window, ctx, pg_db):
    window, wizard = at_step_3(qtbot, make_window, ctx, pg_db, "customers")
    pg_exec(pg_db, "drop table customers")
    qtbot.mouseClick(wizard.button(FINISH), LEFT)
    settings = wizard.settings_page
    qtbot.waitUntil(lambda: settings.saving is None, timeout=20_000)
    assert settings.status.text() == "Table 'public.customers' is not in the source."
    assert wizard.isVisible() and wizard.button(FINISH).isEnabled()
    assert JobService(ctx).list() == [] and window.job_model.rowCount() == 0


def test_back_to_another_source_rebuilds_the_later_steps(qtbot, make_window, ctx, pg_db,
                                                        tmp_path):
    hr = tmp_path / "hr.db"
    with sqlite3.connect(hr) as conn:
        conn.execute("create table employees (id integer primary key, name text)")
        conn.execute("insert into employees values (1, 'Ada')")
    save_connection(ctx, "sqlite", "HR", {"path": str(hr)})
    window, wizard = at_step_3(qtbot, make_window, ctx, pg_db, "orders")
    assert [r[0] for r in rows_at_step_3(wizard)] == ["public.orders"]
    choose(qtbot, wizard.settings_page._widgets(0)[0], "merge")

    back_step(qtbot, wizard)
    back_step(qtbot, wizard)
    pick_source(qtbot, wizard, "HR")
    assert wizard.source_page.name.text() == "HR ETL"
    next_step(qtbot, wizard)
    wait_tables(qtbot, wizard)
    assert listed(wizard) == {"employees"}  # HR's tables, none of Sales'
    assert wizard.tables_page.count.text().startswith("0 of 1 table selected")
    tick(qtbot, wizard, "employees")
    next_step(qtbot, wizard)
    wait_columns(qtbot, wizard)
    assert rows_at_step_3(wizard) == [("main.employees", "(main)", "employees")]
    assert wizard.settings_page._widgets(0)[0].currentText() == "replace"
    assert "from <b>HR</b> (SQLite)" in wizard.settings_page.review.text()
    qtbot.mouseClick(wizard.button(FINISH), LEFT)
    qtbot.waitUntil(lambda: active_modal() is None, timeout=20_000)
    job = JobService(ctx).get("HR ETL")
    assert (job.source_name, [t.table for t in job.tables]) == ("HR", ["employees"])
    assert JobService(ctx).run("HR ETL").rows_written == 1
    assert warehouse_rows("select name from employees") == [("Ada",)]


def test_edit_a_table_ticked_after_back_reaches_step_3_and_the_job(qtbot, make_window, ctx,
                                                                   pg_db):
    sales_tables(pg_db)
    save_connection(ctx, "postgresql", "Sales", pg_db.params())
    make_job(ctx, "Orders", "Sales", [TableSpec("orders", mode="append")])
    window = make_window()
    click_card_button(qtbot, window.jobs, "Orders", "edit")
    wizard = window.job_wizard
    qtbot.waitExposed(wizard)
    wait_columns(qtbot, wizard)
    wait_tables(qtbot, wizard)
    back_step(qtbot, wizard)
    tick(qtbot, wizard, "customers")
    assert wizard.tables_page.count.text() == "2 of 2 tables selected"
    next_step(qtbot, wizard)
    wait_columns(qtbot, wizard)
    rows = rows_at_step_3(wizard)
    assert sorted(r[0] for r in rows) == ["public.customers", "public.orders"]
    settings = wizard.settings_page
    modes = {rows[i][0]: settings._widgets(i)[0].currentText() for i in range(len(rows))}
    assert modes == {"public.orders": "append", "public.customers": "replace"}  # kept
    qtbot.mouseClick(wizard.button(FINISH), LEFT)
    qtbot.waitUntil(lambda: active_modal() is None, timeout=20_000)
    assert sorted(t.table for t in JobService(ctx).get("Orders").tables) == ["customers",
                                                                            "orders"]


def test_step_3_shows_where_each_table_lands_and_refuses_a_collision(qtbot, make_window, ctx,
                                                                     pg_db):
    sales_tables(pg_db)
    pg_exec(pg_db, "create schema archive",
            "create table archive.orders (id int primary key, amount numeric(10,2))",
            "insert into archive.orders values (1, 1.00)")
    window, wizard = at_step_2(qtbot, make_window, ctx, pg_db)
    qtbot.keyClicks(wizard.tables_page.filter, "orders")
    qtbot.mouseClick(wizard.tables_page.select_shown, LEFT)
    next_step(qtbot, wizard)
    wait_columns(qtbot, wizard)
    # Same name, two schemas: each keeps its own place.
    assert sorted(rows_at_step_3(wizard)) == [("archive.orders", "archive", "orders"),
                                               ("public.orders", "(main)", "orders")]
    assert wizard.button(FINISH).isEnabled()
    review = wizard.settings_page.review.text()
    assert "archive.orders → archive.orders" in review
    assert "public.orders → main.orders" in review

    # Typed into one place: the wizard names both and Create waits.
    settings = wizard.settings_page
    row = next(i for i, r in enumerate(rows_at_step_3(wizard)) if r[0] == "archive.orders")
    from ui.job_settings_page import DEST_SCHEMA

    schema = settings.table.cellWidget(row, DEST_SCHEMA)
    schema.setFocus()
    schema.selectAll()
    qtbot.keyClick(schema, Qt.Key.Key_Backspace)
    assert not wizard.button(FINISH).isEnabled()
    assert "archive.orders and public.orders would both land in main.orders" in \
        settings.status.text() or \
        "public.orders and archive.orders would both land in main.orders" in \
        settings.status.text()
    qtbot.keyClicks(schema, "old")
    assert wizard.button(FINISH).isEnabled()
    qtbot.mouseClick(wizard.button(FINISH), LEFT)
    qtbot.waitUntil(lambda: active_modal() is None, timeout=20_000)
    job = JobService(ctx).get("Sales ETL")
    assert sorted((t.source_name, t.dest_schema) for t in job.tables) == [
        ("archive.orders", "old"), ("public.orders", None)]
    assert JobService(ctx).run("Sales ETL").status == "succeeded"
    assert warehouse_rows("select count(*) from old.orders") == [(1,)]
    assert warehouse_rows("select count(*) from main.orders") == [(40,)]


def test_columns_left_out_in_step_3_are_never_copied(qtbot, make_window, ctx, pg_db):
    window, wizard = at_step_3(qtbot, make_window, ctx, pg_db, "orders")
    settings = wizard.settings_page
    pick = settings._pick_button(0)
    assert pick.text() == "All" and pick.isEnabled()
    qtbot.mouseClick(pick, LEFT)
    picker = settings.picker
    qtbot.waitExposed(picker)
    items = {picker.list.item(i).data(Qt.ItemDataRole.UserRole): picker.list.item(i)
             for i in range(picker.list.count())}
    assert list(items) == ["id", "amount", "updated_at", "note"]
    rect = picker.list.visualItemRect(items["note"])
    qtbot.mouseClick(picker.list.viewport(), LEFT, pos=rect.center())
    qtbot.keyClick(picker.list, Qt.Key.Key_Space)
    assert picker.left_out() == ["note"]
    qtbot.mouseClick(picker.ok, LEFT)
    assert pick.text() == "3 of 4"
    assert "leaving out note" in settings.review.text()
    qtbot.mouseClick(wizard.button(FINISH), LEFT)
    qtbot.waitUntil(lambda: active_modal() is None, timeout=20_000)
    assert JobService(ctx).get("Sales ETL").tables[0].exclude_columns == ["note"]
    assert JobService(ctx).run("Sales ETL").status == "succeeded"
    assert [r[0] for r in warehouse_rows(
        "select column_name from information_schema.columns where table_name = 'orders'")] \
        == ["amount", "id", "updated_at"]


def test_the_stall_bound_is_set_in_step_3(qtbot, make_window, ctx, pg_db):
    window, wizard = at_step_3(qtbot, make_window, ctx, pg_db, "orders")
    stall = wizard.settings_page.stall
    assert stall.value() == 10 and stall.suffix() == " min"
    stall.setFocus()
    stall.selectAll()
    qtbot.keyClicks(stall, "3")
    qtbot.mouseClick(wizard.button(FINISH), LEFT)
    qtbot.waitUntil(lambda: active_modal() is None, timeout=20_000)
    job = JobService(ctx).get("Sales ETL")
    assert job.stall_seconds == 180
    click_card_button(qtbot, window.jobs, "Sales ETL", "edit")
    edit = window.job_wizard
    qtbot.waitExposed(edit)
    wait_columns(qtbot, edit)
    assert edit.settings_page.stall.value() == 3
    edit.settings_page.stall.setValue(0)
    assert "Runs are never stopped for want of rows moving." in \
        edit.settings_page.review.text()


def test_a_merge_can_delete_rows_gone_from_the_source(qtbot, make_window, ctx, pg_db):
    from ui.job_settings_page import DELETES

    window, wizard = at_step_3(qtbot, make_window, ctx, pg_db, "customers")
    settings = wizard.settings_page
    deletes = settings.table.cellWidget(0, DELETES)
    assert deletes.currentText() == "keep" and not deletes.isEnabled()  # replace: no say
    choose(qtbot, settings._widgets(0)[0], "merge")
    assert deletes.isEnabled() and settings._widgets(0)[2].text() == "id"
    choose(qtbot, deletes, "delete")
    assert "merge, key id, rows deleted at the source deleted" in settings.review.text()
    qtbot.mouseClick(wizard.button(FINISH), LEFT)
    qtbot.waitUntil(lambda: active_modal() is None, timeout=20_000)
    assert JobService(ctx).get("Sales ETL").tables[0].detect_deletes == "delete"
    assert JobService(ctx).run("Sales ETL").status == "succeeded"
    pg_exec(pg_db, "delete from customers where id = 2")
    click_card_button(qtbot, window.jobs, "Sales ETL", "run")
    qtbot.waitUntil(lambda: card_line(window, "Sales ETL", "extra").endswith(
        "1 row gone from the source was deleted"), timeout=30_000)
    assert warehouse_rows("select id, name from customers") == [(1, "Ada")]


def test_destinations_are_listed_with_their_status_dots(qtbot, make_window, ctx, pg_db,
                                                        tmp_path):
    from ui import theme

    save_connection(ctx, "parquet", "Lake", {"path": str(tmp_path)})
    window, wizard = at_step_3(qtbot, make_window, ctx, pg_db, "orders")
    combo = wizard.settings_page.destination
    lake = combo.findData(next(v.id for v in window.model.views() if v.name == "Lake"))
    image = combo.itemIcon(lake).pixmap(14, 14).toImage()
    status = next(v for v in window.model.views() if v.name == "Lake").last_test_status
    assert image.pixelColor(7, 7).name() == theme.DOT[status]
    local = combo.itemIcon(0).pixmap(14, 14).toImage()  # the warehouse: no dot, aligned
    assert local.pixelColor(7, 7).alpha() == 0


def test_step_3_sets_retries_missed_run_grace_and_a_webhook(qtbot, make_window, ctx, pg_db):
    window, wizard = at_step_3(qtbot, make_window, ctx, pg_db, "orders")
    page = wizard.settings_page
    editor = page.unattended
    assert (editor.retries.value(), editor.grace.value()) == (2, 60)
    editor.retries.setValue(4)
    editor.grace.setValue(30)
    qtbot.keyClicks(editor.webhook, "hooks.example.com/T0KEN")
    assert "The webhook URL must start with http:// or https://" in page.status.text()
    assert not wizard.button(FINISH).isEnabled()
    editor.webhook.clear()
    qtbot.keyClicks(editor.webhook, "https://hooks.example.com/T0KEN")
    qtbot.mouseClick(editor.on_success, Qt.MouseButton.LeftButton)
    assert wizard.button(FINISH).isEnabled()
    qtbot.mouseClick(wizard.button(FINISH), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.job_model.rowCount() == 1, timeout=20_000)
    job = JobService(ctx).list()[0]
    assert (job.unattended.retries, job.unattended.missed_grace_seconds,
            job.unattended.notify_success, job.has_webhook) == (4, 1800, True, True)
    assert JobService(ctx).webhook(job.id) == "https://hooks.example.com/T0KEN"
