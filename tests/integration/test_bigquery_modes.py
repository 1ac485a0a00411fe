"""BigQuery takes every sync mode: incremental and merge load a staging table, then one
transactional script (MERGE, or INSERT of the rows not held yet, with the cursor saved in
the dataset's `_sluice_state`). The SQL runs for real, on DuckDB behind a BigQuery REST
stand-in (tests/fakes/bigquery_duck.py), and the rows that land are checked."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from app.services.jobs import TableSpec
from tests.fakes.bigquery_duck import BigQueryOnDuck
from tests.integration.engine_helpers import make_job, pg_exec, run, save_connection


@pytest.fixture
def bq(ctx, pg_db):
    pg_exec(pg_db,
            "create table orders (id int primary key, total numeric(10,2), "
            "updated_at timestamptz not null)",
            "create table events (at timestamptz not null, what text)",
            "insert into orders select i, i, '2026-01-01 00:00+00'::timestamptz + "
            "i * interval '1 hour' from generate_series(1, 100) i",
            "insert into events select '2026-01-01 00:00+00', 'e' || i "
            "from generate_series(1, 10) i")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    with BigQueryOnDuck("acme", "dw") as fake:
        save_connection(ctx, "bigquery", "bq", {"project": "acme", "dataset": "dw",
                                                "endpoint": fake.endpoint})
        yield fake, pg_db


def state(fake) -> dict:
    return {k: json.loads(v) for k, v in fake.rows("select state_key, state from "
                                                   "dw._sluice_state")}


def test_incremental_with_a_key_merges_new_and_changed_rows(ctx, bq):
    fake, pg = bq
    make_job(ctx, "to bq", "src", [TableSpec("orders", mode="incremental",
                                             cursor="updated_at", primary_key=["id"])],
             destination="bq")
    first = run(ctx, "to bq")
    assert first.status == "succeeded", first.error
    assert fake.rows("select count(*), sum(total) from dw.orders") == [(100, Decimal("5050"))]
    assert state(fake)["to bq:public.orders"]["value"].startswith("2026-01-05T04:00:00")

    pg_exec(pg, "update orders set total = 1000, updated_at = '2026-03-01 00:00+00' "
                "where id = 7",
            "insert into orders values (101, 5, '2026-03-01 00:00+00')")
    second = run(ctx, "to bq")
    assert second.status == "succeeded", second.error
    assert second.rows_written == 2
    assert fake.rows("select id, total from dw.orders where id in (7, 101) order by id") == [
        (7, Decimal("1000.00")), (101, Decimal("5.00"))]
    assert fake.rows("select count(*) from dw.orders") == [(101,)]
    script = fake.scripts[-1]
    assert script.startswith("BEGIN TRANSACTION;") and "MERGE `acme.dw.orders` t USING " \
        "`acme.dw._sluice_stage_orders_" in script and script.endswith("COMMIT TRANSACTION;")
    assert not [t for (t,) in fake.rows("select table_name from information_schema.tables")
                if t.startswith("_sluice_stage_")]


def test_incremental_without_a_key_adds_each_row_once(ctx, bq):
    fake, pg = bq
    make_job(ctx, "events", "src", [TableSpec("events", mode="incremental", cursor="at")],
             destination="bq")
    assert run(ctx, "events").status == "succeeded"
    # More rows at the same timestamp as the mark: re-read, and only the new ones added.
    pg_exec(pg, "insert into events select '2026-01-01 00:00+00', 'late' || i "
                "from generate_series(1, 5) i")
    again = run(ctx, "events")
    assert again.status == "succeeded", again.error
    assert again.rows_written == 5
    assert fake.rows("select count(*), count(distinct what) from dw.events") == [(15, 15)]


def test_merge_with_deletes_and_a_new_column(ctx, bq):
    fake, pg = bq
    make_job(ctx, "merge", "src", [TableSpec("orders", mode="merge", primary_key=["id"],
                                             detect_deletes="delete")], destination="bq")
    assert run(ctx, "merge").status == "succeeded"
    pg_exec(pg, "delete from orders where id > 90", "alter table orders add column note text",
            "update orders set note = 'vip', total = 0 where id = 1")
    second = run(ctx, "merge")
    assert second.status == "succeeded", second.error
    assert fake.rows("select count(*) from dw.orders") == [(90,)]
    assert fake.rows("select id, total, note from dw.orders where id in (1, 2) order by id") \
        == [(1, Decimal("0.00"), "vip"), (2, Decimal("2.00"), None)]
    assert second.tables[0]["deleted"] == 10


def test_merge_marks_rows_gone_from_the_source_and_revives_them(ctx, bq):
    fake, pg = bq
    make_job(ctx, "merge", "src", [TableSpec("orders", mode="merge", primary_key=["id"],
                                             detect_deletes="mark")], destination="bq")
    assert run(ctx, "merge").status == "succeeded"
    pg_exec(pg, "delete from orders where id in (3, 4)")
    marked = run(ctx, "merge")
    assert marked.status == "succeeded", marked.error
    assert marked.tables[0]["deleted"] == 2 and marked.rows_written == 0
    assert fake.rows("select id from dw.orders where _sluice_deleted_at is not null "
                     "order by id") == [(3,), (4,)]
    pg_exec(pg, "insert into orders values (3, 3, '2026-01-01 03:00+00')")
    revived = run(ctx, "merge")
    assert revived.status == "succeeded", revived.error
    assert fake.rows("select id from dw.orders where _sluice_deleted_at is not null") == [(4,)]
    assert fake.rows("select count(*) from dw.orders") == [(100,)]


def test_a_failure_in_the_script_leaves_the_table_and_cursor_as_they_were(ctx, bq):
    fake, pg = bq
    make_job(ctx, "to bq", "src", [TableSpec("orders", mode="incremental",
                                             cursor="updated_at", primary_key=["id"])],
             destination="bq", retries=0)
    assert run(ctx, "to bq").status == "succeeded"
    before = fake.rows("select * from dw.orders order by id")
    saved = state(fake)
    pg_exec(pg, "update orders set total = -1, updated_at = '2026-03-01 00:00+00'",)
    fake.fail_when = 'INSERT INTO "dw"."_sluice_state"'  # after the MERGE, in the script
    failed = run(ctx, "to bq")
    assert failed.status == "failed"
    assert "BigQuery refused the merge into acme.dw.orders" in failed.error
    assert fake.rows("select * from dw.orders order by id") == before
    assert state(fake) == saved
    retried = run(ctx, "to bq")  # and the next run does it all
    assert retried.status == "succeeded" and retried.rows_written == 100
    assert fake.rows("select count(*) from dw.orders where total = -1") == [(100,)]
