"""Editing and deleting jobs against a real PostgreSQL source: what the user is told is
what the next run does."""

from __future__ import annotations

import pytest

from app.scheduling.schedule import Schedule
from app.services.errors import ServiceError, ValidationError
from app.services.jobs import JobService, TableSpec
from tests.integration.engine_helpers import (
    make_job,
    pg_exec,
    run,
    save_connection,
    warehouse_rows,
)


@pytest.fixture
def events(ctx, pg_db):
    pg_exec(pg_db, "create table events (id int primary key, changed_at timestamptz, "
                   "created date, seq bigint, note text)",
            "insert into events select g, '2024-01-01'::timestamptz + g * interval '1 hour', "
            "'2024-01-01', g, 'n' || g from generate_series(1, 10) g")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    return JobService(ctx)


def _ids() -> list[int]:
    return [r[0] for r in warehouse_rows("select id from events")]


def test_describe_suggests_cursors_and_the_key(events):
    shapes = events.describe("src", [("public", "events")])
    shape = shapes["public.events"]
    assert [c.name for c in shape.columns] == ["id", "changed_at", "created", "seq", "note"]
    assert shape.primary_key == ["id"]
    assert shape.cursor_candidates() == ["changed_at", "created", "id", "seq"]


def test_describe_of_a_vanished_table_says_so(events, pg_db):
    with pytest.raises(ServiceError, match="does not exist"):
        events.describe("src", [("public", "nope")])


def test_switching_to_incremental_loads_once_then_only_new_rows(events, pg_db):
    make_job(events.ctx, "ev", "src", [TableSpec("events")])
    assert run(events.ctx, "ev").rows_written == 10
    job = events.get("ev")
    draft = job.draft()
    draft.tables[0].mode, draft.tables[0].cursor = "incremental", "changed_at"
    said = events.changes(job.id, draft)
    assert said == ["public.events: replace → incremental: the first run loads events in "
                    "full, later runs add only rows past the saved position of changed_at."]
    events.update(job.id, draft)

    first = run(events.ctx, "ev")  # no saved position yet: a full load, not 10 duplicates
    assert first.rows_written == 10 and _ids() == list(range(1, 11))
    pg_exec(pg_db, "insert into events values (11, now(), now(), 11, 'new')")
    second = run(events.ctx, "ev")
    assert second.rows_written == 1 and _ids() == list(range(1, 12))

    # Back to replace: the table is rebuilt and the saved cursor is forgotten, so a later
    # switch to incremental starts with a full load again, never on top of stale marks.
    draft = events.get("ev").draft()
    draft.tables[0].mode = "replace"
    events.update("ev", draft)
    assert run(events.ctx, "ev").rows_written == 11
    draft.tables[0].mode = "incremental"
    events.update("ev", draft)
    assert run(events.ctx, "ev").rows_written == 11 and len(_ids()) == 11


def test_rename_keeps_the_cursor_and_a_new_cursor_column_starts_over(events, pg_db):
    make_job(events.ctx, "ev", "src", [TableSpec("events", mode="incremental",
                                                 cursor="changed_at")])
    assert run(events.ctx, "ev").rows_written == 10
    draft = events.get("ev").draft()
    draft.name = "Events hourly"
    draft.schedule = Schedule("interval", "1h", "UTC")
    assert events.changes("ev", draft) == [
        "Renamed from ev to Events hourly; saved cursors are kept.",
        "Schedule: Manual — runs when you press Run → Every hour."]
    renamed = events.update("ev", draft)
    assert renamed.name == "Events hourly" and renamed.schedule.describe() == "Every hour"
    assert renamed.next_run() is not None
    assert run(events.ctx, "Events hourly").rows_written == 0  # the cursor survived

    draft = renamed.draft()
    draft.tables[0].cursor = "seq"
    assert "loads the table in full again" in events.changes(renamed.id, draft)[0]
    events.update(renamed.id, draft)
    assert run(events.ctx, renamed.id).rows_written == 10 and _ids() == list(range(1, 11))


