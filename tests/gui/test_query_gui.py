"""A custom query as a table, from the job wizard: step 2's "Add query…" checks the query
against the source (the server's message when it fails), adds it ticked, and the job runs
it."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.services.jobs import JobService
from tests.gui.helpers import (
    FINISH,
    next_step,
    open_job_wizard,
    pick_source,
    sales_tables,
    type_job_name,
    wait_columns,
    wait_tables,
)
from tests.integration.engine_helpers import save_connection, warehouse_rows

LEFT = Qt.MouseButton.LeftButton


def test_add_a_query_in_the_wizard_and_run_it(qtbot, make_window, ctx, pg_db):
    sales_tables(pg_db)
    save_connection(ctx, "postgresql", "Sales", pg_db.params())
    window = make_window()
    wizard = open_job_wizard(qtbot, window)
    pick_source(qtbot, wizard, "Sales")
    type_job_name(qtbot, wizard, "Query job")
    next_step(qtbot, wizard)
    wait_tables(qtbot, wizard)
    page = wizard.tables_page
    assert page.query_button.isVisible()
    qtbot.mouseClick(page.query_button, LEFT)
    dialog = page.query_dialog
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.name_edit, "counted")
    dialog.sql_edit.setPlainText("select count(*) as n, nope from orders")
    qtbot.mouseClick(dialog.check_button, LEFT)
    qtbot.waitUntil(lambda: 'column "nope" does not exist' in dialog.result.text(),
                    timeout=20_000)
    assert not dialog.buttons.buttons()[0].isEnabled()
    dialog.sql_edit.setPlainText("select count(*) as n from orders")
    qtbot.mouseClick(dialog.check_button, LEFT)
    qtbot.waitUntil(lambda: dialog.result.text().startswith("Columns: n (int64)"),
                    timeout=20_000)
    ok = dialog.buttons.buttons()[0]
    assert ok.text() == "Add query" and ok.isEnabled()
    qtbot.mouseClick(ok, LEFT)
    assert page.chosen() == [(None, "counted")]
    row = next(r for r in range(page.model.rowCount())
               if page.model.table_at(r).name == "counted")
    shown = [page.model.index(row, c).data() for c in range(3)]
    assert shown == ["(query)", "counted", "—"]  # no schema, no row count: a query
    next_step(qtbot, wizard)
    wait_columns(qtbot, wizard)
    qtbot.mouseClick(wizard.button(FINISH), LEFT)
    qtbot.waitUntil(lambda: window.job_model.rowCount() == 1, timeout=20_000)
    job = JobService(ctx).get("Query job")
    assert [(t.table, t.query) for t in job.tables] == [
        ("counted", "select count(*) as n from orders")]
    assert JobService(ctx).run("Query job").status == "succeeded"
    assert warehouse_rows("select n from counted") == [(40,)]
