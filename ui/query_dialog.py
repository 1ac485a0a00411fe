"""A custom query as a job's table (step 2 of the job wizard): a name (the table it lands
in) and a read-only SELECT, checked against the live source before it is added; the check
shows the columns and types the query gives, or the server's message."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.workers import Bridge


class QueryDialog(QDialog):
    def __init__(self, ctx, source_id: str, taken: set[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.source_id, self.taken = ctx, source_id, taken
        self.setWindowTitle("Add a query as a table")
        self.resize(640, 420)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("big_orders (the table it lands in)")
        self.sql_edit = QPlainTextEdit()
        self.sql_edit.setPlaceholderText("select o.id, c.name, o.total, o.updated_at\n"
                                         "from sales.orders o join sales.customers c "
                                         "on c.id = o.customer_id\nwhere o.total > 10")
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Run it against the source and show its columns")
        self.check_button.clicked.connect(self.check)
        self.result = QLabel("Check the query to add it.")
        self.result.setWordWrap(True)
        self.result.setObjectName("status")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                        QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add query")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.sql_edit, 1)
        layout.addWidget(self.check_button)
        layout.addWidget(self.result)
        layout.addWidget(self.buttons)
        self.bridge = Bridge(self, max_threads=1)
        self.checked: tuple[str, str] | None = None  # (name, sql) that passed the check
        self.name_edit.textChanged.connect(self._edited)
        self.sql_edit.textChanged.connect(self._edited)
        self._edited()

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    @property
    def sql(self) -> str:
        return self.sql_edit.toPlainText().strip()

    def _edited(self) -> None:
        ok = self.checked == (self.name, self.sql)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        self.check_button.setEnabled(bool(self.name and self.sql))

    def check(self) -> None:
        from app.services.jobs import JobService

        name, sql = self.name, self.sql
        if name in self.taken:
            theme.set_tone(self.result, "error", f"The job has a table named {name!r} "
                                                 "already; choose another name.")
            return
        theme.set_tone(self.result, "busy", "Running the query against the source…")
        self.check_button.setEnabled(False)
        jobs = JobService(self.ctx)
        source = self.source_id

        def done(shapes) -> None:
            shape = shapes[name]
            self.checked = (name, sql)
            columns = ", ".join(f"{c.name} ({c.type})" for c in shape.columns)
            theme.set_tone(self.result, "ok", f"Columns: {columns}")
            self._edited()

        def failed(exc: BaseException) -> None:
            self.checked = None
            theme.set_tone(self.result, "failed", str(exc))
            self._edited()
        self.bridge.submit(self, lambda cancel: jobs.describe(source, [(None, name)], cancel,
                                                              {name: sql}),
                           cancellable=True, on_done=done, on_error=failed)
