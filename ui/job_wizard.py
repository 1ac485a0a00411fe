"""The ETL job wizard: source and name (step 1), tables (step 2), destination, modes,
schedule and review (step 3, `ui/job_settings_page.py`).

Editing opens at step 3 with the earlier steps reachable through Back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QFont, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ui import dialogs, theme
from ui.connection_delegate import subtitle
from ui.connection_model import ConnectionListModel, TestingRole, ViewRole
from ui.connection_wizard import WIZARD_SIZE
from ui.job_settings_page import SettingsPage
from ui.table_catalog import CatalogFilter, CatalogModel
from ui.workers import Bridge, Task

if TYPE_CHECKING:
    from app.services.connections import ConnectionService, ConnectionView, TableInfo
    from app.services.jobs import JobService, JobView

SOURCE_PAGE, TABLES_PAGE, SETTINGS_PAGE = 0, 1, 2


class ReadableConnections(QSortFilterProxyModel):
    """The saved connections a job can read from."""

    def __init__(self, readable: tuple[str, ...], parent=None) -> None:
        super().__init__(parent)
        self.readable = readable

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802 - Qt API
        view = self.sourceModel().index(row, 0, parent).data(ViewRole)
        return view is not None and view.type_key in self.readable


class ConnectionPickDelegate(QStyledItemDelegate):
    """A compact row: status dot, type icon, name, and type · database."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(300, 44)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        view: ConnectionView = index.data(ViewRole)
        c = theme.colors()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.setPen(QColor(c["accent"] if selected else c["border"]))
        painter.setBrush(QColor(c["accentSoft"] if selected else
                                c["hover"] if hovered else c["card"]))
        painter.drawRoundedRect(rect, 6, 6)
        status = "testing" if index.data(TestingRole) else view.last_test_status
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.DOT.get(status, theme.DOT["unknown"])))
        painter.drawEllipse(rect.left() + 14 - 5, rect.center().y() - 5, 10, 10)
        theme.type_icon(view.type_key).paint(painter, QRect(rect.left() + 28,
                                                            rect.center().y() - 12, 24, 24))
        left = rect.left() + 62
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor(c["text"]))
        width = rect.right() - left - 8
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(QRect(left, rect.top() + 3, width, 19), align,
                         painter.fontMetrics().elidedText(view.name,
                                                          Qt.TextElideMode.ElideRight, width))
        painter.setFont(option.font)
        painter.setPen(QColor(c["muted"]))
        painter.drawText(QRect(left, rect.top() + 21, width, 17), align,
                         painter.fontMetrics().elidedText(subtitle(view),
                                                          Qt.TextElideMode.ElideMiddle, width))
        painter.restore()


