"""GUI fixtures: the real main window on the test's own store, in the light theme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from ui import theme
from ui.main_window import MainWindow


@pytest.fixture(scope="session", autouse=True)
def light_theme(qapp):
    theme.apply(qapp, "light")


@pytest.fixture
def make_window(qtbot, ctx):
    windows = []

    def make(test_on_start: bool = False) -> MainWindow:
        window = MainWindow(lambda: ctx, test_on_start=test_on_start)
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


def card_rect(window: MainWindow, name: str):
    """Where the card of connection `name` is drawn in the list's viewport."""
    proxy = window.connections.proxy
    for row in range(proxy.rowCount()):
        index = proxy.index(row, 0)
        if index.data() == name:
            return window.connections.view.visualRect(index), index
    raise AssertionError(f"no card named {name!r}")


def click_card_button(qtbot, window: MainWindow, name: str, button: str) -> None:
    rect, index = card_rect(window, name)
    delegate = window.connections.delegate
    target = delegate.button_rects(rect, delegate.content(index).buttons)[button].center()
    viewport = window.connections.view.viewport()
    qtbot.mouseMove(viewport, target)
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=target)


def dot_color(window: MainWindow, name: str) -> str:
    """The colour of the status dot as painted on screen."""
    rect, _ = card_rect(window, name)
    viewport = window.connections.view.viewport()
    image = viewport.grab().toImage()
    center = QPoint(rect.left() + 4 + 18, rect.center().y())
    scale = image.devicePixelRatio()
    return image.pixelColor(int(center.x() * scale), int(center.y() * scale)).name()


def active_modal():
    return QApplication.activeModalWidget()
