"""What the GUI tests do as a user does: find a row by its text, click a card's button,
walk the wizards; and the source tables they start from."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWizard

from tests.integration.engine_helpers import pg_exec, save_connection

LEFT = Qt.MouseButton.LeftButton
NEXT, BACK, FINISH = (QWizard.WizardButton.NextButton, QWizard.WizardButton.BackButton,
                      QWizard.WizardButton.FinishButton)


def row_with(model, text: str, column: int = 0):
    """The index of the first row whose `column` shows `text` (AssertionError if none)."""
    for row in range(model.rowCount()):
        index = model.index(row, column)
        if index.data() == text:
            return index
    raise AssertionError(f"no row shows {text!r}")


# --- cards and messages ------------------------------------------------------------------

def card_rect(panel, name: str):
    """Where the card called `name` is drawn in a panel's list (its rect and index)."""
    index = row_with(panel.proxy, name)
    return panel.view.visualRect(index), index


def click_card_button(qtbot, panel, name: str, button: str) -> None:
    """Click a card's button; one kept in the card's "…" menu is chosen there."""
    from ui.cards import MORE

    rect, index = card_rect(panel, name)
    delegate = panel.delegate
    content = delegate.content(index)
    rects = delegate.button_rects(rect, delegate.shown_buttons(rect, content))
    viewport = panel.view.viewport()
    target = rects.get(button, rects.get(MORE)).center()
    qtbot.mouseMove(viewport, target)
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=target)
    if button not in rects:
        menu = delegate.menu
        qtbot.waitUntil(menu.isVisible)
        label = next(b.label for b in content.buttons if b.key == button)
        next(a for a in menu.actions() if a.text() == label).trigger()
        menu.close()


def confirm(qtbot, button_text: str) -> None:
    """Wait for the modal question and press one of its buttons."""
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    box = active_modal()
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == button_text),
                     Qt.MouseButton.LeftButton)


def dot_color(window, name: str) -> str:
    """The colour of the status mark as painted on screen (sampled just above its centre:
    inside the disc, the triangle and the ring, off a failed disc's white cross)."""
    rect, _ = card_rect(window.connections, name)
    viewport = window.connections.view.viewport()
    image = viewport.grab().toImage()
    center = QPoint(rect.left() + 4 + 18, rect.center().y() - 4)
    scale = image.devicePixelRatio()
    return image.pixelColor(int(center.x() * scale), int(center.y() * scale)).name()


def active_modal():
    return QApplication.activeModalWidget()


# --- source tables -------------------------------------------------------------------------

def sales_tables(pg_db) -> None:
    """orders (40 rows, with a timestamp to use as a cursor) and customers (2 rows)."""
    pg_exec(pg_db, "create table orders (id int primary key, amount numeric(10,2), "
                   "updated_at timestamptz, note text)",
            "insert into orders select g, g / 4.0, now() - g * interval '1 minute', 'n' || g "
            "from generate_series(1, 40) g",
            "create table customers (id int primary key, name text)",
            "insert into customers values (1, 'Ada'), (2, 'Grace')")


def orders_table(pg_db, rows: int) -> None:
    pg_exec(pg_db, "drop table if exists orders",
            "create table orders (id int primary key, amount numeric(10,2))",
            f"insert into orders select g, g / 10.0 from generate_series(1, {rows}) g")


# --- the connection wizard -----------------------------------------------------------------

def open_wizard(qtbot, window):
    qtbot.mouseClick(window.connections.add_button, LEFT)
    wizard = window.wizard
    qtbot.waitExposed(wizard)
    return wizard


def choose_type(qtbot, wizard, key: str):
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()  # nothing chosen yet
    assert not wizard.button(QWizard.WizardButton.BackButton).isVisible()
    tile = wizard.type_page.tiles[key]
    tab = wizard.type_page.tabs
    for i in range(tab.count()):
        if tab.widget(i).isAncestorOf(tile):
            tab.setCurrentIndex(i)
    qtbot.mouseClick(tile, LEFT)
    assert next_button.isEnabled()
    qtbot.mouseClick(next_button, LEFT)
    return wizard.details


def fill(qtbot, page, **values):
    for key, value in values.items():
        widget = page.form.name if key == "name" else page.form.inputs[key]
        widget.setFocus()
        widget.selectAll()  # as a user would: select what is there, type over it
        if value == "":
            qtbot.keyClick(widget, Qt.Key.Key_Delete)
        else:
            qtbot.keyClicks(widget, str(value))


