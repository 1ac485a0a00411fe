"""The rules a job keeps, in one place: the job wizard shows them as you type, and the job
service (so the CLI, the app and the coming cloud import alike) refuses a job that breaks
them. Each problem is (field, message); the message names the table it concerns.

What the live source must say (that the tables exist) is checked by the service when a
job is saved; everything here needs no network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from app.connectors import registry
from app.etl import naming
from app.etl.incremental import parse_lookback
from app.vocabulary import DELETES, MAX_RETRIES, MODES, Mode

if TYPE_CHECKING:
    from app.etl.describe import TableShape
    from app.etl.spec import TableSpec
    from app.scheduling.schedule import Schedule
    from app.services.views import Unattended

Problem = tuple[str, str]
STALL_MAX_SECONDS = 7 * 86400
GRACE_MAX_SECONDS = 7 * 86400


def allowed_modes(dest_type: str | None) -> tuple[Mode, ...]:
    """The sync modes a destination of `dest_type` takes (None: the local warehouse)."""
    return registry.engine(dest_type).write_modes


def table_problems(spec: TableSpec, dest_type: str | None,
                   shape: TableShape | None = None) -> list[Problem]:
    """What is wrong with one table of a job; `shape` (its columns, when known) lets the
    columns it names be checked too."""
    where = spec.source_name
    found: list[Problem] = []
    allowed = allowed_modes(dest_type)
    if spec.mode not in MODES:
        found.append(("mode", f"{where}: mode must be one of {', '.join(MODES)}."))
    elif spec.mode not in allowed:
        label = "the local warehouse" if dest_type is None else \
            registry.get_type(dest_type).label
        found.append(("mode", f"{label} takes {' or '.join(allowed)} mode ({where})."))
    if spec.mode == "incremental" and not spec.cursor:
        found.append(("cursor", f"{where}: incremental mode needs a cursor column."))
    if spec.mode == "merge" and not spec.primary_key:
        found.append(("primary_key", f"{where}: merge mode needs a primary key" + (
            ", and the source declares none: name the column(s) that identify a row."
            if shape is not None and not shape.primary_key else ".")))
    if spec.detect_deletes is not None and spec.detect_deletes not in DELETES:
        found.append(("detect_deletes", f"{where}: detect deletes must be "
                                        f"{' or '.join(DELETES)}."))
    elif spec.detect_deletes is not None and spec.mode != "merge":
        found.append(("detect_deletes", f"{where}: detecting deletes compares every source "
                                        "key, so it needs merge mode with a primary key."))
    if spec.lookback:
        try:
            parse_lookback(spec.lookback)
        except ValueError as exc:
            found.append(("lookback", f"{where}: {exc}"))
        if not spec.primary_key:
            found.append(("lookback", f"{where}: a look-back re-reads rows, so it needs a "
                                      "primary key to merge on."))
    used = ([spec.cursor] if spec.mode == "incremental" and spec.cursor else []) + \
        (list(spec.primary_key) if spec.mode in ("incremental", "merge") else [])
    kept = [c for c in used if c in spec.exclude_columns]
    if kept:
        found.append(("exclude_columns", f"{where}: {', '.join(kept)} cannot be left out "
                                         "(the cursor and key are always copied)."))
    if shape is not None:
        names = {c.name for c in shape.columns}
        missing = [c for c in [*used, *spec.exclude_columns] if c not in names]
        if missing:
            found.append(("columns", f"{where} has no column {', '.join(missing)}."))
    return found


def job_problems(tables: list[TableSpec], dest_type: str | None, dest_params: dict,
                 schedule: Schedule, stall_seconds: int | None,
                 shapes: dict[str, TableShape] | None = None, placed: bool = True
                 ) -> list[Problem]:
    """Everything wrong with a job's settings that can be told without the source: each
    table's, where two tables would land together (once `placed`: their destinations are
    filled in), the schedule and the stall bound."""
    from app.scheduling.schedule import ScheduleError

    found: list[Problem] = []
    if not tables:
        found.append(("tables", "Choose at least one table."))
    for spec in tables:
        found.extend(table_problems(spec, dest_type, (shapes or {}).get(spec.source_name)))
    together = naming.collision(tables, dest_type, dest_params) if placed else None
    if together:
        found.append(("tables", together))
    try:
        schedule.check()
    except ScheduleError as exc:
        found.append(("schedule", str(exc)))
    if stall_seconds is not None and not 0 <= stall_seconds <= STALL_MAX_SECONDS:
        found.append(("stall_seconds", "The bound on a stalled run must be between 0 "
                                       "(never) and 7 days."))
    return found


def unattended_problems(unattended: Unattended, webhook: str | None) -> list[Problem]:
    """What is wrong with a job's retries, missed-run grace and webhook URL."""
    found: list[Problem] = []
    if not 0 <= unattended.retries <= MAX_RETRIES:
        found.append(("retries", f"Retries must be from 0 to {MAX_RETRIES}."))
    if not 0 <= unattended.missed_grace_seconds <= GRACE_MAX_SECONDS:
        found.append(("missed_grace", "The grace for a missed run must be between 0 (never "
                                      "catch up) and 7 days."))
    if webhook:
        parts = urlsplit(webhook.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            found.append(("webhook", "The webhook URL must start with http:// or https:// "
                                     "and name a host."))
    return found
