"""The job wizard's table of per-table settings (step 3): its columns, what each sync mode
and each choice for deleted rows means, and the table widget itself, one row a table."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget

COLUMNS = ("Source table", "Schema", "Destination table", "Mode", "Cursor", "Primary key",
           "Deletes", "Columns")
SOURCE, DEST_SCHEMA, DEST_TABLE, MODE, CURSOR, KEY, DELETES, PICK = range(len(COLUMNS))
# What the destination holds after a run, by mode (shown under the table, and as tips).
MODE_TIPS = {
    "replace": "the destination table is the source table as it was at the run.",
    "append": "every source row is added again at each run (copies accumulate).",
    "incremental": "the first run copies everything; later ones add (with a key: update) "
                   "the rows whose cursor moved on.",
    "merge": "one row per key: new rows added, changed ones updated; rows deleted at the "
             "source as Deletes says.",
}
# Merge only: what happens to destination rows whose key the source no longer has.
DELETE_CHOICES = (
    ("keep", None, "Rows deleted at the source stay in the destination."),
    ("delete", "delete", "Rows whose key is gone from the source are deleted, in the same "
                         "transaction as the merge."),
    ("mark", "mark", "Rows whose key is gone from the source stay, with the time they were "
                     "found gone in _sluice_deleted_at."),
)


def settings_table() -> QTableWidget:
    """One row a table: source, destination schema and table, mode, cursor, key, columns."""
    table = QTableWidget(0, len(COLUMNS))
    table.setObjectName("tableSettings")
    table.setHorizontalHeaderLabels(COLUMNS)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(30)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    # Tab goes through the row's fields and on to the schedule (not from cell to cell
    # of the table for ever); the table itself takes no focus: its fields do.
    table.setTabKeyNavigation(False)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    for column in (SOURCE, DEST_TABLE):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    for column, width in ((DEST_SCHEMA, 72), (MODE, 108), (CURSOR, 100), (KEY, 88),
                          (DELETES, 88), (PICK, 60)):
        table.setColumnWidth(column, width)
    table.horizontalHeaderItem(DELETES).setToolTip(
        "Merge: what happens to rows deleted at the source")
    table.horizontalHeaderItem(DEST_SCHEMA).setToolTip(
        "The destination schema (in a folder: the start of the file name)")
    table.setMinimumHeight(118)
    return table
