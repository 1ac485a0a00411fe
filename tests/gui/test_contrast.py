"""Text stays readable in both themes: each view is grabbed as the user sees it and the
text colour is measured against the background actually painted behind it (WCAG contrast,
at least 4.5:1 for text). Unticked boxes must not look ticked."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.services.jobs import JobService, TableSpec
from tests.gui.helpers import (
    LEFT,
    at_step_2,
    sales_tables,
    tick,
)
from tests.integration.engine_helpers import make_job, pg_exec, save_connection
from ui import theme

THEMES = ["light", "dark"]
TEXT_CONTRAST = 4.5


def _luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + \
        0.0722 * channel(color.blueF())


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _rows_readable(view, column: int, theme_name: str) -> None:
    """Every visible row of `view`: the text colour against the painted background."""
    image = view.viewport().grab().toImage()
    ratio = view.viewport().devicePixelRatio()
    model = view.model()
    selected = {i.row() for i in view.selectionModel().selectedRows()}
    assert model.rowCount() >= 3, "a view needs rows (and alternate ones) to be judged"
    for row in range(model.rowCount()):
        rect = view.visualRect(model.index(row, column))
        if rect.isEmpty() or not view.viewport().rect().contains(rect.center()):
            continue  # scrolled out of sight
        # Text is left-aligned: the cell's right end shows the background alone.
        right = min(rect.right(), view.viewport().width() - 1)
        spot = image.pixelColor(int((right - 3) * ratio), int(rect.center().y() * ratio))
        role = QPalette.ColorRole.HighlightedText if row in selected else \
            QPalette.ColorRole.Text
        text = view.palette().color(role)
        assert contrast(text, spot) >= TEXT_CONTRAST, \
            (theme_name, row, text.name(), spot.name(), round(contrast(text, spot), 2))


def _looks_ticked(view, row: int) -> bool:
    """Whether the check box of `row` (column 0) shows the accent colour of a tick."""
    image = view.viewport().grab().toImage()
    ratio = view.viewport().devicePixelRatio()
    rect = view.visualRect(view.model().index(row, 0))
    accent = QColor(theme.colors()["accent"])
    y = int(rect.center().y() * ratio)
    return any(contrast(image.pixelColor(int(x * ratio), y), accent) < 1.2
               for x in range(rect.left(), rect.left() + 24))


@pytest.mark.parametrize("theme_name", THEMES)
def test_the_tables_step_is_readable_and_ticks_are_clear(qtbot, make_window, ctx, pg_db,
                                                          theme_name):
    theme.apply(QApplication.instance(), theme_name)
    sales_tables(pg_db)
    pg_exec(pg_db, *(f"create table extra_{n} (id int)" for n in range(5)))
    _, wizard = at_step_2(qtbot, make_window, ctx, pg_db)
    tick(qtbot, wizard, "orders")
    view = wizard.tables_page.view
    view.clearSelection()  # judged as rows, ticked or not, alternate or not
    _rows_readable(view, 1, theme_name)
    names = [view.model().index(r, 1).data() for r in range(view.model().rowCount())]
    assert _looks_ticked(view, names.index("orders"))
    assert not _looks_ticked(view, names.index("customers"))


@pytest.mark.parametrize("theme_name", THEMES)
def test_the_history_table_is_readable(qtbot, make_window, ctx, pg_db, theme_name):
    theme.apply(QApplication.instance(), theme_name)
    sales_tables(pg_db)
    save_connection(ctx, "postgresql", "Sales", pg_db.params())
    make_job(ctx, "Orders", "Sales", [TableSpec("orders")])
    for _ in range(3):
        JobService(ctx).run("Orders")
    window = make_window()
    window.show_history(JobService(ctx).get("Orders").id)
    dialog = window.history
    qtbot.waitExposed(dialog)
    dialog.table.clearSelection()
    _rows_readable(dialog.table, 2, theme_name)


@pytest.mark.parametrize("theme_name", THEMES)
def test_type_tiles_are_readable(qtbot, make_window, theme_name):
    theme.apply(QApplication.instance(), theme_name)
    window = make_window()
    qtbot.mouseClick(window.connections.add_button, LEFT)
    wizard = window.wizard
    qtbot.waitExposed(wizard)
    tile = next(iter(wizard.type_page.tiles.values()))
    image = tile.grab().toImage()
    ratio = tile.devicePixelRatio()
    background = image.pixelColor(int(8 * ratio), int(tile.height() / 2 * ratio))
    text = tile.palette().color(QPalette.ColorRole.ButtonText)
    assert contrast(text, background) >= TEXT_CONTRAST, (theme_name, text.name(),
                                                         background.name())


@pytest.mark.parametrize("theme_name", THEMES)
def test_the_time_zone_and_schedule_pickers_are_readable(qtbot, make_window, ctx, pg_db,
                                                         theme_name):
    from tests.gui.helpers import at_step_3

    theme.apply(QApplication.instance(), theme_name)
    _, wizard = at_step_3(qtbot, make_window, ctx, pg_db, "orders")
    for combo in (wizard.settings_page.schedule.zone, wizard.settings_page.schedule.kind):
        combo.showPopup()
        view = combo.view()
        qtbot.waitUntil(view.isVisible)
        view.clearSelection()
        view.setCurrentIndex(view.model().index(-1, -1))
        _rows_readable(view, 0, theme_name)
        combo.hidePopup()
