"""Help that needs no network: the user guide (the README shipped with the app) and the
keyboard shortcuts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

GUIDE = Path(__file__).resolve().parent.parent / "README.md"
# Keys that are no menu item's (the menus' own are listed from the menus themselves).
KEYS = [
    ("Tab, Shift+Tab", "Move between the filters, the lists and the buttons"),
    ("↑ ↓", "Move between cards in a list"),
    ("Enter", "A job card: Run (Cancel while it runs); a connection card: Edit"),
    ("Delete", "Delete the card's job or connection (asks first)"),
    ("Menu key, Shift+F10", "All of a card's actions (a right click too)"),
    ("Type letters", "In the connection types: filter the tiles"),
    ("Enter (connection form)", "Test the connection"),
    ("Space (tables step)", "Tick or untick the selected tables"),
]


class GuideDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sluice user guide")
        self.resize(820, 700)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        try:
            self.text.setMarkdown(GUIDE.read_text(encoding="utf-8"))
        except OSError as exc:
            self.text.setPlainText(f"The user guide ({GUIDE}) cannot be read: {exc}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)


class ShortcutsDialog(QDialog):
    """`menus`: (keys, what) of the window's menu items that have a shortcut."""

    def __init__(self, menus: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(620, 480)
        rows = [*menus, *KEYS]
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Keys", "What they do"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, what) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(what))
        self.table.resizeColumnToContents(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
