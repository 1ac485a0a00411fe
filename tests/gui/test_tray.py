"""The tray: the window closes, Sluice and its schedules go on; the menu, the icon's state,
notifications of scheduled runs that fail; one app at a time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from app.scheduling.schedule import Schedule
from app.services.jobs import JobDraft, JobService, TableSpec
from tests.gui.helpers import active_modal, orders_table
from tests.integration.engine_helpers import pg_exec, save_connection, warehouse_rows
from ui import settings
from ui.job_model import LastRunRole
from ui.main_window import MainWindow
from ui.tray import Tray

ROOT = Path(__file__).resolve().parents[2]


class RecordingTray(Tray):
    """The real tray, with its desktop notifications kept for the test to read (there is
    no notification server here)."""

    def __init__(self, parent) -> None:
        super().__init__(lambda: [], parent)
        self.notes: list[tuple[str, str]] = []

    def notify(self, title, text, job_id="", run_id="", failed=True) -> None:
        self.notes.append((title, text))
        super().notify(title, text, job_id, run_id, failed)


def _scheduled_job(ctx, pg_db, rows: int = 9):
    orders_table(pg_db, rows)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    return JobService(ctx).create(JobDraft("Orders", "src", [TableSpec("orders")],
                                           schedule=Schedule("interval", "1m", "UTC")))


def _in_tray(make_window) -> tuple[MainWindow, RecordingTray]:
    window = make_window(schedule=True)
    tray = RecordingTray(window)
    window.attach_tray(tray)
    return window, tray


def _texts(entries) -> list:
    return [(e.text, [c.text for c in e.children]) if e.children else e.text
            for e in entries]


def test_closing_the_window_keeps_sluice_and_its_schedules_in_the_tray(
        qtbot, make_window, ctx, pg_db):
    job = _scheduled_job(ctx, pg_db)
    window, tray = _in_tray(make_window)
    try:
        window.close()
        assert not window.isVisible() and window.scheduler.running  # hidden, not quit
        assert tray.notes == [("Sluice is still running", "Scheduled jobs go on from here. "
                               "To quit, use Quit in this icon's menu.")]
        assert settings.ui_settings().value("tray/told", type=bool)
        window.show()
        window.close()
        assert len(tray.notes) == 1  # said once

        window.scheduler.run_soon(job.id)  # its minute has come, with the window closed
        index = window.job_model.index(window.job_model.row_of(job.id))
        qtbot.waitUntil(lambda: tray.state == ("running", 1), timeout=10_000)
        qtbot.waitUntil(lambda: index.data(LastRunRole) is not None, timeout=30_000)
        run = index.data(LastRunRole)
        assert (run.trigger, run.status, run.rows_written) == ("schedule", "succeeded", 9)
        assert warehouse_rows("select count(*) from orders") == [(9,)]
        assert tray.state == ("idle", 0) and tray.notes[1:] == []  # success: no notice
    finally:
        window.quit_app()
    assert not window.isVisible() and window.scheduler is None


def test_the_tray_menu_offers_the_next_run_every_job_and_pause(qtbot, make_window, ctx,
                                                                pg_db):
    job = _scheduled_job(ctx, pg_db)
    window, tray = _in_tray(make_window)
    try:
        entries = tray.entries()
        upcoming = f"Next: Orders at {_when(job)}"
        assert _texts(entries) == ["Open Sluice", upcoming, ("Run job", ["Orders"]),
                                   "Pause schedules", "Quit Sluice"]
        tray.menu.aboutToShow.emit()  # the menu is opened: rebuilt from the model
        assert [a.text() for a in tray.menu.actions() if not a.isSeparator()] == [
            "Open Sluice", upcoming, "Run job", "Pause schedules", "Quit Sluice"]

        pause = next(a for a in tray.menu.actions() if a.text() == "Pause schedules")
        pause.trigger()
        qtbot.waitUntil(lambda: window.schedules_paused)
        assert window.scheduler.next_run(job.id) is None
        assert _texts(tray.entries())[1::2] == ["Schedules paused", "Resume schedules"]

        run = tray.entries()[2].children[0]
        tray.chosen.emit(run.key)  # Run job ▸ Orders
        assert _texts(tray.entries())[2] == ("Run job", ["Orders (running)"])
        index = window.job_model.index(window.job_model.row_of(job.id))
        qtbot.waitUntil(lambda: index.data(LastRunRole) is not None, timeout=30_000)
    finally:
        window.quit_app()
    again = make_window(schedule=True)  # a restart: still paused
    assert again.schedules_paused and again.scheduler.next_run(job.id) is None


def _when(job) -> str:
    from app.scheduling.schedule import when

    return when(job.next_run(), job.timezone)


def test_a_failed_scheduled_run_is_notified_and_its_notice_opens_the_run(
        qtbot, make_window, ctx, pg_db):
    job = _scheduled_job(ctx, pg_db)
    pg_exec(pg_db, "drop table orders")
    window, tray = _in_tray(make_window)
    try:
        window.close()
        window.scheduler.run_soon(job.id)
        qtbot.waitUntil(lambda: len(tray.notes) == 2, timeout=30_000)
        title, text = tray.notes[1]
        assert title == "Orders failed"
        assert text.startswith("Table public.orders does not exist (any more) on ")
        assert tray.state == ("failed", 0)
        assert active_modal() is None  # no dialog waits for nobody at 3 a.m.
        run = JobService(ctx).runs(job.id)[0]
        tray.icon.messageClicked.emit()  # the notification is clicked
        assert window.isVisible()
        history = window.history
        qtbot.waitUntil(history.isVisible)
        selected = history.table.selectionModel().selectedRows()[0].row()
        assert history.runs[selected].id == run.id
        history.close()
    finally:
        window.quit_app()


def test_without_a_tray_closing_asks_before_stopping_the_schedules(
        qtbot, make_window, ctx, pg_db):
    _scheduled_job(ctx, pg_db)
    window = make_window(schedule=True)
    window.close()
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    box = active_modal()
    assert box.text().startswith("Scheduled jobs run only while Sluice runs")
    stop = next(b for b in box.buttons() if b.text() == "Quit and stop the schedules")
    stop.click()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert window.scheduler is None


def test_a_second_launch_brings_the_first_window_to_the_front(qtbot, make_window):
    from ui import single

    window = make_window()
    instance = single.Instance(single.server_name(), window)
    assert instance.listen()
    instance.activated.connect(window.bring_to_front)
    window.hide()
    with qtbot.waitSignal(instance.activated, timeout=60_000):
        second = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    out, err = second.communicate(timeout=60)
    instance.close()
    assert second.returncode == 0, err
    assert out.strip() == "Sluice is already running; its window was brought to the front."
    assert window.isVisible()
