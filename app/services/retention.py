"""How long run records are kept: a run goes once it is older than the kept days AND not
among its job's newest kept runs (default 90 days or 1,000 runs a job, whichever keeps
more). Pruned when the app or the background scheduler starts; the log file rotates on its
own (app.logs)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from app.store.models import Run

log = logging.getLogger("sluice.jobs")
KEEP_DAYS = "retention_days"  # settings
KEEP_RUNS = "retention_runs"
DEFAULT_DAYS, DEFAULT_RUNS = 90, 1000


def kept(store: Any) -> tuple[int, int]:
    """(days, runs a job) as set, or the defaults."""
    return (int(store.get_setting(KEEP_DAYS, DEFAULT_DAYS)),
            int(store.get_setting(KEEP_RUNS, DEFAULT_RUNS)))


def prune(store: Any, now: datetime | None = None) -> int:
    """Delete the run records past both bounds; how many went. Running runs stay."""
    days, runs = kept(store)
    before = (now or datetime.now(UTC)) - timedelta(days=days)
    rank = func.row_number().over(partition_by=Run.job_id,
                                  order_by=Run.started_at.desc()).label("rank")
    ranked = select(Run.id, Run.started_at, Run.status, rank).subquery()
    old = select(ranked.c.id).where(ranked.c.rank > runs, ranked.c.started_at < before,
                                    ranked.c.status != "running")
    with store.session() as s:
        gone = s.execute(delete(Run).where(Run.id.in_(old))).rowcount or 0
    if gone:
        log.info("pruned %d run records older than %d days beyond %d a job", gone, days, runs)
    return gone
