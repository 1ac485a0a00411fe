"""Start the Qt application and show the main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ui.main_window import MainWindow


def run_gui(smoke: bool = False) -> int:
    """Show the main window; with `smoke`, let the event loop turn once and exit 0."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Sluice")
    app.setOrganizationName("Sluice")
    window = MainWindow()
    window.show()
    if smoke:
        QTimer.singleShot(0, app.quit)
    return app.exec()
