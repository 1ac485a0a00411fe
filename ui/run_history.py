"""A job's run history: a table of runs, the log of the selected run, and a trend chart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.words import plural
from ui import theme

if TYPE_CHECKING:
    from app.services.jobs import JobService, RunView

COLUMNS = ("Started", "Duration", "Status", "Rows read", "Rows written", "Cursor before",
           "Cursor after", "Trigger")
CHART_RUNS = 20


NOTHING = "—"  # shown where there is no value (never "None")


def _cursor(value: dict | None) -> str:
    return ", ".join(NOTHING if v is None else f"{v}" for v in value.values()) if value \
        else NOTHING


class TrendChart(QWidget):
    """Rows written per run as bars, duration as a line, oldest run on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunView] = []
        self.setMinimumHeight(120)

    def set_runs(self, runs: list[RunView]) -> None:
        self.runs = list(reversed(runs[:CHART_RUNS]))
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        c = theme.colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rows_label, secs_label = self.labels()
        metrics = painter.fontMetrics()  # the scale labels get the room their text needs
        left = metrics.horizontalAdvance(rows_label) + 8
        right = metrics.horizontalAdvance(secs_label) + 8
        area = QRectF(self.rect()).adjusted(left, 10, -right, -22)
        painter.setPen(QColor(c["muted"]))
        painter.drawText(self.rect().adjusted(4, 0, 0, 0), Qt.AlignmentFlag.AlignBottom,
                         "rows per run (bars) · duration (line)")
        if not self.runs:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "No runs yet")
            return
        top_rows = max(1, max(r.rows_written for r in self.runs))
        top_secs = max(0.001, max(r.seconds or 0 for r in self.runs))
        step = area.width() / len(self.runs)
        points = []
        for i, run in enumerate(self.runs):
            height = area.height() * run.rows_written / top_rows
            bar = QRectF(area.left() + i * step + step * 0.2, area.bottom() - height,
                         step * 0.6, height)
            color = {"succeeded": c["accent"], "failed": c["red"],
                     "interrupted": c["red"]}.get(run.status, c["amber"])
            painter.fillRect(bar, QColor(color))
            points.append((area.left() + i * step + step / 2,
                           area.bottom() - area.height() * (run.seconds or 0) / top_secs))
        painter.setPen(QPen(QColor(c["text"]), 2))
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            painter.drawLine(int(x1), int(y1), int(x2), int(y2))
        painter.setPen(QColor(c["muted"]))
        height = metrics.height()
        painter.drawText(QRectF(0, area.top() - 4, left - 4, height),
                         Qt.AlignmentFlag.AlignRight, rows_label)
        painter.drawText(QRectF(area.right() + 4, area.top() - 4, right, height),
                         Qt.AlignmentFlag.AlignLeft, secs_label)

    def labels(self) -> tuple[str, str]:
        """The scale's labels: the most rows written, and the longest duration."""
        if not self.runs:
            return "", ""
        top_rows = max(1, max(r.rows_written for r in self.runs))
        top_secs = max(0.001, max(r.seconds or 0 for r in self.runs))
        return f"{top_rows:,}", f"{top_secs:.1f}s"


class RunHistoryDialog(QDialog):
    """Signals: preview_requested(str, object): the first rows of a table the job landed
    (job id, the table's source name; None: every table)."""

    preview_requested = Signal(str, object)

    def __init__(self, service: JobService, job_id: str, parent: QWidget | None = None,
                 run_id: str | None = None) -> None:
        super().__init__(parent)
        self.service, self.job_id = service, job_id
        job = service.get(job_id)
        self.preview_button = QPushButton("Preview")
        self.preview_button.setToolTip("The first rows of a table the job landed")
        menu = QMenu(self.preview_button)
        menu.addAction("Every table", lambda: self.preview_requested.emit(job_id, None))
        for spec, where in zip(job.tables, service.landings(job), strict=True):
            menu.addAction(f"{where}  (from {spec.source_name})",
                           lambda t=spec.source_name: self.preview_requested.emit(job_id, t))
        self.preview_button.setMenu(menu)
        self.setWindowTitle(f"Runs of {job.name}")
        self.resize(900, 620)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._show_log)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.chart = TrendChart()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.chart)
        split.addWidget(self.table)
        split.addWidget(self.log)
        split.setSizes([140, 260, 160])
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.reload)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(refresh)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self.reload()
        shown = [i for i, run in enumerate(self.runs) if run.id == run_id]
        if shown:
            self.table.selectRow(shown[0])

    def reload(self) -> None:
        self.runs = self.service.runs(self.job_id)
        self.table.setRowCount(len(self.runs))
        for row, run in enumerate(self.runs):
            values = (f"{run.started_at:%Y-%m-%d %H:%M:%S}" if run.started_at else NOTHING,
                      f"{run.seconds:.1f} s" if run.seconds is not None else NOTHING,
                      run.status, f"{run.rows_read:,}", f"{run.rows_written:,}",
                      _cursor(run.cursor_before), _cursor(run.cursor_after), run.trigger)
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col in (3, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                          Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.chart.set_runs(self.runs)
        ok = sum(r.status == "succeeded" for r in self.runs)
        self.summary.setText(f"{plural(len(self.runs), 'run')}, {ok:,} succeeded")
        if self.runs:
            self.table.selectRow(0)

    def _show_log(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        run = self.runs[rows[0].row()] if rows else None
        if run is None:
            self.log.setPlainText("")
            return
        outcomes = "\n".join(_outcome(t) for t in run.tables)
        self.log.setPlainText((f"Tables:\n{outcomes}\n\n" if outcomes else "") +
                              (run.log or "(no log)"))


MARKS = {"succeeded": "✓", "failed": "✗", "cancelled": "–", "interrupted": "✗",
         "running": "…", "not run": "·"}


def _outcome(table: dict) -> str:
    """One table's outcome in a run, as a line of the log panel."""
    status, rows = table["status"], table.get("rows") or 0
    said = f"{rows:,} row{'s' if rows != 1 else ''}" if status == "succeeded" else status
    if table.get("error"):
        said += f": {table['error']}"
    return f"  {MARKS.get(status, '?')} {table['table']} — {said}"
