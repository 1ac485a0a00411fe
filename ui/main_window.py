"""The main window: Connections on the left, ETL Jobs on the right, equal columns.

The window is built and shown before the metadata store is opened (`load`), so it
appears as fast as a bare window; the lists are then filled from a first look at the store
file (stdlib sqlite3), and SQLAlchemy and the services load behind them. A click on a card
before the services are open waits for them.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from app import __version__, paths
from app.words import plural
from ui import dialogs, settings, theme
from ui.connection_actions import ConnectionActions
from ui.connection_model import ConnectionListModel
from ui.data_actions import DataActions
from ui.help import add_help_menu
from ui.job_model import JobListModel, JobRole, Progress
from ui.log_dialog import LogDialog
from ui.panels import ConnectionsPanel, JobsPanel
from ui.quitting import Quitting
from ui.run_watch import RunWatch
from ui.store_problem import StoreProblem
from ui.tester import Tester
from ui.vault_actions import VaultActions
from ui.workers import Bridge

if TYPE_CHECKING:
    from app.scheduling.scheduler import Scheduler
    from app.services.connections import ConnectionService
    from app.services.context import AppContext
    from app.services.first_look import Lists
    from app.services.jobs import JobService, JobView, RunHandle, RunView
    from ui.tray import Tray


class RunProgress(QObject):
    """Carries a run's progress from its worker thread to the GUI thread (queued).

    Signals:
        moved(str, int, float, float, str): job id, rows written, rows/s, megabytes read,
            and what the run waits for ("" when it does not wait).
    """

    moved = Signal(str, int, float, float, str)
    EVERY = 0.2  # seconds between updates of a card

    def watch(self, job_id: str, handle: RunHandle) -> None:
        from app.services.jobs import throttled

        handle.on_progress = throttled(
            lambda h: self.moved.emit(job_id, h.rows_written, h.rate, h.bytes / 1e6, h.note),
            self.EVERY)


T = TypeVar("T")
OPENING = "Opening the metadata store…"


class ScheduleBell(QObject):
    """Carries the scheduler's news from its thread to the GUI thread (queued).

    Signals:
        rang(str): job id (the job is due).
        missed(str, object): job id and the `skipped` run recorded for a missed run.
    """

    rang = Signal(str)
    missed = Signal(str, object)


class MainWindow(ConnectionActions, VaultActions, DataActions, Quitting, QMainWindow):
    """`first_look` gives the lists to show before the services are open (None: wait for
    them); `open_context` opens the store and secrets.

    Signals:
        listed(): the lists are filled (from the first look, or else from the services).
        loaded(): the store is open, the services are ready and the lists are current.
        load_failed(): the store cannot be used (the window says why).
    """

    listed = Signal()
    loaded = Signal()
    load_failed = Signal()
    running_changed = Signal(int)  # how many jobs run in this window
    unattended_run = Signal(str, object)  # a scheduled run ended, or a missed one skipped

    def __init__(self, open_context: Callable[[], AppContext], test_on_start: bool = True,
                 schedule: bool = True,
                 first_look: Callable[[], Lists | None] | None = None) -> None:
        super().__init__()
        self._open_context = open_context
        self._first_look = first_look
        self._waiting: list[Callable[[], None]] = []  # clicks made before the services open
        self.test_on_start = test_on_start
        self.schedule = schedule
        self.scheduler: Scheduler | None = None
        self.schedules_elsewhere = ""  # who schedules, when another process does
        self.bell = ScheduleBell(self)
        self.bell.rang.connect(self._when_open(lambda job_id: self.run_job(job_id,
                                                                             "schedule")))
        self.bell.missed.connect(self._when_open(self._skipped))
        self.tray: Tray | None = None  # see attach_tray
        self.quitting = False  # closing means quitting (not going to the tray)
        self.watch = RunWatch(self)  # runs and jobs of other processes
        self.schedules_paused = False  # every schedule of the computer (as last read)
        self.ctx: AppContext | None = None
        self.service: ConnectionService | None = None
        self.job_service: JobService | None = None
        self.handles: dict[str, RunHandle] = {}  # running jobs
        self.bridge = Bridge(self)
        self.tester = Tester(lambda conn_id, cancel: self.service.retest(conn_id, cancel),
                             self)
        self.tester.started.connect(self._testing)
        self.tester.tested.connect(self._tested)
        self.progress = RunProgress(self)
        self.progress.moved.connect(self._moved)
        self.setWindowTitle("Sluice")
        self.setWindowIcon(theme.icon("sluice.svg"))
        self.setMinimumSize(640, 480)
        self.quit_anyway = False  # close even while jobs run (asked, or the session ends)
        self.quit_after_runs = False

        self.model = ConnectionListModel(self)
        self.connections = ConnectionsPanel(self.model)
        self.job_model = JobListModel(self)
        self.jobs = JobsPanel(self.job_model)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(12)
        self.splitter.addWidget(self.connections)
        self.splitter.addWidget(self.jobs)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.problem = StoreProblem()
        self.problem.hide()
        self.problem.restore_requested.connect(self.restore_store)
        self.problem.retry_requested.connect(self.load)
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(12, 12, 12, 6)
        box.addWidget(self.splitter)
        box.addWidget(self.problem)
        self.setCentralWidget(holder)
        chain = [*self.connections.focus_chain(), *self.jobs.focus_chain()]
        for before, after in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(before, after)  # left column, then right, top to bottom
        self._menus()
        for action in self.store_actions:
            action.setEnabled(False)  # until the store is open

        ready = self._when_open
        self.connections.add_requested.connect(ready(self.new_connection))
        self.connections.refresh_requested.connect(ready(self.refresh))
        self.connections.edit_requested.connect(ready(self.edit_connection))
        self.connections.delete_requested.connect(ready(self.delete_connection))
        self.connections.sample_requested.connect(ready(self.try_sample))
        self.jobs.run_requested.connect(ready(self.run_job))
        self.jobs.cancel_requested.connect(ready(self.cancel_job))
        self.jobs.delete_requested.connect(ready(self.delete_job))
        self.jobs.history_requested.connect(ready(self.show_history))
        self.jobs.cloud_requested.connect(ready(self.show_cloud))
        self.jobs.preview_requested.connect(ready(self.show_preview))
        self.jobs.add_requested.connect(ready(self.new_job))
        self.jobs.edit_requested.connect(ready(self.edit_job))

        self._restore_layout()

    def _when_open(self, action: Callable[..., None]) -> Callable[..., None]:
        """`action`, kept until the services are open when asked for before (a card listed
        by the first look can be clicked at once; nothing is lost)."""
        def gated(*args) -> None:
            if self.job_service is not None:
                action(*args)
            else:
                self._waiting.append(partial(action, *args))
                self.statusBar().showMessage(OPENING)
        return gated

    def load(self) -> None:
        """Fill the lists from the first look, then open the store and read them again with
        the services, each on a worker (the window paints meanwhile); then (by default)
        start testing the connections. `listed` is emitted when the lists are first
        filled, `loaded` when the services are ready, `load_failed` when the store cannot
        be used."""
        if self._first_look is not None and self.job_service is None:
            self.bridge.submit(self, self._first_look, on_done=self._looked,
                               on_error=lambda _: self._open())
        else:
            self._open()

    def _open(self) -> None:
        self.bridge.submit(self, self._open_and_read, on_done=self._opened,
                           on_error=self._open_failed)

    def _looked(self, lists: Lists | None) -> None:
        if lists is not None:
            self._show_lists(*lists)
        self._open()

    def _show_lists(self, views: list, rows: list) -> None:
        self.model.set_views(views)
        self.job_model.set_jobs(rows)
        if not self.jobs.loaded:
            self.connections.set_loaded()
            self.jobs.set_loaded()
            self.listed.emit()

    def _open_and_read(self):
        """(worker thread) The context, its services, what the lists show, and the
        scheduler, started (None when not asked for, or another process schedules)."""
        from app.services.connections import ConnectionService
        from app.services.jobs import JobService
        from app.services.retention import prune

        ctx = self._open_context()
        prune(ctx.store)  # run records past the kept days and runs (Preferences)
        service, jobs = ConnectionService(ctx), JobService(ctx)
        last = jobs.last_runs()
        rows = [(job, last.get(job.id)) for job in jobs.list()]
        scheduler, elsewhere = None, ""
        if self.schedule:
            from app.scheduling.scheduler import Scheduler, holder

            scheduler = Scheduler(jobs, self.bell.rang.emit,  # fires wait for `_opened`
                                  missed=self.bell.missed.emit)
            if not scheduler.start():
                scheduler, elsewhere = None, holder() or "another Sluice process"
        from app.scheduling.scheduler import paused

        return ctx, service, jobs, service.list(), rows, \
            (scheduler, elsewhere, paused(ctx.store))

    def _open_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, _errors().StoreError):
            raise exc
        # Said in the window, in place of the lists (which would wait for ever).
        from app.services.context import has_backup

        self._waiting.clear()
        self.problem.show_fault(str(exc), exc.kind == "corrupt" and has_backup())
        for action in self.store_actions:
            action.setEnabled(False)
        self.splitter.hide()
        self.problem.show()
        self.statusBar().showMessage("The metadata store cannot be used")
        self.load_failed.emit()

    def _opened(self, loaded) -> None:
        self.ctx, self.service, self.job_service, views, rows, scheduling = loaded
        self.scheduler, self.schedules_elsewhere, self.schedules_paused = scheduling
        self.problem.hide()
        self.splitter.show()
        for action in self.store_actions:
            action.setEnabled(True)
        self._show_lists(views, rows)
        # Everything loaded so far lives as long as the app: keep it out of the cyclic
        # collector, whose full passes over it stalled the event loop for ~100 ms.
        gc.freeze()
        if self.statusBar().currentMessage() in ("", OPENING):
            self.statusBar().showMessage("Ready")
        self.loaded.emit()
        self.watch.start()
        waiting, self._waiting = self._waiting, []
        for action in waiting:
            action()
        if self.schedules_elsewhere:
            self.statusBar().showMessage(f"Schedules are run by {self.schedules_elsewhere}; "
                                         "this window runs jobs when you press Run.", 15_000)
        if self._vault_locked():
            self.unlock_vault(then=self.refresh if self.test_on_start else None)
        elif self.test_on_start:
            self.refresh()

    # --- the store ----------------------------------------------------------------------

    def restore_store(self) -> None:
        """Put the newest healthy backup in place of the damaged store, then open it."""
        from app.services.context import restore_store

        try:
            said = restore_store()
        except (_errors().StoreError, OSError) as exc:
            dialogs.message(self, "Restore failed", str(exc))
            return
        self.load()
        self.statusBar().showMessage(said)

    # --- layout --------------------------------------------------------------------------

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        new = QAction("New connection…", self, shortcut=QKeySequence.StandardKey.New)
        new.triggered.connect(self.new_connection)
        new_job = QAction("New ETL job…", self, shortcut=QKeySequence("Ctrl+J"))
        new_job.triggered.connect(self.new_job)
        import_job = QAction("Import job…", self)
        import_job.setToolTip("Create a job from a job spec (job export --spec, or a bundle's "
                              "spec.json)")
        import_job.triggered.connect(lambda: self.import_job())
        prefs = QAction("Preferences…", self)
        _shortcut(prefs, QKeySequence.StandardKey.Preferences, "Ctrl+,")
        prefs.triggered.connect(self.show_preferences)
        quit_action = QAction("Quit", self)
        _shortcut(quit_action, QKeySequence.StandardKey.Quit, "Ctrl+Q")
        quit_action.triggered.connect(self.quit_app)
        file_menu.addActions([new, new_job, import_job, prefs])
        # Need the store: off while it is unusable.
        self.store_actions = [new, new_job, import_job, prefs]
        self.lock_action = QAction("Lock vault", self)
        self.lock_action.triggered.connect(self._lock_or_unlock)
        self.change_password_action = QAction("Change master password…", self)
        self.change_password_action.triggered.connect(self.change_vault_password)
        file_menu.addActions([self.lock_action, self.change_password_action])
        file_menu.aboutToShow.connect(self._vault_menu)
        self.file_menu = file_menu
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        refresh = QAction("Test all connections", self, shortcut=QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(self.refresh)
        self.store_actions.append(refresh)
        logs = QAction("Show logs", self)
        logs.triggered.connect(self.show_logs)
        view_menu.addActions([refresh, logs])
        help_menu = add_help_menu(self)
        about = QAction("About Sluice", self)
        about.triggered.connect(self.show_about)
        help_menu.addSeparator()
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
        settings.save(stored)

    # --- connections -----------------------------------------------------------------

    def reload(self) -> None:
        self.model.set_views(self.service.list())
        self.reload_jobs()

    def reload_jobs(self) -> None:
        if self.scheduler is not None:
            self.scheduler.sync()
        last = self.job_service.last_runs()
        self.job_model.set_jobs([(job, last.get(job.id)) for job in self.job_service.list()])
        for job_id in self.handles:
            self.job_model.set_progress(job_id, Progress())

    # --- jobs ------------------------------------------------------------------------

    def run_job(self, job_id: str, trigger: str = "manual") -> None:
        """Run a job now on a worker; its card shows progress and offers Cancel."""
        from app.services.jobs import RunHandle

        if job_id in self.handles:
            return  # already running here; a schedule that fires meanwhile is coalesced
        handle = RunHandle()
        self.progress.watch(job_id, handle)
        self.handles[job_id] = handle
        self.job_model.set_progress(job_id, Progress())
        self.jobs.set_busy(True)
        self.running_changed.emit(len(self.handles))
        self.bridge.submit(self, self.job_service.run, job_id, trigger, handle,
                           on_done=lambda run, jid=job_id: self._ran(jid, run, trigger),
                           on_error=lambda exc, jid=job_id: self._run_refused(jid, exc,
                                                                              trigger))

    def _moved(self, job_id: str, rows: int, rate: float, megabytes: float, note: str) -> None:
        if job_id in self.handles:
            self.job_model.set_progress(job_id, Progress(rows, rate, megabytes, note))

    def _finished(self, job_id: str) -> None:
        self.handles.pop(job_id, None)
        self.job_model.set_progress(job_id, None)
        self.jobs.set_busy(bool(self.handles))
        self.running_changed.emit(len(self.handles))
        if self.quit_after_runs and not self.handles:
            self.quit_anyway = True
            QTimer.singleShot(0, self.close)

    def _ran(self, job_id: str, run: RunView, trigger: str = "manual") -> None:
        self._finished(job_id)
        self.job_model.set_last_run(job_id, run)
        name = self.job_name(job_id)
        if run.status == "succeeded":
            self.statusBar().showMessage(
                f"Job “{name}” finished: {plural(run.rows_written, 'row')} in "
                f"{run.seconds:.1f} s.", 10_000)
        else:
            self.statusBar().showMessage(f"Job “{name}” {run.status}: {run.error}", 20_000)
        if trigger == "schedule":  # nobody pressed anything: no dialog (the tray tells)
            self.unattended_run.emit(job_id, run)
        elif run.status == "failed":
            self.notice = dialogs.message(self, "Job failed", f"Job “{name}” failed.",
                                          run.error or "")

    def job_name(self, job_id: str) -> str:
        row = self.job_model.row_of(job_id)
        return self.job_model.index(row).data(JobRole).name if row >= 0 else "?"

    def _skipped(self, job_id: str, run: RunView) -> None:
        """(from the scheduler) A missed run was recorded as skipped."""
        self.job_model.set_last_run(job_id, run)
        self.statusBar().showMessage(f"Job “{self.job_name(job_id)}” skipped: {run.error}",
                                     20_000)
        self.unattended_run.emit(job_id, run)

    def _run_refused(self, job_id: str, exc: BaseException, trigger: str) -> None:
        self._finished(job_id)
        if trigger == "schedule":  # nobody pressed anything: say it without a dialog
            self.statusBar().showMessage(f"Scheduled run not started: {exc}", 20_000)
        else:
            self.notice = dialogs.message(self, "Job not started", str(exc))

    def show_history(self, job_id: str, run_id: str | None = None) -> None:
        from ui.run_history import RunHistoryDialog

        self.history = RunHistoryDialog(self.job_service, job_id, self, run_id)
        self.history.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.history.preview_requested.connect(self.show_preview)
        self.history.open()

    def cancel_job(self, job_id: str) -> None:
        handle = self.handles.get(job_id)
        if handle is not None:
            handle.cancel.set()
            self.statusBar().showMessage("Cancelling… the destination stays as it was.", 5000)

    def _fresh(self, get: Callable[[str], T], item_id: str) -> T | None:
        """The item as stored now, or None (and the lists reloaded) when it is gone."""
        try:
            return get(item_id)
        except _errors().NotFound:
            self.reload()
            return None

    def new_job(self) -> None:
        if self.job_service is None:  # still loading
            return
        from ui.job_wizard import JobWizard

        self._open_job_wizard(JobWizard(self.job_service, self.service, self.bridge,
                                        self.model, parent=self))

    def edit_job(self, job_id: str) -> None:
        job = self._fresh(self.job_service.get, job_id)
        if job is None:
            return
        from ui.job_wizard import JobWizard

        self._open_job_wizard(JobWizard(self.job_service, self.service, self.bridge,
                                        self.model, editing=job, parent=self))

    def _open_job_wizard(self, wizard: QWizard) -> None:
        self.job_wizard = wizard
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editing = wizard.settings_page.editing is not None
        wizard.accepted.connect(lambda: self._job_saved(wizard.saved, editing))
        wizard.rejected.connect(self.reload)  # connections made on the way, a late save
        wizard.open()

    def _job_saved(self, job: JobView | None, edited: bool) -> None:
        self.reload()
        if job is not None:
            verb = "Saved" if edited else "Created"
            self.statusBar().showMessage(f"{verb} ETL job “{job.name}”: "
                                         f"{job.schedule.describe()}.", 10_000)

    def delete_job(self, job_id: str) -> None:
        job = self._fresh(self.job_service.get, job_id)
        if job is None:
            return
        tables = [t.destination_name for t in job.tables]
        where = job.destination_label
        count = f"{len(tables)} table{'s' if len(tables) != 1 else ''}"
        self.notice = dialogs.choose(
            self, "Delete job", f"Delete the job “{job.name}” and its run history?",
            f"It loads {', '.join(tables)} in {where}. Keep those tables, or drop them "
            "(with their saved cursors)?",
            [("Delete, keep tables", lambda: self._delete_job(job.id, False)),
             (f"Delete, drop {count}", lambda: self._delete_job(job.id, True))])

    def _delete_job(self, job_id: str, drop: bool) -> None:
        self.statusBar().showMessage("Dropping the destination tables…" if drop
                                     else "Deleting the job…")
        self.bridge.submit(self, self.job_service.delete, job_id, drop,
                           on_done=lambda dropped: self._job_deleted(drop, dropped),
                           on_error=self._job_not_deleted)

    def _job_deleted(self, drop: bool, dropped: list[str]) -> None:
        self.reload()
        if drop:
            what = ", ".join(dropped) or "no tables (none were there)"
            self.statusBar().showMessage(f"Job deleted; dropped {what}.", 10_000)
        else:
            self.statusBar().showMessage("Job deleted; its destination tables are kept.", 8000)

    def _job_not_deleted(self, exc: BaseException) -> None:
        self.statusBar().clearMessage()
        self.notice = dialogs.message(self, "Job not deleted", str(exc))

    # --- menus -------------------------------------------------------------------------

    def show_preferences(self) -> None:
        from app.services import preferences
        from ui.preferences_dialog import PreferencesDialog

        dialog = PreferencesDialog(self.ctx, None, self)
        # Asking the keyring about itself can block (a desktop keyring over D-Bus): not
        # on this thread; the note appears when the answer comes.
        self.bridge.submit(dialog, preferences.secret_note, self.ctx, on_done=dialog.set_note)
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


def _shortcut(action: QAction, standard: QKeySequence.StandardKey, fallback: str) -> None:
    """The platform's key for `standard`, or `fallback` where it has none (Preferences
    and Quit have no key on several Linux desktops)."""
    keys = QKeySequence.keyBindings(standard)
    action.setShortcuts(keys or [QKeySequence(fallback)])


def _errors():
    """The services' errors, imported when first needed: they bring the store's SQLAlchemy,
    which the window does not wait for (see MainWindow.load)."""
    from app.services import errors

    return errors
