"""Managing connections in the GUI by clicking, against the real servers."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QLabel, QMessageBox, QWizard

from app.services import preferences
from app.services.connections import Draft
from app.store.models import Connection, Job, fold_name
from tests.fakes.silent import SilentServer
from tests.gui.helpers import (
    LEFT,
    active_modal,
    card_rect,
    choose_type,
    click_card_button,
    confirm,
    dot_color,
    fill,
    open_wizard,
    run_test,
    save_button,
)
from ui import theme
from ui.panels import EMPTY_CONNECTIONS
from ui.tester import THREAD_PREFIX


def test_create_a_postgres_connection_by_clicking(qtbot, make_window, pg_db):
    window = make_window()
    assert window.connections.stack.currentWidget() is window.connections.empty
    assert EMPTY_CONNECTIONS in [label.text() for label in
                                 window.connections.empty.findChildren(QLabel)]
    wizard = open_wizard(qtbot, window)
    page = choose_type(qtbot, wizard, "postgresql")
    assert page.form.inputs["port"].text() == "5432"  # the default port, pre-filled
    fill(qtbot, page, host=pg_db.host, port=pg_db.port, database=pg_db.database, user=pg_db.user)
    assert page.form.name.text() == f"PostgreSQL - {pg_db.database}"  # suggested as you type
    assert not save_button(wizard).isEnabled()
    tone, text = run_test(qtbot, page)
    assert tone == "ok", text
    assert text.startswith("✓ Connected in ") and "PostgreSQL 1" in text
    assert save_button(wizard).isEnabled()
    qtbot.mouseClick(save_button(wizard), LEFT)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    name = f"PostgreSQL - {pg_db.database}"
    assert window.statusBar().currentMessage() == f"Saved connection “{name}”."
    _, index = card_rect(window.connections, name)
    assert index.data(Qt.ItemDataRole.UserRole + 1).last_test_status == "ok"
    assert dot_color(window, name) == theme.DOT["ok"]


def test_wrong_password_is_red_and_save_stays_disabled(qtbot, make_window, mariadb_db):
    window = make_window()
    wizard = open_wizard(qtbot, window)
    page = choose_type(qtbot, wizard, "mariadb")
    fill(qtbot, page, host=mariadb_db.host, port=mariadb_db.port, database=mariadb_db.database,
         user=mariadb_db.user, password="not-the-password")
    tone, text = run_test(qtbot, page)
    assert tone == "failed"
    assert text == f"✗ Wrong user name or password for user '{mariadb_db.user}'."
    assert not save_button(wizard).isEnabled()


def test_editing_after_a_good_test_disables_save_until_tested_again(qtbot, make_window,
                                                                    mariadb_db):
    window = make_window()
    wizard = open_wizard(qtbot, window)
    page = choose_type(qtbot, wizard, "mariadb")
    fill(qtbot, page, host=mariadb_db.host, port=mariadb_db.port, database=mariadb_db.database,
         user=mariadb_db.user, password=mariadb_db.password)
    assert run_test(qtbot, page)[0] == "ok"
    assert save_button(wizard).isEnabled()
    qtbot.keyClicks(page.form.inputs["database"], "x")
    assert not save_button(wizard).isEnabled()
    assert page.status.property("tone") == "stale"
    assert page.status.text() == "Changed since the last test — test again to save."
    qtbot.keyClick(page.form.inputs["database"], Qt.Key.Key_Backspace)  # back to the tested value
    assert save_button(wizard).isEnabled()


def test_duplicate_name_is_refused_with_a_message_naming_the_existing_one(
        qtbot, make_window, service, pg_db, tmp_path):
    draft = Draft("postgresql", "Sales", pg_db.params())
    service.create(draft, service.test(draft))
    window = make_window()
    (tmp_path / "a.csv").write_text("id\n1\n")
    wizard = open_wizard(qtbot, window)
    page = choose_type(qtbot, wizard, "csv")
    fill(qtbot, page, path=str(tmp_path), name="SALES")
    # Flagged beside the field as it is typed...
    assert page.form.errors["name"].text() == ("A connection named 'Sales' already exists "
                                               "(names are compared ignoring case).")
    assert page.form.errors["name"].isVisible()
    qtbot.mouseClick(page.test_button, LEFT)  # ...and refused with the details on Test
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    box = active_modal()
    assert box.text() == ("A connection named 'Sales' already exists "
                          "(names are compared ignoring case).")
    details = box.informativeText()
    assert "<b>Name:</b> Sales" in details and f"<b>Host:</b> {pg_db.host}" in details
    assert f"<b>Database:</b> {pg_db.database}" in details
    assert f"<b>User:</b> {pg_db.user}" in details
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not box.isVisible())
    assert page.task is None and not save_button(wizard).isEnabled()


def test_invalid_port_is_shown_beside_the_field(qtbot, make_window):
    window = make_window()
    page = choose_type(qtbot, open_wizard(qtbot, window), "postgresql")
    fill(qtbot, page, host="db", port="99999", database="d", user="u")
    qtbot.mouseClick(page.test_button, LEFT)
    assert page.form.errors["port"].text() == "Port must be between 1 and 65535."
    assert page.form.errors["port"].isVisible()
    assert page.task is None


def _job(ctx, name, conn_id):
    with ctx.store.session() as s:
        s.add(Job(name=name, name_key=fold_name(name), source_connection_id=conn_id,
                  tables=[]))


def test_delete_of_a_used_connection_is_refused_and_lists_the_jobs(qtbot, make_window, ctx,
                                                                   service, pg_db):
    draft = Draft("postgresql", "Used one", pg_db.params())
    view = service.create(draft, service.test(draft))
    _job(ctx, "nightly orders", view.id)
    window = make_window()
    click_card_button(qtbot, window.connections, "Used one", "delete")
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    box = active_modal()
    assert box.text() == ("Connection 'Used one' is used by 1 job: 'nightly orders'. "
                          "Delete or change those jobs first.")
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert [v.name for v in service.list()] == ["Used one"]


def test_delete_asks_first_then_removes_the_card(qtbot, make_window, service, tmp_path):
    (tmp_path / "t.csv").write_text("a\n1\n")
    draft = Draft("csv", "Scratch", {"path": str(tmp_path)})
    service.create(draft, service.test(draft))
    window = make_window()
    click_card_button(qtbot, window.connections, "Scratch", "delete")
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    assert active_modal().text() == "Delete the connection “Scratch” and its saved password?"
    confirm(qtbot, "Delete")
    qtbot.waitUntil(lambda: window.model.rowCount() == 0)
    assert service.list() == []
    assert window.connections.stack.currentWidget() is window.connections.empty


def test_edit_opens_prefilled_at_step_two_and_needs_a_fresh_test(qtbot, make_window, ctx,
                                                                 service, mariadb_db):
    draft = Draft("mariadb", "Maria", mariadb_db.params(password=mariadb_db.password))
    view = service.create(draft, service.test(draft))
    _job(ctx, "copy", view.id)
    window = make_window()
    click_card_button(qtbot, window.connections, "Maria", "edit")
    wizard = window.wizard
    qtbot.waitExposed(wizard)
    page = wizard.details
    assert wizard.currentId() == 1
    assert page.form.inputs["host"].text() == mariadb_db.host
    assert page.form.inputs["password"].text() == ""  # empty means unchanged
    assert page.used_by.text().startswith("Used by 1 job: copy.")
    assert not save_button(wizard).isEnabled()
    fill(qtbot, page, name="Maria renamed")
    assert run_test(qtbot, page)[0] == "ok"  # tested with the saved password
    qtbot.mouseClick(save_button(wizard), LEFT)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    assert [v.name for v in service.list()] == ["Maria renamed"]


def test_cancel_works_during_a_test(qtbot, make_window):
    silent = SilentServer()
    try:
        window = make_window()
        wizard = open_wizard(qtbot, window)
        page = choose_type(qtbot, wizard, "postgresql")
        fill(qtbot, page, host="127.0.0.1", port=silent.port, database="d", user="u")
        qtbot.mouseClick(page.test_button, LEFT)
        assert page.cancel_button.isVisible() and page.spinner.isVisible()
        assert silent.accepted.wait(10)
        qtbot.mouseClick(page.cancel_button, LEFT)
        assert page.status.text() == "Test cancelled." and page.test_button.isEnabled()
        qtbot.mouseClick(page.test_button, LEFT)  # again, then Cancel the whole wizard
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.CancelButton), LEFT)
        qtbot.waitUntil(lambda: not wizard.isVisible())
        qtbot.waitUntil(lambda: not window.bridge.busy, timeout=5000)
    finally:
        silent.close()
    assert window.model.rowCount() == 0


def test_missing_driver_tile_says_so(qtbot, make_window):
    window = make_window()
    wizard = open_wizard(qtbot, window)
    for key, tile in wizard.type_page.tiles.items():
        from app.connectors.registry import get_type

        ctype = get_type(key)
        if ctype.driver.installed():
            assert tile.isEnabled() and tile.text() == ctype.label
            # A type jobs cannot read yet says so before a connection is made.
            assert ("Jobs cannot read it yet" in tile.toolTip()) == (not ctype.engine.readable)
        else:
            assert not tile.isEnabled()
            assert tile.text() == f"{ctype.label}\n" + (
                f"needs sluice[{ctype.driver.extra}]" if ctype.driver.extra
                else "driver missing")
            assert tile.toolTip() == ctype.driver.hint


def _save_raw(ctx, name, type_key, params):
    """Save a connection as an old store would hold it (e.g. a server that later hung)."""
    with ctx.store.session() as s:
        s.add(Connection(name=name, name_key=fold_name(name), type_key=type_key, params=params))


def test_refresh_turns_a_hung_host_red_while_the_window_stays_responsive(
        qtbot, make_window, ctx, service, pg_db):
    prefs = preferences.load(ctx)
    prefs.test_timeout = 1.5
    preferences.save(ctx, prefs)
    draft = Draft("postgresql", "Good PG", pg_db.params())
    service.create(draft, service.test(draft))
    silent = SilentServer()
    try:
        for i in range(49):
            _save_raw(ctx, f"Hung {i:02d}", "redis",
                      {"host": "127.0.0.1", "port": silent.port, "database": i})
        window = make_window()
        # Measure the event loop: a 10 ms timer whose longest gap is the longest stall.
        clock, gaps = QElapsedTimer(), []
        clock.start()
        ticker = QTimer()
        ticker.setInterval(10)
        ticker.timeout.connect(lambda: gaps.append(clock.restart()))
        ticker.start()
        qtbot.mouseClick(window.connections.refresh_button, LEFT)
        assert window.connections.busy  # the icon turns, the dots pulse
        assert dot_color(window, "Good PG") != theme.DOT["unknown"]
        qtbot.waitUntil(lambda: not window.tester.busy, timeout=30_000)
        ticker.stop()
    finally:
        silent.close()
    views = {v.name: v for v in service.list()}
    assert views["Good PG"].last_test_status == "ok"
    assert all(views[f"Hung {i:02d}"].last_test_status == "failed" for i in range(49))
    assert dot_color(window, "Hung 00") == theme.DOT["failed"]
    assert dot_color(window, "Good PG") == theme.DOT["ok"]
    assert max(gaps) < 250, f"event loop stalled {max(gaps)} ms"


def test_closing_while_tests_run_leaves_no_worker_behind(qtbot, make_window, ctx):
    silent = SilentServer()
    try:
        for i in range(20):
            _save_raw(ctx, f"Slow {i}", "redis", {"host": "127.0.0.1", "port": silent.port,
                                                   "database": i})
        window = make_window(test_on_start=True)
        qtbot.waitUntil(lambda: window.tester.busy)
        assert silent.accepted.wait(10)
        window.close()
        assert window.bridge.pool.activeThreadCount() == 0
        assert not [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]
    finally:
        silent.close()
    # Cancelled tests say nothing about the sources: their status is unchanged.
    with ctx.store.session() as s:
        assert {r.last_test_status for r in s.query(Connection).all()} == {"unknown"}


def test_filter_long_names_and_jobs_column(qtbot, make_window, ctx):
    long_name = "Quarterly revenue reconciliation warehouse for the EMEA finance team " * 1
    _save_raw(ctx, long_name.strip(), "csv", {"path": "/data/finance"})
    _save_raw(ctx, "Orders", "sqlite", {"path": "/data/orders.db"})
    window = make_window()
    assert window.model.rowCount() == 2
    qtbot.keyClicks(window.connections.filter, "sqlite")
    assert window.connections.proxy.rowCount() == 1
    window.connections.filter.clear()
    qtbot.keyClicks(window.connections.filter, "nothing like this")
    assert window.connections.stack.currentWidget() is window.connections.no_matches
    window.connections.filter.clear()
    _, index = card_rect(window.connections, long_name.strip())
    assert long_name.strip() in index.data(Qt.ItemDataRole.ToolTipRole)
    assert window.jobs.add_button.isEnabled()


def test_window_size_and_splitter_are_remembered(qtbot, make_window):
    window = make_window()
    window.resize(780, 560)  # within the offscreen platform's 800 x 600 screen
    window.splitter.setSizes([300, 456])
    sizes = window.splitter.sizes()
    window.close()
    again = make_window()
    assert (again.size().width(), again.size().height()) == (780, 560)
    assert again.splitter.sizes() == sizes


def test_duplicate_credentials_offer_to_open_the_existing_connection(qtbot, make_window,
                                                                   service, pg_db):
    draft = Draft("postgresql", "Sales", pg_db.params())
    service.create(draft, service.test(draft))
    window = make_window()
    wizard = open_wizard(qtbot, window)
    page = choose_type(qtbot, wizard, "postgresql")
    fill(qtbot, page, host=pg_db.host, port=pg_db.port, database=pg_db.database,
         user=pg_db.user, name="Sales again")
    qtbot.mouseClick(page.test_button, LEFT)
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox))
    box = active_modal()
    assert box.text().startswith("Connection 'Sales' already uses these credentials")
    opener = next(b for b in box.buttons() if b.text() == "Open the existing connection")
    qtbot.mouseClick(opener, LEFT)
    qtbot.waitUntil(lambda: window.wizard is not wizard and window.wizard.isVisible())
    assert window.wizard.details.form.name.text() == "Sales"  # the saved one, to edit
    assert not wizard.isVisible()


def test_the_banner_follows_the_fields_and_a_revert_brings_the_test_back(
        qtbot, make_window, mariadb_db):
    window = make_window()
    wizard = open_wizard(qtbot, window)
    page = choose_type(qtbot, wizard, "mariadb")
    fill(qtbot, page, host=mariadb_db.host, port=mariadb_db.port,
         database=mariadb_db.database, user=mariadb_db.user, password="wrong")
    tone, text = run_test(qtbot, page)
    assert tone == "failed"
    fill(qtbot, page, password=mariadb_db.password)
    assert page.status.isHidden()  # a failure of other values is not shown as current
    tone, _ = run_test(qtbot, page)
    assert tone == "ok" and save_button(wizard).isEnabled()
    fill(qtbot, page, database="other")
    assert page.status.property("tone") == "stale" and not save_button(wizard).isEnabled()
    fill(qtbot, page, database=mariadb_db.database)  # back to what was tested
    assert page.status.property("tone") == "ok"
    assert page.status.text().startswith("✓ Connected in ")
    assert save_button(wizard).isEnabled()


def _paste(qtbot, field, text: str) -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.clipboard().setText(text)
    field.setFocus()
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def test_a_pasted_url_fills_the_postgresql_form(qtbot, make_window, pg_db):
    window = make_window()
    wizard = open_wizard(qtbot, window)
    page = choose_type(qtbot, wizard, "postgresql")
    _paste(qtbot, page.form.url, "mysql://nobody@nowhere/x")
    assert page.form.errors["url"].text().startswith("A postgresql URL starts with")
    _paste(qtbot, page.form.url, f"postgresql://{pg_db.user}@{pg_db.host}:{pg_db.port}/"
                                 f"{pg_db.database}?sslmode=disable")
    assert page.form.errors["url"].isHidden()
    values = page.form.values()
    assert (values["host"], values["port"], values["database"], values["user"],
            values["sslmode"]) == (pg_db.host, str(pg_db.port), pg_db.database, pg_db.user,
                                   "disable")
    tone, text = run_test(qtbot, page)
    assert tone == "ok", text


@pytest.mark.parametrize("type_key, scheme", [("mariadb", "mariadb"), ("mysql", "mysql")])
def test_a_pasted_url_fills_the_mysql_and_mariadb_forms(qtbot, make_window, mariadb_db,
                                                       type_key, scheme):
    from urllib.parse import quote

    window = make_window()
    wizard = open_wizard(qtbot, window)
    page = choose_type(qtbot, wizard, type_key)
    _paste(qtbot, page.form.url, f"{scheme}://{mariadb_db.user}:"
                                 f"{quote(mariadb_db.password, safe='')}@{mariadb_db.host}:"
                                 f"{mariadb_db.port}/{mariadb_db.database}")
    tone, text = run_test(qtbot, page)
    assert tone == "ok", text
    assert page.form.values()["password"] == mariadb_db.password