def test_update_is_checked_like_create_and_changes_nothing_when_refused(events):
    make_job(events.ctx, "a", "src", [TableSpec("events")])
    make_job(events.ctx, "b", "src", [TableSpec("events")])
    before = events.get("b")
    draft = before.draft()
    draft.name = "A"
    with pytest.raises(ValidationError, match="already exists"):
        events.update("b", draft)
    draft = before.draft()
    draft.schedule = Schedule("cron", "0 6 * *", "UTC")
    with pytest.raises(ValidationError, match="5 fields"):
        events.update("b", draft)
    draft = before.draft()
    draft.destination = "src"  # the source itself: the same table would be replaced
    with pytest.raises(ValidationError, match="written over itself"):
        events.update("b", draft)
    draft.tables[0].dest_table = "events_copy"
    events.changes("b", draft)  # a copy beside it is fine
    draft = before.draft()
    draft.tables = [TableSpec("gone")]
    with pytest.raises(ValidationError, match="not in the source"):
        events.update("b", draft)
    assert events.get("b") == before


def test_delete_can_drop_what_the_job_loaded(events):
    make_job(events.ctx, "keep", "src", [TableSpec("events", dest_table="kept")])
    make_job(events.ctx, "drop", "src", [TableSpec("events", mode="incremental",
                                                   cursor="changed_at")])
    run(events.ctx, "keep")
    run(events.ctx, "drop")
    assert events.delete("keep") == []
    assert len(warehouse_rows("select id from kept")) == 10
    assert events.delete("drop", drop_tables=True) == ["events"]
    tables = {r[0] for r in warehouse_rows("select table_name from information_schema.tables")}
    assert "events" not in tables and "kept" in tables
    assert warehouse_rows("select * from _sluice_state where state_key like 'drop:%'") == []
    assert [j.name for j in events.list()] == []


def test_describe_a_csv_folder_and_a_duckdb_file(ctx, tmp_path):
    import duckdb

    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "visits.csv").write_text("id,page,modified_at\n1,/a,2024-05-01 10:00:00\n"
                                       "2,/b,2024-05-02 11:00:00\n")
    save_connection(ctx, "csv", "files", {"path": str(folder)})
    shape = JobService(ctx).describe("files", [(None, "visits")])["visits"]
    assert [(c.name, c.type) for c in shape.columns] == [
        ("id", "int64"), ("page", "string"), ("modified_at", "timestamp[s]")]
    assert shape.primary_key == [] and shape.cursor_candidates() == ["modified_at", "id"]

    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create table seen (seq bigint primary key, day date, note varchar)")
    save_connection(ctx, "duckdb", "duck", {"path": str(path)})
    shape = JobService(ctx).describe("duck", [("main", "seen")])["main.seen"]
    assert shape.primary_key == ["seq"] and shape.cursor_candidates() == ["day", "seq"]


def test_a_duckdb_source_runs_in_full_then_incrementally(ctx, tmp_path):
    import duckdb

    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create table seen (seq bigint primary key, day date, note varchar)")
        conn.execute("insert into seen select i, date '2024-01-01' + i::int, 'n' || i "
                     "from range(1, 101) t(i)")
    save_connection(ctx, "duckdb", "duck", {"path": str(path)})
    make_job(ctx, "seen", "duck", [TableSpec("seen", mode="incremental", cursor="seq",
                                             primary_key=["seq"])])
    assert run(ctx, "seen").rows_written == 100
    with duckdb.connect(str(path)) as conn:
        conn.execute("insert into seen values (101, date '2024-06-01', 'new')")
    second = run(ctx, "seen")
    assert (second.status, second.rows_written) == ("succeeded", 1), second.error
    assert warehouse_rows("select count(*), max(seq) from seen") == [(101, 101)]
