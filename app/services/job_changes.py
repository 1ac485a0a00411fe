"""What an edit of a job does to its destination, said before it is saved."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.etl.spec import TableSpec
    from app.services.jobs import JobDraft, JobView

MODE_EFFECT = {
    "replace": "the next run rebuilds {dest} from the source (and forgets any saved "
               "cursor)",
    "append": "each run adds every source row to {dest}; rows already there stay, so "
              "repeated runs add the same rows again",
    "incremental": "the first run loads {dest} in full, later runs add only rows past the "
                   "saved position of {cursor}",
    "merge": "each run updates rows of {dest} with the same {key} and adds new ones",
}


def _effect(spec: TableSpec) -> str:
    return MODE_EFFECT[spec.mode].format(dest=spec.destination_name,
                                         cursor=spec.cursor or "the cursor",
                                         key=", ".join(spec.primary_key) or "key")


def explain(old: JobView, draft: JobDraft, dest_name: str) -> list[str]:
    """One sentence per change that matters to the data; empty when nothing does."""
    lines: list[str] = []
    if dest_name != old.destination_name:
        lines.append(f"Destination changes from {old.destination_name} to {dest_name}: the "
                     f"next run writes every table there in full; the tables already in "
                     f"{old.destination_name} are kept as they are.")
    before = {t.source_name: t for t in old.tables}
    after = {t.source_name: t for t in draft.tables}
    for name, spec in before.items():
        if name not in after:
            lines.append(f"{name} is no longer copied; {spec.destination_name} is kept as "
                         "it is.")
    for name, spec in after.items():
        was = before.get(name)
        if was is None:
            lines.append(f"{name} is new: {_effect(spec)}.")
        elif was.mode != spec.mode:
            lines.append(f"{name}: {was.mode} → {spec.mode}: {_effect(spec)}.")
        elif spec.mode == "incremental" and was.cursor != spec.cursor:
            lines.append(f"{name}: the cursor changes from {was.cursor} to {spec.cursor}; "
                         "the saved position belongs to the old column, so the next run "
                         "loads the table in full again.")
        elif spec.mode == "merge" and was.primary_key != spec.primary_key:
            lines.append(f"{name}: rows are now matched on {', '.join(spec.primary_key)}.")
        if was is not None:
            lines.extend(_settings_changed(name, was, spec))
            lines.extend(_columns_changed(name, was, spec))
        if was is not None and (was.dest_schema, was.dest_table) != \
                (spec.dest_schema, spec.dest_table):
            lines.append(f"{name} now lands in {spec.destination_name}; "
                         f"{was.destination_name} is kept as it is.")
    if draft.name.strip() != old.name:
        lines.append(f"Renamed from {old.name} to {draft.name.strip()}; saved cursors are "
                     "kept.")
    if draft.stall_seconds != old.stall_seconds:
        from app.etl.watchdog import in_words
        from app.vocabulary import STALL_SECONDS

        bound = STALL_SECONDS if draft.stall_seconds is None else draft.stall_seconds
        lines.append("Runs are never stopped for want of rows moving." if not bound else
                     f"A run is stopped after {in_words(bound)} without rows moving.")
    if draft.schedule != old.schedule:
        lines.append(f"Schedule: {old.schedule.describe()} → {draft.schedule.describe()}.")
    lines.extend(_unattended_changed(old, draft))
    return lines


def _unattended_changed(old: JobView, draft: JobDraft) -> list[str]:
    from app.etl.watchdog import in_words

    was, now = old.unattended, draft.unattended
    lines = []
    if was.retries != now.retries:
        lines.append(f"Retries of a failure that looks transient: {was.retries} → "
                     f"{now.retries}.")
    if was.missed_grace_seconds != now.missed_grace_seconds:
        grace = now.missed_grace_seconds
        lines.append("A scheduled run missed while Sluice was not running is recorded as "
                     "skipped, never caught up." if not grace else
                     f"A missed scheduled run still starts up to {in_words(grace)} late.")
    if draft.webhook == "" and old.has_webhook:
        lines.append("The webhook is removed.")
    elif draft.webhook:
        lines.append("Failed and skipped runs are reported to the webhook" +
                     (" (it replaces the one set before)." if old.has_webhook else "."))
    if was.notify_success != now.notify_success:
        lines.append("Successful runs are reported to the webhook too." if now.notify_success
                     else "Successful runs are no longer reported to the webhook.")
    return lines


def _settings_changed(name: str, was: TableSpec, spec: TableSpec) -> list[str]:
    """The look-back and what a merge does with deleted rows."""
    from app.vocabulary import DELETED_AT

    out = []
    if was.lookback != spec.lookback and spec.mode == "incremental":
        out.append(f"{name}: each run re-reads {spec.lookback} behind the saved position."
                   if spec.lookback else f"{name}: runs no longer re-read behind the saved "
                                         "position.")
    if was.detect_deletes != spec.detect_deletes and spec.mode == "merge":
        out.append(f"{name}: rows whose key is gone from the source are "
                   + {"delete": f"deleted from {spec.destination_name}",
                      "mark": f"marked in {spec.destination_name}.{DELETED_AT}",
                      None: f"left in {spec.destination_name}"}[spec.detect_deletes]
                   + " from the next run on.")
    return out


def _columns_changed(name: str, was: TableSpec, spec: TableSpec) -> list[str]:
    out = []
    left_out = [c for c in spec.exclude_columns if c not in was.exclude_columns]
    back = [c for c in was.exclude_columns if c not in spec.exclude_columns]
    if left_out:
        out.append(f"{name}: {', '.join(left_out)} left out from now on"
                   + ("; the destination keeps the column, with no values for new rows."
                      if spec.mode != "replace" else "."))
    if back:
        out.append(f"{name}: {', '.join(back)} copied again"
                   + ("; rows loaded meanwhile have no value there."
                      if spec.mode != "replace" else "."))
    return out
