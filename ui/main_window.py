"""The main window: Connections on the left, ETL Jobs on the right, equal columns.

The window is built and shown before the metadata store is opened (`load`), so it
appears as fast as a bare window; SQLAlchemy and the services load right after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import __version__, paths
from app.services.errors import ConnectionInUse, NotFound, ServiceError
from ui import dialogs, settings, theme
from ui.connection_model import ConnectionListModel
from ui.log_dialog import LogDialog
from ui.panels import ConnectionsPanel, JobsPanel
from ui.workers import Bridge

if TYPE_CHECKING:
    from app.connectors.base import TestResult
    from app.services.connections import ConnectionService
    from app.services.context import AppContext
    from ui.connection_wizard import ConnectionWizard


class MainWindow(QMainWindow):
    """Signals:
        loaded(): the store is open and the connection list is filled.
    """

    loaded = Signal()

    def __init__(self, open_context: Callable[[], AppContext], test_on_start: bool = True
                 ) -> None:
        super().__init__()
        self._open_context = open_context
        self.test_on_start = test_on_start
        self.ctx: AppContext | None = None
        self.service: ConnectionService | None = None
        self.bridge = Bridge(self)
        self.setWindowTitle("Sluice")
        self.setWindowIcon(theme.icon("sluice.svg"))
        self.setMinimumSize(720, 480)

        self.model = ConnectionListModel(self)
        self.connections = ConnectionsPanel(self.model)
        self.jobs = JobsPanel()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(12)
        self.splitter.addWidget(self.connections)
        self.splitter.addWidget(self.jobs)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(12, 12, 12, 6)
        box.addWidget(self.splitter)
        self.setCentralWidget(holder)
        self._menus()
        self.statusBar().showMessage("Ready")

        self.connections.add_requested.connect(self.new_connection)
        self.connections.refresh_requested.connect(self.refresh)
        self.connections.edit_requested.connect(self.edit_connection)
        self.connections.delete_requested.connect(self.delete_connection)
        self.bridge.busy_changed.connect(self.connections.set_busy)

        self._restore_layout()

    def load(self) -> None:
        """Open the store, list the connections, and (by default) start testing them."""
        from app.services.connections import ConnectionService

        self.ctx = self._open_context()
        self.service = ConnectionService(self.ctx)
        self.reload()
        self.connections.set_loaded()
        self.loaded.emit()
        if self.test_on_start:
            self.refresh()

    # --- layout --------------------------------------------------------------------------

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        new = QAction("New connection…", self, shortcut=QKeySequence.StandardKey.New)
        new.triggered.connect(self.new_connection)
        prefs = QAction("Preferences…", self, shortcut=QKeySequence.StandardKey.Preferences)
        prefs.triggered.connect(self.show_preferences)
        quit_action = QAction("Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addActions([new, prefs])
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        refresh = QAction("Test all connections", self, shortcut=QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(self.refresh)
        logs = QAction("Show logs", self)
        logs.triggered.connect(self.show_logs)
        view_menu.addActions([refresh, logs])
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("About Sluice", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def _restore_layout(self) -> None:
        stored = settings.ui_settings()
        geometry = stored.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1180, 740)
        state = stored.value("window/splitter")
        if state is None or not self.splitter.restoreState(state):
            half = self.width() // 2
            self.splitter.setSizes([half, half])

    def _save_layout(self) -> None:
        stored = settings.ui_settings()
        stored.setValue("window/geometry", self.saveGeometry())
        stored.setValue("window/splitter", self.splitter.saveState())
        stored.sync()

    # --- connections -----------------------------------------------------------------

    def reload(self) -> None:
        self.model.set_views(self.service.list())

    def refresh(self) -> None:
        """Test every connection in the background; each dot pulses until its result."""
        for view in self.model.views():
            self.test_one(view.id)

    def test_one(self, conn_id: str) -> None:
        self.model.set_testing(conn_id, True)
        self.bridge.submit(self, self.service.test_saved, conn_id, cancellable=True,
                           on_done=lambda result, cid=conn_id: self._tested(cid, result),
                           on_error=lambda exc, cid=conn_id: self._test_failed(cid, exc))

    def _tested(self, conn_id: str, result: TestResult) -> None:
        self.model.set_testing(conn_id, False)
        try:
            self.model.update_view(self.service.get(conn_id))
        except NotFound:
            self.reload()

    def _test_failed(self, conn_id: str, exc: BaseException) -> None:
        self.model.set_testing(conn_id, False)
        if isinstance(exc, NotFound):
            self.reload()
        else:
            self.statusBar().showMessage(f"Could not test a connection: {exc}", 10_000)

    def new_connection(self) -> None:
        if self.service is None:  # still loading
            return
        from ui.connection_wizard import ConnectionWizard

        self._open_wizard(ConnectionWizard(self.service, self.bridge, parent=self))

    def edit_connection(self, conn_id: str) -> None:
        try:
            view = self.service.get(conn_id)
        except NotFound:
            self.reload()
            return
        from ui.connection_wizard import ConnectionWizard

        self._open_wizard(ConnectionWizard(self.service, self.bridge, editing=view, parent=self))

    def _open_wizard(self, wizard: ConnectionWizard) -> None:
        self.wizard = wizard
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.accepted.connect(lambda: self._saved(wizard))
        wizard.open()

    def _saved(self, wizard: ConnectionWizard) -> None:
        saved = wizard.saved
        self.reload()
        if saved is not None:
            self.statusBar().showMessage(f"Saved connection “{saved.name}”.", 8000)

    def delete_connection(self, conn_id: str) -> None:
        try:
            view = self.service.get(conn_id)
        except NotFound:
            self.reload()
            return
        if view.used_by:
            self.notice = dialogs.message(
                self, "Connection in use", str(ConnectionInUse(view.name, view.used_by)))
            return
        self.notice = dialogs.confirm(
            self, "Delete connection",
            f"Delete the connection “{view.name}” and its saved password?",
            "Delete", lambda: self._delete(view.id))

    def _delete(self, conn_id: str) -> None:
        try:
            view = self.service.get(conn_id)
            self.service.delete(conn_id)
        except ServiceError as exc:
            self.notice = dialogs.message(self, "Connection not deleted", str(exc))
            return
        self.reload()
        self.statusBar().showMessage(f"Deleted connection “{view.name}”.", 8000)

    # --- menus -------------------------------------------------------------------------

    def show_preferences(self) -> None:
        from app.services import preferences
        from ui.preferences_dialog import PreferencesDialog

        dialog = PreferencesDialog(self.ctx, preferences.secret_note(self.ctx), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: theme.apply(QApplication.instance(), settings.theme_name()))
        self.preferences_dialog = dialog
        dialog.open()

    def show_logs(self) -> None:
        self.log_dialog = LogDialog(self)
        self.log_dialog.open()

    def show_about(self) -> None:
        QMessageBox.about(
            self, "About Sluice",
            f"<h3>Sluice {__version__}</h3><p>Desktop ETL: connections tested live, tables "
            f"moved safely.</p><p>Data: {paths.data_dir()}</p>")

    # --- closing -----------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self._save_layout()
        self.bridge.shutdown()
        super().closeEvent(event)
