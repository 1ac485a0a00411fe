"""The main window's frame: start-up, menus, preferences, logs."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.services import preferences
from ui import settings, theme

ROOT = Path(__file__).resolve().parents[2]


def _action(window, text: str):
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            if action.text() == text:
                return action
    raise AssertionError(f"no menu item {text!r}")


def test_smoke_start_exits_zero_and_creates_the_store(isolated_home):
    done = subprocess.run([sys.executable, "main.py", "--smoke"], cwd=ROOT, timeout=120,
                          capture_output=True, text=True,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert (isolated_home / "sluice.db").exists()
    said = dict(line.split("=") for line in done.stdout.split())
    assert float(said["shown_at"]) <= float(said["listed_at"]) <= float(said["loaded_at"])
    assert float(said["stall_ms"]) >= 0  # (the figure bench/startup.py reports)


def test_the_lists_show_before_the_services_open_and_a_click_waits_for_them(
        qtbot, ctx, tmp_path):
    from app.services.first_look import lists
    from app.services.jobs import TableSpec
    from tests.gui.helpers import click_card_button, row_with
    from tests.integration.engine_helpers import make_job, save_connection, warehouse_rows
    from ui.job_model import LastRunRole
    from ui.main_window import MainWindow

    (tmp_path / "items.csv").write_text("id,name\n1,a\n2,b\n3,c\n")
    save_connection(ctx, "csv", "Files", {"path": str(tmp_path)})
    make_job(ctx, "Items", "Files", [TableSpec("items")])
    services_open = threading.Event()

    def open_context():  # the services take their time (SQLAlchemy, the engine)
        services_open.wait(60)
        return ctx

    window = MainWindow(open_context, test_on_start=False, schedule=False,
                        first_look=lambda: lists(ctx.store.path))
    qtbot.addWidget(window)
    window.show()
    try:
        with qtbot.waitSignal(window.listed):
            window.load()
        assert window.job_service is None  # not open yet, and the lists are filled
        assert row_with(window.connections.proxy, "Files").isValid()
        assert not _action(window, "New connection…").isEnabled()
        click_card_button(qtbot, window.jobs, "Items", "run")
        assert window.statusBar().currentMessage() == "Opening the metadata store…"
        with qtbot.waitSignal(window.loaded):
            services_open.set()
    finally:
        services_open.set()
    assert _action(window, "New connection…").isEnabled()
    index = row_with(window.jobs.proxy, "Items")
    qtbot.waitUntil(lambda: index.data(LastRunRole) is not None, timeout=30_000)
    assert index.data(LastRunRole).status == "succeeded"  # the click ran the job
    assert warehouse_rows("select count(*) from items") == [(3,)]
    window.quit_anyway = True
    window.close()


def test_menus_offer_about_preferences_and_logs(make_window):
    window = make_window()
    for text in ("New connection…", "Preferences…", "Quit", "Test all connections",
                 "Show logs", "About Sluice"):
        assert _action(window, text).isEnabled()


def test_preferences_change_timeout_and_theme(qtbot, make_window, ctx, qapp):
    window = make_window()
    _action(window, "Preferences…").trigger()
    dialog = window.preferences_dialog
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.note.isVisible)  # the test keyring is not an encrypted OS keyring
    assert "not an encrypted OS keyring" in dialog.note.text()
    # The spin box's arrows work with the mouse (the style sheet once hid them).
    from PySide6.QtWidgets import QStyle, QStyleOptionSpinBox

    spin = dialog.timeout
    option = QStyleOptionSpinBox()
    spin.initStyleOption(option)
    up = spin.style().subControlRect(QStyle.ComplexControl.CC_SpinBox, option,
                                     QStyle.SubControl.SC_SpinBoxUp, spin)
    assert up.width() >= 16 and up.height() >= 10
    before = spin.value()
    qtbot.mouseClick(spin, Qt.MouseButton.LeftButton, pos=up.center())
    assert spin.value() == before + 1
    dialog.timeout.setValue(25)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert preferences.load(ctx).test_timeout == 25
    assert ctx.test_timeout == 25
    assert settings.theme_name() == "dark"
    assert theme.colors()["window"] == theme.DARK["window"]
    theme.apply(qapp, "light")


def test_gcp_without_project_is_refused(qtbot, make_window, ctx):
    window = make_window()
    _action(window, "Preferences…").trigger()
    dialog = window.preferences_dialog
    dialog.backend.setCurrentIndex(dialog.backend.findData("gcp"))
    assert dialog.project.isEnabled()
    dialog.accept()
    assert "GCP Secret Manager needs a project id." in dialog.error.text()
    assert preferences.load(ctx).secret_backend == "keyring"


def test_show_logs(qtbot, make_window):
    from app.logs import setup_logging

    setup_logging()
    logging.getLogger("sluice.test").info("a line the user can read")
    window = make_window()
    _action(window, "Show logs").trigger()
    assert "a line the user can read" in window.log_dialog.text.toPlainText()


def test_a_damaged_store_is_shown_in_the_window_and_a_backup_restores_it(qtbot, isolated_home,
                                                                          tmp_path):
    import sqlite3

    from app.services.context import open_app
    from tests.integration.engine_helpers import save_connection
    from ui.main_window import MainWindow

    db = tmp_path / "shop.db"
    sqlite3.connect(db).close()
    first = open_app()
    save_connection(first, "sqlite", "Shop", {"path": str(db)})
    first.close()
    open_app().close()  # opened again: the backup now holds Shop
    store = isolated_home / "sluice.db"
    store.write_bytes(b"\x00garbage" * 1000)

    window = MainWindow(open_app, test_on_start=False, schedule=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.load_failed):
        window.load()
    problem = window.problem
    assert problem.isVisible() and not window.splitter.isVisible()
    assert problem.message.text().startswith(f"The metadata store {store} is damaged (")
    assert problem.restore.isVisible()
    assert not _action(window, "New connection…").isEnabled()
    with qtbot.waitSignal(window.loaded):
        qtbot.mouseClick(problem.restore, Qt.MouseButton.LeftButton)
    assert not problem.isVisible() and window.splitter.isVisible()
    assert [v.name for v in window.model.views()] == ["Shop"]
    assert _action(window, "New connection…").isEnabled()
    assert window.statusBar().currentMessage().startswith(
        "Restored the metadata store from the backup sluice-")
    window.close()
    window.ctx.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a file system needs root")
@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_a_read_only_or_full_store_is_shown_in_the_window(qtbot, tmp_path, monkeypatch, fault):
    from app.services.context import open_app
    from ui.main_window import MainWindow

    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], check=True)
    try:
        home = disk / "home"
        monkeypatch.setenv("SLUICE_HOME", str(home))
        open_app().close()
        if fault == "read-only":
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        else:
            with (disk / "filler").open("wb", buffering=0) as fh, pytest.raises(OSError):
                while True:
                    fh.write(b"\0" * 4096)
        window = MainWindow(open_app, test_on_start=False, schedule=False)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        with qtbot.waitSignal(window.load_failed):
            window.load()
        assert window.problem.isVisible() and not window.problem.restore.isVisible()
        said = window.problem.message.text()
        if fault == "read-only":
            assert said.startswith(f"The metadata store {home / 'sluice.db'} cannot be "
                                   f"written: its folder {home} is read-only.")
        else:
            assert said == (f"The disk holding the metadata store {home / 'sluice.db'} is "
                            "full: free some space and try again (nothing was lost).")
            (disk / "filler").unlink()
            with qtbot.waitSignal(window.loaded):
                qtbot.mouseClick(window.problem.retry, Qt.MouseButton.LeftButton)
            assert not window.problem.isVisible() and window.splitter.isVisible()
            window.ctx.close()
        window.close()
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=False)
        subprocess.run(["umount", str(disk)], check=True)


def test_help_offers_the_guide_the_keys_and_the_files(qtbot, make_window):
    from app import paths
    from app.logs import log_path

    window = make_window()
    _action(window, "User guide").trigger()
    qtbot.waitExposed(window.guide)
    text = window.guide.text.toPlainText()
    assert "Quick start" in text and "make run" in text  # the README, read offline
    window.guide.close()
    _action(window, "Keyboard shortcuts").trigger()
    table = window.shortcuts.table
    rows = {table.item(r, 1).text(): table.item(r, 0).text() for r in range(table.rowCount())}
    assert rows["New connection"] == "Ctrl+N" and rows["Quit"] == "Ctrl+Q"
    assert rows["Preferences"] == "Ctrl+,"
    assert "Enter" in rows.values() and "Delete" in rows.values()
    window.shortcuts.close()
    _action(window, "Open data folder").trigger()
    assert window.opened == paths.data_dir()
    _action(window, "Open log file").trigger()
    assert window.opened == log_path()


def test_preferences_start_at_login_and_keep_run_history(qtbot, make_window, ctx,
                                                         tmp_path):
    window = make_window()

    def open_preferences():
        _action(window, "Preferences…").trigger()
        dialog = window.preferences_dialog
        qtbot.waitExposed(dialog)
        return dialog

    def save(dialog):
        button = dialog.findChild(QDialogButtonBox).button(
            QDialogButtonBox.StandardButton.Save)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible())

    entry = tmp_path / "xdg-config" / "autostart" / "sluice.desktop"
    dialog = open_preferences()
    assert not dialog.login.isChecked()
    assert (dialog.keep_days.value(), dialog.keep_runs.value()) == (90, 1000)
    qtbot.mouseClick(dialog.login, Qt.MouseButton.LeftButton)
    dialog.keep_days.setValue(30)
    save(dialog)
    assert "--tray" in entry.read_text()
    assert preferences.load(ctx).keep_days == 30
    dialog = open_preferences()
    assert dialog.login.isChecked() and dialog.keep_days.value() == 30
    qtbot.mouseClick(dialog.login, Qt.MouseButton.LeftButton)
    save(dialog)
    assert not entry.exists()
