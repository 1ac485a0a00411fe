"""MariaDB and SQLite as destinations: replace swaps atomically, incremental appends."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

from app.services.jobs import TableSpec
from tests.integration.engine_helpers import make_job, pg_exec, rows, run, save_connection


def _source(ctx, pg_db):
    pg_exec(pg_db, "create table sales (id int primary key, amount numeric(10,2), "
                   "at timestamptz, who text)",
            "insert into sales values (1, 9.99, '2024-05-01 10:00+02', 'Zoë'), "
            "(2, null, '2024-05-01 11:00+00', null)")
    save_connection(ctx, "postgresql", "src", pg_db.params())


def test_postgres_to_mariadb_replace_then_incremental(ctx, pg_db, mariadb_db):
    import pymysql

    _source(ctx, pg_db)
    save_connection(ctx, "mariadb", "maria", mariadb_db.params(password=mariadb_db.password))
    make_job(ctx, "to maria", "src", [TableSpec("sales")], destination="maria")
    make_job(ctx, "to maria inc", "src",
             [TableSpec("sales", mode="incremental", cursor="at", dest_table="sales_inc")],
             destination="maria")
    assert run(ctx, "to maria").status == "succeeded"
    assert run(ctx, "to maria inc").status == "succeeded"
    pg_exec(pg_db, "insert into sales values (3, 1.50, '2024-05-02 09:00+00', 'new')")
    assert run(ctx, "to maria").status == "succeeded"
    second = run(ctx, "to maria inc")
    assert (second.status, second.rows_written) == ("succeeded", 1), second.error

    conn = pymysql.connect(host=mariadb_db.host, port=mariadb_db.port, user=mariadb_db.user,
                           password=mariadb_db.password, database=mariadb_db.database)
    with conn.cursor() as cur:
        expected = [(1, Decimal("9.99"), datetime(2024, 5, 1, 8, 0), "Zoë"),
                    (2, None, datetime(2024, 5, 1, 11, 0), None),
                    (3, Decimal("1.50"), datetime(2024, 5, 2, 9, 0), "new")]
        for table in ("sales", "sales_inc"):
            cur.execute(f"select id, amount, at, who from {table}")
            assert rows(cur.fetchall()) == expected, table  # DATETIME holds UTC
        cur.execute("show tables like '\\_sluice\\_stage\\_%'")
        assert cur.fetchall() == ()
    conn.close()


def test_postgres_to_sqlite(ctx, pg_db, tmp_path):
    _source(ctx, pg_db)
    db = tmp_path / "out.sqlite"
    sqlite3.connect(db).close()
    save_connection(ctx, "sqlite", "lite", {"path": str(db)})
    make_job(ctx, "to lite", "src", [TableSpec("sales", mode="merge", primary_key=["id"])],
             destination="lite")
    first = run(ctx, "to lite")
    assert first.status == "succeeded", first.error
    pg_exec(pg_db, "update sales set who = 'Zoe' where id = 1")
    assert run(ctx, "to lite").status == "succeeded"
    with sqlite3.connect(db) as conn:
        got = conn.execute("select id, amount, at, who from sales order by id").fetchall()
    assert got == [(1, "9.99", datetime(2024, 5, 1, 8, tzinfo=UTC).isoformat(), "Zoe"),
                   (2, None, datetime(2024, 5, 1, 11, tzinfo=UTC).isoformat(), None)]
