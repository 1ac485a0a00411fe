"""MySQL and MariaDB types that used to kill the process or land wrong, on real servers.

connectorx panicked (a BaseException) on GEOMETRY, TIME beyond a day, zero dates and wide
DECIMALs; unsigned integers overflowed their signed types; TIMESTAMP values shifted by the
server's time zone. Each lands exactly now, or its table fails with a message; the process
lives and no run is left `running`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.etl.readers import mysql as mysql_reader
from app.services.jobs import JobService, TableSpec
from tests.integration.engine_helpers import (
    make_job,
    maria_exec,
    maria_rows,
    pg_rows,
    run,
    save_connection,
    warehouse_rows,
)

HARD = """
create table hard (
    id int primary key, shape geometry, span time, day date, moment datetime,
    wide decimal(65,30), small_u smallint unsigned, int_u int unsigned,
    big_u bigint unsigned, tiny_u tinyint unsigned, yr year, flag tinyint(1), bit1 bit(1),
    bit8 bit(8)
)"""
WIDE = "12345678901234567890123456789012345.123456789012345678901234567890"


def _hard_source(ctx, db):
    maria_exec(
        db, "set session sql_mode = ''", HARD,
        "insert into hard values (1, ST_GeomFromText('POINT(1 2)'), '838:59:59', "
        "'0000-00-00', '0000-00-00 00:00:00', " + WIDE + ", 65535, 4294967295, "
        "18446744073709551615, 255, 2155, 1, b'1', b'11111111')",
        "insert into hard values (2, null, '-838:59:59', '2024-02-29', "
        "'2024-02-29 23:59:59', -1.5, 0, 0, 0, 0, 1901, 0, b'0', b'0')",
        "insert into hard values (3, null, '12:30:00', '2020-00-15', null, null, "
        "null, null, null, null, null, null, null, null)")
    return save_connection(ctx, "mariadb", "maria", db.params(password=db.password))


def test_hard_types_land_exactly_in_the_warehouse(ctx, mariadb_db):
    _hard_source(ctx, mariadb_db)
    make_job(ctx, "hard", "maria", [TableSpec("hard")])
    result = run(ctx, "hard")
    assert result.status == "succeeded", result.error
    got = warehouse_rows(
        "select id, ST_X, span, day, moment, wide::varchar, small_u, int_u, big_u, tiny_u, yr,"
        " flag, bit1, bit8 from (select *, case when shape is null then null else "
        "hex(shape) end as ST_X from hard)")
    point_wkb = "0101000000000000000000F03F0000000000000040"  # POINT(1 2), little-endian
    assert got == [
        (1, point_wkb, timedelta(hours=838, minutes=59, seconds=59), None, None,
         WIDE, 65535, 4294967295, Decimal("18446744073709551615"), 255, 2155, 1, True, 255),
        (2, None, -timedelta(hours=838, minutes=59, seconds=59), date(2024, 2, 29),
         datetime(2024, 2, 29, 23, 59, 59), "-1.500000000000000000000000000000", 0, 0,
         Decimal(0), 0, 1901, 0, False, 0),
        (3, None, timedelta(hours=12, minutes=30), None, None, None, None, None, None, None,
         None, None, None, None),
    ]
    # Zero dates have no calendar value: NULL, and counted where the user looks.
    assert "hard: 2 zero dates in day read as NULL" in result.log
    assert "hard: 1 zero date in moment read as NULL" in result.log


def test_unsigned_extremes_land_exactly_in_mariadb_and_postgres(ctx, mariadb_db, pg_db):
    _hard_source(ctx, mariadb_db)
    save_connection(ctx, "postgresql", "pg", pg_db.params())
    make_job(ctx, "to pg", "maria", [TableSpec("hard", exclude_columns=["shape"])],
             destination="pg")
    assert run(ctx, "to pg").status == "succeeded"
    assert pg_rows(pg_db, "select id, small_u, int_u, big_u, span, wide from hard") == [
        (1, 65535, 4294967295, Decimal("18446744073709551615"),
         timedelta(hours=838, minutes=59, seconds=59), Decimal(WIDE)),
        (2, 0, 0, Decimal(0), -timedelta(hours=838, minutes=59, seconds=59), Decimal("-1.5")),
        (3, None, None, None, timedelta(hours=12, minutes=30), None)]
    assert pg_rows(pg_db, "select format_type(atttypid, atttypmod) from pg_attribute "
                          "where attrelid = 'hard'::regclass and attname = 'wide'") == [
        ("numeric(65,30)",)]
    assert "shape" not in [r[0] for r in pg_rows(
        pg_db, "select column_name from information_schema.columns where table_name='hard'")]
    # Into MariaDB (the same database, saved as a MySQL connection, into another table).
    save_connection(ctx, "mysql", "maria copy", mariadb_db.params(password=mariadb_db.password))
    make_job(ctx, "to maria", "maria", [TableSpec("hard", dest_table="hard_copy")],
             destination="maria copy")
    assert run(ctx, "to maria").status == "succeeded"
    assert maria_rows(mariadb_db, "select id, small_u, int_u, big_u, tiny_u, span, wide "
                                  "from hard_copy order by id") == [
        (1, 65535, 4294967295, Decimal("18446744073709551615"), 255,
         timedelta(hours=838, minutes=59, seconds=59), Decimal(WIDE)),
        (2, 0, 0, Decimal(0), 0, -timedelta(hours=838, minutes=59, seconds=59),
         Decimal("-1.5")),
        (3, None, None, None, None, timedelta(hours=12, minutes=30), None)]


def test_a_value_the_fast_reader_refuses_is_read_by_the_safe_reader(ctx, mariadb_db,
                                                                     monkeypatch):
    # Send the wide decimal to connectorx as it is: its real panic, then the fallback.
    monkeypatch.setattr(mysql_reader, "FAST_DECIMAL_DIGITS", 65)
    _hard_source(ctx, mariadb_db)
    make_job(ctx, "hard", "maria", [TableSpec("hard")])
    result = run(ctx, "hard")
    assert result.status == "succeeded", result.error
    assert "the fast reader refused the table" in result.log
    assert "read again with the safe reader" in result.log
    assert warehouse_rows("select wide::varchar from hard where id = 1") == [(WIDE,)]
    assert result.rows_written == 3  # the abandoned first attempt is not counted


def test_a_server_error_mid_read_fails_the_table_and_the_process_lives(ctx, mariadb_db):
    maria_exec(mariadb_db, "create table base (id int primary key)",
               "insert into base select seq from seq_1_to_20",
               "create view overflowing as select id, 1e308 * id as big from base")
    save_connection(ctx, "mariadb", "maria", mariadb_db.params(password=mariadb_db.password))
    make_job(ctx, "view", "maria", [TableSpec("overflowing")])
    result = run(ctx, "view")
    assert result.status == "failed"
    assert "out of range" in result.error
    assert all(r.status != "running" for r in JobService(ctx).runs("view"))


def test_timestamps_from_a_server_in_india_land_as_the_right_instant(ctx, mariadb_ist_db):
    db = mariadb_ist_db
    maria_exec(db, "create table events (id int primary key, at timestamp(6) null, "
                   "wall datetime)",
               # Written in the session's zone, +05:30: 12:00 there is 06:30 UTC.
               "insert into events values (1, '2024-06-01 12:00:00.250000', "
               "'2024-06-01 12:00:00'), (2, '2024-01-01 00:10:00', '2024-01-01 00:10:00')")
    assert maria_rows(db, "select @@time_zone") == [("+05:30",)]
    save_connection(ctx, "mariadb", "india", db.params())
    make_job(ctx, "events", "india", [TableSpec("events", mode="incremental", cursor="at")])
    assert run(ctx, "events").status == "succeeded"
    assert warehouse_rows('select id, "at", wall from events') == [
        (1, datetime(2024, 6, 1, 6, 30, 0, 250000, tzinfo=UTC), datetime(2024, 6, 1, 12)),
        (2, datetime(2023, 12, 31, 18, 40, tzinfo=UTC), datetime(2024, 1, 1, 0, 10))]
    # The next run reads past the saved instant, compared on the server as an instant.
    maria_exec(db, "insert into events values (3, '2024-06-01 12:00:01', null)")
    result = run(ctx, "events")
    assert result.status == "succeeded", result.error
    assert result.rows_written == 1
    assert warehouse_rows('select id, "at" from events where id = 3') == [
        (3, datetime(2024, 6, 1, 6, 30, 1, tzinfo=UTC))]


def test_a_left_out_column_is_never_read(ctx, mariadb_db):
    from app.services.errors import ValidationError
    from tests.integration.engine_helpers import maria_exec

    _hard_source(ctx, mariadb_db)
    with pytest.raises(ValidationError, match="^hard has no column nope.$"):
        make_job(ctx, "nope", "maria", [TableSpec("hard", exclude_columns=["nope"])])
    make_job(ctx, "hard", "maria", [TableSpec("hard", exclude_columns=["shape"])])
    result = run(ctx, "hard")
    assert result.status == "succeeded", result.error
    names = [r[0] for r in warehouse_rows("select column_name from information_schema.columns "
                                          "where table_name = 'hard'")]
    assert "shape" not in names and "span" in names
    # A column left out that the source drops later: the run names it.
    maria_exec(mariadb_db, "alter table hard drop column shape")
    gone = run(ctx, "hard")
    assert gone.status == "failed" and "shape" in gone.error and "not in" in gone.error
