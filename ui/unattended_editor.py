"""The job wizard's "With nobody watching" settings: retries of a failure that looks
transient, how late a missed scheduled run may still start, and a webhook to report to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from app.services.jobs import JobView, Unattended


class UnattendedEditor(QWidget):
    """Signals:
        changed(): a value changed.
    """

    changed = Signal()

    def __init__(self, editing: JobView | None = None) -> None:
        super().__init__()
        from app.services.jobs import Unattended
        from app.vocabulary import MAX_RETRIES

        now = editing.unattended if editing else Unattended()
        self.had_webhook = bool(editing and editing.has_webhook)
        self.removing = False
        self.retries = QSpinBox()
        self.retries.setObjectName("retries")
        self.retries.setRange(0, MAX_RETRIES)
        self.retries.setSpecialValueText("never")
        self.retries.setSuffix(" times")
        self.retries.setValue(now.retries)
        self.retries.setToolTip("Only failures that look transient are tried again (a "
                                "refused or dropped connection, a timeout, a deadlock); the "
                                "waits double from 10 s.")
        self.grace = QSpinBox()
        self.grace.setObjectName("missedGrace")
        self.grace.setRange(0, 7 * 24 * 60)
        self.grace.setSpecialValueText("never")
        self.grace.setSuffix(" min late")
        self.grace.setValue(now.missed_grace_seconds // 60)
        self.grace.setToolTip("A run missed while the computer was off or asleep starts once "
                              "when Sluice is back, if no later than this; otherwise History "
                              "shows it as skipped.")
        self.webhook = QLineEdit()
        self.webhook.setObjectName("webhook")
        self.webhook.setAccessibleName("Webhook URL")
        self.webhook.setToolTip("Failed and skipped runs are POSTed here as JSON (Slack "
                                "shows them as is). Kept with the passwords, not in the "
                                "store.")
        self.remove = QPushButton("Remove")
        self.remove.setObjectName("removeWebhook")
        self.remove.setVisible(self.had_webhook)
        self.remove.clicked.connect(self._toggle_remove)
        self.on_success = QCheckBox("on success too")
        self.on_success.setToolTip("Failed and skipped runs are always reported to the "
                                   "webhook; tick to report successful ones too.")
        self.on_success.setChecked(now.notify_success)
        self._placeholder()
        for signal in (self.retries.valueChanged, self.grace.valueChanged,
                       self.webhook.textChanged, self.on_success.toggled):
            signal.connect(self.changed)

        for box in (self.retries, self.grace):
            box.setMinimumWidth(box.sizeHint().width() + 24)
        tries = QHBoxLayout()
        tries.addWidget(QLabel("Retry a failed run"))
        tries.addWidget(self.retries)
        tries.addSpacing(16)
        tries.addWidget(QLabel("Catch up a missed run up to"))
        tries.addWidget(self.grace)
        tries.addStretch(1)
        report = QHBoxLayout()
        report.addWidget(QLabel("Webhook"))
        report.addWidget(self.webhook, 1)
        report.addWidget(self.remove)
        report.addWidget(self.on_success)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tries)
        layout.addLayout(report)

    def focus_chain(self) -> list[QWidget]:
        return [self.retries, self.grace, self.webhook, self.remove, self.on_success]

    def _placeholder(self) -> None:
        if self.had_webhook and not self.removing:
            text = "A webhook is set; type a URL to replace it"
        else:
            text = "https://hooks.slack.com/services/… (optional)"
        self.webhook.setPlaceholderText(text)

    def _toggle_remove(self) -> None:
        self.removing = not self.removing
        self.remove.setText("Keep" if self.removing else "Remove")
        self.webhook.clear()
        self._placeholder()
        self.changed.emit()

    def value(self) -> Unattended:
        from app.services.jobs import Unattended

        return Unattended(self.retries.value(), self.grace.value() * 60,
                          self.on_success.isChecked())

    def webhook_change(self) -> str | None:
        """The URL to set, "" to remove the job's, None to keep what it has."""
        typed = self.webhook.text().strip()
        if typed:
            return typed
        return "" if self.removing else None
