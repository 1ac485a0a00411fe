"""Start the Qt application: open the metadata store, show the main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.services.context import open_app
from ui.main_window import MainWindow


def run_gui(smoke: bool = False) -> int:
    """Show the main window; with `smoke`, let the event loop turn once and exit 0."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Sluice")
    app.setOrganizationName("Sluice")
    ctx = open_app()  # creates or upgrades the store before anything is shown
    window = MainWindow(ctx)
    window.show()
    if smoke:
        QTimer.singleShot(0, app.quit)
    try:
        return app.exec()
    finally:
        ctx.close()