class SourcePage(QWizardPage):
    """Step 1: the source connection (with its live status) and the job's name."""

    def __init__(self, jobs: JobService, connections: ConnectionService, bridge: Bridge,
                 model: ConnectionListModel, editing: JobView | None) -> None:
        super().__init__()
        from app.services.jobs import READABLE

        self.jobs, self.connections, self.bridge = jobs, connections, bridge
        self.model, self.editing = model, editing
        self.setTitle("Edit ETL job" if editing else "New ETL job")
        self.setSubTitle("Step 1 of 3 — choose the connection to copy from and name the job.")
        self.name_touched = editing is not None
        self.accepted_failed: set[str] = set()  # failed connections chosen after the warning
        self.before: str | None = None  # the choice before a failed one (see _declined)

        self.name = QLineEdit()
        self.name.setObjectName("jobName")
        self.name.setPlaceholderText("e.g. Sales nightly")
        self.name.textEdited.connect(self._name_edited)
        self.name.textChanged.connect(self._check_name)
        self.name_error = QLabel()
        self.name_error.setObjectName("fieldError")
        self.name_error.hide()

        self.proxy = ReadableConnections(READABLE, self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.sort(0)
        self.list = QListView()
        self.list.setObjectName("sourceList")
        self.list.setModel(self.proxy)
        self.list.setItemDelegate(ConnectionPickDelegate(self.list))
        self.list.setMouseTracking(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.selectionModel().currentChanged.connect(self._picked)
        self.list.selectionModel().selectionChanged.connect(self.completeChanged)
        self.hidden = QLabel()
        self.hidden.setObjectName("pageHint")
        self.hidden.setWordWrap(True)
        self.new_button = QPushButton("+ New connection")
        self.new_button.clicked.connect(self.new_connection)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Job name"))
        layout.addWidget(self.name)
        layout.addWidget(self.name_error)
        header = QHBoxLayout()
        header.addWidget(QLabel("Source connection"))
        header.addStretch(1)
        header.addWidget(self.new_button)
        layout.addSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hidden)
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._count_hidden)
        self._count_hidden()
        if editing:
            self.accepted_failed.add(editing.source_id)  # chosen before; no warning again
            self.name.setText(editing.name)
            self.select(editing.source_id)
        elif self.proxy.rowCount() == 1:  # the only choice, unless it failed its test
            only = self.proxy.index(0, 0).data(ViewRole)
            if only.last_test_status not in ("failed", "error"):
                self.select(only.id)

    # --- connection ----------------------------------------------------------------------

    def _count_hidden(self) -> None:
        unreadable = sorted({v.type_label for v in self.model.views()
                             if v.type_key not in self.proxy.readable})
        count = self.model.rowCount() - self.proxy.rowCount()
        self.hidden.setVisible(count > 0)
        self.hidden.setText(f"{count} connection{'s' if count != 1 else ''} not listed: "
                            f"Sluice cannot read from {', '.join(unreadable)} yet.")
        if self.model.rowCount() == 0:
            self.hidden.setText("No connections yet — create one with “+ New connection”.")
            self.hidden.show()

    def select(self, conn_id: str) -> None:
        row = self.model.row_of(conn_id)
        if row >= 0:
            index = self.proxy.mapFromSource(self.model.index(row))
            self.list.setCurrentIndex(index)

    def source(self) -> ConnectionView | None:
        """The chosen connection: the current row, and selected (a list that gains focus
        makes its first row current without choosing it)."""
        index = self.list.currentIndex()
        chosen = index.isValid() and self.list.selectionModel().isSelected(index)
        return index.data(ViewRole) if chosen else None

    def _picked(self, current: QModelIndex, previous: QModelIndex) -> None:
        view: ConnectionView | None = current.data(ViewRole) if current.isValid() else None
        if view is not None and view.last_test_status in ("failed", "error") and \
                view.id not in self.accepted_failed:
            before = previous.data(ViewRole) if previous.isValid() else None
            self.before = before.id if before is not None else None
            self.warning = dialogs.confirm(
                self, "Connection failed its last test",
                f"“{view.name}” failed its last test: {view.last_test_message or 'unknown'}\n\n"
                "Use it anyway? Listing its tables will show whether it works now.",
                "Use it anyway", lambda: self._accept_failed(view.id))
            self.warning.finished.connect(lambda _=0, vid=view.id: self._declined(vid))
        if view is not None and not self.name_touched:
            self._suggest_name(view)
        self.completeChanged.emit()

    def _accept_failed(self, conn_id: str) -> None:
        self.accepted_failed.add(conn_id)
        self.completeChanged.emit()

    def _declined(self, conn_id: str) -> None:
        """Not this failed connection after all: back to what was chosen before it."""
        current = self.list.currentIndex()
        view = current.data(ViewRole) if current.isValid() else None
        if conn_id not in self.accepted_failed and view is not None and view.id == conn_id:
            if self.before is not None:
                self.select(self.before)
            else:
                self.list.selectionModel().clearCurrentIndex()
                self.list.clearSelection()
            self.completeChanged.emit()

    def new_connection(self) -> None:
        from ui.connection_wizard import ConnectionWizard

        wizard = ConnectionWizard(self.connections, self.bridge, parent=self.wizard())
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.accepted.connect(lambda: self._connection_added(wizard.saved))
        self.connection_wizard = wizard
        wizard.open()

    def _connection_added(self, view: ConnectionView | None) -> None:
        self.model.set_views(self.connections.list())
        if view is not None:
            self.select(view.id)

    # --- name --------------------------------------------------------------------------

    def _name_edited(self) -> None:
        self.name_touched = True

    def _suggest_name(self, view: ConnectionView) -> None:
        self.name.setText(self.jobs.suggest_name(view.name,
                                                 self.editing.id if self.editing else None))

    def _name_problem(self, name: str) -> str | None:
        from app.services.errors import ValidationError

        try:
            self.jobs.check_name(name, self.editing.id if self.editing else None)
        except ValidationError as exc:
            return exc.errors.get("name", str(exc))
        return None

    def _check_name(self) -> None:
        problem = self._name_problem(self.name.text())
        self.name_error.setText(problem or "")
        self.name_error.setVisible(bool(problem) and bool(self.name.text().strip()))
        self.name.setProperty("invalid", bool(problem) and bool(self.name.text().strip()))
        self.name.style().unpolish(self.name)
        self.name.style().polish(self.name)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        view = self.source()
        if view is None or self._name_problem(self.name.text()):
            return False
        return view.last_test_status not in ("failed", "error") or view.id in self.accepted_failed


