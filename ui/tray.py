"""Sluice in the system tray: schedules go on with the window closed.

The icon shows the state (idle; running, with how many; the last scheduled run failed) and
its menu, rebuilt each time it opens from `menu_entries` (a plain model a test reads),
offers: Open Sluice, the next scheduled run, Run job ▸ (every job), Pause / Resume
schedules, Quit. Desktop notifications (a failed or skipped scheduled run) go through the
icon; clicking one opens that run's History.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.scheduling.schedule import when
from ui import theme

if TYPE_CHECKING:
    from app.services.jobs import JobView

ICON_PX = 64
STATE_COLOURS = {"running": "#2f6fde", "failed": "#d23c3c"}


@dataclass
class Entry:
    """One item of the tray menu: `key` says what it does ("open", "run:<job id>",
    "pause", "resume", "quit"; "" for a line that only informs); `children` a submenu."""

    text: str
    key: str = ""
    enabled: bool = True
    children: list[Entry] = field(default_factory=list)


def menu_entries(jobs: list[JobView], running: set[str],
                 next_run: tuple[JobView, datetime] | None, paused: bool,
                 schedules_here: bool) -> list[Entry]:
    """The tray menu for this state of the app."""
    if paused:
        upcoming = "Schedules paused"
    elif not schedules_here:
        upcoming = "Schedules run by another Sluice process"
    elif next_run is None:
        upcoming = "No scheduled run"
    else:
        job, moment = next_run
        upcoming = f"Next: {job.name} at {when(moment, job.timezone)}"
    runs = [Entry(job.name + (" (running)" if job.id in running else ""), f"run:{job.id}",
                  job.id not in running) for job in jobs]
    return [Entry("Open Sluice", "open"),
            Entry(upcoming, enabled=False),
            Entry("Run job", children=runs or [Entry("No jobs yet", enabled=False)]),
            Entry("Resume schedules", "resume") if paused else
            Entry("Pause schedules", "pause", enabled=schedules_here),
            Entry("Quit Sluice", "quit")]


def state_icon(state: str, count: int = 0) -> QIcon:
    """The app's icon with a badge: a blue disc with the number of runs, a red one with
    "!" after a failed scheduled run, none when idle."""
    base = theme.icon("sluice.svg").pixmap(ICON_PX, ICON_PX)
    if state not in STATE_COLOURS:
        return QIcon(base)
    pixmap = QPixmap(base)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    radius = ICON_PX * 0.26
    centre = QPointF(ICON_PX - radius, ICON_PX - radius)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(STATE_COLOURS[state]))
    painter.drawEllipse(centre, radius, radius)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(radius * 1.3))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    text = "!" if state == "failed" else (str(count) if count < 10 else "9+")
    painter.drawText(QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius),
                     Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    """The tray icon of a main window. `entries()` gives the menu's model (the window
    fills in the state); choosing an item emits `chosen(key)`.

    Signals:
        chosen(str): a menu item's key.
        opened(): the icon was clicked (show the window).
        notification_clicked(str, str): job id and run id of the notification clicked.
    """

    chosen = Signal(str)
    opened = Signal()
    notification_clicked = Signal(str, str)

    def __init__(self, entries, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.entries = entries
        self.icon = QSystemTrayIcon(state_icon("idle"), self)
        self.icon.setToolTip("Sluice")
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self._rebuild)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self._message_clicked)
        self.state = ("idle", 0)
        self._last_message: tuple[str, str] | None = None
        self._rebuild()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        self.icon.show()

    def set_state(self, state: str, count: int = 0, tip: str = "Sluice") -> None:
        if (state, count) != self.state:
            self.state = (state, count)
            self.icon.setIcon(state_icon(state, count))
        self.icon.setToolTip(tip)

    def notify(self, title: str, text: str, job_id: str = "", run_id: str = "",
               failed: bool = True) -> None:
        """A desktop notification; clicking it emits notification_clicked(job, run)."""
        self._last_message = (job_id, run_id) if job_id else None
        kind = QSystemTrayIcon.MessageIcon.Warning if failed else \
            QSystemTrayIcon.MessageIcon.Information
        self.icon.showMessage(title, text, kind, 15_000)

    def _rebuild(self) -> None:
        self.menu.clear()
        self._fill(self.menu, self.entries())

    def _fill(self, menu: QMenu, entries: list[Entry]) -> None:
        for entry in entries:
            if entry.key == "quit":
                menu.addSeparator()
            if entry.children:
                self._fill(menu.addMenu(entry.text), entry.children)
                continue
            action = menu.addAction(entry.text)
            action.setEnabled(entry.enabled and bool(entry.key))
            if entry.key:
                action.triggered.connect(lambda _=False, k=entry.key: self.chosen.emit(k))
            else:
                menu.addSeparator()  # a line that informs stands apart

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.opened.emit()

    def _message_clicked(self) -> None:
        if self._last_message is not None:
            self.notification_clicked.emit(*self._last_message)
        else:
            self.opened.emit()

    def hide(self) -> None:
        self.icon.hide()


def attach(window, tray: Tray) -> None:
    """Wire a main window and its tray: the menu reads the window's state, the icon
    follows its runs, and scheduled runs that fail or are skipped are notified."""
    seen = {"failed": False}

    def entries() -> list[Entry]:
        jobs = window.job_model.jobs()
        upcoming = None
        if window.scheduler is not None:
            due = [(job, window.scheduler.next_run(job.id)) for job in jobs]
            due = [(job, at) for job, at in due if at is not None]
            upcoming = min(due, key=lambda pair: pair[1]) if due else None
        return menu_entries(jobs, set(window.handles), upcoming, window.schedules_paused,
                            window.scheduler is not None)

    def show_state() -> None:
        running = len(window.handles)
        if running:
            tray.set_state("running", running, f"Sluice: {running} job"
                           f"{'s' if running != 1 else ''} running")
        elif seen["failed"]:
            tray.set_state("failed", 0, "Sluice: the last scheduled run did not succeed")
        else:
            tray.set_state("idle", 0, "Sluice")

    def ended(job_id: str, run) -> None:
        seen["failed"] = run.status != "succeeded"
        show_state()
        if run.status in ("failed", "skipped", "interrupted"):
            name = window.job_name(job_id)
            reason = (run.error or run.status).splitlines()[0]
            tray.notify(f"{name} {run.status}", reason, job_id, run.id)

    def opened() -> None:
        seen["failed"] = False  # seen now
        show_state()
        window.bring_to_front()

    def chosen(key: str) -> None:
        if key == "open":
            opened()
        elif key.startswith("run:"):
            window.run_job(key[4:])
        elif key in ("pause", "resume"):
            pause_schedules(window, key == "pause")
        elif key == "quit":
            window.quit_app()

    tray.entries = entries
    tray.chosen.connect(chosen)
    tray.opened.connect(opened)
    tray.notification_clicked.connect(window.open_run)
    window.running_changed.connect(lambda _: show_state())
    window.unattended_run.connect(ended)


def pause_schedules(window, value: bool) -> None:
    """Pause or resume every schedule on this computer (remembered in the store), on a
    worker; the window's scheduler follows at once."""
    from app.scheduling.scheduler import set_paused

    def change() -> None:
        set_paused(window.ctx.store, value)
        if window.scheduler is not None:
            window.scheduler.sync()

    def done(_) -> None:
        window.schedules_paused = value
        window.statusBar().showMessage("Schedules paused." if value else
                                       "Schedules resumed.", 8000)

    window.bridge.submit(window, change, on_done=done)
