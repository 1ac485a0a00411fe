"""Different source tables never land in one destination table (README: destination names).

`public.customer` and `sales.customer` used to write one table (the second won) in the
warehouse, a folder and PostgreSQL; file names that cleaned up alike overwrote each other;
`Orders` and `orders` failed the case-insensitive warehouse after earlier tables had been
committed; and one table could be given twice.
"""

from __future__ import annotations

import sqlite3

import pyarrow.parquet as pq
import pytest

from app.services.errors import ValidationError
from app.services.jobs import JobDraft, JobService, TableSpec
from app.store.models import Job
from tests.integration.engine_helpers import (
    make_job,
    pg_exec,
    pg_rows,
    run,
    save_connection,
    warehouse_rows,
)


def _two_customers(pg_db):
    pg_exec(pg_db, "create schema sales",
            "create table public.customer (id int primary key, name text)",
            "create table sales.customer (id int primary key, name text, region text)",
            "insert into public.customer select g, 'p' || g from generate_series(1, 30) g",
            "insert into sales.customer select g, 's' || g, 'eu' from generate_series(1, 7) g")
    return [TableSpec("customer", "public"), TableSpec("customer", "sales")]


def test_same_name_in_two_schemas_into_the_warehouse(ctx, pg_db):
    tables = _two_customers(pg_db)
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    job = make_job(ctx, "customers", "shop", tables)
    assert [(t.dest_schema, t.dest_table) for t in job.tables] == [(None, None), ("sales", None)]
    assert run(ctx, "customers").status == "succeeded"
    assert warehouse_rows("select count(*), min(name) from main.customer") == [(30, "p1")]
    assert warehouse_rows("select count(*), min(region) from sales.customer") == [(7, "eu")]


def test_same_name_in_two_schemas_into_a_folder_and_postgres(ctx, pg_db, pg_admin, tmp_path):
    from tests.server_fixtures import _pg_database, _pg_drop

    tables = _two_customers(pg_db)
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    lake = tmp_path / "lake"
    lake.mkdir()
    save_connection(ctx, "parquet", "lake", {"path": str(lake)})
    make_job(ctx, "to lake", "shop", tables, destination="lake")
    assert run(ctx, "to lake").status == "succeeded"
    assert sorted(p.name for p in lake.iterdir()) == ["customer.parquet",
                                                      "sales.customer.parquet"]
    assert pq.read_table(lake / "customer.parquet").num_rows == 30
    assert pq.read_table(lake / "sales.customer.parquet").num_rows == 7

    target = _pg_database(*pg_admin)
    try:
        save_connection(ctx, "postgresql", "copy", target.params())
        make_job(ctx, "to pg", "shop", tables, destination="copy")
        assert run(ctx, "to pg").status == "succeeded"
        assert pg_rows(target, "select count(*) from public.customer") == [(30,)]
        assert pg_rows(target, "select count(*) from sales.customer") == [(7,)]
    finally:
        _pg_drop(pg_admin[1], target.database)


def test_a_destination_without_schemas_gets_the_schema_in_the_name(ctx, pg_db, tmp_path):
    tables = _two_customers(pg_db)
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    db = tmp_path / "out.db"
    sqlite3.connect(db).close()
    save_connection(ctx, "sqlite", "out", {"path": str(db)})
    make_job(ctx, "to sqlite", "shop", tables, destination="out")
    assert run(ctx, "to sqlite").status == "succeeded"
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from customer").fetchone() == (30,)
        assert conn.execute("select count(*) from sales__customer").fetchone() == (7,)


def test_file_names_that_used_to_clean_up_alike_stay_apart(ctx, pg_db, tmp_path):
    pg_exec(pg_db, 'create table "a/b" (n int)', "create table a_b (n int)",
            'create table ".hidden" (n int)', "create table hidden (n int)",
            'insert into "a/b" values (1)', "insert into a_b values (2), (2)",
            'insert into ".hidden" values (3), (3), (3)', "insert into hidden values (4)")
    save_connection(ctx, "postgresql", "odd", pg_db.params())
    lake = tmp_path / "lake"
    lake.mkdir()
    save_connection(ctx, "parquet", "lake", {"path": str(lake)})
    make_job(ctx, "odd", "odd", [TableSpec(t) for t in ("a/b", "a_b", ".hidden", "hidden")],
             destination="lake")
    assert run(ctx, "odd").status == "succeeded"
    counts = {p.name: pq.read_table(p).num_rows for p in lake.iterdir()}
    assert counts == {"a%2Fb.parquet": 1, "a_b.parquet": 2, "%2Ehidden.parquet": 3,
                      "hidden.parquet": 1}


