"""Start the Qt application: show the main window, then open the store behind it."""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit

from ui import settings, theme
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
    """Show the main window; with `smoke`, exit 0 once it is shown and filled.

    The smoke run prints when the window was shown and when its list was loaded
    (`shown_at=` / `loaded_at=`, seconds since the epoch) for bench/startup.py.
    """
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Sluice")
    app.setOrganizationName("Sluice")
    app.setDesktopFileName("sluice")
    theme.apply(app, settings.theme_name())
    app.setWindowIcon(theme.icon("sluice.svg"))
    vault = VaultPassword()

    def open_context():
        from app.logs import record_crashes
        from app.services import preferences
        from app.services.context import open_app

        record_crashes()  # and sets up the log file
        ctx = open_app(vault_password=vault)  # creates or upgrades the store first
        if preferences.load(ctx).secret_backend == "vault" and not smoke:
            vault.ask(window)
        return ctx

    window = MainWindow(open_context)
    window.show()
    if smoke:
        QTimer.singleShot(0, lambda: print(f"shown_at={time.time():.6f}", flush=True))
        window.loaded.connect(lambda: print(f"loaded_at={time.time():.6f}", flush=True))
        window.loaded.connect(window.close, type=Qt.ConnectionType.QueuedConnection)
        window.loaded.connect(app.quit, type=Qt.ConnectionType.QueuedConnection)
    QTimer.singleShot(0, window.load)
    try:
        return app.exec()
    finally:
        if window.ctx is not None:
            window.ctx.close()
