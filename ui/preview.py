"""Seeing the data: the first rows of tables in a table view (paged, sortable, NULL shown as
NULL, long values elided with the whole value as a tooltip), a dialog with one tab per
table a job landed, and the local warehouse's SQL tab (read-only DuckDB; Ctrl+Enter runs, a
running query can be cancelled; Copy path)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.workers import Bridge

if TYPE_CHECKING:
    from app.services.preview import PreviewService, TablePreview

ELIDE_AT = 80  # characters shown of a long value (the tooltip has all of it)
NULL = "NULL"


def shown(value: Any) -> str:
    from app.services.preview import plain

    if value is None:
        return NULL
    text = plain(value)
    if isinstance(text, list | dict):  # nested values as the JSON they are
        return json.dumps(text, ensure_ascii=False)
    return text if isinstance(text, str) else str(text)


class RowsModel(QAbstractTableModel):
    """Rows of one table: NULL as NULL (dimmed), long values elided, sortable by value."""

    SortRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns: list[str] = []
        self.types: list[str] = []
        self.rows: list[list] = []
        self.offset = 0

    def set_rows(self, columns: list[str], types: list[str], rows: list[list],
                 offset: int = 0) -> None:
        self.beginResetModel()
        self.columns, self.types, self.rows, self.offset = columns, types, rows, offset
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        value = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            text = shown(value)
            return text if len(text) <= ELIDE_AT else text[:ELIDE_AT - 1] + "…"
        if role == Qt.ItemDataRole.ToolTipRole:
            text = shown(value)
            return text if len(text) > ELIDE_AT else None
        if role == Qt.ItemDataRole.ForegroundRole and value is None:
            return QColor(theme.colors()["muted"])
        if role == Qt.ItemDataRole.FontRole and value is None:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float) \
                and not isinstance(value, bool):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == self.SortRole:
            return (value is None, value if isinstance(value, int | float) and
                    not isinstance(value, bool) else shown(value))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section]
            if role == Qt.ItemDataRole.ToolTipRole and section < len(self.types):
                return f"{self.columns[section]}: {self.types[section]}"
        elif role == Qt.ItemDataRole.DisplayRole:
            return str(self.offset + section + 1)
        return None


class _SortProxy(QSortFilterProxyModel):
    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:  # noqa: N802
        a, b = left.data(RowsModel.SortRole), right.data(RowsModel.SortRole)
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)


class RowsView(QWidget):
    """A table view of rows with a line that says which rows these are."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RowsModel(self)
        self.proxy = _SortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the source's order
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setMaximumSectionSize(360)
        self.status = QLabel()
        self.status.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def show_rows(self, columns: list[str], types: list[str], rows: list[list],
                  offset: int = 0, more: bool = False) -> None:
        self.model.set_rows(columns, types, rows, offset)
        self.table.resizeColumnsToContents()
        if not rows:
            self.status.setText("No rows.")
        else:
            self.status.setText(f"Rows {offset + 1:,}–{offset + len(rows):,}"
                                + (" (more follow)" if more else "") +
                                "  ·  click a column to sort these rows")

    def show_error(self, message: str) -> None:
        self.model.set_rows([], [], [])
        self.status.setText(message)


