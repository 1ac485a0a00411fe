"""Incremental and merge: nothing lost, nothing loaded twice, the cursor moves with the data."""

from __future__ import annotations

import pytest

from app.services.jobs import TableSpec
from tests.integration.engine_helpers import (
    make_job,
    maria_and_sqlite,
    pg_exec,
    pg_rows,
    run,
    save_connection,
    warehouse_rows,
)


def _events(pg_db) -> None:
    pg_exec(pg_db, "create table events (id int, seen timestamptz, what text)",
            "insert into events values "
            "(1, '2024-01-01 10:00+00', 'a'), (2, '2024-01-01 11:00+00', 'b'), "
            "(3, '2024-01-01 12:00+00', 'c'), (4, '2024-01-01 12:00+00', 'd'), "
            "(5, '2024-01-01 12:00+00', 'e'), (6, null, 'no cursor')")


def _all(table: str = "events") -> list[tuple]:
    return warehouse_rows(f"select id, what from {table}")


def test_incremental_without_key_loses_and_duplicates_nothing(ctx, pg_db):
    _events(pg_db)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "inc", "src", [TableSpec("events", mode="incremental", cursor="seen")])

    first = run(ctx, "inc")
    assert first.status == "succeeded", first.error
    # The first run is a full load: the row without a cursor comes too.
    assert _all() == [(1, "a"), (2, "b"), (3, "c"), (4, "d"), (5, "e"), (6, "no cursor")]
    assert first.cursor_after == {"public.events": "2024-01-01T12:00:00+00:00"}
    assert "public.events: 1 row has no seen (loaded by this full run)" in first.log

    # Nothing new: nothing loaded, the three rows on the boundary are not loaded again;
    # the row without a cursor is counted where the user looks.
    second = run(ctx, "inc")
    assert second.rows_written == 0 and len(_all()) == 6
    assert second.tables[0]["notice"] == "1 row has no seen and was not synced"

    # New rows, and a late row whose cursor equals the high-water mark.
    pg_exec(pg_db, "insert into events values (7, '2024-01-01 12:00+00', 'late on the mark'), "
                   "(8, '2024-01-01 13:00+00', 'f'), (9, '2024-01-01 13:00+00', 'g')")
    third = run(ctx, "inc")
    assert third.rows_written == 3, third.log
    assert third.cursor_before == {"public.events": "2024-01-01T12:00:00+00:00"}
    assert third.cursor_after == {"public.events": "2024-01-01T13:00:00+00:00"}
    assert _all() == [(1, "a"), (2, "b"), (3, "c"), (4, "d"), (5, "e"), (6, "no cursor"),
                      (7, "late on the mark"), (8, "f"), (9, "g")]

    pg_exec(pg_db, "insert into events values (10, '2024-01-01 13:00+00', 'h')")
    assert run(ctx, "inc").rows_written == 1
    assert [r[0] for r in _all()] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]


def test_a_row_swapped_on_the_mark_is_found_though_the_count_is_the_same(ctx, pg_db):
    """The quick "nothing changed" check (count and row hashes of the rows at the mark, in
    the warehouse) must not take a deleted row and a new one at the same mark for no
    change; duplicates at the mark count as held, as the row-by-row comparison says."""
    _events(pg_db)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "inc", "src", [TableSpec("events", mode="incremental", cursor="seen")])
    assert run(ctx, "inc").status == "succeeded"
    pg_exec(pg_db, "delete from events where id = 5",
            "insert into events values (11, '2024-01-01 12:00+00', 'swapped in')")
    result = run(ctx, "inc")
    assert result.rows_written == 1, result.log  # the new row; the deleted one stays
    assert (11, "swapped in") in _all() and (5, "e") in _all()
    # Two equal rows at the mark where the warehouse holds one: held (not loaded again).
    pg_exec(pg_db, "insert into events values (3, '2024-01-01 12:00+00', 'c')")
    assert run(ctx, "inc").rows_written == 0
    assert run(ctx, "inc").rows_written == 0  # and the quick check agrees next time


def test_incremental_with_key_and_lookback_upserts(ctx, pg_db):
    pg_exec(pg_db, "create table accounts (id int primary key, balance numeric(10,2), "
                   "updated timestamptz)",
            "insert into accounts values (1, 10, '2024-01-01 10:00+00'), "
            "(2, 20, '2024-01-01 10:30+00')")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "acc", "src", [TableSpec("accounts", mode="incremental", cursor="updated",
                                           primary_key=["id"], lookback="2h")])
    assert run(ctx, "acc").rows_written == 2
    # A row changed, with a timestamp inside the look-back window but before the mark.
    pg_exec(pg_db, "update accounts set balance = 11, updated = '2024-01-01 10:15+00' "
                   "where id = 1", "insert into accounts values (3, 30, '2024-01-01 11:00+00')")
    second = run(ctx, "acc")
    assert second.status == "succeeded", second.error
    assert warehouse_rows("select id, balance from accounts") == [(1, 11), (2, 20), (3, 30)]


