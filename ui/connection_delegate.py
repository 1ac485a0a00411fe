"""What a connection card shows: status dot, type icon, name, database, usage, last test."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Signal

from app.timefmt import ago
from ui import theme
from ui.cards import Button, CardContent, CardDelegate
from ui.connection_model import TestingRole, ViewRole

if TYPE_CHECKING:  # the services import SQLAlchemy: not at window start-up
    from app.services.connections import ConnectionView

BUTTONS = [Button("edit", "Edit", 56, tip="Edit this connection"),
           Button("delete", "Delete", 68, danger=True, tip="Delete this connection")]


def subtitle(view: ConnectionView) -> str:
    p = view.params
    where = p.get("database") or p.get("dataset") or p.get("path") or p.get("region") or ""
    host = p.get("host")
    where = f"{where} on {host}" if host and where else (where or host or "")
    return f"{view.type_label} · {where}" if where else view.type_label


def usage_line(view: ConnectionView) -> str:
    """How it is used and tested; a failed test's reason in place of the use, so it is
    seen without hovering."""
    when = ago(view.last_test_at)
    if view.last_test_status == "failed" and view.last_test_message:
        return f"✗ Test failed {when}: {view.last_test_message}"
    if view.last_test_status == "error" and view.last_test_message:
        return f"! Test could not finish {when}: {view.last_test_message}"
    jobs = len(view.used_by)
    return f"Used by: {jobs} job{'s' if jobs != 1 else ''}  ·  Tested: {when}"


class ConnectionCardDelegate(CardDelegate):
    """Signals:
        edit_requested(str): the Edit button of the card with this connection id.
        delete_requested(str): its Delete button.
    """

    edit_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.button_clicked.connect(self._clicked)

    def _clicked(self, key: str, conn_id: str) -> None:
        (self.edit_requested if key == "edit" else self.delete_requested).emit(conn_id)

    def content(self, index: QModelIndex) -> CardContent:
        view: ConnectionView = index.data(ViewRole)
        testing: bool = index.data(TestingRole)
        detail = f"Testing…  ·  {usage_line(view)}" if testing else usage_line(view)
        return CardContent(view.id, view.name, subtitle(view), detail,
                           theme.type_icon(view.type_key),
                           "testing" if testing else view.last_test_status, pulsing=testing,
                           buttons=BUTTONS)
