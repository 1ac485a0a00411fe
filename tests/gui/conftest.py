"""GUI fixtures: the real main window on the test's own store, in the light theme."""

from __future__ import annotations

import pytest

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
            window.quit_anyway = True  # the session ends: no question about runs
            window.close()