def test_merge_upserts_by_primary_key(ctx, pg_db, pg_admin):
    from tests.server_fixtures import _pg_database, _pg_drop

    server, admin = pg_admin
    target = _pg_database(server, admin)
    try:
        pg_exec(pg_db, "create table stock (sku text, store int, qty int, "
                       "primary key (sku, store))",
                "insert into stock values ('a', 1, 5), ('a', 2, 6), ('b', 1, 7)")
        save_connection(ctx, "postgresql", "src", pg_db.params())
        save_connection(ctx, "postgresql", "dst", target.params())
        make_job(ctx, "stock", "src", [TableSpec("stock", mode="merge",
                                                 primary_key=["sku", "store"])],
                 destination="dst")
        assert run(ctx, "stock").status == "succeeded"
        pg_exec(pg_db, "update stock set qty = 0 where sku = 'a' and store = 2",
                "insert into stock values ('c', 1, 1)")
        assert run(ctx, "stock").status == "succeeded"
        assert pg_rows(target, "select sku, store, qty from stock") == [
            ("a", 1, 5), ("a", 2, 0), ("b", 1, 7), ("c", 1, 1)]
    finally:
        _pg_drop(admin, target.database)


def test_append_adds_new_source_columns(ctx, pg_db):
    pg_exec(pg_db, "create table log (id int, msg text)", "insert into log values (1, 'x')")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "log", "src", [TableSpec("log", mode="append")])
    run(ctx, "log")
    pg_exec(pg_db, "alter table log add column level text", "delete from log",
            "insert into log values (2, 'y', 'warn')")
    assert run(ctx, "log").status == "succeeded"
    assert warehouse_rows("select id, msg, level from log") == [(1, "x", None), (2, "y", "warn")]


def test_incremental_from_mariadb_through_the_fast_path(ctx, mariadb_db):
    import pymysql

    conn = pymysql.connect(host=mariadb_db.host, port=mariadb_db.port, user=mariadb_db.user,
                           password=mariadb_db.password, database=mariadb_db.database,
                           autocommit=True)
    with conn.cursor() as cur:
        cur.execute("create table visits (id int primary key, at datetime(6), page text)")
        cur.execute("insert into visits values (1, '2024-01-01 10:00:00', 'home'), "
                    "(2, '2024-01-01 10:00:00', 'about')")
    save_connection(ctx, "mariadb", "maria", mariadb_db.params(password=mariadb_db.password))
    make_job(ctx, "visits", "maria", [TableSpec("visits", mode="incremental", cursor="at")])
    assert run(ctx, "visits").rows_written == 2
    with conn.cursor() as cur:
        cur.execute("insert into visits values (3, '2024-01-01 10:00:00', 'late, same time'), "
                    "(4, '2024-01-02 09:30:00', 'next day')")
    conn.close()
    second = run(ctx, "visits")
    assert second.rows_written == 2, second.log
    assert second.cursor_after == {"visits": "2024-01-02T09:30:00"}
    assert warehouse_rows("select id, page from visits") == [
        (1, "home"), (2, "about"), (3, "late, same time"), (4, "next day")]


def test_rows_at_the_mark_are_told_apart_in_every_sql_destination(ctx, pg_db, mariadb_db,
                                                                    tmp_path):
    import sqlite3

    from tests.integration.engine_helpers import maria_rows

    _events(pg_db)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    db = maria_and_sqlite(ctx, mariadb_db, tmp_path)
    for dest in ("maria", "lite"):
        make_job(ctx, f"to {dest}", "src", [TableSpec("events", mode="incremental",
                                                      cursor="seen")], destination=dest)
        assert run(ctx, f"to {dest}").rows_written == 6
    pg_exec(pg_db, "insert into events values (7, '2024-01-01 12:00+00', 'late'), "
                   "(8, null, 'also no cursor')")
    for dest in ("maria", "lite"):
        again = run(ctx, f"to {dest}")
        assert (again.status, again.rows_written) == ("succeeded", 1), again.error
    assert sorted(r[0] for r in maria_rows(mariadb_db, "select id from events")) == \
        [1, 2, 3, 4, 5, 6, 7]
    with sqlite3.connect(db) as conn:
        assert sorted(r[0] for r in conn.execute("select id from events")) == \
            [1, 2, 3, 4, 5, 6, 7]


