"""app/etl/types.py and the MySQL column plan as tables of cases, one per destination."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pytest

from app.etl import types
from app.etl.readers.mysql import plan_column

DIALECTS = ("postgresql", "mysql", "sqlite", "duckdb")
# Arrow type -> (PostgreSQL, MySQL, SQLite, DuckDB)
TO_SQL = [
    (pa.bool_(), ("BOOLEAN", "BOOLEAN", "INTEGER", "BOOLEAN")),
    (pa.int8(), ("SMALLINT", "SMALLINT", "INTEGER", "SMALLINT")),
    (pa.uint8(), ("SMALLINT", "SMALLINT", "INTEGER", "SMALLINT")),
    (pa.uint16(), ("INTEGER", "INTEGER", "INTEGER", "INTEGER")),
    (pa.uint32(), ("BIGINT", "BIGINT", "INTEGER", "BIGINT")),
    (pa.uint64(), ("NUMERIC(20, 0)", "DECIMAL(20, 0)", "TEXT", "NUMERIC(20, 0)")),
    (pa.float32(), ("REAL", "FLOAT", "REAL", "REAL")),
    (pa.decimal128(12, 2), ("NUMERIC(12, 2)", "DECIMAL(12, 2)", "TEXT", "NUMERIC(12, 2)")),
    (pa.decimal256(60, 0), ("NUMERIC(60, 0)", "DECIMAL(60, 0)", "TEXT", "VARCHAR")),
    (pa.decimal256(70, 0), ("NUMERIC(70, 0)", "DECIMAL(65, 0)", "TEXT", "VARCHAR")),
    (pa.timestamp("us", tz="UTC"), ("TIMESTAMPTZ", "DATETIME(6)", "TEXT", "TIMESTAMPTZ")),
    (pa.timestamp("us"), ("TIMESTAMP", "DATETIME(6)", "TEXT", "TIMESTAMP")),
    (pa.duration("us"), ("INTERVAL", "TIME(6)", "TEXT", "INTERVAL")),
    (pa.binary(), ("BYTEA", "LONGBLOB", "BLOB", "BLOB")),
    (pa.string(), ("TEXT", "LONGTEXT", "TEXT", "VARCHAR")),
    # MySQL and SQLite never see these: their Fit makes them text first (see below).
    (pa.list_(pa.int32()), ("INTEGER[]", "LONGTEXT", "TEXT", "INTEGER[]")),
    (pa.list_(pa.list_(pa.string())), ("TEXT[]", "LONGTEXT", "TEXT", "VARCHAR[]")),
    (types.JSON, ("JSONB", "LONGTEXT", "TEXT", "JSON")),
    (types.UUID, ("UUID", "LONGTEXT", "TEXT", "UUID")),
    (types.INTERVAL, ("INTERVAL", "LONGTEXT", "TEXT", "INTERVAL")),
]


@pytest.mark.parametrize("arrow_type, expected", TO_SQL, ids=lambda v: str(v))
def test_each_destination_gets_a_type_that_holds_the_values(arrow_type, expected):
    assert tuple(types.to_sql(arrow_type, d) for d in DIALECTS) == expected


@pytest.mark.parametrize("declared, arrow_type", [
    ("integer", pa.int32()), ("numeric(12,2)", pa.decimal128(12, 2)),
    ("numeric(60,0)", pa.decimal256(60, 0)), ("numeric", pa.string()),
    ("timestamp with time zone", pa.timestamp("us", tz="UTC")),
    ("timestamp(3) without time zone", pa.timestamp("us")),
    ("integer[]", pa.list_(pa.int32())), ("numeric(10,2)[]", pa.list_(pa.decimal128(10, 2))),
    ("integer[][]", pa.list_(pa.string())), ("uuid[]", pa.list_(pa.string())),
    ("catalog.mood[]", pa.list_(pa.string())), ("jsonb", types.JSON), ("json", types.JSON),
    ("uuid", types.UUID), ("interval", types.INTERVAL), ("interval day", types.INTERVAL),
    ("money", pa.decimal128(19, 2)), ("numeric(10,0)", pa.decimal128(10, 0)),
    ("time with time zone", pa.string()), ("inet", pa.string()),
    ("public.mpaa_rating", pa.string()), ("bytea", pa.binary()),
])
def test_postgres_catalogue_types(declared, arrow_type):
    assert types.from_postgres(declared) == arrow_type


@pytest.mark.parametrize("data_type, column_type, precision, lands_as", [
    ("smallint", "smallint(5) unsigned", None, pa.int32()),
    ("bigint", "bigint(20) unsigned", None, pa.decimal128(20, 0)),
    ("tinyint", "tinyint(1)", None, pa.int8()),
    ("bit", "bit(1)", 1, pa.bool_()),
    ("bit", "bit(10)", 10, pa.int64()),
    ("bit", "bit(64)", 64, pa.decimal128(20, 0)),
    ("year", "year(4)", None, pa.int16()),
    ("decimal", "decimal(65,30)", 65, pa.decimal256(65, 30)),
    ("time", "time", None, pa.duration("us")),
    ("timestamp", "timestamp", None, pa.timestamp("us", tz="UTC")),
    ("datetime", "datetime(6)", None, pa.timestamp("us")),
    ("geometry", "geometry", None, pa.binary()),
    ("json", "json", None, types.JSON),  # MySQL 8 (MariaDB says longtext: text)
    ("vector", "vector(3)", None, pa.string()),
])
def test_mysql_columns_land_as_types_that_hold_them(data_type, column_type, precision,
                                                    lands_as):
    scale = 30 if data_type == "decimal" else None
    assert plan_column("c", data_type, column_type, precision, scale).type == lands_as


def test_wide_decimals_travel_as_text_and_zero_dates_are_flagged():
    assert plan_column("d", "decimal", "decimal(65,30)", 65, 30).expr == "CAST(`d` AS CHAR)"
    assert plan_column("d", "decimal", "decimal(12,2)", 12, 2).expr == "`d`"
    assert plan_column("d", "date", "date", None, None).zero_dates


@pytest.mark.parametrize("value, text", [
    (timedelta(hours=838, minutes=59, seconds=59), "838:59:59"),
    (-timedelta(hours=838, minutes=59, seconds=59), "-838:59:59"),
    (timedelta(seconds=1, microseconds=500), "0:00:01.000500"),
])
def test_intervals_are_written_as_mysql_times(value, text):
    assert types.duration_text(value) == text


INTERVALS = ["P1Y2M3DT4H5M6.5S", "PT0S", "P-1Y-2M3DT-4H-5M-6.5S", "P3D", "PT-0.000001S",
             "PT-1H", "P-2M", "P100Y", "PT838H59M59S"]


@pytest.mark.parametrize("text", INTERVALS)
def test_intervals_read_and_written_in_postgresql_iso_8601_form(text):
    value = types.parse_interval(text)
    assert types.interval_text(value.months, value.days, value.nanoseconds) == text


def test_an_interval_keeps_months_days_and_time_apart():
    assert types.parse_interval("P1Y2M3DT4H5M6.5S") == pa.MonthDayNano(
        [14, 3, (4 * 3600 + 5 * 60) * 10**9 + 6_500_000_000])
    with pytest.raises(ValueError):
        types.parse_interval("1 day")


def test_text_forms_for_a_destination_without_lists_json_uuids_or_intervals():
    import uuid
    from decimal import Decimal

    u = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    batch = pa.record_batch({
        "tags": pa.array([["a", None], None], pa.list_(pa.string())),
        "amounts": pa.array([[Decimal("1.50")], []], pa.list_(pa.decimal128(5, 2))),
        "doc": pa.ExtensionArray.from_storage(types.JSON, pa.array(['{"k": 1}', None])),
        "u": pa.ExtensionArray.from_storage(types.UUID, pa.array([u.bytes, None],
                                                                 pa.binary(16))),
        "span": pa.array([pa.MonthDayNano([1, 2, 3_000_000_000]), None], types.INTERVAL),
        "n": pa.array([1, 2])})
    fit = types.Fit(types.as_text_only)
    (out,) = list(fit.batches(iter([batch])))
    assert out.schema == fit.schema(batch.schema)
    assert out.to_pydict() == {"tags": ['["a", null]', None], "amounts": ["[1.50]", "[]"],
                               "doc": ['{"k": 1}', None], "u": [str(u), None],
                               "span": ["P1M2DT3S", None], "n": [1, 2]}
    # A destination that holds them all gets the batch as it is.
    (same,) = list(types.Fit().batches(iter([batch])))
    assert same.equals(batch)


def test_times_a_destination_cannot_hold_are_null_and_counted():
    big, days = types.INFINITY_MICROS, types.INFINITY_DAYS
    batch = pa.record_batch({
        "ts": pa.array([big, -big, 0, types.LAST_MICROS + 1, None], pa.int64()).cast(
            pa.timestamp("us")),
        "d": pa.array([days, types.FIRST_DAY - 1, 0, types.LAST_DAY, None], pa.int32()).cast(
            pa.date32())})
    fit = types.Fit(infinity=False)  # Parquet, PostgreSQL: any year, no infinity
    (out,) = list(fit.batches(iter([batch])))
    assert out.column("ts").is_null().to_pylist() == [True, True, False, False, True]
    assert out.column("d").is_null().to_pylist() == [True, False, False, False, True]
    assert fit.nulled == {"ts": 2, "d": 1}
    fit = types.Fit(first_last=True)  # MySQL, SQLite, BigQuery: years 1 to 9999
    (out,) = list(fit.batches(iter([batch])))
    assert out.column("ts").is_null().to_pylist() == [True, True, False, True, True]
    assert out.column("d").is_null().to_pylist() == [True, True, False, False, True]
    assert fit.nulled == {"ts": 3, "d": 2}
    fit = types.Fit()  # DuckDB holds them all
    (out,) = list(fit.batches(iter([batch])))
    assert out.equals(batch) and fit.nulled == {}
