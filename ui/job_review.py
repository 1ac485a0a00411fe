"""The job wizard's review (step 3): everything the job will do, in a few lines of rich
text, what an edit changes first."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

from app.scheduling.schedule import when

if TYPE_CHECKING:
    from app.services.connections import ConnectionView
    from app.services.jobs import JobDraft, TableSpec


def review_html(draft: JobDraft, source: ConnectionView, dest_name: str,
                landing: Callable[[TableSpec], str], changes: list[str],
                show_next: bool) -> str:
    """The review of `draft`: `changes` (an edit's, seen without scrolling) first, then
    each table with where it lands (`landing`) and how, then the schedule with its next run
    (when `show_next`: not while the schedule is wrong)."""
    count = len(draft.tables)
    lines = []
    if changes:
        lines.append("<b>What changes:</b>")
        lines.extend(f"&nbsp;• {escape(c)}" for c in changes)
    lines += [f"<b>{escape(draft.name.strip() or '(no name)')}</b> copies {count} "
              f"table{'s' if count != 1 else ''} from <b>{escape(source.name)}</b> "
              f"({escape(source.type_label)}) into <b>{escape(dest_name)}</b>:"]
    for spec in draft.tables:
        how = spec.mode
        if spec.mode == "incremental":
            how += f" on {spec.cursor or '?'}"
        if spec.primary_key and spec.mode in ("incremental", "merge"):
            how += f", key {', '.join(spec.primary_key)}"
        if spec.detect_deletes:
            how += ", rows deleted at the source " + \
                {"delete": "deleted", "mark": "marked"}[spec.detect_deletes]
        if spec.exclude_columns:
            how += f", leaving out {', '.join(spec.exclude_columns)}"
        lines.append(f"&nbsp;• {escape(spec.source_name)} → {escape(landing(spec))}: "
                     f"{escape(how)}")
    schedule = draft.schedule
    words = schedule.describe()
    if show_next and schedule.kind != "manual":
        runs = schedule.next_runs(1)
        if runs:
            words += f" — next {when(runs[0], schedule.timezone)}"
    lines.append(escape(words) + ".")
    return "<br>".join(lines)
