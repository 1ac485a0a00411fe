"""How the main window goes away: into the tray (Sluice and its schedules go on), or for
real (File ▸ Quit, the tray's Quit), asking first while jobs run (wait for them, or cancel
them: their destinations stay as they were) or, with no tray, while it schedules jobs.

A mixin of MainWindow (it uses the window's runs, scheduler, bridge and dialogs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication

from ui import dialogs, settings
from ui.job_model import JobRole

if TYPE_CHECKING:
    from ui.tray import Tray


class Quitting:
    tray: Tray | None
    quitting: bool  # closing means quitting (not going to the tray)
    quit_anyway: bool  # close even while jobs run (asked, or the session ends)
    quit_after_runs: bool

    def attach_tray(self, tray: Tray) -> None:
        """Closing the window leaves Sluice, and its schedules, running in `tray`."""
        from ui.tray import attach

        self.tray = tray
        attach(self, tray)

    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def open_run(self, job_id: str, run_id: str) -> None:
        """A notification was clicked: the window, and that run in History."""
        self.bring_to_front()
        if self.job_service is not None and self.job_model.row_of(job_id) >= 0:
            self.show_history(job_id, run_id)

    def quit_app(self) -> None:
        """Quit for real (the menu's Quit, the tray's): the runs question still comes."""
        self.quitting = True
        if not self.close():
            self.quitting = False

    def schedules_here(self) -> bool:
        """Whether this window runs schedules of enabled, scheduled jobs."""
        return self.scheduler is not None and any(
            self.scheduler.next_run(job.id) for job in self.job_model.jobs())

    def _to_tray(self) -> None:
        self.hide()
        stored = settings.ui_settings()
        if not stored.value("tray/told", False, type=bool):
            stored.setValue("tray/told", True)
            settings.save(stored)
            self.tray.notify("Sluice is still running",
                             "Scheduled jobs go on from here. To quit, use Quit in this "
                             "icon's menu.", failed=False)

    def _ask_quit_schedules(self) -> None:
        self.quit_question = dialogs.choose(
            self, "Quit Sluice?",
            "Scheduled jobs run only while Sluice runs, and this desktop has no system tray "
            "to keep it in.",
            "To run them with no window, use the background scheduler (see the README).",
            [("Quit and stop the schedules", self.quit_app)])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if not self.quitting and not self.quit_anyway:
            if self.tray is not None:
                event.ignore()
                self._to_tray()
                return
            if self.schedules_here():
                event.ignore()
                self._ask_quit_schedules()
                return
        if self.handles and not self.quit_anyway:
            event.ignore()  # a run is in progress: asked first
            self._ask_quit()
            return
        self._save_layout()
        for handle in self.handles.values():
            handle.cancel.set()  # a run in progress stops; its destination is untouched
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None
        self.watch.stop()
        self.tester.shutdown()
        self.bridge.shutdown()
        super().closeEvent(event)
        if self.tray is not None:
            self.tray.hide()
            if not QApplication.quitOnLastWindowClosed():
                QApplication.quit()  # the tray kept the app alive past its last window

    def _ask_quit(self) -> None:
        """Quit while jobs run? Wait for them, or cancel them (their destinations stay as
        they were), or stay."""
        names = [self.job_model.index(self.job_model.row_of(j)).data(JobRole).name
                 for j in self.handles if self.job_model.row_of(j) >= 0]
        one = len(self.handles) == 1
        listed = ", ".join(f"“{n}”" for n in names)
        self.quit_question = dialogs.choose(
            self, "Quit Sluice?",
            f"{'A job is' if one else f'{len(self.handles)} jobs are'} running: {listed}.",
            "Cancelled runs leave their destinations as they were.",
            [("Quit when finished", self._quit_when_finished),
             ("Cancel the run and quit" if one else "Cancel the runs and quit",
              self._cancel_and_quit)])

    def _quit_when_finished(self) -> None:
        self.quit_after_runs = True
        self.statusBar().showMessage("Sluice will quit when the running jobs finish.")

    def _cancel_and_quit(self) -> None:
        self.quit_anyway = True
        self.close()
