"""A custom read-only SQL query as a job's table (PostgreSQL): columns and types from the
query, checked against the live source when the job is saved (a failing query is refused
with the server's message), incremental by a column of its result, landing in the table it
is named for."""

from __future__ import annotations

import json

import pytest

from app.etl.spec import TableSpec
from app.services.errors import ValidationError
from tests.integration.engine_helpers import (
    make_job,
    pg_exec,
    run,
    save_connection,
    warehouse_rows,
)
from tests.integration.test_cli import sluice

JOINED = ("select o.id, c.name, o.total, o.changed from sales.orders o "
          "join sales.customers c on c.id = o.customer_id where o.total > 10")


@pytest.fixture
def shop(ctx, pg_db):
    pg_exec(pg_db, "create schema sales",
            "create table sales.customers (id int primary key, name text)",
            "create table sales.orders (id int primary key, customer_id int, "
            "total numeric(8,2), changed timestamptz)",
            "insert into sales.customers values (1, 'Ann'), (2, 'Bob')",
            "insert into sales.orders values (1, 1, 5, '2026-01-01 10:00+00'), "
            "(2, 1, 50, '2026-01-01 11:00+00'), (3, 2, 70, '2026-01-01 12:00+00')")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    return pg_db


def test_a_join_with_a_where_clause_lands_the_right_rows(ctx, shop):
    make_job(ctx, "big orders", "src", [TableSpec("big_orders", query=JOINED)])
    done = run(ctx, "big orders")
    assert done.status == "succeeded", done.error
    assert warehouse_rows("select id, name, total from big_orders order by id") == [
        (2, "Ann", 50), (3, "Bob", 70)]
    types = dict(warehouse_rows("select column_name, data_type from information_schema."
                                "columns where table_name = 'big_orders'"))
    assert types == {"id": "INTEGER", "name": "VARCHAR", "total": "DECIMAL(8,2)",
                     "changed": "TIMESTAMP WITH TIME ZONE"}


def test_a_query_with_an_error_is_refused_when_the_job_is_saved(ctx, shop):
    with pytest.raises(ValidationError) as refused:
        make_job(ctx, "bad", "src", [TableSpec("bad", query="select id, nope from "
                                                            "sales.orders")])
    message = str(refused.value)
    assert "The query bad failed" in message and 'column "nope" does not exist' in message
    with pytest.raises(ValidationError, match="syntax error"):
        make_job(ctx, "bad", "src", [TableSpec("bad", query="selec 1")])
    with pytest.raises(ValidationError, match="The query bad failed"):
        make_job(ctx, "bad", "src", [TableSpec("bad", query="delete from sales.orders")])


def test_an_incremental_query_continues_from_its_cursor(ctx, shop):
    make_job(ctx, "inc", "src", [TableSpec("big_orders", query=JOINED, mode="incremental",
                                           cursor="changed", primary_key=["id"])])
    assert run(ctx, "inc").status == "succeeded"
    pg_exec(shop, "insert into sales.orders values (4, 2, 99, '2026-01-02 09:00+00'), "
                  "(5, 2, 1, '2026-01-02 10:00+00')",
            "update sales.orders set total = 55, changed = '2026-01-02 11:00+00' where id = 2")
    again = run(ctx, "inc")
    assert again.status == "succeeded", again.error
    assert again.rows_written == 2  # order 4 (new) and 2 (changed); 5 is filtered out
    assert warehouse_rows("select id, total from big_orders order by id") == [
        (2, 55), (3, 70), (4, 99)]


def test_job_add_query_on_the_command_line(ctx, shop):
    made = sluice("job", "add", "--name", "q", "--source", "src", "--table", "sales.customers",
                  "--query", f"big_orders={JOINED}", "--mode", "big_orders=incremental",
                  "--cursor", "big_orders=changed")
    assert made.returncode == 0, made.stderr
    shown = json.loads(sluice("job", "show", "q", "--json").stdout)
    query = next(t for t in shown["tables"] if t["table"] == "big_orders")
    assert (query["query"], query["mode"], query["cursor"]) == (JOINED, "incremental",
                                                                "changed")
    ran = json.loads(sluice("job", "run", "q", "--json").stdout)
    assert ran["status"] == "succeeded"
    assert [(t["table"], t["rows"]) for t in ran["tables"]] == [("sales.customers", 2),
                                                               ("big_orders", 2)]
    bad = sluice("job", "add", "--name", "q2", "--source", "src", "--query", "x=selec 1")
    assert bad.returncode == 1 and "syntax error" in bad.stderr


