"""Round trips through the engine, every row compared, against the real servers."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pyarrow.parquet as pq

from app.services.jobs import TableSpec
from tests.integration.engine_helpers import (
    make_job,
    pg_exec,
    pg_rows,
    rows,
    run,
    save_connection,
    warehouse_rows,
)

PG_TYPES = """
create table public.every_type (
    id integer primary key, small smallint, big bigint, money numeric(12,2),
    wide numeric(38,10), plain numeric, r real, d double precision, flag boolean,
    t text, v varchar(20), day date, stamp timestamp, at_tz timestamptz, clock time,
    raw bytea, doc jsonb, tags int[], uid uuid
)"""
PG_ROWS = """
insert into public.every_type values
 (1, 7, 9007199254740993, 1234567890.12, 12345678901234567890.0123456789, 3.14159265358979,
  1.5, 2.25, true, 'zażółć gęślą jaźń ✓', 'ascii', '2024-02-29', '2024-01-02 03:04:05.123456',
  '2024-01-02 03:04:05.654321+02', '23:59:59.5', '\\x00ff10', '{"a": [1, 2]}', '{1,2,3}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
 (2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
  null, null, null),
 (3, -32768, -1, -0.01, 0, 0, -0.0, 'NaN', false, '', 'quote "and" comma,', '0001-01-01',
  '1999-12-31 23:59:59', '1970-01-01 00:00:00+00', '00:00:00', '\\x', '[]', '{}',
  '00000000-0000-0000-0000-000000000000'),
 (4, 1, 2, 3.00, 4, 5, 6, 7, true, E'line\\nbreak and tab\\t', '日本語', '2038-01-19',
  '2038-01-19 03:14:08', '2038-01-19 03:14:08+00', '12:00', '\\x0a0d', 'null', '{-5}', null)
"""
COLUMNS = ("id, small, big, money, wide, plain, r, d, flag, t, v, day, stamp, at_tz, clock, raw, "
           "doc, tags, uid")


def _pg_expected(db) -> list[tuple]:
    return pg_rows(db, "select id, small, big, money, wide, plain::text, r, d, flag, t, v, day, "
                       "stamp, at_tz, clock, raw, doc::text, tags::text, uid::text "
                       "from public.every_type")


def _every_type_source(ctx, pg_db):
    pg_exec(pg_db, PG_TYPES, PG_ROWS)
    return save_connection(ctx, "postgresql", "pg source", pg_db.params())


def test_postgres_to_local_warehouse_every_type(ctx, pg_db):
    _every_type_source(ctx, pg_db)
    make_job(ctx, "pg to local", "pg source", [TableSpec("every_type")])
    result = run(ctx, "pg to local")
    assert (result.status, result.rows_written) == ("succeeded", 4), result.error
    # Arrays are lists, JSON is JSON, a UUID is a UUID (compared by their text here).
    columns = COLUMNS.replace("doc", "doc::text").replace("uid", "uid::text")
    assert warehouse_rows(f"select {columns} from main.every_type") == pg_rows(
        pg_db, f"select {columns.replace('plain', 'plain::text')} from public.every_type")
    types = dict(warehouse_rows("select column_name, data_type from information_schema.columns "
                                "where table_name = 'every_type'"))
    assert types["money"] == "DECIMAL(12,2)" and types["wide"] == "DECIMAL(38,10)"
    assert types["at_tz"] == "TIMESTAMP WITH TIME ZONE" and types["stamp"] == "TIMESTAMP"
    assert types["day"] == "DATE" and types["raw"] == "BLOB" and types["flag"] == "BOOLEAN"
    assert (types["doc"], types["tags"], types["uid"]) == ("JSON", "INTEGER[]", "UUID")


def test_postgres_to_postgres_every_type(ctx, pg_db, pg_admin):
    from tests.server_fixtures import _pg_database, _pg_drop

    server, admin = pg_admin
    target = _pg_database(server, admin)
    try:
        _every_type_source(ctx, pg_db)
        save_connection(ctx, "postgresql", "pg target", target.params())
        make_job(ctx, "pg to pg", "pg source", [TableSpec("every_type", dest_schema="copy")],
                 destination="pg target")
        result = run(ctx, "pg to pg")
        assert result.status == "succeeded", result.error
        copied = pg_rows(target, "select id, small, big, money, wide, plain::text, r, d, flag, "
                                 "t, v, day, stamp, at_tz, clock, raw, doc::text, tags::text, "
                                 "uid::text from copy.every_type")
        expected = _pg_expected(pg_db)
        assert copied == expected
        kinds = dict(pg_rows(target, "select column_name, data_type from "
                                     "information_schema.columns where table_schema = 'copy' "
                                     "and table_name = 'every_type'"))
        assert kinds["money"] == "numeric" and kinds["at_tz"] == "timestamp with time zone"
        assert kinds["raw"] == "bytea"
    finally:
        _pg_drop(admin, target.database)


MARIA_TABLE = """
create table every_type (
    id int primary key, big bigint, money decimal(12,2), d double, flag tinyint(1),
    t text, v varchar(40), day date, stamp datetime(6), clock time(6), raw blob, doc json
) character set utf8mb4
"""
MARIA_ROWS = [
    (1, 9007199254740993, Decimal("1234567890.12"), 2.5, 1, "zażółć gęślą jaźń ✓", "ascii",
     date(2024, 2, 29), datetime(2024, 1, 2, 3, 4, 5, 123456), time(23, 59, 59, 500000),
     b"\x00\xff\x10", '{"a": [1, 2]}'),
    (2, None, None, None, None, None, None, None, None, None, None, None),
    (3, -1, Decimal("-0.01"), -0.0, 0, "", 'quote "and" comma,', date(1000, 1, 1),
     datetime(1999, 12, 31, 23, 59, 59), time(0, 0), b"", "[]"),
]


def _maria_source(ctx, mariadb_db):
    import pymysql

    conn = pymysql.connect(host=mariadb_db.host, port=mariadb_db.port, user=mariadb_db.user,
                           password=mariadb_db.password, database=mariadb_db.database,
                           autocommit=True)
    with conn.cursor() as cur:
        cur.execute(MARIA_TABLE)
        cur.executemany("insert into every_type values "
                        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", MARIA_ROWS)
    conn.close()
    return save_connection(ctx, "mariadb", "maria",
                           mariadb_db.params(password=mariadb_db.password))


def _maria_expected() -> list[tuple]:
    """MySQL's TIME spans ±838 hours, so it lands as an interval (see readers/mysql.py)."""
    def interval(v):
        return timedelta(hours=v.hour, minutes=v.minute, seconds=v.second,
                         microseconds=v.microsecond) if isinstance(v, time) else v

    return rows(tuple(interval(v) for v in row) for row in MARIA_ROWS)


def test_mariadb_to_parquet_folder(ctx, mariadb_db, tmp_path):
    _maria_source(ctx, mariadb_db)
    lake = tmp_path / "lake"
    lake.mkdir()
    save_connection(ctx, "parquet", "lake", {"path": str(lake)})
    make_job(ctx, "maria to lake", "maria", [TableSpec("every_type")], destination="lake")
    result = run(ctx, "maria to lake")
    assert result.status == "succeeded", result.error
    table = pq.read_table(lake / "every_type.parquet")
    assert str(table.schema.field("money").type) == "decimal128(12, 2)"
    assert str(table.schema.field("day").type) == "date32[day]"
    assert str(table.schema.field("raw").type) == "binary"
    assert str(table.schema.field("clock").type) == "duration[us]"
    got = rows(tuple(r.values()) for r in table.to_pylist())
    assert got == _maria_expected()
    assert not list(lake.glob(".*tmp"))  # no temporary file left behind


def test_mariadb_to_postgres(ctx, mariadb_db, pg_db):
    _maria_source(ctx, mariadb_db)
    save_connection(ctx, "postgresql", "pg target", pg_db.params())
    make_job(ctx, "maria to pg", "maria", [TableSpec("every_type")], destination="pg target")
    result = run(ctx, "maria to pg")
    assert result.status == "succeeded", result.error
    got = pg_rows(pg_db, "select id, big, money, d, flag, t, v, day, stamp, clock, raw, doc "
                         "from public.every_type")
    assert got == _maria_expected()


def test_sqlite_and_csv_to_local_warehouse(ctx, tmp_path):
    db = tmp_path / "shop.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("create table items (id integer primary key, name text, price real, "
                     "qty integer, note text)")
        conn.executemany("insert into items values (?, ?, ?, ?, ?)",
                         [(1, "Łódź", 1.5, 3, None), (2, "", None, 0, "x,y"),
                          (3, "emoji 🚀", 1e-7, -1, "")])
    save_connection(ctx, "sqlite", "shop", {"path": str(db)})
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "events.csv").write_text("id,kind,ts,amount\n1,click,2024-01-01 10:00:00,1.5\n"
                                       "2,view,2024-01-02 11:00:00,\n3,ąę,2024-01-03 12:00:00,3\n",
                                       encoding="utf-8")
    save_connection(ctx, "csv", "events", {"path": str(folder)})
    make_job(ctx, "shop", "shop", [TableSpec("items")])
    make_job(ctx, "events", "events", [TableSpec("events")])
    assert run(ctx, "shop").status == "succeeded"
    assert run(ctx, "events").status == "succeeded"
    with sqlite3.connect(db) as conn:
        expected = rows(conn.execute("select * from items").fetchall())
    assert warehouse_rows("select * from items") == expected
    assert warehouse_rows("select id, kind, ts, amount from events") == rows([
        (1, "click", datetime(2024, 1, 1, 10), 1.5), (2, "view", datetime(2024, 1, 2, 11), None),
        (3, "ąę", datetime(2024, 1, 3, 12), 3.0)])


