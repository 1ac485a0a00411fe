"""A newcomer's first minute: an empty window offers the sample data; pressing it, then Run,
then Preview shows the rows that landed; the SQL tab queries the warehouse and can cancel a
long query; the wizard previews a source table."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.gui.helpers import active_modal, card_line, click_card_button, dot_color, row_with

LEFT = Qt.MouseButton.LeftButton


def test_sample_data_then_run_then_preview(qtbot, make_window):
    window = make_window()
    panel = window.connections
    qtbot.waitUntil(lambda: panel.stack.currentWidget() is panel.empty)
    assert panel.sample_button.isVisible()
    qtbot.mouseClick(panel.sample_button, LEFT)
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox), timeout=20_000)
    box = active_modal()
    assert box.text().startswith("Made the connection “Sample shop”")
    assert box.informativeText() == ("Press Run on the job's card to copy them, then Preview "
                                     "to see the rows that landed.")
    qtbot.mouseClick(box.buttons()[0], LEFT)
    row_with(panel.proxy, "Sample shop")
    assert dot_color(window, "Sample shop") == "#2e9d57"  # green: tested when made

    click_card_button(qtbot, window.jobs, "Sample shop ETL", "run")
    qtbot.waitUntil(lambda: card_line(window, "Sample shop ETL", "extra").startswith(
        "Incremental / replace  ·  Last run: 12,849 rows"), timeout=30_000)

    click_card_button(qtbot, window.jobs, "Sample shop ETL", "preview")
    qtbot.waitUntil(lambda: getattr(window, "preview", None) is not None
                    and window.preview.tabs.count() == 5, timeout=20_000)
    tabs = window.preview.tabs
    assert [tabs.tabText(i) for i in range(5)] == [
        "main.orders", "main.customers", "main.products", "main.order_lines",
        "SQL on the warehouse"]
    orders = tabs.widget(0).rows
    model = orders.table.model()
    assert model.rowCount() == 100
    columns = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert columns == ["id", "customer_id", "ordered_at", "status", "total", "note",
                       "updated_at"]
    assert [model.index(r, 0).data() for r in range(3)] == ["1", "2", "3"]
    assert model.index(0, 5).data() == "NULL"  # the first order has no note
    assert orders.status.text().startswith("Rows 1–100 (more follow)")
    page = tabs.widget(0)
    qtbot.mouseClick(page.next, LEFT)
    qtbot.waitUntil(lambda: model.index(0, 0).data() == "101")
    orders.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert model.index(0, 0).data() == "200"


def test_the_sql_tab_runs_a_query_and_cancels_a_long_one(qtbot, make_window, ctx):
    from app.sample import create_sample
    from app.services.jobs import JobService

    create_sample(ctx)
    JobService(ctx).run("Sample shop ETL")
    window = make_window()
    click_card_button(qtbot, window.jobs, "Sample shop ETL", "preview")
    qtbot.waitUntil(lambda: getattr(window, "preview", None) is not None
                    and window.preview.tabs.count() == 5, timeout=20_000)
    sql = window.preview.sql
    qtbot.keyClicks(sql.editor, "select status, count(*) as n from orders group by status "
                                "order by status")
    qtbot.keyClick(sql.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: sql.query is None and sql.rows.model.rowCount() == 6,
                    timeout=20_000)
    qtbot.waitUntil(lambda: sql.query is None and sql.rows.model.rowCount() == 6,
                    timeout=20_000)
    model = sql.rows.model
    assert [model.index(r, 0).data() for r in range(6)] == [
        "cancelled", "delivered", "paid", "placed", "returned", "shipped"]
    assert sum(int(model.index(r, 1).data()) for r in range(6)) == 3000

    sql.editor.setPlainText("select count(*) from range(100000000000) a, range(1000) b "
                            "where a.range * b.range = -1")
    qtbot.mouseClick(sql.run_button, LEFT)
    qtbot.waitUntil(lambda: sql.cancel_button.isEnabled())
    qtbot.mouseClick(sql.cancel_button, LEFT)
    qtbot.waitUntil(lambda: sql.query is None, timeout=20_000)
    assert sql.rows.status.text() == "Cancelled."
    sql.editor.setPlainText("delete from orders")
    qtbot.mouseClick(sql.run_button, LEFT)
    qtbot.waitUntil(lambda: sql.query is None, timeout=20_000)
    assert "read-only" in sql.rows.status.text()


def test_history_and_the_wizard_preview_tables(qtbot, make_window, ctx):
    from app.sample import create_sample
    from app.services.jobs import JobService
    from tests.gui.helpers import next_step, open_job_wizard, pick_source, wait_tables

    create_sample(ctx)
    JobService(ctx).run("Sample shop ETL")
    window = make_window()
    click_card_button(qtbot, window.jobs, "Sample shop ETL", "history")
    qtbot.waitUntil(lambda: getattr(window, "history", None) is not None)
    menu = window.history.preview_button.menu()
    action = next(a for a in menu.actions() if a.text().startswith("main.products"))
    action.trigger()
    qtbot.waitUntil(lambda: getattr(window, "preview", None) is not None
                    and window.preview.tabs.count() == 2, timeout=20_000)
    assert window.preview.tabs.tabText(0) == "main.products"
    products = window.preview.tabs.widget(0).rows.table.model()
    assert products.rowCount() == 100
    window.preview.close()
    window.history.close()

    wizard = open_job_wizard(qtbot, window)
    pick_source(qtbot, wizard, "Sample shop")
    next_step(qtbot, wizard)
    wait_tables(qtbot, wizard)
    page = wizard.currentPage()
    index = next(page.proxy.index(r, 1) for r in range(page.proxy.rowCount())
                 if page.proxy.index(r, 1).data() == "customers")
    page.view.setCurrentIndex(index)
    qtbot.mouseClick(page.preview_button, LEFT)
    qtbot.waitUntil(lambda: getattr(page, "preview_dialog", None) is not None and
                    page.preview_dialog.rows.model.rowCount() == 100, timeout=20_000)
    rows = page.preview_dialog.rows
    assert rows.model.columns[:3] == ["id", "name", "email"]
    assert rows.status.text().startswith("Rows 1–100 (more follow)")
    page.preview_dialog.close()


def test_long_values_are_cut_with_the_whole_value_as_a_tooltip(qtbot):
    from ui.preview import ELIDE_AT, RowsView

    view = RowsView()
    qtbot.addWidget(view)
    long_text = "lorem ipsum " * 20
    view.show_rows(["id", "body", "tags"], ["int64", "string", "list<item: string>"],
                   [[1, long_text, ["a", "b"]], [2, None, []]])
    model = view.table.model()
    shown = model.index(0, 1).data()
    assert len(shown) == ELIDE_AT and shown.endswith("…")
    assert model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole) == long_text
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) is None
    assert model.index(1, 1).data() == "NULL"
    assert model.index(0, 2).data() == '["a", "b"]'  # nested values as JSON
    assert model.headerData(2, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == \
        "tags: list<item: string>"