def _orders_and_Orders(pg_db):  # noqa: N802 - the names are the point
    pg_exec(pg_db, 'create table "Orders" (n int)', "create table orders (n int)",
            'insert into "Orders" values (1)', "insert into orders values (2), (2)")


def test_case_only_differences_are_refused_where_case_folds(ctx, pg_db, tmp_path):
    _orders_and_Orders(pg_db)
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    with pytest.raises(ValidationError) as refused:
        make_job(ctx, "case", "shop", [TableSpec("Orders"), TableSpec("orders")])
    message = refused.value.errors["tables"]
    assert "public.Orders and public.orders would both land in main.Orders" in message
    # A folder too: its disk may fold case (macOS, Windows).
    lake = tmp_path / "lake"
    lake.mkdir()
    save_connection(ctx, "parquet", "lake", {"path": str(lake)})
    with pytest.raises(ValidationError) as refused:
        make_job(ctx, "case", "shop", [TableSpec("Orders"), TableSpec("orders")],
                 destination="lake")
    assert "would both land in Orders.parquet (Orders.parquet and orders.parquet are one " \
           "name there)" in refused.value.errors["tables"]
    assert JobService(ctx).list() == []
    # Given another destination table, the job is made and both land whole.
    make_job(ctx, "case", "shop", [TableSpec("Orders"),
                                   TableSpec("orders", dest_table="orders_lower")])
    assert run(ctx, "case").status == "succeeded"
    assert warehouse_rows('select count(*) from "Orders"') == [(1,)]
    assert warehouse_rows("select count(*) from orders_lower") == [(2,)]


def test_case_only_differences_land_apart_in_postgres(ctx, pg_db, pg_admin):
    from tests.server_fixtures import _pg_database, _pg_drop

    _orders_and_Orders(pg_db)
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    target = _pg_database(*pg_admin)
    try:
        save_connection(ctx, "postgresql", "copy", target.params())
        make_job(ctx, "case", "shop", [TableSpec("Orders"), TableSpec("orders")],
                 destination="copy")
        assert run(ctx, "case").status == "succeeded"
        assert pg_rows(target, 'select count(*) from "Orders"') == [(1,)]
        assert pg_rows(target, "select count(*) from orders") == [(2,)]
    finally:
        _pg_drop(pg_admin[1], target.database)


def test_the_same_table_twice_is_refused(ctx, pg_db):
    _two_customers(pg_db)
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    with pytest.raises(ValidationError) as refused:
        make_job(ctx, "twice", "shop", [TableSpec("customer", "sales"),
                                        TableSpec("sales.customer")])
    assert refused.value.errors["tables"] == "sales.customer is in the job twice."


def test_an_older_job_that_collides_fails_before_loading_anything(ctx, pg_db):
    tables = _two_customers(pg_db)
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    job = make_job(ctx, "customers", "shop", tables)
    # Saved by an earlier Sluice: no destination schema, so both would write main.customer.
    with ctx.store.session() as s:
        row = s.get(Job, job.id)
        row.tables = [TableSpec("customer", "public").to_json(),
                      TableSpec("customer", "sales").to_json()]
    result = run(ctx, "customers")
    assert result.status == "failed"
    assert "Nothing was loaded: public.customer and sales.customer would both land in " \
           "main.customer" in result.error
    from app import paths

    assert not paths.warehouse_path().exists()  # not even opened


def test_an_edit_keeps_where_existing_tables_land(ctx, pg_db):
    tables = _two_customers(pg_db)
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    service = JobService(ctx)
    job = make_job(ctx, "customers", "shop", tables[:1])
    draft = job.draft()
    draft.tables.append(TableSpec("customer", "sales"))
    changed = service.update(job.id, JobDraft(draft.name, draft.source, draft.tables))
    assert [(t.schema, t.dest_schema) for t in changed.tables] == [("public", None),
                                                                   ("sales", "sales")]
