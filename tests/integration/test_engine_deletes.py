"""Detect deletes: a merge removes, or marks in _sluice_deleted_at, the destination rows
whose key the source no longer has, in the same transaction as the merge."""

from __future__ import annotations

import sqlite3

import pytest

from app.services.jobs import TableSpec
from tests.integration.engine_helpers import (
    make_job,
    maria_and_sqlite,
    maria_rows,
    pg_exec,
    pg_rows,
    run,
    save_connection,
    warehouse_rows,
)


def _stock(pg_db) -> None:
    pg_exec(pg_db, "create table stock (sku text, store int, qty int, primary key (sku, store))",
            "insert into stock values ('a', 1, 5), ('a', 2, 6), ('b', 1, 7), ('c', 1, 8)")


def _merge(ctx, pg_db, destination: str, deletes: str) -> None:
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "stock", "src", [TableSpec("stock", mode="merge", detect_deletes=deletes)],
             destination=destination)  # the key is the source's (sku, store)


def _changes_at_the_source(pg_db) -> None:
    pg_exec(pg_db, "delete from stock where (sku, store) in (('a', 2), ('c', 1))",
            "update stock set qty = 70 where sku = 'b'", "insert into stock values ('d', 1, 9)")


def test_deleted_rows_are_deleted_and_counted(ctx, pg_db):
    _stock(pg_db)
    _merge(ctx, pg_db, "local", "delete")
    first = run(ctx, "stock")
    assert (first.status, first.rows_written) == ("succeeded", 4), first.error
    _changes_at_the_source(pg_db)
    second = run(ctx, "stock")
    assert second.status == "succeeded", second.error
    assert warehouse_rows("select sku, store, qty from stock") == [
        ("a", 1, 5), ("b", 1, 70), ("d", 1, 9)]
    [table] = second.tables
    assert table["deleted"] == 2
    assert table["notice"] == "2 rows gone from the source were deleted"
    assert "public.stock: 2 rows gone from the source were deleted" in second.log


def test_deleted_rows_are_marked_and_come_back_unmarked(ctx, pg_db, pg_admin):
    """PostgreSQL to PostgreSQL (the binary pipe): the mark is a timestamptz column."""
    from tests.server_fixtures import _pg_database, _pg_drop

    _stock(pg_db)
    server, admin = pg_admin
    target = _pg_database(server, admin)
    try:
        save_connection(ctx, "postgresql", "dst", target.params())
        _merge(ctx, pg_db, "dst", "mark")
        assert run(ctx, "stock").status == "succeeded"
        assert pg_rows(target, "select count(*) from stock where _sluice_deleted_at is null") \
            == [(4,)]
        _changes_at_the_source(pg_db)
        second = run(ctx, "stock")
        assert second.status == "succeeded", second.error
        assert second.tables[0]["notice"] == \
            "2 rows gone from the source were marked in _sluice_deleted_at"
        marked = sorted(pg_rows(target, "select sku, store, qty, _sluice_deleted_at is not null, "
                                        "_sluice_deleted_at from stock"))
        assert [r[:4] for r in marked] == [("a", 1, 5, False), ("a", 2, 6, True),
                                           ("b", 1, 70, False), ("c", 1, 8, True),
                                           ("d", 1, 9, False)]
        when = {r[:2]: r[4] for r in marked if r[3]}
        assert when[("a", 2)].tzinfo is not None and when[("a", 2)] == when[("c", 1)]
        # A third run marks nothing new and keeps the first time; a row back is unmarked.
        pg_exec(pg_db, "insert into stock values ('c', 1, 80)")
        third = run(ctx, "stock")
        assert third.status == "succeeded" and "deleted" not in third.tables[0]
        again = sorted(pg_rows(target, "select sku, store, qty, _sluice_deleted_at from "
                                       "stock where _sluice_deleted_at is not null "
                                       "or sku = 'c'"))
        assert again == [("a", 2, 6, when[("a", 2)]), ("c", 1, 80, None)]
    finally:
        _pg_drop(admin, target.database)


@pytest.mark.parametrize("deletes", ["delete", "mark"])
def test_detect_deletes_into_mariadb_and_sqlite(ctx, pg_db, mariadb_db, tmp_path, deletes):
    _stock(pg_db)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    db = maria_and_sqlite(ctx, mariadb_db, tmp_path)
    for dest in ("maria", "lite"):
        make_job(ctx, f"to {dest}", "src", [TableSpec("stock", mode="merge",
                                                      detect_deletes=deletes)],
                 destination=dest)
        assert run(ctx, f"to {dest}").status == "succeeded"
    _changes_at_the_source(pg_db)
    for dest in ("maria", "lite"):
        done = run(ctx, f"to {dest}")
        assert (done.status, done.tables[0].get("deleted")) == ("succeeded", 2), done.error
    query = ("select sku, store, qty from stock" if deletes == "delete" else
             "select sku, store, qty, _sluice_deleted_at is not null from stock")
    expected = [("a", 1, 5), ("b", 1, 70), ("d", 1, 9)] if deletes == "delete" else [
        ("a", 1, 5, 0), ("a", 2, 6, 1), ("b", 1, 70, 0), ("c", 1, 8, 1), ("d", 1, 9, 0)]
    assert sorted(maria_rows(mariadb_db, query)) == expected
    with sqlite3.connect(db) as conn:
        assert sorted(conn.execute(query).fetchall()) == expected


def test_a_failed_merge_neither_deletes_nor_marks(ctx, pg_db):
    """The deletes and the merge are one transaction: a merge that fails changes nothing."""
    _stock(pg_db)
    _merge(ctx, pg_db, "local", "delete")
    assert run(ctx, "stock").status == "succeeded"
    pg_exec(pg_db, "delete from stock where sku = 'c'",
            "alter table stock alter column qty type text",
            "update stock set qty = 'many' where sku = 'a'")
    failed = run(ctx, "stock")
    assert failed.status == "failed" and "changed type" in failed.error
    assert warehouse_rows("select sku, store, qty from stock") == [
        ("a", 1, 5), ("a", 2, 6), ("b", 1, 7), ("c", 1, 8)]
