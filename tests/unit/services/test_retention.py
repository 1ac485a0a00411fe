"""Run records are kept for the configured days or runs a job, whichever keeps more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.services import preferences
from app.services.retention import prune
from app.store.models import Connection, Job, Run, fold_name

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _job_with_runs(ctx, name: str, ages_days: list[float], status: str = "succeeded") -> str:
    with ctx.store.session() as s:
        conn = s.query(Connection).first()
        if conn is None:
            conn = Connection(name="src", name_key="src", type_key="csv", params={})
            s.add(conn)
            s.flush()
        job = Job(name=name, name_key=fold_name(name), source_connection_id=conn.id,
                  tables=[])
        s.add(job)
        s.flush()
        for age in ages_days:
            s.add(Run(job_id=job.id, trigger="schedule", status=status,
                      started_at=NOW - timedelta(days=age)))
        return job.id


def _left(ctx, job_id: str) -> list[int]:
    with ctx.store.session() as s:
        return sorted(round((NOW - r.started_at).days)
                      for r in s.query(Run).filter(Run.job_id == job_id))


def test_old_runs_beyond_the_newest_are_pruned(ctx):
    prefs = preferences.load(ctx)
    prefs.keep_days, prefs.keep_runs = 30, 10
    preferences.save(ctx, prefs)
    busy = _job_with_runs(ctx, "busy", [d * 5 for d in range(20)])  # 0, 5, ... 95 days
    quiet = _job_with_runs(ctx, "quiet", [100, 200, 300])  # few: all kept, however old
    assert prune(ctx.store, NOW) == 10
    # Kept: the newest ten (0-45 days) — more than the 30 days would keep.
    assert _left(ctx, busy) == [d * 5 for d in range(10)]
    assert _left(ctx, quiet) == [100, 200, 300]
    assert prune(ctx.store, NOW) == 0


def test_days_keep_more_when_they_are_the_larger_bound(ctx):
    prefs = preferences.load(ctx)
    prefs.keep_days, prefs.keep_runs = 58, 10
    preferences.save(ctx, prefs)
    busy = _job_with_runs(ctx, "busy", [d * 5 for d in range(20)])
    prune(ctx.store, NOW)
    assert _left(ctx, busy) == [d * 5 for d in range(12)]  # 0-55 days


def test_a_running_run_is_never_pruned(ctx):
    prefs = preferences.load(ctx)
    prefs.keep_days, prefs.keep_runs = 1, 10
    preferences.save(ctx, prefs)
    job = _job_with_runs(ctx, "stuck", [400] * 12, status="running")
    assert prune(ctx.store, NOW) == 0
    assert len(_left(ctx, job)) == 12


def test_the_defaults_are_90_days_or_1000_runs_and_bad_values_are_refused(ctx):
    import pytest

    from app.services.errors import ValidationError

    prefs = preferences.load(ctx)
    assert (prefs.keep_days, prefs.keep_runs) == (90, 1000)
    prefs.keep_days = 0
    with pytest.raises(ValidationError) as refused:
        preferences.save(ctx, prefs)
    assert refused.value.errors == {"keep_days": "Run records are kept from 1 to 3,650 days."}
