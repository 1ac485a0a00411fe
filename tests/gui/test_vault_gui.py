"""A machine without a secure keyring: the encrypted vault is set up, unlocked, locked
and given a new master password from the app itself, never a dead end."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from app.services import preferences, vault
from app.services.connections import ConnectionService, Draft
from tests.gui.helpers import LEFT, choose_type, dot_color, fill, open_wizard, save_button
from ui import theme

MASTER = "correct horse battery staple"


@pytest.fixture
def no_keyring(monkeypatch):
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()


def _secret_ref(ctx) -> str:
    """Where the one saved connection's password is kept (the store holds only this)."""
    from app.store.models import Connection

    with ctx.store.session() as s:
        return s.query(Connection).one().secret_ref


def _type(qtbot, field, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)


def _press(qtbot, dialog) -> None:
    """Click the dialog's action and wait for its step (the key is derived on a thread of
    its own)."""
    qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.Ok), LEFT)
    qtbot.waitUntil(lambda: not dialog.working, timeout=10_000)


def test_the_first_password_saved_without_a_keyring_sets_up_the_vault(
        qtbot, make_window, ctx, mariadb_db, no_keyring):
    window = make_window()
    wizard = open_wizard(qtbot, window)
    page = choose_type(qtbot, wizard, "mariadb")
    fill(qtbot, page, host=mariadb_db.host, port=mariadb_db.port,
         database=mariadb_db.database, user=mariadb_db.user, password=mariadb_db.password)
    qtbot.mouseClick(page.test_button, LEFT)
    dialog = page.vault_dialog  # offered at once, instead of a refusal
    qtbot.waitExposed(dialog)
    assert dialog.intro.text().startswith("This computer has no secure keyring")
    assert dialog.ok.text() == "Set up vault"
    _type(qtbot, dialog.password, "short")
    assert dialog.strength.text() == "Too short: at least 8 characters."
    _type(qtbot, dialog.again, "shorter")
    _press(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.error.text() == "The master password needs at least 8 characters."
    _type(qtbot, dialog.password, MASTER)
    assert dialog.strength.text() == "Strong."
    _type(qtbot, dialog.again, MASTER + "!")
    _press(qtbot, dialog)
    assert dialog.error.text() == "The two passwords differ."
    _type(qtbot, dialog.again, MASTER)
    _press(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    # The test that was asked for runs now, and the connection saves into the vault.
    qtbot.waitUntil(lambda: page.task is None and page.proof is not None, timeout=20_000)
    assert page.status.property("tone") == "ok", page.status.text()
    qtbot.mouseClick(save_button(wizard), LEFT)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    assert preferences.load(ctx).secret_backend == "vault"
    assert _secret_ref(ctx).startswith("vault:")
    assert MASTER not in ctx.vault_path.read_text()
    assert mariadb_db.password not in ctx.vault_path.read_text()


def _vault_with_a_connection(ctx, mariadb_db) -> str:
    """A vault holding one connection's password, as a previous session left it."""
    vault.set_up(ctx, MASTER, MASTER)
    service = ConnectionService(ctx)
    draft = Draft("mariadb", "maria", mariadb_db.params(password=mariadb_db.password))
    service.create(draft, service.test(draft))
    vault.lock(ctx)  # the app was closed
    return "maria"


def test_a_wrong_master_password_says_so_and_asks_again(qtbot, make_window, ctx,
                                                       mariadb_db, no_keyring):
    name = _vault_with_a_connection(ctx, mariadb_db)
    window = make_window(test_on_start=True)
    dialog = window.vault_dialog  # asked for at start, before the connections are tested
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "Unlock the vault"
    _type(qtbot, dialog.current, "not it")
    _press(qtbot, dialog)
    assert dialog.isVisible() and dialog.error.text() == "Wrong master password. Try again."
    assert dialog.current.text() == ""
    _type(qtbot, dialog.current, MASTER)
    assert dialog.error.isHidden()  # typing again clears the error
    _press(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.waitUntil(lambda: dot_color(window, name) == theme.DOT["ok"], timeout=20_000)


def test_lock_and_change_the_master_password_from_the_file_menu(qtbot, make_window, ctx,
                                                                mariadb_db, no_keyring):
    _vault_with_a_connection(ctx, mariadb_db)
    vault.unlock(ctx, MASTER)
    window = make_window()
    window.file_menu.aboutToShow.emit()
    assert window.lock_action.isVisible() and window.lock_action.text() == "Lock vault"
    window.change_password_action.trigger()
    dialog = window.vault_dialog
    qtbot.waitExposed(dialog)
    _type(qtbot, dialog.current, MASTER)
    _type(qtbot, dialog.password, "a new and longer master password")
    _type(qtbot, dialog.again, "a new and longer master password")
    _press(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert window.statusBar().currentMessage() == "The vault's master password was changed."
    window.lock_action.trigger()
    assert vault.state(ctx) == "locked"
    window.file_menu.aboutToShow.emit()
    assert window.lock_action.text() == "Unlock vault…"
    assert not window.change_password_action.isVisible()
    # The old password no longer opens it; the new one does, and the secret is there.
    with pytest.raises(Exception, match="Wrong master password"):
        vault.unlock(ctx, MASTER)
    vault.unlock(ctx, "a new and longer master password")
    assert ctx.secrets.get(_secret_ref(ctx)) == {"password": mariadb_db.password}


def test_choosing_the_vault_in_preferences_sets_it_up_there(qtbot, make_window, ctx,
                                                            no_keyring):
    window = make_window()
    window.show_preferences()
    prefs = window.preferences_dialog
    qtbot.waitExposed(prefs)
    qtbot.waitUntil(prefs.note.isVisible)  # asked of the keyring off the GUI thread
    assert prefs.note.text().startswith("This computer has no secure keyring.")
    prefs.backend.setCurrentIndex(prefs.backend.findData("vault"))
    assert not prefs.note.isVisible()  # resolved by the choice
    prefs.accept()
    dialog = prefs.vault_dialog
    qtbot.waitExposed(dialog)
    assert dialog.ok.text() == "Set up vault"
    _type(qtbot, dialog.password, MASTER)
    _type(qtbot, dialog.again, MASTER)
    _press(qtbot, dialog)
    import shiboken6

    # Saved and closed (and, being deleted on close, maybe gone already).
    qtbot.waitUntil(lambda: not shiboken6.isValid(prefs) or not prefs.isVisible())
    assert preferences.load(ctx).secret_backend == "vault"
    assert vault.state(ctx) == "unlocked"