class TablePage(QWidget):
    """One table of a preview: its rows, a page at a time."""

    def __init__(self, load, first: TablePreview, page_rows: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.load, self.page_rows = load, page_rows  # load(offset) -> TablePreview (worker)
        self.rows = RowsView()
        self.previous = QPushButton("Previous")
        self.next = QPushButton("Next")
        self.previous.clicked.connect(lambda: self.go(-1))
        self.next.clicked.connect(lambda: self.go(1))
        pages = QHBoxLayout()
        pages.addStretch(1)
        pages.addWidget(self.previous)
        pages.addWidget(self.next)
        layout = QVBoxLayout(self)
        layout.addWidget(self.rows, 1)
        layout.addLayout(pages)
        self.bridge = Bridge(self, max_threads=1)
        self.shown_preview(first)

    def go(self, step: int) -> None:
        offset = max(0, self.preview.offset + step * self.page_rows)
        self.previous.setEnabled(False)
        self.next.setEnabled(False)
        self.bridge.submit(self, self.load, offset, on_done=self.shown_preview,
                           on_error=lambda exc: self.rows.show_error(str(exc)))

    def shown_preview(self, preview: TablePreview) -> None:
        self.preview = preview
        if preview.error:
            self.rows.show_error(preview.error)
        else:
            self.rows.show_rows(preview.columns, preview.types, preview.rows, preview.offset,
                                preview.more)
        self.previous.setEnabled(preview.offset > 0)
        self.next.setEnabled(preview.more)


class PreviewDialog(QDialog):
    """The first rows of each table a job landed; with the local warehouse, its SQL tab."""

    def __init__(self, previews: PreviewService, job_id: str, job_name: str,
                 warehouse: str | None, parent: QWidget | None = None,
                 table: str | None = None, page_rows: int = 100) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Preview — {job_name}")
        self.resize(960, 560)
        self.service, self.job_id, self.page_rows = previews, job_id, page_rows
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.loading = QLabel("Reading the first rows…")
        self.warehouse = warehouse
        layout = QVBoxLayout(self)
        layout.addWidget(self.loading)
        layout.addWidget(self.tabs, 1)
        buttons = QHBoxLayout()
        if warehouse:
            copy = QPushButton("Copy path")
            copy.setToolTip(f"Copy the local warehouse's path: {warehouse}")
            copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(warehouse))
            buttons.addWidget(copy)
        buttons.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.bridge = Bridge(self, max_threads=1)
        self.bridge.submit(self, self.service.job, job_id, table, page_rows,
                           on_done=self._loaded, on_error=self._failed)

    def _loaded(self, previews: list[TablePreview]) -> None:
        self.loading.hide()
        for preview in previews:
            def load(offset: int, table=preview.table) -> TablePreview:
                return self.service.job(self.job_id, table, self.page_rows, offset)[0]
            self.tabs.addTab(TablePage(load, preview, self.page_rows), preview.table)
        if self.warehouse:
            self.sql = SqlTab(self.warehouse)
            self.tabs.addTab(self.sql, "SQL on the warehouse")

    def _failed(self, exc: BaseException) -> None:
        self.loading.setText(str(exc))


class SourcePreviewDialog(QDialog):
    """The first rows of a source table (step 2 of the job wizard)."""

    def __init__(self, ctx, connection_id: str, schema: str | None, table: str,
                 parent: QWidget | None = None, rows: int = 100) -> None:
        from app.services.preview import PreviewService

        super().__init__(parent)
        name = f"{schema}.{table}" if schema else table
        self.setWindowTitle(f"Preview — {name}")
        self.resize(880, 480)
        self.rows = RowsView()
        self.rows.status.setText(f"Reading the first rows of {name}…")
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.rows, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.bridge = Bridge(self, max_threads=1)
        self.task = self.bridge.submit(self, PreviewService(ctx).source, connection_id, table,
                                       schema, rows, on_done=self._shown,
                                       on_error=lambda exc: self.rows.show_error(str(exc)),
                                       cancellable=True)

    def _shown(self, preview: TablePreview) -> None:
        if preview.error:
            self.rows.show_error(preview.error)
        else:
            self.rows.show_rows(preview.columns, preview.types, preview.rows, 0, preview.more)

    def done(self, result: int) -> None:
        self.task.cancel.set()  # a slow source: stop reading
        super().done(result)


class SqlTab(QWidget):
    """A read-only SQL console on the local warehouse (DuckDB): Ctrl+Enter runs, Cancel
    interrupts a running query."""

    def __init__(self, path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("select * from main.orders limit 100   (Ctrl+Enter runs)")
        self.editor.setAccessibleName("SQL")
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip("Run the query (Ctrl+Enter)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.editor.installEventFilter(self)  # Ctrl+Enter runs
        self.rows = RowsView()
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.editor, 1)
        line = QHBoxLayout()
        line.addWidget(QLabel(f"Read-only: {path}"), 1)
        line.addWidget(self.cancel_button)
        line.addWidget(self.run_button)
        top_layout.addLayout(line)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.rows)
        split.setSizes([140, 360])
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.bridge = Bridge(self, max_threads=1)
        self.query = None

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt API
        if watched is self.editor and event.type() == QEvent.Type.KeyPress and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.run()
            return True
        return super().eventFilter(watched, event)

    def run(self) -> None:
        from app.services.warehouse_sql import WarehouseQuery

        sql = self.editor.toPlainText().strip()
        if not sql or self.query is not None:
            return
        self.query = WarehouseQuery(self.path)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.rows.status.setText("Running…")
        self.bridge.submit(self, self.query.run, sql, on_done=self._done,
                           on_error=self._failed)

    def cancel(self) -> None:
        if self.query is not None:
            self.query.cancel()
            self.rows.status.setText("Cancelling…")

    def _done(self, result) -> None:
        self._idle()
        columns, types, rows, more = result
        self.rows.show_rows(columns, types, rows, more=more)

    def _failed(self, exc: BaseException) -> None:
        self._idle()
        self.rows.show_error(str(exc))

    def _idle(self) -> None:
        self.query = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
