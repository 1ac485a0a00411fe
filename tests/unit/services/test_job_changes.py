"""app/services/job_changes.py: what an edit does to the destination, said before saving."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.etl.runner import TableSpec
from app.scheduling.schedule import Schedule
from app.services.job_changes import explain
from app.services.jobs import JobDraft, JobView

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def _job(*tables: TableSpec, stall: int | None = None) -> JobView:
    return JobView("j1", "Orders", "s1", "Sales", "postgresql", None, "local", list(tables),
                   "manual", None, "UTC", True, NOW, NOW, stall)


def _draft(job: JobView, *tables: TableSpec, **changes) -> JobDraft:
    draft = job.draft()
    draft.tables = list(tables) or draft.tables
    for key, value in changes.items():
        setattr(draft, key, value)
    return draft


ORDERS = TableSpec("orders", "public")


@pytest.mark.parametrize("after, said", [
    (TableSpec("orders", "public", mode="append"),
     "public.orders: replace → append: each run adds every source row to orders; rows already "
     "there stay, so repeated runs add the same rows again."),
    (TableSpec("orders", "public", mode="incremental", cursor="updated_at"),
     "public.orders: replace → incremental: the first run loads orders in full, later runs add "
     "only rows past the saved position of updated_at."),
    (TableSpec("orders", "public", exclude_columns=["note"]),
     "public.orders: note left out from now on."),
    (TableSpec("orders", "public", dest_schema="sales"),
     "public.orders now lands in sales.orders; orders is kept as it is."),
])
def test_a_change_to_a_table_is_explained(after, said):
    job = _job(ORDERS)
    assert explain(job, _draft(job, after), "local") == [said]


def test_a_removed_table_a_rename_a_schedule_and_a_stall_bound_are_explained():
    job = _job(ORDERS, TableSpec("lines", "public"))
    draft = _draft(job, ORDERS, name="Orders nightly",
                   schedule=Schedule("daily", "06:00", "UTC"), stall_seconds=0)
    assert explain(job, draft, "local") == [
        "public.lines is no longer copied; lines is kept as it is.",
        "Renamed from Orders to Orders nightly; saved cursors are kept.",
        "Runs are never stopped for want of rows moving.",
        "Schedule: Manual — runs when you press Run → Every day at 06:00 UTC.",
    ]


def test_nothing_that_matters_says_nothing():
    job = _job(ORDERS)
    assert explain(job, job.draft(), "local") == []
