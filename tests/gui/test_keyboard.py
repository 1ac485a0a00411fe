"""A connection made by keyboard alone: a shortcut, type to filter, Enter, the fields in
Tab order, Enter to test, Enter to save."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard

from tests.gui.helpers import card_rect, dot_color
from ui import theme


def _active(qtbot, window):
    window.windowHandle().requestActivate()  # shortcuts reach the active window only
    qtbot.waitUntil(window.isActiveWindow)
    return window


def _focused():
    return QApplication.focusWidget()


def _new_connection_by_key(qtbot, make_window):
    """Ctrl+N in the main window: the wizard's type filter has the focus."""
    window = _active(qtbot, make_window())
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    wizard = window.wizard
    qtbot.waitExposed(wizard)
    qtbot.waitUntil(lambda: _focused() is wizard.type_page.filter)
    return window, wizard, wizard.type_page


def test_a_connection_by_keyboard_alone(qtbot, make_window, mariadb_db):
    window, wizard, types = _new_connection_by_key(qtbot, make_window)
    qtbot.keyClicks(_focused(), "maria")
    assert [t.property("type_key") for t in types.shown_tiles()] == ["mariadb"]
    qtbot.keyClick(_focused(), Qt.Key.Key_Return)
    page = wizard.details
    qtbot.waitUntil(lambda: wizard.currentId() == 1)
    qtbot.waitUntil(lambda: _focused() is page.form.inputs["host"])  # the first field
    # Tab walks the fields in order (a path field's Browse button after it), ends on Test.
    inputs = page.form.inputs
    expected = [inputs["host"], inputs["port"], inputs["database"], inputs["user"],
                inputs["password"], inputs["ssl_mode"], inputs["ssl_ca"],
                page.form.browse_buttons["ssl_ca"], page.test_button]
    order = []
    for _ in expected:
        order.append(_focused())
        qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
    assert order == expected
    # Fill them by keyboard, from the host again.
    inputs["host"].setFocus()
    for key, value in (("host", mariadb_db.host), ("port", str(mariadb_db.port)),
                       ("database", mariadb_db.database), ("user", mariadb_db.user),
                       ("password", mariadb_db.password)):
        assert _focused() is inputs[key]
        _focused().selectAll()
        qtbot.keyClicks(_focused(), value)
        qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
    inputs["password"].setFocus()
    qtbot.keyClick(_focused(), Qt.Key.Key_Return)  # Enter tests...
    qtbot.waitUntil(lambda: page.task is None and page.proof is not None, timeout=20_000)
    assert page.status.property("tone") == "ok", page.status.text()
    assert _focused() is inputs["password"]  # the focus stayed where it was
    qtbot.keyClick(_focused(), Qt.Key.Key_Return)  # ...and, once tested, saves
    qtbot.waitUntil(lambda: not wizard.isVisible())
    name = f"MariaDB - {mariadb_db.database}"
    card_rect(window.connections, name)
    assert dot_color(window, name) == theme.DOT["ok"]


def test_tiles_take_typing_and_show_the_focus(qtbot, make_window):
    _, wizard, types = _new_connection_by_key(qtbot, make_window)
    qtbot.keyClick(types.filter, Qt.Key.Key_Down)  # to the tiles
    tile = _focused()
    assert tile in types.tiles.values()
    qtbot.keyClicks(tile, "csv")  # typing on a tile filters too
    assert types.filter.text() == "csv"
    assert [t.property("type_key") for t in types.shown_tiles()] == ["csv"]
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled() is False
    qtbot.keyClick(types.filter, Qt.Key.Key_Down)
    qtbot.keyClick(_focused(), Qt.Key.Key_Space)  # Space ticks the focused tile
    assert types.type_key == "csv"


def test_tab_walks_the_main_window_column_by_column(qtbot, make_window, ctx, tmp_path):
    import sqlite3

    from tests.integration.engine_helpers import save_connection

    sqlite3.connect(tmp_path / "a.db").close()
    save_connection(ctx, "sqlite", "A", {"path": str(tmp_path / "a.db")})
    window = _active(qtbot, make_window())
    c, j = window.connections, window.jobs
    c.refresh_button.setFocus()
    seen = []
    for _ in range(6):
        seen.append(_focused())
        qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
    # (The jobs' filter waits for a first job; the empty list offers its button instead.)
    assert seen == [c.refresh_button, c.add_button, c.filter, c.view, j.add_button,
                    j.create_button]


def _walk(qtbot, count: int) -> list:
    seen = []
    for _ in range(count):
        seen.append(_focused())
        qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
    return seen


def test_tab_walks_every_page_of_the_job_wizard(qtbot, make_window, ctx, pg_db):
    from tests.gui.helpers import (
        next_step,
        open_job_wizard,
        sales_tables,
        tick,
        wait_columns,
        wait_tables,
    )
    from tests.integration.engine_helpers import save_connection

    sales_tables(pg_db)
    save_connection(ctx, "postgresql", "Sales", pg_db.params())
    window = _active(qtbot, make_window())
    wizard = open_job_wizard(qtbot, window)
    wizard.windowHandle().requestActivate()
    qtbot.waitUntil(wizard.isActiveWindow)
    first = wizard.source_page
    first.name.setFocus()
    assert _walk(qtbot, 3) == [first.name, first.new_button, first.list]
    next_step(qtbot, wizard)
    wait_tables(qtbot, wizard)
    tables = wizard.tables_page
    # The filter has the focus once the tables are listed; Tab leaves the list (no trap).
    assert _walk(qtbot, 7) == [tables.filter, tables.select_shown, tables.clear,
                               tables.preview_button, tables.query_button, tables.view,
                               wizard.button(QWizard.WizardButton.BackButton)]
    tick(qtbot, wizard, "orders")
    next_step(qtbot, wizard)
    wait_columns(qtbot, wizard)
    settings = wizard.settings_page
    settings.destination.setFocus()
    cell = settings.table.cellWidget
    from ui.job_settings_page import DEST_SCHEMA, DEST_TABLE, MODE, PICK

    assert _walk(qtbot, 9) == [settings.destination, settings.mode_all, cell(0, DEST_SCHEMA),
                               cell(0, DEST_TABLE), cell(0, MODE), cell(0, PICK),
                               settings.stall, settings.schedule.kind, settings.schedule.zone]