def test_awkward_identifiers_round_trip(ctx, pg_db, pg_admin):
    from tests.server_fixtures import _pg_database, _pg_drop

    name = 'x"; drop table y;--'
    pg_exec(pg_db, 'create schema "Ünïcode Schema"',
            'create table "Ünïcode Schema"."x""; drop table y;--" '
            '("Mixed Case" int, "spaced col" text, "ключ" text)',
            'insert into "Ünïcode Schema"."x""; drop table y;--" values (1, \'a\', \'б\')',
            "create table y (id int)")
    server, admin = pg_admin
    target = _pg_database(server, admin)
    try:
        save_connection(ctx, "postgresql", "odd", pg_db.params())
        save_connection(ctx, "postgresql", "odd target", target.params())
        spec = TableSpec(name, schema="Ünïcode Schema", dest_schema="Ünïcode Schema")
        make_job(ctx, "odd local", "odd", [spec])
        make_job(ctx, "odd pg", "odd", [spec], destination="odd target")
        assert run(ctx, "odd local").status == "succeeded"
        assert run(ctx, "odd pg").status == "succeeded"
        assert warehouse_rows('select * from "Ünïcode Schema"."x""; drop table y;--"') == \
            [(1, "a", "б")]
        assert pg_rows(target, 'select * from "Ünïcode Schema"."x""; drop table y;--"') == \
            [(1, "a", "б")]
        assert pg_rows(pg_db, "select count(*) from y") == [(0,)]  # nothing was injected
    finally:
        _pg_drop(admin, target.database)



def test_a_sqlite_column_of_an_unknown_type_lands_as_text(ctx, tmp_path):
    # SQLite gives an unknown declared type NUMERIC affinity and keeps text in it anyway;
    # SQLAlchemy's numeric conversion used to fail the table ("must be real number").
    db = tmp_path / "geo.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table regions (id integer primary key, outline WEIRDSHAPE)")
        conn.execute("create table places (id integer primary key, spot GEOGRAPHY, "
                     "region integer references regions(id))")
        conn.execute("insert into regions values (1, 'poly')")
        conn.execute("insert into places values (1, 'POINT(1 2)', 1), (2, 3.5, 1), "
                     "(3, null, 1)")
    save_connection(ctx, "sqlite", "geo", {"path": str(db)})
    make_job(ctx, "places", "geo", [TableSpec("places")])
    # Any warning escaping to Python would fail this test (pytest: filterwarnings=error).
    result = run(ctx, "places")
    assert result.status == "succeeded", result.error
    assert warehouse_rows("select id, spot from places") == [(1, "POINT(1 2)"), (2, "3.5"),
                                                             (3, None)]
