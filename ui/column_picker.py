"""Which columns of a table a job copies: a list of tick boxes, all ticked at first."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ColumnPicker(QDialog):
    """Untick the columns to leave out; `left_out()` gives them once accepted.

    `locked` columns (the cursor, the key) are ticked and cannot be unticked, with the
    reason as their tooltip."""

    def __init__(self, table: str, columns: list[tuple[str, str]], left_out: list[str],
                 locked: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("columnPicker")
        self.setWindowTitle(f"Columns of {table}")
        self.resize(360, 420)
        hint = QLabel("Untick the columns this job should leave out.")
        hint.setObjectName("pageHint")
        hint.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("columns")
        for name, type_name in columns:
            item = QListWidgetItem(f"{name}    {type_name}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setCheckState(Qt.CheckState.Unchecked if name in left_out else
                               Qt.CheckState.Checked)
            if name in locked:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
                item.setToolTip(locked[name])
            self.list.addItem(item)
        everything = QPushButton("Tick all")
        everything.clicked.connect(self._tick_all)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.list.itemChanged.connect(self._changed)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(everything)
        row.addStretch(1)
        row.addWidget(buttons)
        layout.addLayout(row)
        self._changed()

    def _items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())]

    def _tick_all(self) -> None:
        for item in self._items():
            item.setCheckState(Qt.CheckState.Checked)

    def _changed(self) -> None:
        # A table copied without any column would be nothing at all.
        self.ok.setEnabled(any(i.checkState() == Qt.CheckState.Checked for i in self._items()))

    def left_out(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self._items()
                if i.checkState() != Qt.CheckState.Checked]
