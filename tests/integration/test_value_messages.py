"""A value that cannot land is named by its table, column and row; odd names work.

These used to read "In CSV column #26: Row #2: ...", "invalid byte sequence", or, for a `%`
in a MariaDB name, "not enough arguments for format string".
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from app.services.jobs import TableSpec
from tests.integration.engine_helpers import (
    make_job,
    maria_rows,
    pg_exec,
    run,
    save_connection,
    warehouse_rows,
)


def _values(ctx, pg_db):
    pg_exec(pg_db, "create table orders (id int primary key, delivered_at timestamp, "
                   "amount numeric(12,2), huge numeric(60,0), note text)",
            "insert into orders select g, '2024-01-01', g, 10::numeric ^ 59, 'n' "
            "from generate_series(1, 3) g")
    save_connection(ctx, "postgresql", "shop", pg_db.params())


def test_a_value_arrow_cannot_hold_names_table_column_and_row(ctx, pg_db):
    _values(ctx, pg_db)
    make_job(ctx, "orders", "shop", [TableSpec("orders")])
    # Infinity is no longer such a value: the table is read again with times as numbers,
    # and the warehouse holds it (see test_engine_pg_types for the other destinations).
    pg_exec(pg_db, "insert into orders values (4, 'infinity', 1, 1, 'n')")
    result = run(ctx, "orders")
    assert result.status == "succeeded", result.error
    assert "public.orders.delivered_at, row 4: 'infinity': read again with times as " \
           "numbers" in result.log
    assert warehouse_rows("select delivered_at::text from orders where id = 4") == [
        ("infinity",)]
    # Rows are counted in the order they are read (here: as inserted).
    pg_exec(pg_db, "delete from orders where id = 4",
            "insert into orders values (5, now(), 'NaN', 1, 'n')")
    result = run(ctx, "orders")
    assert result.error == (
        "public.orders.amount, row 4: 'NaN' cannot be stored as a DECIMAL(12, 2); leave the "
        "column out, or read it through a view that casts it.")
    pg_exec(pg_db, "delete from orders where id = 5",
            "insert into orders values (6, now(), 1, 'NaN', 'n')")
    result = run(ctx, "orders")
    assert result.error == (
        "public.orders.huge, row 4: 'NaN' cannot be stored as a DECIMAL(60, 0); leave the "
        "column out, or read it through a view that casts it.")


def test_a_60_digit_numeric_lands_whole_or_is_named(ctx, pg_db, mariadb_db):
    _values(ctx, pg_db)
    make_job(ctx, "orders", "shop", [TableSpec("orders")])
    assert run(ctx, "orders").status == "succeeded"
    assert warehouse_rows("select huge from orders where id = 1") == [("1" + "0" * 59,)]
    save_connection(ctx, "mariadb", "maria", mariadb_db.params(password=mariadb_db.password))
    make_job(ctx, "to maria", "shop", [TableSpec("orders")], destination="maria")
    assert run(ctx, "to maria").status == "succeeded"
    assert maria_rows(mariadb_db, "select huge from orders where id = 1") == [
        (Decimal("1" + "0" * 59),)]
    # Wider than MariaDB's 65 digits: the column and row are named.
    pg_exec(pg_db, "alter table orders alter column huge type numeric(70,0)",
            "update orders set huge = 10::numeric ^ 69 where id = 3")
    result = run(ctx, "to maria")
    assert result.status == "failed"
    assert result.error == ("public.orders: The server refused values while loading: Out of "
                            "range value for column 'huge' at row 3")


def test_percent_signs_work_and_emoji_are_said_plainly_in_mariadb_names(ctx, pg_db, mariadb_db):
    pg_exec(pg_db, 'create table "100% orders" ("id%" int primary key, "note😀" text)',
            "insert into \"100% orders\" values (1, 'a'), (2, 'b')")
    save_connection(ctx, "postgresql", "shop", pg_db.params())
    save_connection(ctx, "mariadb", "maria", mariadb_db.params(password=mariadb_db.password))
    make_job(ctx, "odd", "shop", [TableSpec("100% orders", exclude_columns=["note😀"])],
             destination="maria")
    result = run(ctx, "odd")
    assert result.status == "succeeded", result.error
    assert maria_rows(mariadb_db, "select `id%` from `100% orders` order by 1") == [(1,), (2,)]
    make_job(ctx, "emoji", "shop", [TableSpec("100% orders", dest_table="emoji")],
             destination="maria")
    result = run(ctx, "emoji")
    assert result.error == (
        "public.100% orders: MySQL and MariaDB cannot name anything 'note😀': their names "
        "hold no 4-byte characters such as emoji. Give the table another destination name, or "
        "leave the column out.")


def test_a_nul_character_is_named_for_postgres(ctx, pg_db, tmp_path):
    db = tmp_path / "notes.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table notes (id integer primary key, body text)")
        conn.executemany("insert into notes values (?, ?)",
                         [(1, "fine"), (2, "also fine"), (3, "bad\x00byte")])
    save_connection(ctx, "sqlite", "notes", {"path": str(db)})
    save_connection(ctx, "postgresql", "pg", pg_db.params())
    make_job(ctx, "notes", "notes", [TableSpec("notes")], destination="pg")
    result = run(ctx, "notes")
    assert result.status == "failed"
    assert result.error == (
        "notes: body, row 3: text with a NUL character (\\0) cannot be stored in PostgreSQL; "
        "leave the column out, or clean it at the source.")