class TablesPage(QWizardPage):
    """Step 2: the source's tables, listed live in the background; choose one or more."""

    def __init__(self, connections: ConnectionService, bridge: Bridge,
                 editing: JobView | None) -> None:
        super().__init__()
        self.connections, self.bridge = connections, bridge
        self.setTitle("Tables")
        self.setSubTitle("Step 2 of 3 — choose the tables to copy.")
        self.source_id: str | None = None
        self.task: Task | None = None
        self.model = CatalogModel(self)
        if editing:
            self.model.preselect(editing.tables)
        self.model.checked_changed.connect(self._checked_changed)

        self.spinner = theme.spinner()
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.hide()
        self.retry = QPushButton("Retry")
        self.retry.clicked.connect(self.fetch)
        self.retry.hide()
        self.filter = QLineEdit()
        self.filter.setObjectName("tableFilter")
        self.filter.setPlaceholderText("Filter by schema or table")
        self.filter.addAction(theme.icon("search.svg"), QLineEdit.ActionPosition.LeadingPosition)
        self.filter.setClearButtonEnabled(True)
        self.proxy = CatalogFilter(self)
        self.proxy.setSourceModel(self.model)
        self.filter.textChanged.connect(self.proxy.set_needle)
        self.select_shown = QPushButton("Select shown")
        self.select_shown.clicked.connect(lambda: self._check_shown(True))
        self.clear = QPushButton("Clear")
        self.clear.clicked.connect(lambda: self._check_shown(False))
        self.preview_button = QPushButton("Preview")
        self.preview_button.setToolTip("The first rows of the selected table")
        self.preview_button.clicked.connect(self.preview)
        self.query_button = QPushButton("Add query…")
        self.query_button.setToolTip("A read-only SQL query as a table (a join, a filter)")
        self.query_button.clicked.connect(self.add_query)
        self.queries: dict[str, str] = {}  # the custom queries, by the table they land in
        if editing:
            self.queries = {t.table: t.query for t in editing.tables if t.query}
        self.count = QLabel()
        self.count.setObjectName("pageHint")

        self.view = QTableView()
        self.view.setObjectName("tables")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setTabKeyNavigation(False)  # Tab leaves the list (arrows move within)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(26)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 170), (2, 110), (3, 130)):
            self.view.setColumnWidth(column, width)
        self.view.doubleClicked.connect(self._toggle_row)
        self.view.installEventFilter(self)

        layout = QVBoxLayout(self)
        state = QHBoxLayout()
        state.addWidget(self.spinner)
        state.addWidget(self.status, 1)
        state.addWidget(self.retry)
        layout.addLayout(state)
        tools = QHBoxLayout()
        tools.addWidget(self.filter, 1)
        tools.addWidget(self.select_shown)
        tools.addWidget(self.clear)
        tools.addWidget(self.preview_button)
        tools.addWidget(self.query_button)
        layout.addLayout(tools)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)
        self._checked_changed()

    @property
    def loading(self) -> bool:
        return self.task is not None

    def initializePage(self) -> None:  # noqa: N802 - Qt API
        source = self.wizard().page(SOURCE_PAGE).source()
        if source is None or source.id == self.source_id:
            return
        if self.source_id is not None:
            self.model.preselect([])  # another source: its tables are another set
        self.source_id = source.id
        self.source_name = source.name
        self.source_type = source.type_key
        self.fetch()

    def fetch(self) -> None:
        if self.task is not None:
            self.task.cancel.set()
        self.model.set_tables([])
        self.retry.hide()
        self.spinner.show()
        theme.set_tone(self.status, "busy", f"Fetching the tables of {self.source_name}…")
        self.task = self.bridge.submit(self, self.connections.tables, self.source_id,
                                       cancellable=True, on_done=self._listed,
                                       on_error=self._failed)
        self._set_busy()

    def _listed(self, tables: list[TableInfo]) -> None:
        from app.services.connections import TableInfo

        self.task = None
        self.spinner.hide()
        self.model.set_tables(tables + [TableInfo(name, None, None, False, None, "query")
                                        for name in self.queries])
        theme.set_tone(self.status, None, "")
        if not tables:
            theme.set_tone(self.status, "error", f"{self.source_name} has no tables.")
            self.retry.show()
        self._set_busy()

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        self.spinner.hide()
        theme.set_tone(self.status, "failed",
                       f"Cannot list the tables of {self.source_name}: {exc}")
        self.retry.show()
        self._set_busy()

    def preview(self) -> None:
        """The first rows of the current table, read live (ui/preview)."""
        from ui.preview import SourcePreviewDialog

        index = self.view.currentIndex()
        if not index.isValid():
            return
        info = self.model.table_at(self.proxy.mapToSource(index).row())
        self.preview_dialog = SourcePreviewDialog(self.connections.ctx, self.source_id,
                                                  info.schema, info.name, self)
        self.preview_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.preview_dialog.open()

    def add_query(self) -> None:
        """A custom query as a table: named, written, checked against the source."""
        from ui.query_dialog import QueryDialog

        taken = set(self.queries) | {self.model.table_at(r).name
                                     for r in range(self.model.rowCount())}
        self.query_dialog = QueryDialog(self.connections.ctx, self.source_id, taken, self)
        self.query_dialog.accepted.connect(self._query_added)
        self.query_dialog.open()

    def _query_added(self) -> None:
        from app.services.connections import TableInfo

        dialog = self.query_dialog
        self.queries[dialog.name] = dialog.sql
        self.model.add_table(TableInfo(dialog.name, None, None, False, None, "query"))

    def _set_busy(self) -> None:
        from app.connectors import registry

        source_type = getattr(self, "source_type", None)
        self.query_button.setVisible(source_type is not None and
                                     registry.engine(source_type).queries)
        for widget in (self.filter, self.select_shown, self.clear, self.view,
                       self.preview_button, self.query_button):
            widget.setEnabled(not self.loading)
        focused = QApplication.focusWidget()
        if not self.loading and (focused is None or not focused.isEnabled()):
            self.filter.setFocus()  # the focus went with the disabled fields: back to the filter
        self.completeChanged.emit()
        # QWizard re-enables Back on every completeChanged; while loading it stays off.
        QTimer.singleShot(0, self.sync_back)

    def sync_back(self) -> None:
        wizard = self.wizard()
        if wizard is not None and wizard.currentPage() is self:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(not self.loading)

    def _check_shown(self, on: bool) -> None:
        self.model.set_checked_rows(self.proxy.shown_rows(), on)

    def _toggle_row(self, index: QModelIndex) -> None:
        row = self.proxy.mapToSource(index).row()
        self.model.set_checked_rows([row], not self.model.is_checked(row))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Space ticks (or clears) every selected row at once."""
        if watched is self.view and event.type() == QEvent.Type.KeyPress and \
                event.key() == Qt.Key.Key_Space:
            rows = sorted({self.proxy.mapToSource(i).row()
                           for i in self.view.selectionModel().selectedRows()})
            if rows:
                self.model.set_checked_rows(rows, not self.model.is_checked(rows[0]))
                return True
        return False

    def _checked_changed(self) -> None:
        chosen, total = len(self.model.chosen_names()), self.model.rowCount()
        self.count.setText(f"{chosen:,} of {total:,} table{'s' if total != 1 else ''} selected"
                           + (" — tick the box of a table (Space ticks the selected rows)"
                              if not chosen else ""))
        self.completeChanged.emit()

    def chosen(self) -> list[tuple[str | None, str]]:
        """(schema, table) of the chosen tables; the job's own while its source is listed."""
        return self.model.chosen_names()

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return not self.loading and bool(self.model.chosen_names())


