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
    return choose(parent, title, text, "", [(accept_label, on_accept)])


def choose(parent: QWidget, title: str, text: str, details: str,
           choices: list[tuple[str, Callable[[], None]]]) -> QMessageBox:
    """A question with one button per choice and Cancel (the default, and ESC)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton,
                      parent)
    if details:
        box.setInformativeText(details)
    buttons = {box.addButton(label, QMessageBox.ButtonRole.DestructiveRole): action
               for label, action in choices}
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    for button in buttons:  # QMessageBox squeezes long labels; give them their width
        button.setMinimumWidth(button.fontMetrics().horizontalAdvance(button.text()) + 32)

    def done() -> None:
        action = buttons.get(box.clickedButton())
        if action is not None:
            action()

    box.finished.connect(done)
    box.open()
    return box
