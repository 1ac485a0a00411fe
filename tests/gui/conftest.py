"""GUI fixtures: the real main window on the test's own store, in the light theme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from ui import theme
from ui.main_window import MainWindow


@pytest.fixture(scope="session", autouse=True)
def light_theme(qapp):
    theme.apply(qapp, "light")


@pytest.fixture
def make_window(qtbot, ctx):
    windows = []

    def make(test_on_start: bool = False, schedule: bool = False) -> MainWindow:
        window = MainWindow(lambda: ctx, test_on_start=test_on_start, schedule=schedule)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        with qtbot.waitSignal(window.loaded):
            window.load()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.isVisible():
            window.close()


def card_rect(panel, name: str):
    """Where the card called `name` is drawn in a panel's list (its rect and index)."""
    proxy = panel.proxy
    for row in range(proxy.rowCount()):
        index = proxy.index(row, 0)
        if index.data() == name:
            return panel.view.visualRect(index), index
    raise AssertionError(f"no card named {name!r}")


def click_card_button(qtbot, panel, name: str, button: str) -> None:
    rect, index = card_rect(panel, name)
    delegate = panel.delegate
    target = delegate.button_rects(rect, delegate.content(index).buttons)[button].center()
    viewport = panel.view.viewport()
    qtbot.mouseMove(viewport, target)
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=target)


def confirm(qtbot, button_text: str) -> None:
    """Wait for the modal question and press one of its buttons."""
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    box = active_modal()
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == button_text),
                     Qt.MouseButton.LeftButton)


def dot_color(window: MainWindow, name: str) -> str:
    """The colour of the status dot as painted on screen."""
    rect, _ = card_rect(window.connections, name)
    viewport = window.connections.view.viewport()
    image = viewport.grab().toImage()
    center = QPoint(rect.left() + 4 + 18, rect.center().y())
    scale = image.devicePixelRatio()
    return image.pixelColor(int(center.x() * scale), int(center.y() * scale)).name()


def active_modal():
    return QApplication.activeModalWidget()