def test_a_million_rows_sharing_one_cursor_value(ctx, pg_db):
    pg_exec(pg_db, "create table bulk (id int, note text, updated_at timestamptz)",
            "insert into bulk select g, 'n' || g, timestamptz '2024-05-01 00:00+00' "
            "from generate_series(1, 1000000) g")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "bulk", "src", [TableSpec("bulk", mode="incremental", cursor="updated_at")])
    first = run(ctx, "bulk")
    assert (first.status, first.rows_written) == ("succeeded", 1_000_000), first.error
    unchanged = run(ctx, "bulk")
    assert (unchanged.status, unchanged.rows_written) == ("succeeded", 0), unchanged.error
    pg_exec(pg_db, "insert into bulk values (0, 'late', timestamptz '2024-05-01 00:00+00')")
    late = run(ctx, "bulk")
    assert late.rows_written == 1
    assert warehouse_rows("select count(*), count(distinct id) from bulk") == [
        (1_000_001, 1_000_001)]
    [(state,)] = warehouse_rows("select state from _sluice_state")
    assert len(state) < 300, state  # the mark and the columns, not a million hashes


@pytest.mark.parametrize("server", ["postgresql ICU", "mariadb case-insensitive",
                                    "sqlite nocase"])
def test_a_text_cursor_is_compared_in_byte_order_whatever_the_collation(
        ctx, pg_db, mariadb_db, tmp_path, server):
    """'a1' > 'B2' by their bytes (the mark's order), 'a1' < 'B2' in the column's
    collation: the source must filter by bytes too, or 'B2' is read on every run."""
    from tests.integration.engine_helpers import maria_exec

    if server.startswith("postgresql"):
        pg_exec(pg_db, 'create table codes (code text collate "en-x-icu", n int)',
                "insert into codes values ('a1', 1), ('B2', 2)")
        save_connection(ctx, "postgresql", "src", pg_db.params())
        add = lambda: pg_exec(pg_db, "insert into codes values ('b3', 3)")  # noqa: E731
    elif server.startswith("sqlite"):
        import sqlite3

        path = tmp_path / "codes.db"

        def add() -> None:
            with sqlite3.connect(path) as conn:
                conn.execute("insert into codes values ('b3', 3)")
        with sqlite3.connect(path) as conn:
            conn.execute("create table codes (code text collate nocase, n int)")
            conn.execute("insert into codes values ('a1', 1), ('B2', 2)")
        save_connection(ctx, "sqlite", "src", {"path": str(path)})
    else:
        maria_exec(mariadb_db, "create table codes (code varchar(10), n int) "
                               "collate utf8mb4_general_ci",
                   "insert into codes values ('a1', 1), ('B2', 2)")
        save_connection(ctx, "mariadb", "src", mariadb_db.params(password=mariadb_db.password))
        add = lambda: maria_exec(mariadb_db, "insert into codes values ('b3', 3)")  # noqa: E731
    make_job(ctx, "codes", "src", [TableSpec("codes", mode="incremental", cursor="code")])
    first = run(ctx, "codes")
    assert (first.rows_written, list(first.cursor_after.values())) == (2, ["a1"]), first.error
    unchanged = run(ctx, "codes")
    # Only the row at the mark is read again, and it is not written.
    assert (unchanged.status, unchanged.rows_read, unchanged.rows_written) == \
        ("succeeded", 1, 0), unchanged.error
    add()
    after = run(ctx, "codes")
    assert (after.rows_read, after.rows_written, list(after.cursor_after.values())) == \
        (2, 1, ["b3"])
    assert warehouse_rows("select n, code from codes") == [(1, "a1"), (2, "B2"), (3, "b3")]


def test_a_merge_rewrites_only_the_rows_that_changed(ctx, pg_db, pg_admin):
    """Into PostgreSQL through the binary pipe, with types that have no `=` (json, point)."""
    from tests.server_fixtures import _pg_database, _pg_drop

    server, admin = pg_admin
    target = _pg_database(server, admin)
    try:
        pg_exec(pg_db, "create table places (id int primary key, doc json, at point, n int)",
                "insert into places select g, json_build_object('g', g), point(g, g), null "
                "from generate_series(1, 1000) g")
        save_connection(ctx, "postgresql", "src", pg_db.params())
        save_connection(ctx, "postgresql", "dst", target.params())
        for dest in ("dst", "local"):
            make_job(ctx, f"to {dest}", "src", [TableSpec("places", mode="merge")],
                     destination=dest)
            assert run(ctx, f"to {dest}").rows_written == 1000
            unchanged = run(ctx, f"to {dest}")
            assert (unchanged.status, unchanged.rows_written) == ("succeeded", 0), \
                unchanged.error
        pg_exec(pg_db, "update places set doc = '{\"g\": \"changed\"}' where id = 7",
                "update places set n = 1 where id = 8")
        for dest in ("dst", "local"):
            assert run(ctx, f"to {dest}").rows_written == 2
        assert pg_rows(target, "select id, doc::text, n from places where id in (7, 8)") == [
            (7, '{"g": "changed"}', None), (8, '{"g" : 8}', 1)]
        assert pg_rows(target, "select count(*), count(distinct id) from places") == [
            (1000, 1000)]
        assert warehouse_rows("select count(*), count(distinct id) from places") == [
            (1000, 1000)]
    finally:
        _pg_drop(admin, target.database)
