"""Preferences: where secrets go, how long a connection test may take, how long run
records are kept, starting at login (into the tray), the theme."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import autostart
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
        self.keep_days = QSpinBox()
        self.keep_days.setRange(*preferences.KEEP_DAYS_RANGE)
        self.keep_days.setSuffix(" days")
        self.keep_days.setValue(prefs.keep_days)
        self.keep_runs = QSpinBox()
        self.keep_runs.setRange(*preferences.KEEP_RUNS_RANGE)
        self.keep_runs.setSuffix(" runs a job")
        self.keep_runs.setGroupSeparatorShown(True)
        self.keep_runs.setValue(prefs.keep_runs)
        keep = QWidget()
        keep_row = QHBoxLayout(keep)
        keep_row.setContentsMargins(0, 0, 0, 0)
        keep_row.addWidget(self.keep_days)
        keep_row.addWidget(QLabel("or"))
        keep_row.addWidget(self.keep_runs)
        keep_row.addStretch(1)
        keep.setToolTip("A run record goes once it is older than the days and not among its "
                        "job's newest runs (whichever keeps more). Pruned at start-up.")
        self.login = QCheckBox("Start Sluice at login, in the tray")
        self.login.setToolTip("Scheduled jobs then run from the moment you log in, with no "
                              "window open.")
        self.login.setChecked(autostart.enabled())
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
        form.addRow("Keep run history", keep)
        form.addRow("", self.login)
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
        prefs.keep_days, prefs.keep_runs = self.keep_days.value(), self.keep_runs.value()
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
        try:
            if self.login.isChecked() != autostart.enabled():
                (autostart.enable if self.login.isChecked() else autostart.disable)()
        except OSError as exc:
            self.error = dialogs.message(self, "Start at login not changed",
                                         f"{autostart.entry_path()}: {exc.strerror or exc}")
            return
        settings.set_theme_name(self.theme.currentData())
        QDialog.accept(self)
