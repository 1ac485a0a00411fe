"""Help that needs no network: the user guide (the README shipped with the app) and the
keyboard shortcuts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QMenu,
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


def add_help_menu(window: QMainWindow) -> QMenu:
    """The Help menu: the user guide, the keyboard shortcuts, the data folder, the log.
    What it opened stays on `window` (guide, shortcuts, opened: the tests read them)."""
    from app import paths
    from app.logs import log_path

    menu = window.menuBar().addMenu("&Help")
    guide = QAction("User guide", window, shortcut=QKeySequence.StandardKey.HelpContents)
    guide.triggered.connect(lambda: _show_guide(window))
    keys = QAction("Keyboard shortcuts", window)
    keys.triggered.connect(lambda: _show_shortcuts(window))
    data = QAction("Open data folder", window)
    data.triggered.connect(lambda: open_path(window, paths.data_dir()))
    log = QAction("Open log file", window)
    log.triggered.connect(lambda: open_path(window, log_path()))
    menu.addActions([guide, keys])
    menu.addSeparator()
    menu.addActions([data, log])
    return menu


def _show_guide(window: QMainWindow) -> None:
    window.guide = GuideDialog(window)
    window.guide.show()


def _show_shortcuts(window: QMainWindow) -> None:
    menus = [(a.shortcut().toString(QKeySequence.SequenceFormat.NativeText),
              a.text().rstrip("…")) for m in window.menuBar().actions()
             for a in m.menu().actions() if not a.shortcut().isEmpty()]
    window.shortcuts = ShortcutsDialog(menus, window)
    window.shortcuts.open()


def open_path(window: QMainWindow, path: Path) -> bool:
    """Open a folder or file with the desktop's own application; say so if it cannot."""
    window.opened = path
    if not path.exists():
        window.statusBar().showMessage(f"{path} does not exist yet.", 10_000)
        return False
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        window.statusBar().showMessage(f"No application opens {path} here.", 10_000)
        return False
    return True
