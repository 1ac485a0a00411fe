"""Cards as a newcomer meets them: the name never hidden, the reason of a failure on the
card itself, every button reachable by keyboard, status told by shape as well as colour."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QMenu

from app.services.jobs import JobService, TableSpec
from tests.gui.helpers import LEFT, card_rect, confirm, orders_table
from tests.integration.engine_helpers import make_job, save_connection
from ui import theme
from ui.cards import MORE
from ui.job_model import LastRunRole

LONG = "Nightly orders and customers from the shop into the warehouse"


def _job_window(qtbot, make_window, ctx, pg_db, width: int):
    orders_table(pg_db, 5)
    save_connection(ctx, "postgresql", "Shop", pg_db.params())
    make_job(ctx, LONG, "Shop", [TableSpec("orders")])
    window = make_window()
    window.resize(width, 700)
    qtbot.waitUntil(lambda: window.width() == width)
    QApplication.processEvents()
    return window


@pytest.mark.parametrize("width, folded", [(700, True), (1600, False)])
def test_a_job_card_never_hides_the_job_name(qtbot, make_window, ctx, pg_db, width, folded):
    window = _job_window(qtbot, make_window, ctx, pg_db, width)
    rect, index = card_rect(window.jobs, LONG)
    delegate = window.jobs.delegate
    content = delegate.content(index)
    shown = [b.key for b in delegate.shown_buttons(rect, content)]
    # Wide: the everyday actions, and "…" for the rest (Google Cloud, Delete).
    assert shown == ([MORE] if folded else ["run", "preview", "edit", "history", MORE])
    metrics = QFontMetrics(delegate._bold(window.jobs.view.font()))
    shown_name = metrics.elidedText(LONG, Qt.TextElideMode.ElideRight,
                                    delegate.title_width(rect, content))
    # The name keeps the room the buttons would take: its first words at least.
    assert shown_name.startswith("Nightly orders" if folded else
                                 "Nightly orders and customers from the")
    # The route is cut at its end (the tables), never in the middle of where it goes.
    assert content.subtitle_elide == Qt.TextElideMode.ElideRight
    assert content.subtitle.startswith("PostgreSQL · Shop → the local warehouse: ")


def test_the_folded_buttons_open_as_a_menu(qtbot, make_window, ctx, pg_db):
    window = _job_window(qtbot, make_window, ctx, pg_db, 700)
    rect, index = card_rect(window.jobs, LONG)
    more = window.jobs.delegate.button_rects(rect, window.jobs.delegate.shown_buttons(
        rect, window.jobs.delegate.content(index)))[MORE]
    qtbot.mouseClick(window.jobs.view.viewport(), LEFT, pos=more.center())
    menu = window.jobs.delegate.menu
    qtbot.waitUntil(menu.isVisible)
    assert [a.text() for a in menu.actions()] == ["Run", "Preview", "Edit", "History",
                                                  "Google Cloud…", "Delete"]
    menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: card_rect(window.jobs, LONG)[1].data(LastRunRole) is not None,
                    timeout=30_000)
    menu.close()


def test_cards_work_from_the_keyboard(qtbot, make_window, ctx, pg_db):
    window = _job_window(qtbot, make_window, ctx, pg_db, 1200)
    view = window.jobs.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().isValid()
    qtbot.keyClick(view, Qt.Key.Key_Return)  # the card's first action: Run
    qtbot.waitUntil(lambda: card_rect(window.jobs, LONG)[1].data(LastRunRole) is not None,
                    timeout=30_000)
    qtbot.keyClick(view, Qt.Key.Key_Menu)
    menu = window.jobs.delegate.menu
    qtbot.waitUntil(menu.isVisible)
    assert isinstance(menu, QMenu) and "History" in [a.text() for a in menu.actions()]
    menu.close()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    confirm(qtbot, "Delete, keep tables")
    qtbot.waitUntil(lambda: JobService(ctx).list() == [])
    # Its accessible name says what it is and how it is doing.
    conn = window.connections.proxy.index(0, 0)
    assert conn.data(Qt.ItemDataRole.AccessibleTextRole) == \
        "Shop, PostgreSQL connection: test passed"


def test_a_failed_connection_says_why_on_its_card_and_by_shape(qtbot, make_window, ctx,
                                                              tmp_path):
    from tests.gui.helpers import dot_color

    db = tmp_path / "shop.db"
    sqlite3.connect(db).close()
    save_connection(ctx, "sqlite", "Shop", {"path": str(db)})
    db.unlink()
    window = make_window()
    window.test_one(window.model.views()[0].id)
    qtbot.waitUntil(lambda: window.model.views()[0].last_test_status == "failed",
                    timeout=10_000)
    rect, index = card_rect(window.connections, "Shop")
    detail = window.connections.delegate.content(index).detail
    assert detail.startswith("✗ Test failed just now: ") and "shop.db" in detail
    assert dot_color(window, "Shop") == theme.DOT["failed"]
    # A white cross on the red disc: failure is seen without telling colours apart.
    image = window.connections.view.viewport().grab().toImage()
    centre = QPoint(rect.left() + 4 + 18, rect.center().y())
    ratio = image.devicePixelRatio()
    assert image.pixelColor(int(centre.x() * ratio), int(centre.y() * ratio)).lightness() > 200


def test_a_hovered_button_is_forgotten_when_the_pointer_leaves(qtbot, make_window, ctx,
                                                              pg_db):
    window = _job_window(qtbot, make_window, ctx, pg_db, 1400)
    rect, index = card_rect(window.jobs, LONG)
    delegate = window.jobs.delegate
    history = delegate.button_rects(rect, delegate.shown_buttons(
        rect, delegate.content(index)))["history"]
    qtbot.mouseMove(window.jobs.view.viewport(), history.center())
    qtbot.waitUntil(lambda: delegate._hover == (index.row(), "history"))
    # A dialog opened by the button takes the pointer: the highlight must not stay.
    QApplication.sendEvent(window.jobs.view.viewport(), QEvent(QEvent.Type.Leave))
    assert delegate._hover is None
