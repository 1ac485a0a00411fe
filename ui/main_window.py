"""The main window. The connections and jobs columns arrive with the GUI issues."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow

from app.services.connections import ConnectionService
from app.services.context import AppContext


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle("Sluice")
        self.resize(1100, 700)
        count = len(ConnectionService(ctx).list())
        self.summary = QLabel(
            f"<h2>Sluice</h2><p>{count} saved connection{'s' if count != 1 else ''}.</p>"
            "<p>Manage connections from the command line for now: "
            "<code>python main.py connection --help</code></p>")
        self.summary.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.summary)
