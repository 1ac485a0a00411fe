"""Start the Qt application: open the metadata store, show the main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit

from app.logs import setup_logging
from app.services import preferences
from app.services.context import open_app
from ui import theme
from ui.main_window import MainWindow


class VaultPassword:
    """The vault's master password, asked once per session on the GUI thread."""

    def __init__(self) -> None:
        self.value: str | None = None

    def ask(self, parent=None) -> None:
        text, ok = QInputDialog.getText(parent, "Unlock Sluice's vault",
                                        "Master password of the encrypted vault:",
                                        QLineEdit.EchoMode.Password)
        self.value = text if ok and text else None

    def __call__(self) -> str | None:
        return self.value


def run_gui(smoke: bool = False) -> int:
    """Show the main window; with `smoke`, let the event loop turn once and exit 0."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Sluice")
    app.setOrganizationName("Sluice")
    app.setDesktopFileName("sluice")
    setup_logging()
    vault = VaultPassword()
    ctx = open_app(vault_password=vault)  # creates or upgrades the store first
    prefs = preferences.load(ctx)
    theme.apply(app, prefs.theme)
    app.setWindowIcon(theme.icon("sluice.svg"))
    if prefs.secret_backend == "vault" and not smoke:
        vault.ask()
    window = MainWindow(ctx)
    window.show()
    if smoke:
        QTimer.singleShot(0, window.close)
        QTimer.singleShot(0, app.quit)
    try:
        return app.exec()
    finally:
        ctx.close()
