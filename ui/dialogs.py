"""Small modal messages: errors that name what they concern, and confirmations.

They are opened with `open()` (window-modal, not a nested event loop) so the rest of the
app keeps running and ESC closes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

if TYPE_CHECKING:  # the services import SQLAlchemy: not at window start-up
    from app.services.connections import ConnectionView



def message(parent: QWidget, title: str, text: str, details: str = "",
            icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> QMessageBox:
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("messageBox")
    if details:
        box.setInformativeText(details)
    box.setEscapeButton(QMessageBox.StandardButton.Ok)
    box.open()
    return box


def describe(view: ConnectionView) -> str:
    """Name, host, database and user of a connection, one per line, for messages."""
    p = view.params
    rows = [("Name", view.name), ("Type", view.type_label), ("Host", p.get("host")),
            ("Database", p.get("database") or p.get("dataset") or p.get("path")),
            ("User", p.get("user"))]
    return "<br>".join(f"<b>{k}:</b> {v}" for k, v in rows if v not in (None, ""))


def confirm(parent: QWidget, title: str, text: str, accept_label: str,
            on_accept: Callable[[], None]) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton,
                      parent)
    accept = box.addButton(accept_label, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)

    def done() -> None:
        if box.clickedButton() is accept:
            on_accept()

    box.finished.connect(done)
    box.open()
    return box
