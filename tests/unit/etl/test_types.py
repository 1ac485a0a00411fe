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
]


@pytest.mark.parametrize("arrow_type, expected", TO_SQL, ids=lambda v: str(v))
def test_each_destination_gets_a_type_that_holds_the_values(arrow_type, expected):
    assert tuple(types.to_sql(arrow_type, d) for d in DIALECTS) == expected


@pytest.mark.parametrize("declared, arrow_type", [
    ("integer", pa.int32()), ("numeric(12,2)", pa.decimal128(12, 2)),
    ("numeric(60,0)", pa.decimal256(60, 0)), ("numeric", pa.string()),
    ("timestamp with time zone", pa.timestamp("us", tz="UTC")),
    ("timestamp(3) without time zone", pa.timestamp("us")), ("integer[]", pa.string()),
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