class JobWizard(QWizard):
    """Create an ETL job in three steps, or edit one (opens at step 3)."""

    def __init__(self, jobs: JobService, connections: ConnectionService, bridge: Bridge,
                 model: ConnectionListModel, editing: JobView | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobWizard")
        self.setWindowTitle(f"Edit ETL job “{editing.name}”" if editing else "New ETL job")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        # Not IndependentPages: each step is built again from the steps before it whenever
        # it is entered (keeping what still applies), so a source or tables changed after
        # Back always reach the later steps.
        self.setButtonText(QWizard.WizardButton.FinishButton,
                           "Save changes" if editing else "Create ETL job")
        finish = self.button(QWizard.WizardButton.FinishButton)
        finish.setObjectName("primary")
        finish.style().unpolish(finish)
        finish.style().polish(finish)
        self.setFixedSize(WIZARD_SIZE)
        self.source_page = SourcePage(jobs, connections, bridge, model, editing)
        self.tables_page = TablesPage(connections, bridge, editing)
        self.settings_page = SettingsPage(jobs, connections, bridge, editing)
        self.setPage(SOURCE_PAGE, self.source_page)
        self.setPage(TABLES_PAGE, self.tables_page)
        self.setPage(SETTINGS_PAGE, self.settings_page)
        self.currentIdChanged.connect(lambda _: self.tables_page.sync_back())
        self.walk_to_settings = editing is not None

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self.walk_to_settings:
            # An edit opens at step 3, walked to through the earlier steps so Back reaches
            # them (QWizard starts its pages only when shown).
            self.walk_to_settings = False
            self.next()
            self.next()

    @property
    def saved(self) -> JobView | None:
        return self.settings_page.saved

    def reject(self) -> None:
        for task in (self.tables_page.task, self.settings_page.task):
            if task is not None:
                task.cancel.set()
        super().reject()

