"""Step 3 of the job wizard: destination, sync mode per table (with cursor and key pickers
fed by the source's columns), schedule, and a review of everything before it is saved."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ui import theme
from ui.connection_model import ViewRole
from ui.job_review import review_html
from ui.schedule_editor import ScheduleEditor
from ui.table_settings import (
    CURSOR,
    DELETE_CHOICES,
    DELETES,
    DEST_SCHEMA,
    DEST_TABLE,
    KEY,
    MODE,
    MODE_TIPS,
    PICK,
    SOURCE,
    settings_table,
)
from ui.unattended_editor import UnattendedEditor
from ui.workers import Bridge, Task

if TYPE_CHECKING:
    from app.services.connections import ConnectionService
    from app.services.jobs import JobDraft, JobService, JobView, TableShape, TableSpec

def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


def _name(schema: str | None, table: str) -> str:
    return f"{schema}.{table}" if schema else table


class SettingsPage(QWizardPage):
    """Step 3. `saved` holds the job once it has been created or changed."""

    def __init__(self, jobs: JobService, connections: ConnectionService, bridge: Bridge,
                 editing: JobView | None) -> None:
        super().__init__()
        from app.services.jobs import LOCAL

        self.jobs, self.connections, self.bridge, self.editing = jobs, connections, bridge, \
            editing
        self.local = LOCAL
        self.setTitle("Destination, modes and schedule")
        self.setSubTitle("Step 3 of 3 — where the tables go, how each is synced, and when.")
        self.specs: list[TableSpec] = [] if editing is None else list(editing.draft().tables)
        self.rows: list[tuple[str | None, str]] = []
        self.shapes: dict[str, TableShape] = {}
        self.task: Task | None = None
        self.saving: Task | None = None
        self.saved: JobView | None = None
        self.source_id: str | None = None
        # Tables whose destination is the user's choice (typed here, or the edited job's):
        # the naming rule fills in only the others.
        self.kept: set[tuple[str | None, str]] = set() if editing is None else {
            (t.schema, t.table) for t in editing.tables}

        self.destination = QComboBox()
        self.destination.setObjectName("destination")
        self.destination.currentIndexChanged.connect(self._destination_changed)
        self.mode_all = QComboBox()
        self.mode_all.setObjectName("modeAll")
        self.mode_all.activated.connect(self._mode_all)
        self.table = settings_table()
        self.modes_help = QLabel()
        self.modes_help.setObjectName("pageHint")
        self.modes_help.setWordWrap(True)
        self.stall = self._stall_box(editing)
        self.schedule = ScheduleEditor()
        self.schedule.changed.connect(self._refresh)
        if editing:
            self.schedule.set_schedule(editing.schedule)
        self.unattended = UnattendedEditor(editing)
        self.unattended.changed.connect(self._refresh)
        self.review = QLabel()
        self.review.setObjectName("review")
        self.review.setWordWrap(True)
        self.review.setTextFormat(Qt.TextFormat.RichText)
        self.review.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.review.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.hide()
        self._lay_out()

    def _stall_box(self, editing: JobView | None) -> QSpinBox:
        """The job's bound on a run with no rows moving, in minutes (0: never)."""
        from app.services.jobs import STALL_SECONDS

        box = QSpinBox()
        box.setObjectName("stallMinutes")
        box.setRange(0, 7 * 24 * 60)
        box.setSuffix(" min")
        box.setSpecialValueText("never")
        box.setToolTip("A frozen or unreachable server would hold a run for ever; after this "
                       "long without rows moving the run is stopped and the destination "
                       "left as it was.")
        self.stall_default = STALL_SECONDS // 60
        box.setValue(round(editing.stall_bound / 60) if editing else self.stall_default)
        box.valueChanged.connect(self._refresh)
        return box

    def _lay_out(self) -> None:
        scroll = QScrollArea()
        scroll.setObjectName("reviewScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.review)
        scroll.setFixedHeight(108)
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        top = QHBoxLayout()
        top.addWidget(QLabel("Destination"))
        top.addWidget(self.destination, 1)
        top.addSpacing(12)
        top.addWidget(QLabel("Mode for all"))
        top.addWidget(self.mode_all)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.modes_help)
        when = QHBoxLayout()
        when.addWidget(_heading("Schedule"))
        when.addStretch(1)
        when.addWidget(QLabel("Stop a run when no rows move for"))
        when.addWidget(self.stall)
        layout.addLayout(when)
        layout.addWidget(self.schedule)
        layout.addWidget(self.unattended)
        layout.addWidget(_heading("Review"))
        layout.addWidget(scroll)
        layout.addWidget(self.status)

    # --- building ------------------------------------------------------------------------

    def initializePage(self) -> None:  # noqa: N802 - Qt API
        wizard = self.wizard()
        source = wizard.source_page.source()
        if source.id != self.source_id:
            # Another source: what was chosen for the last one's tables does not apply.
            if self.task is not None:
                self.task.cancel.set()
                self.task = None
            if self.source_id is not None:
                self.specs, self.kept = [], set()
            self.shapes = {}
            self.source_id = source.id
        self.source = source
        chosen = self.destination.currentData()
        if chosen is None:
            chosen = self.editing.destination_id if self.editing and \
                self.editing.destination_id else self.local
        self.destination.blockSignals(True)
        self.destination.clear()
        self.dest_names = {}
        model = wizard.source_page.model
        for dest_id, choice, name in self.jobs.destinations(source.id):
            row = model.row_of(dest_id)  # a saved connection: its status dot
            view = model.index(row).data(ViewRole) if row >= 0 else None
            self.destination.addItem(theme.dot_icon(view.last_test_status if view else None),
                                     choice, dest_id)
            self.dest_names[dest_id] = name
        self.destination.setCurrentIndex(max(0, self.destination.findData(chosen)))
        self.destination.blockSignals(False)
        self.rows = wizard.tables_page.chosen()
        self.specs = [self._spec_for(schema, table) for schema, table in self.rows]
        self._fill_modes()
        self._place()
        self._build_rows()
        missing = [pair for pair in self.rows if _name(*pair) not in self.shapes]
        if missing:
            self._describe(missing)
        self._refresh()

    def _spec_for(self, schema: str | None, table: str) -> TableSpec:
        from app.services.jobs import TableSpec

        for spec in self.specs:
            if spec.table == table and (spec.schema is None or spec.schema == schema):
                return spec
        query = self.wizard().tables_page.queries.get(table) if schema is None else None
        return TableSpec(table=table, schema=schema, query=query)

    def _dest_id(self) -> str:
        return self.destination.currentData() or self.local

    def _place(self) -> None:
        """Fill in where each table lands by the naming rule (the service's), except the
        tables whose destination the user chose."""
        from app.services.jobs import TableSpec

        fresh = [spec if (spec.schema, spec.table) in self.kept else
                 TableSpec.from_json({**spec.to_json(), "dest_schema": None,
                                      "dest_table": None})
                 for spec in self.specs]
        placed = self.jobs.placed(self.source_id, self._dest_id(), fresh, frozenset(self.kept))
        for spec, where in zip(self.specs, placed, strict=True):
            spec.dest_schema, spec.dest_table = where.dest_schema, where.dest_table

    def _dest_facts(self) -> tuple[str | None, bool]:
        """The destination's default schema, and whether a job may name another there."""
        return self.jobs.destination_schema(self._dest_id())

    def _allowed_modes(self) -> tuple[str, ...]:
        return self.jobs.allowed_modes(self._dest_id())

    def _fill_modes(self) -> None:
        allowed = self._allowed_modes()
        for spec in self.specs:
            if spec.mode not in allowed:
                spec.mode = "replace"
        self.mode_all.clear()
        self.mode_all.addItem("—")
        self.mode_all.addItems(allowed)

    def _build_rows(self) -> None:
        allowed = self._allowed_modes()
        default_schema, has_schemas = self._dest_facts()
        self.table.setRowCount(len(self.specs))
        for row, spec in enumerate(self.specs):
            name = QLabel(spec.source_name if spec.schema else _name(*self.rows[row]))
            name.setContentsMargins(6, 0, 6, 0)
            name.setToolTip(name.text())
            self.table.setCellWidget(row, SOURCE, name)
            schema = QLineEdit(spec.dest_schema or "")
            schema.setObjectName(f"destSchema:{spec.table}")
            schema.setFrame(False)
            schema.setPlaceholderText(default_schema or ("—" if not has_schemas else ""))
            schema.setEnabled(has_schemas)
            schema.textEdited.connect(lambda text, s=spec: self._dest_schema(s, text))
            self.table.setCellWidget(row, DEST_SCHEMA, schema)
            dest = QLineEdit(spec.dest_table or spec.table)
            dest.setObjectName(f"destTable:{spec.table}")
            dest.setFrame(False)
            dest.textEdited.connect(lambda text, s=spec: self._dest_table(s, text))
            self.table.setCellWidget(row, DEST_TABLE, dest)
            mode = QComboBox()
            mode.setObjectName(f"mode:{spec.table}")
            for key in allowed:
                mode.addItem(key)
                mode.setItemData(mode.count() - 1, f"After a run, {MODE_TIPS[key]}",
                                 Qt.ItemDataRole.ToolTipRole)
            mode.setCurrentText(spec.mode)
            mode.currentTextChanged.connect(lambda text, r=row: self._mode(r, text))
            self.table.setCellWidget(row, MODE, mode)
            cursor = QComboBox()
            cursor.setObjectName(f"cursor:{spec.table}")
            cursor.setEditable(True)
            cursor.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            cursor.lineEdit().setPlaceholderText("column")
            cursor.currentTextChanged.connect(lambda text, s=spec: self._cursor(s, text))
            self.table.setCellWidget(row, CURSOR, cursor)
            key = QLineEdit(", ".join(spec.primary_key))
            key.setObjectName(f"key:{spec.table}")
            key.setFrame(False)
            key.setPlaceholderText("col, col")
            key.textEdited.connect(lambda text, s=spec: self._key(s, text))
            self.table.setCellWidget(row, KEY, key)
            deletes = QComboBox()
            deletes.setObjectName(f"deletes:{spec.table}")
            for label, value, tip in DELETE_CHOICES:
                deletes.addItem(label, value)
                deletes.setItemData(deletes.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
            deletes.setCurrentIndex(max(0, deletes.findData(spec.detect_deletes)))
            deletes.currentIndexChanged.connect(
                lambda _=0, s=spec, box=deletes: self._deletes(s, box.currentData()))
            self.table.setCellWidget(row, DELETES, deletes)
            pick = QToolButton()
            pick.setObjectName(f"columns:{spec.table}")
            pick.setAutoRaise(True)
            pick.clicked.connect(lambda _=False, r=row: self.pick_columns(r))
            self.table.setCellWidget(row, PICK, pick)
            self._fill_columns(row)
        self._tab_order()

    def _tab_order(self) -> None:
        """Tab: destination, mode for all, each row's fields left to right, then the
        schedule (the stall bound, kind, value, zone), the review."""
        chain = [self.destination, self.mode_all]
        for row in range(self.table.rowCount()):
            chain += [self.table.cellWidget(row, c) for c in (DEST_SCHEMA, DEST_TABLE, MODE,
                                                              CURSOR, KEY, DELETES, PICK)]
        chain += [self.stall, *self.schedule.focus_chain(), *self.unattended.focus_chain()]
        for before, after in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(before, after)

    def _widgets(self, row: int) -> tuple[QComboBox, QComboBox, QLineEdit]:
        return self.table.cellWidget(row, MODE), self.table.cellWidget(row, CURSOR), \
            self.table.cellWidget(row, KEY)

    def _pick_button(self, row: int) -> QToolButton:
        return self.table.cellWidget(row, PICK)

    def _fill_columns(self, row: int) -> None:
        """Cursor suggestions first, then the other columns; the key from the source."""
        spec = self.specs[row]
        mode, cursor, key = self._widgets(row)
        shape = self.shapes.get(_name(*self.rows[row]))
        cursor.blockSignals(True)
        cursor.clear()
        if shape is not None:
            suggested = shape.cursor_candidates()
            for column in suggested:
                cursor.addItem(f"{column}", column)
                cursor.setItemData(cursor.count() - 1, "Suggested: likely to grow with changes",
                                   Qt.ItemDataRole.ToolTipRole)
            others = [c.name for c in shape.columns if c.name not in suggested]
            if suggested and others:
                cursor.insertSeparator(cursor.count())
            for column in others:
                cursor.addItem(column, column)
            if not spec.primary_key and shape.primary_key:
                spec.primary_key = list(shape.primary_key)
                key.setText(", ".join(spec.primary_key))
            completer = QCompleter([c.name for c in shape.columns], key)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            key.setCompleter(completer)
            if spec.mode == "incremental" and not spec.cursor and suggested:
                spec.cursor = suggested[0]
        cursor.setCurrentText(spec.cursor or "")
        cursor.blockSignals(False)
        cursor.setEnabled(spec.mode == "incremental")
        key.setEnabled(spec.mode in ("incremental", "merge"))
        key.setPlaceholderText("required for merge" if spec.mode == "merge" else "optional")
        deletes = self.table.cellWidget(row, DELETES)
        if spec.mode != "merge":
            spec.detect_deletes = None
            deletes.setCurrentIndex(0)
        deletes.setEnabled(spec.mode == "merge")
        pick = self._pick_button(row)
        pick.setEnabled(shape is not None)
        total = len(shape.columns) if shape is not None else 0
        left_out = len(spec.exclude_columns)
        pick.setText("All" if not left_out else f"{total - left_out} of {total}")
        pick.setToolTip("Choose the columns to copy" if not left_out else
                        "Left out: " + ", ".join(spec.exclude_columns))

    def pick_columns(self, row: int) -> None:
        """Open the column list of a row's table; unticked columns are left out."""
        from ui.column_picker import ColumnPicker

        spec, shape = self.specs[row], self.shapes.get(_name(*self.rows[row]))
        if shape is None:
            return
        locked = {}
        if spec.mode == "incremental" and spec.cursor:
            locked[spec.cursor] = "The cursor column is always copied."
        if spec.mode in ("incremental", "merge"):
            locked.update(dict.fromkeys(spec.primary_key, "Key columns are always copied."))
        self.picker = ColumnPicker(spec.source_name, [(c.name, c.type) for c in shape.columns],
                                   spec.exclude_columns, locked, self)
        self.picker.accepted.connect(lambda r=row: self._columns_picked(r))
        self.picker.open()

    def _columns_picked(self, row: int) -> None:
        self.specs[row].exclude_columns = self.picker.left_out()
        self._fill_columns(row)
        self._refresh()

    def _describe(self, pairs: list[tuple[str | None, str]]) -> None:
        if self.task is not None:
            self.task.cancel.set()
        self._set_status("busy", "Reading the columns of the chosen tables…")
        queries = self.wizard().tables_page.queries
        wanted = {t: queries[t] for s, t in pairs if s is None and t in queries}
        source = self.source_id
        self.task = self.bridge.submit(
            self, lambda cancel: self.jobs.describe(source, pairs, cancel, wanted),
            cancellable=True, on_done=self._described, on_error=self._describe_failed)
        self.completeChanged.emit()

    def _described(self, shapes: dict[str, TableShape]) -> None:
        self.task = None
        self.shapes.update(shapes)
        for row in range(len(self.specs)):
            self._fill_columns(row)
        self._refresh()

    def _describe_failed(self, exc: BaseException) -> None:
        self.task = None
        self._refresh()
        self._set_status("error", f"Could not read the columns ({exc}); type the cursor and "
                                  "key columns yourself.")

    # --- edits ---------------------------------------------------------------------------

    def _destination_changed(self) -> None:
        self._fill_modes()
        self._place()
        self._build_rows()
        self._refresh()

    def _mode_all(self, index: int) -> None:
        if index <= 0:
            return
        for row in range(len(self.specs)):
            self._widgets(row)[0].setCurrentText(self.mode_all.itemText(index))
        self.mode_all.setCurrentIndex(0)

    def _mode(self, row: int, mode: str) -> None:
        self.specs[row].mode = mode
        self._fill_columns(row)
        self._refresh()

    def _cursor(self, spec: TableSpec, text: str) -> None:
        spec.cursor = text.strip() or None
        self._refresh()

    def _key(self, spec: TableSpec, text: str) -> None:
        spec.primary_key = [k.strip() for k in text.split(",") if k.strip()]
        self._refresh()

    def _deletes(self, spec: TableSpec, value: str | None) -> None:
        spec.detect_deletes = value
        self._refresh()

    def _dest_schema(self, spec: TableSpec, text: str) -> None:
        spec.dest_schema = text.strip() or None
        self._placed_by_user(spec)

    def _dest_table(self, spec: TableSpec, text: str) -> None:
        spec.dest_table = text.strip() or None
        self._placed_by_user(spec)

    def _placed_by_user(self, spec: TableSpec) -> None:
        # Said in full, so that the naming rule never fills in over the user's choice.
        spec.dest_table = spec.dest_table or spec.table
        self.kept.add((spec.schema, spec.table))
        self._place()
        self._refresh()

    # --- state ---------------------------------------------------------------------------

    def draft(self) -> JobDraft:
        from app.services.jobs import JobDraft, TableSpec

        wizard = self.wizard()
        minutes = self.stall.value()
        kept = self.editing.stall_seconds if self.editing else None
        stall = kept if kept is None and minutes == self.stall_default else minutes * 60
        return JobDraft(wizard.source_page.name.text(), self.source_id,
                        [TableSpec.from_json(s.to_json()) for s in self.specs],
                        self._dest_id(), self.schedule.schedule(), stall,
                        self.unattended.value(), self.unattended.webhook_change())

    def problems(self) -> list[tuple[str, str]]:
        """What must be fixed before the job can be saved (the service's rules), as
        (field, message)."""
        shapes = {spec.source_name: self.shapes[_name(*pair)]
                  for pair, spec in zip(self.rows, self.specs, strict=True)
                  if _name(*pair) in self.shapes}
        return self.jobs.problems(self.draft(), shapes)

    def _refresh(self) -> None:
        if not self.specs or self.wizard() is None:
            return
        # The schedule's own problem is shown (in red) under the schedule.
        problems = [message for field, message in self.problems() if field != "schedule"]
        if self.task is None:
            self._set_status("failed" if problems else None, "\n".join(problems))
        self.review.setText(self._review())
        used = [m for m in MODE_TIPS if any(spec.mode == m for spec in self.specs)]
        self.modes_help.setText("\n".join(f"{m.capitalize()}: {MODE_TIPS[m]}" for m in used))
        self.completeChanged.emit()

    def _review(self) -> str:
        draft, dest = self.draft(), self._dest_id()
        return review_html(draft, self.source, self.dest_names.get(dest, ""),
                           lambda spec: self.jobs.landing(spec, dest),
                           self._changes(draft) if self.editing is not None else [],
                           show_next=not self.schedule.error())

    def _changes(self, draft: JobDraft) -> list[str]:
        from app.services.errors import ServiceError

        try:
            return self.jobs.changes(self.editing.id, draft)
        except ServiceError:
            return []

    def _set_status(self, tone: str | None, text: str) -> None:
        theme.set_tone(self.status, tone, text)

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return bool(self.specs) and self.task is None and self.saving is None and \
            not self.problems()

    # --- saving --------------------------------------------------------------------------

    def validatePage(self) -> bool:  # noqa: N802 - Qt API
        """Save in the background (the source is checked live); finish when it is saved."""
        if self.saved is not None:
            return True
        if self.saving is not None or not self.isComplete():
            return False
        draft = self.draft()
        if self.editing:
            self.saving = self.bridge.submit(self, self.jobs.update, self.editing.id, draft,
                                             on_done=self._saved, on_error=self._refused)
        else:
            self.saving = self.bridge.submit(self, self.jobs.create, draft,
                                             on_done=self._saved, on_error=self._refused)
        self._set_status("busy", "Checking the tables against the source and saving…")
        self.completeChanged.emit()
        return False

    def _saved(self, view: JobView) -> None:
        self.saving = None
        self.saved = view
        self.wizard().accept()

    def _refused(self, exc: BaseException) -> None:
        from app.services.errors import ValidationError

        self.saving = None
        text = "; ".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
        self._set_status("failed", text)
        self.completeChanged.emit()