def run_test(qtbot, page, timeout=20_000):
    qtbot.mouseClick(page.test_button, LEFT)
    qtbot.waitUntil(lambda: page.task is None, timeout=timeout)
    return page.status.property("tone"), page.status.text()


def save_button(wizard):
    return wizard.button(QWizard.WizardButton.FinishButton)



# --- the job wizard ------------------------------------------------------------------------



def open_job_wizard(qtbot, window):
    qtbot.mouseClick(window.jobs.add_button, LEFT)
    wizard = window.job_wizard
    qtbot.waitExposed(wizard)
    return wizard


def pick_source(qtbot, wizard, name: str) -> None:
    page = wizard.source_page
    index = row_with(page.proxy, name)
    qtbot.mouseClick(page.list.viewport(), LEFT, pos=page.list.visualRect(index).center())


def type_job_name(qtbot, wizard, name: str) -> None:
    field = wizard.source_page.name
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, name)


def next_step(qtbot, wizard) -> None:
    button = wizard.button(NEXT)
    assert button.isEnabled()
    qtbot.mouseClick(button, LEFT)


def tick(qtbot, wizard, table: str) -> None:
    """Click a table's row in step 2 and press Space (ticks it)."""
    page = wizard.tables_page
    rect = page.view.visualRect(row_with(page.proxy, table, column=1))
    qtbot.mouseClick(page.view.viewport(), LEFT, pos=rect.center())
    qtbot.keyClick(page.view, Qt.Key.Key_Space)


def wait_tables(qtbot, wizard) -> None:
    qtbot.waitUntil(lambda: not wizard.tables_page.loading, timeout=20_000)


def wait_columns(qtbot, wizard) -> None:
    qtbot.waitUntil(lambda: wizard.settings_page.task is None, timeout=20_000)


def choose(qtbot, combo, text: str) -> None:
    """Pick an entry of a combo box from the keyboard, as a user would."""
    combo.setFocus()
    index = combo.findText(text)
    assert index >= 0, f"{text} not offered"
    while combo.currentIndex() != index:
        qtbot.keyClick(combo, Qt.Key.Key_Down if combo.currentIndex() < index else Qt.Key.Key_Up)


def at_step_2(qtbot, make_window, ctx, pg_db):
    """A window whose job wizard lists, at step 2, the tables pg_db has now (saved as the
    connection "Sales")."""
    save_connection(ctx, "postgresql", "Sales", pg_db.params())
    window = make_window()
    wizard = open_job_wizard(qtbot, window)
    pick_source(qtbot, wizard, "Sales")
    next_step(qtbot, wizard)
    wait_tables(qtbot, wizard)
    return window, wizard


def at_step_3(qtbot, make_window, ctx, pg_db, table: str):
    """A window whose job wizard is at step 3 with `table` of the Sales tables chosen."""
    sales_tables(pg_db)
    window, wizard = at_step_2(qtbot, make_window, ctx, pg_db)
    tick(qtbot, wizard, table)
    next_step(qtbot, wizard)
    wait_columns(qtbot, wizard)
    return window, wizard


def card_line(window, name: str, attr: str) -> str:
    _, index = card_rect(window.jobs, name)
    return getattr(window.jobs.delegate.content(index), attr)


def back_step(qtbot, wizard) -> None:
    button = wizard.button(BACK)
    assert button.isEnabled()
    qtbot.mouseClick(button, LEFT)


def listed(wizard) -> set[str]:
    page = wizard.tables_page
    return {page.proxy.index(r, 1).data() for r in range(page.proxy.rowCount())}


def rows_at_step_3(wizard) -> list[tuple[str, str, str]]:
    """What step 3 shows per table: source, destination schema (or its placeholder) and
    destination table."""
    from ui.job_settings_page import DEST_SCHEMA, DEST_TABLE, SOURCE

    table = wizard.settings_page.table
    out = []
    for row in range(table.rowCount()):
        schema = table.cellWidget(row, DEST_SCHEMA)
        out.append((table.cellWidget(row, SOURCE).text(),
                    schema.text() or f"({schema.placeholderText()})",
                    table.cellWidget(row, DEST_TABLE).text()))
    return out


