"""Exact type mapping between source databases, Arrow and destination databases.

Decimals keep precision and scale, timestamps keep their time zone (normalised to UTC),
dates stay dates, binary stays binary. What has no exact Arrow form (unbounded numeric,
intervals, arrays, JSON) travels as text, so nothing is rounded or dropped silently.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pyarrow as pa

MAX_DECIMAL128 = 38


def from_postgres(type_name: str) -> pa.DataType:
    """Arrow type for a PostgreSQL column, given `format_type(atttypid, atttypmod)`."""
    t = type_name.lower()
    if t.endswith("[]"):
        return pa.string()
    if t in ("smallint",):
        return pa.int16()
    if t in ("integer",):
        return pa.int32()
    if t in ("bigint",):
        return pa.int64()
    if t == "real":
        return pa.float32()
    if t == "double precision":
        return pa.float64()
    if t == "boolean":
        return pa.bool_()
    if t == "date":
        return pa.date32()
    if t.startswith("timestamp"):
        return pa.timestamp("us", tz="UTC") if "with time zone" in t else pa.timestamp("us")
    if t.startswith("time") and "with time zone" not in t:
        return pa.time64("us")
    if t == "bytea":
        return pa.binary()
    match = re.fullmatch(r"numeric\((\d+),(\d+)\)", t.replace(" ", ""))
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        if precision <= MAX_DECIMAL128:
            return pa.decimal128(precision, scale)
        return pa.decimal256(precision, scale)
    return pa.string()  # text, varchar, uuid, json(b), numeric without typmod, interval, ...


def from_sqlalchemy(sa_type: object) -> pa.DataType:
    """Arrow type for a reflected SQLAlchemy column type (generic SQL sources)."""
    from sqlalchemy import types as t

    if isinstance(sa_type, t.Boolean):
        return pa.bool_()
    unsigned = getattr(sa_type, "unsigned", False)  # each widens to hold its range
    if isinstance(sa_type, t.SmallInteger):
        return pa.int32() if unsigned else pa.int16()
    if isinstance(sa_type, t.BigInteger):
        return pa.decimal128(20, 0) if unsigned else pa.int64()
    if isinstance(sa_type, t.Integer):
        return pa.int64() if unsigned else pa.int32()
    if isinstance(sa_type, t.Numeric) and not isinstance(sa_type, t.Float):
        if sa_type.precision is not None:
            scale = sa_type.scale or 0
            if sa_type.precision <= MAX_DECIMAL128:
                return pa.decimal128(sa_type.precision, scale)
            return pa.decimal256(sa_type.precision, scale)
        return pa.string()
    if isinstance(sa_type, t.Float):
        return pa.float32() if getattr(sa_type, "precision", None) in range(1, 25) else \
            pa.float64()
    if isinstance(sa_type, t.DateTime):
        return pa.timestamp("us", tz="UTC") if sa_type.timezone else pa.timestamp("us")
    if isinstance(sa_type, t.Date):
        return pa.date32()
    if isinstance(sa_type, t.Time):
        return pa.time64("us")
    if isinstance(sa_type, t.LargeBinary | t._Binary):
        return pa.binary()
    return pa.string()


def to_sql(arrow_type: pa.DataType, dialect: str) -> str:
    """Column type for `dialect` (postgresql, mysql, sqlite, duckdb) holding `arrow_type`."""
    if pa.types.is_boolean(arrow_type):
        return {"mysql": "BOOLEAN", "sqlite": "INTEGER"}.get(dialect, "BOOLEAN")
    if pa.types.is_uint64(arrow_type):  # beyond BIGINT: an exact decimal holds it
        return to_sql(pa.decimal128(20, 0), dialect)
    if dialect == "sqlite" and pa.types.is_integer(arrow_type):
        return "INTEGER"
    if pa.types.is_int8(arrow_type) or pa.types.is_int16(arrow_type) or \
            pa.types.is_uint8(arrow_type):
        return "SMALLINT"
    if pa.types.is_int32(arrow_type) or pa.types.is_uint16(arrow_type):
        return "INTEGER"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_float32(arrow_type):
        return {"mysql": "FLOAT", "sqlite": "REAL"}.get(dialect, "REAL")
    if pa.types.is_floating(arrow_type):
        return {"mysql": "DOUBLE", "sqlite": "REAL"}.get(dialect, "DOUBLE PRECISION")
    if pa.types.is_decimal(arrow_type):
        if dialect == "sqlite":
            return "TEXT"  # SQLite would round a decimal through a float
        if dialect == "duckdb" and arrow_type.precision > MAX_DECIMAL128:
            return "VARCHAR"  # DuckDB's DECIMAL stops at 38 digits; text keeps them all
        return f"NUMERIC({arrow_type.precision}, {arrow_type.scale})" if dialect != "mysql" \
            else f"DECIMAL({min(arrow_type.precision, 65)}, {arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        if dialect == "postgresql":
            return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
        if dialect == "duckdb":
            return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
        if dialect == "mysql":
            return "DATETIME(6)"  # stored in UTC
        return "TEXT"
    if pa.types.is_date(arrow_type):
        return "DATE" if dialect != "sqlite" else "TEXT"
    if pa.types.is_time(arrow_type):
        return {"mysql": "TIME(6)", "sqlite": "TEXT"}.get(dialect, "TIME")
    if pa.types.is_duration(arrow_type):  # MySQL's TIME spans ±838 hours: an interval
        return {"mysql": "TIME(6)", "sqlite": "TEXT"}.get(dialect, "INTERVAL")
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return {"postgresql": "BYTEA", "mysql": "LONGBLOB", "duckdb": "BLOB"}.get(dialect,
                                                                                 "BLOB")
    return {"mysql": "LONGTEXT", "duckdb": "VARCHAR"}.get(dialect, "TEXT")


def in_words(arrow_type: pa.DataType) -> str:
    """A type as a data engineer names it: "a DECIMAL(12, 2)", "a TIMESTAMP"."""
    if pa.types.is_decimal(arrow_type):
        return f"a DECIMAL({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "a TIMESTAMP WITH TIME ZONE" if arrow_type.tz else "a TIMESTAMP"
    if pa.types.is_date(arrow_type):
        return "a DATE"
    if pa.types.is_time(arrow_type):
        return "a TIME"
    if pa.types.is_floating(arrow_type):
        return "a floating-point number"
    if pa.types.is_integer(arrow_type):
        return f"a {arrow_type.bit_width}-bit integer"
    if pa.types.is_boolean(arrow_type):
        return "a boolean"
    return f"a {arrow_type}"


def duration_text(value: timedelta) -> str:
    """An interval as [-]H:MM:SS[.ffffff], hours unbounded (MySQL's TIME form)."""
    micros = value // timedelta(microseconds=1)
    sign, micros = ("-" if micros < 0 else ""), abs(micros)
    seconds, fraction = divmod(micros, 1_000_000)
    text = f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return text + (f".{fraction:06d}" if fraction else "")


def quote(name: str, dialect: str) -> str:
    """Quote an identifier for `dialect`; quotes inside the name are doubled."""
    if dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'
