"""The words Sluice's records and rules are made of, as types with their runtime lists.

A sync mode says how a job keeps a table in step; a write says what a load does to the
destination table (an incremental job reads rows past its cursor, and writes them as an
append, an upsert by key, or, on its first run, a replace).
"""

from __future__ import annotations

from typing import Literal, get_args

Mode = Literal["replace", "append", "incremental", "merge"]
MODES: tuple[Mode, ...] = get_args(Mode)

Write = Literal["replace", "append", "upsert"]

# What a merge does with rows whose key is gone from the source: remove them, or keep them
# with the time they were found gone in `_sluice_deleted_at` (None: nothing, the default).
Deletes = Literal["delete", "mark"]
DELETES: tuple[Deletes, ...] = get_args(Deletes)
DELETED_AT = "_sluice_deleted_at"

RunStatus = Literal["running", "succeeded", "failed", "cancelled", "interrupted", "skipped"]
RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)

TableStatus = Literal["not run", "running", "succeeded", "failed", "cancelled",
                      "interrupted"]

# A run with nothing moving for this long is stopped, unless its job says otherwise.
STALL_SECONDS = 600
# A job's defaults for unattended runs: tries after a failure that looks transient, and how
# late a scheduled run missed (computer off or asleep) may still start.
RETRIES = 2
MAX_RETRIES = 5
MISSED_GRACE_SECONDS = 3600

Trigger = Literal["manual", "schedule", "cli", "cloud"]
TRIGGERS: tuple[Trigger, ...] = get_args(Trigger)


def write_for(mode: Mode, primary_key: list[str], first_run: bool = False) -> Write:
    """What a load of a table synced in `mode` does to its destination table."""
    if mode == "replace" or (mode == "incremental" and first_run):
        return "replace"
    if mode == "merge" or (mode == "incremental" and primary_key):
        return "upsert"
    return "append"
