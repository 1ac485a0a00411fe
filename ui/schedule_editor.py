"""Pick when a job runs: manual, every N minutes/hours, daily at a time, or cron, in an
IANA time zone, with the next five run times previewed (or why the schedule is wrong)."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QGridLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QStackedWidget,
    QTimeEdit,
    QWidget,
)

from app.scheduling.schedule import Schedule, ScheduleError, local_timezone, timezones, when

# (label, kind, unit): the choices of the first combo box.
CHOICES = [("Manual (Run button only)", "manual", ""), ("Every N minutes", "interval", "m"),
           ("Every N hours", "interval", "h"), ("Daily at", "daily", ""),
           ("Cron expression", "cron", "")]


class ScheduleEditor(QWidget):
    """Signals:
        changed(): any part of the schedule changed (the preview is already updated).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        self.kind.setObjectName("scheduleKind")
        for label, *_ in CHOICES:
            self.kind.addItem(label)
        self.minutes = QSpinBox(minimum=1, maximum=1440, value=15, suffix=" min")
        self.hours = QSpinBox(minimum=1, maximum=168, value=1, suffix=" h")
        self.time = QTimeEdit(QTime(6, 0))
        self.time.setDisplayFormat("HH:mm")
        self.cron = QLineEdit()
        self.cron.setObjectName("cron")
        self.cron.setPlaceholderText("minute hour day month weekday, e.g. 0 6 * * 1-5")
        self.value = QStackedWidget()
        for widget in (QWidget(), self.minutes, self.hours, self.time, self.cron):
            self.value.addWidget(widget)
        self.zone = QComboBox()
        self.zone.setObjectName("timezone")
        self.zone.setEditable(True)
        self.zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.zone.addItems(timezones())
        completer = QCompleter(QStringListModel(timezones(), self), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.zone.setCompleter(completer)
        self.zone.setCurrentText(local_timezone())
        self.zone.setMinimumWidth(190)
        self.preview = QLabel()
        self.preview.setObjectName("schedulePreview")
        self.preview.setWordWrap(True)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.kind, 0, 0)
        grid.addWidget(self.value, 0, 1)
        zone_label = QLabel("Time zone")
        zone_label.setBuddy(self.zone)
        grid.addWidget(zone_label, 0, 2)
        grid.addWidget(self.zone, 0, 3)
        grid.setColumnStretch(1, 1)
        grid.addWidget(self.preview, 1, 0, 1, 4)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        for signal in (self.minutes.valueChanged, self.hours.valueChanged,
                       self.time.timeChanged, self.cron.textChanged,
                       self.zone.currentTextChanged):
            signal.connect(self._update)
        self._kind_changed(0)

    def focus_chain(self) -> list[QWidget]:
        """The editor's fields in Tab order: kind, its value (the one shown), zone."""
        return [self.kind, self.minutes, self.hours, self.time, self.cron, self.zone]

    def _kind_changed(self, index: int) -> None:
        self.value.setCurrentIndex(index)
        self.value.setVisible(index != 0)
        self._update()

    def schedule(self) -> Schedule:
        _, kind, unit = CHOICES[self.kind.currentIndex()]
        zone = self.zone.currentText().strip()
        if kind == "interval":
            spin = self.minutes if unit == "m" else self.hours
            return Schedule(kind, f"{spin.value()}{unit}", zone)
        if kind == "daily":
            return Schedule(kind, self.time.time().toString("HH:mm"), zone)
        if kind == "cron":
            return Schedule(kind, self.cron.text().strip(), zone)
        return Schedule("manual", None, zone)

    def set_schedule(self, schedule: Schedule) -> None:
        expr = schedule.expr or ""
        index = 0
        if schedule.kind == "interval" and expr[:-1].isdigit():
            index = 1 if expr.endswith("m") else 2
            (self.minutes if index == 1 else self.hours).setValue(int(expr[:-1]))
        elif schedule.kind == "daily":
            index = 3
            self.time.setTime(QTime.fromString(expr.zfill(5), "HH:mm"))
        elif schedule.kind == "cron":
            index = 4
            self.cron.setText(expr)
        self.zone.setCurrentText(schedule.timezone)
        self.kind.setCurrentIndex(index)
        self._update()

    def error(self) -> str | None:
        """Why the schedule cannot be used, or None."""
        try:
            self.schedule().check()
        except ScheduleError as exc:
            return str(exc)
        return None

    def _update(self) -> None:
        schedule = self.schedule()
        problem = self.error()
        if schedule.kind == "cron" and not self.cron.text().strip():
            # Nothing typed yet: how to, not an error.
            text, tone = ("Five fields: minute hour day-of-month month weekday — "
                          "for example 0 6 * * 1-5 (06:00, Monday through Friday)."), ""
        elif problem:
            text, tone = problem, "failed"
        elif schedule.kind == "manual":
            text, tone = "Runs only when you press Run (or from the command line).", ""
        else:
            runs = schedule.next_runs(5)
            # A date never breaks across lines (non-breaking spaces inside each).
            text = f"{schedule.describe()}. Next: " + \
                " · ".join(when(r, schedule.timezone).replace(" ", "\u00a0") for r in runs)
            tone = ""
        self.preview.setText(text)
        self.preview.setProperty("tone", tone)
        self.preview.style().unpolish(self.preview)
        self.preview.style().polish(self.preview)
        self.changed.emit()