def test_a_query_into_postgresql_goes_through_the_direct_pipe(ctx, shop):
    from tests.integration.engine_helpers import pg_rows

    make_job(ctx, "pg", "src", [TableSpec("big_orders", query=JOINED, dest_schema="copy")],
             destination="src")
    done = run(ctx, "pg")
    assert done.status == "succeeded", done.error
    assert pg_rows(shop, "select id, name from copy.big_orders order by id") == [
        (2, "Ann"), (3, "Bob")]


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_queries_on_file_databases(ctx, tmp_path, kind):
    """SQLite (a temporary view, though the file is opened read-only) and DuckDB (a
    subquery on the read-only file): the same join, refusal and cursor."""
    import sqlite3

    import duckdb

    path = tmp_path / f"shop.{kind}"
    db = (sqlite3 if kind == "sqlite" else duckdb).connect(str(path))
    for statement in (
            "create table customers (id integer primary key, name text)",
            "create table orders (id integer primary key, customer_id integer, "
            "total double, changed timestamp)",
            "insert into customers values (1, 'Ann'), (2, 'Bob')",
            "insert into orders values (1, 1, 5, '2026-01-01 10:00:00'), "
            "(2, 1, 50, '2026-01-01 11:00:00'), (3, 2, 70, '2026-01-01 12:00:00')"):
        db.execute(statement)
    db.commit()
    db.close()
    save_connection(ctx, kind, "files", {"path": str(path)})
    query = ("select o.id, c.name, o.total, o.changed from orders o join customers c "
             "on c.id = o.customer_id where o.total > 10")
    with pytest.raises(ValidationError, match="The query bad failed"):
        make_job(ctx, "bad", "files", [TableSpec("bad", query="select nope from orders")])
    make_job(ctx, "q", "files", [TableSpec("big", query=query, mode="incremental",
                                           cursor="changed", primary_key=["id"])])
    assert run(ctx, "q").status == "succeeded"
    assert warehouse_rows("select id, name from big order by id") == [(2, "Ann"), (3, "Bob")]
    db = (sqlite3 if kind == "sqlite" else duckdb).connect(str(path))
    db.execute("insert into orders values (4, 2, 99, '2026-01-02 09:00:00')")
    db.commit()
    db.close()
    again = run(ctx, "q")
    assert again.status == "succeeded", again.error
    assert again.rows_written == 1
    assert warehouse_rows("select id from big order by id") == [(2,), (3,), (4,)]


def test_queries_on_mariadb(ctx, mariadb_db):
    """MySQL/MariaDB (no temporary views): the query's columns from an empty temporary
    table of the session, the rows through the derived table; the same join, refusal and
    cursor, with a decimal and an unsigned column planned as for a table."""
    from tests.integration.engine_helpers import maria_exec

    maria_exec(mariadb_db,
               "create table customers (id int primary key, name varchar(20))",
               "create table orders (id int unsigned primary key, customer_id int, "
               "total decimal(8,2), changed datetime(6))",
               "insert into customers values (1, 'Ann'), (2, 'Bob')",
               "insert into orders values (1, 1, 5, '2026-01-01 10:00'), "
               "(2, 1, 50, '2026-01-01 11:00'), (3, 2, 70, '2026-01-01 12:00')")
    save_connection(ctx, "mariadb", "maria", mariadb_db.params(password=mariadb_db.password))
    query = ("select o.id, c.name, o.total, o.changed from orders o join customers c "
             "on c.id = o.customer_id where o.total > 10")
    with pytest.raises(ValidationError, match="The query bad failed: Unknown column 'nope'"):
        make_job(ctx, "bad", "maria", [TableSpec("bad", query="select nope from orders")])
    make_job(ctx, "q", "maria", [TableSpec("big", query=query, mode="incremental",
                                           cursor="changed", primary_key=["id"])])
    assert run(ctx, "q").status == "succeeded"
    assert warehouse_rows("select id, name, total from big order by id") == [
        (2, "Ann", 50), (3, "Bob", 70)]
    types = dict(warehouse_rows("select column_name, data_type from information_schema."
                                "columns where table_name = 'big'"))
    assert (types["id"], types["total"]) == ("BIGINT", "DECIMAL(8,2)")  # as for a table
    maria_exec(mariadb_db, "insert into orders values (4, 2, 99, '2026-01-02 09:00')")
    again = run(ctx, "q")
    assert again.status == "succeeded", again.error
    assert again.rows_written == 1
