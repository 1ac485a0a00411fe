"""Shown in the main window, in place of the lists, when the metadata store cannot be used."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class StoreProblem(QWidget):
    """The fault in the user's words, and what can be done from here.

    Signals:
        restore_requested(): the user asked to restore the newest backup.
        retry_requested(): the user fixed the cause (space, permissions) and tries again.
    """

    restore_requested = Signal()
    retry_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("storeProblem")
        self.title = QLabel("Sluice cannot open its data")
        self.title.setObjectName("sectionTitle")
        self.message = QLabel()
        self.message.setObjectName("storeMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.restore = QPushButton("Restore the latest backup")
        self.restore.setObjectName("primary")
        self.restore.clicked.connect(self.restore_requested)
        self.retry = QPushButton("Try again")
        self.retry.clicked.connect(self.retry_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.retry)
        buttons.addWidget(self.restore)
        box = QVBoxLayout(self)
        box.setContentsMargins(48, 48, 48, 48)
        box.addStretch(1)
        box.addWidget(self.title)
        box.addWidget(self.message)
        box.addSpacing(12)
        box.addLayout(buttons)
        box.addStretch(2)

    def show_fault(self, message: str, can_restore: bool) -> None:
        self.message.setText(message)
        self.restore.setVisible(can_restore)
