"""The encrypted vault's dialogs: set it up (the password twice, with a word on its
strength), unlock it (a wrong password says so and asks again), change its password."""

from __future__ import annotations

import threading
from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.services import vault
from app.services.context import AppContext
from app.services.errors import SecretError, ValidationError
from ui import theme

Mode = Literal["set_up", "unlock", "change"]
TITLES = {"set_up": "Set up the encrypted vault", "unlock": "Unlock the vault",
          "change": "Change the master password"}
ACTIONS = {"set_up": "Set up vault", "unlock": "Unlock", "change": "Change password"}
INTROS = {
    "set_up": "Sluice will keep connection passwords in an encrypted file on this computer, "
              "locked by a master password you choose. There is no way to recover it.",
    "unlock": "Connection passwords on this computer are kept in an encrypted vault. "
              "Type its master password to unlock it for this session.",
    "change": "Every password in the vault is sealed again under the new one.",
}
NO_KEYRING = ("This computer has no secure keyring, so Sluice cannot keep this password "
              "there.\nKeep passwords in an encrypted vault on this computer instead?")


class VaultDialog(QDialog):
    finished_step = Signal(object)  # (from the worker thread) None, or the exception

    def __init__(self, ctx: AppContext, mode: Mode, intro: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.working = False
        self.finished_step.connect(self._step_done)
        self.ctx, self.mode = ctx, mode
        self.setObjectName("vaultDialog")
        self.setWindowTitle(TITLES[mode])
        self.setMinimumWidth(460)
        self.intro = QLabel(intro or INTROS[mode])
        self.intro.setWordWrap(True)
        form = QFormLayout()
        # current: the password that opens the vault; password: the one it will have.
        self.current = self._field(form, "Current master password" if mode == "change"
                                   else "Master password")
        self.password = self._field(form, "New master password") if mode == "change" \
            else self.current
        self.again = self._field(form, "Type it again") if mode != "unlock" else None
        self.strength = QLabel()
        self.strength.setObjectName("muted")
        if mode != "unlock":
            form.addRow("", self.strength)
            self.password.textChanged.connect(self._hint)
        self.error = QLabel()
        self.error.setObjectName("status")  # styled by its tone, as the wizard's status
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(ACTIONS[mode])
        self.ok.setObjectName("primary")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.current.setFocus()

    def _field(self, form: QFormLayout, name: str) -> QLineEdit:
        field = QLineEdit()
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setAccessibleName(name)
        field.textChanged.connect(self.clear_error)
        form.addRow(name, field)
        return field

    def _hint(self, text: str) -> None:
        self.strength.setText(vault.strength_hint(text) if text else "")

    def clear_error(self) -> None:
        self.error.hide()

    def say(self, text: str) -> None:
        theme.set_tone(self.error, "failed", text)
        self.error.show()

    def accept(self) -> None:
        """Carry out the mode's step on a thread of its own (deriving the key with scrypt
        takes a moment; the window keeps answering), then close or say why not."""
        if self.working:
            return
        self.working = True
        self.ok.setEnabled(False)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        current, password = self.current.text(), self.password.text()
        again = self.again.text() if self.again is not None else ""

        def step() -> None:
            try:
                if self.mode == "set_up":
                    vault.set_up(self.ctx, password, again)
                elif self.mode == "unlock":
                    vault.unlock(self.ctx, current)
                else:
                    vault.change_password(self.ctx, current, password, again)
            except (ValidationError, SecretError) as exc:
                self.finished_step.emit(exc)
            else:
                self.finished_step.emit(None)

        threading.Thread(target=step, name="sluice-vault", daemon=True).start()

    def _step_done(self, exc: Exception | None) -> None:
        self.working = False
        self.ok.setEnabled(True)
        QApplication.restoreOverrideCursor()
        if exc is None:
            super().accept()
            return
        if isinstance(exc, ValidationError):
            self.say(" ".join(exc.errors.values()))
            return
        wrong = str(exc).startswith("Wrong master password")
        self.say("Wrong master password. Try again." if wrong else str(exc))
        if wrong:
            self.current.clear()
            self.current.setFocus()
