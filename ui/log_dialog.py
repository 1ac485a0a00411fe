"""Show logs: the tail of Sluice's log file, refreshable."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout

from app import logs


class LogDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sluice log")
        self.resize(860, 520)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        path = QLabel(str(logs.log_path()))
        path.setObjectName("muted")
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.reload)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(path, 1)
        row.addWidget(refresh)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addLayout(row)
        self.reload()

    def reload(self) -> None:
        self.text.setPlainText(logs.tail() or "Nothing logged yet.")
        self.text.verticalScrollBar().setValue(self.text.verticalScrollBar().maximum())
