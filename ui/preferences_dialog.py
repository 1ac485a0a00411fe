"""Preferences: where secrets go, how long a connection test may take, the theme."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.services import preferences
from app.services.context import AppContext
from app.services.errors import ValidationError
from ui import dialogs, settings
from ui.settings import THEMES

BACKENDS = {"keyring": "OS keyring", "vault": "Encrypted local vault (master password)",
            "gcp": "GCP Secret Manager"}


class PreferencesDialog(QDialog):
    def __init__(self, ctx: AppContext, keyring_note: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(520)
        prefs = preferences.load(ctx)
        form = QFormLayout()
        self.backend = QComboBox()
        for key, label in BACKENDS.items():
            self.backend.addItem(label, key)
        self.backend.setCurrentIndex(list(BACKENDS).index(prefs.secret_backend))
        self.project = QLineEdit(prefs.gcp_project or "")
        self.project.setPlaceholderText("GCP project id")
        self.backend.currentIndexChanged.connect(self._backend_changed)
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(*preferences.TIMEOUT_RANGE)
        self.timeout.setSuffix(" s")
        self.timeout.setDecimals(0)
        self.timeout.setValue(prefs.test_timeout)
        self.theme = QComboBox()
        for key, label in THEMES.items():
            self.theme.addItem(label, key)
        self.theme.setCurrentIndex(list(THEMES).index(settings.theme_name()))
        form.addRow("Keep passwords in", self.backend)
        form.addRow("GCP project", self.project)
        self.note = QLabel(keyring_note or "")
        self.note.setObjectName("muted")
        self.note.setWordWrap(True)
        self.note.setVisible(bool(keyring_note))
        form.addRow("", self.note)
        form.addRow("Connection test timeout", self.timeout)
        form.addRow("Theme", self.theme)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._backend_changed()

    def set_note(self, text: str | None) -> None:
        """What is wrong with the keyring (None: nothing), shown while it is the choice."""
        self.note.setText(text or "")
        self._backend_changed()

    def _backend_changed(self) -> None:
        self.project.setEnabled(self.backend.currentData() == "gcp")
        # What is wrong with the keyring matters only while it is the choice.
        self.note.setVisible(bool(self.note.text()) and self.backend.currentData() == "keyring")

    def chosen(self) -> preferences.Preferences:
        prefs = preferences.load(self.ctx)
        prefs.secret_backend = self.backend.currentData()
        prefs.gcp_project = self.project.text().strip() or None
        prefs.test_timeout = self.timeout.value()
        return prefs

    def accept(self) -> None:
        from app.services import vault

        if self.chosen().secret_backend == "vault" and vault.state(self.ctx) != "unlocked":
            # The vault is made, or unlocked, now: never "locked" until a restart.
            from ui.vault_dialog import VaultDialog

            mode = "set_up" if vault.state(self.ctx) == "none" else "unlock"
            self.vault_dialog = VaultDialog(self.ctx, mode, parent=self)
            self.vault_dialog.accepted.connect(self._save)
            self.vault_dialog.open()
            return
        self._save()

    def _save(self) -> None:
        try:
            preferences.save(self.ctx, self.chosen())
        except ValidationError as exc:
            self.error = dialogs.message(self, "Preferences not saved", str(exc))
            return
        settings.set_theme_name(self.theme.currentData())
        QDialog.accept(self)
