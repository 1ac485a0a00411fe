"""The list model behind the connection cards: saved connections plus who is testing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

if TYPE_CHECKING:  # the services import SQLAlchemy: not at window start-up
    from app.services.connections import ConnectionView


ViewRole = Qt.ItemDataRole.UserRole + 1
TestingRole = Qt.ItemDataRole.UserRole + 2
FilterRole = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex


STATUS_WORDS = {"ok": "test passed", "failed": "test failed",
                "error": "test could not finish", "unknown": "not tested yet"}


class ConnectionListModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._views: list[ConnectionView] = []
        self._testing: set[str] = set()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._views)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        view = self._views[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return view.name
        if role == ViewRole:
            return view
        if role == TestingRole:
            return view.id in self._testing
        if role == FilterRole:
            return " ".join([view.name, view.type_label,
                             *(str(v) for v in view.params.values())])
        if role == Qt.ItemDataRole.ToolTipRole:
            message = view.last_test_message or "Not tested yet."
            return f"<b>{_escape(view.name)}</b><br>{_escape(message)}"
        if role == Qt.ItemDataRole.AccessibleTextRole:  # what a screen reader says
            status = "testing" if view.id in self._testing else \
                STATUS_WORDS.get(view.last_test_status, "not tested yet")
            return f"{view.name}, {view.type_label} connection: {status}"
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return (f"{view.last_test_message or ''} Enter: edit. Delete: delete. "
                    "Menu key: all actions.").strip()
        return None

    # --- changes ---------------------------------------------------------------------

    def set_views(self, views: list[ConnectionView]) -> None:
        if views == self._views:
            return  # as shown (the services' read after the first look): keep the selection
        self.beginResetModel()
        self._views = list(views)
        self._testing &= {v.id for v in views}
        self.endResetModel()

    def row_of(self, conn_id: str) -> int:
        return next((i for i, v in enumerate(self._views) if v.id == conn_id), -1)

    def update_views(self, views: Iterable[ConnectionView]) -> None:
        """Put these views in place of the rows with their ids (one change for the list)."""
        self._changed({view.id: view for view in views})

    def set_testing(self, ids: Iterable[str], testing: bool) -> None:
        ids = set(ids)
        (self._testing.update if testing else self._testing.difference_update)(ids)
        self._changed(dict.fromkeys(ids), [TestingRole])

    def _changed(self, by_id: dict[str, ConnectionView | None], roles=()) -> None:
        rows = [i for i, v in enumerate(self._views) if v.id in by_id]
        for row in rows:
            self._views[row] = by_id[self._views[row].id] or self._views[row]
        if rows:
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)), list(roles))

    @property
    def testing(self) -> bool:
        return bool(self._testing)

    def views(self) -> list[ConnectionView]:
        return list(self._views)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
