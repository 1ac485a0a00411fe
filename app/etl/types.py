"""Exact type mapping between source databases, Arrow and destination databases.

Decimals keep precision and scale, timestamps keep their time zone (normalised to UTC),
dates stay dates, binary stays binary, arrays are lists, JSON is Arrow's JSON type, UUIDs
Arrow's UUID type and intervals months, days and nanoseconds. A destination without such a
type gets the value's text (`text_forms`): JSON for a list, the canonical form of a UUID,
ISO 8601 for an interval. What has no exact Arrow form (an unbounded numeric, a time with
time zone, an address) travels as its text, so nothing is rounded or dropped silently.

Time values at the edges: infinity and -infinity travel as the largest and smallest
timestamp (and date) Arrow holds, which DuckDB reads as its own infinity; `fit_times`
stores them, and dates before year 1 or after 9999, as NULL where a destination cannot
hold them, and counts them.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

MAX_DECIMAL128 = 38
JSON = pa.json_()
UUID = pa.uuid()
INTERVAL = pa.month_day_nano_interval()
# How infinity and -infinity travel (DuckDB's own infinities have these values).
INFINITY_MICROS, INFINITY_DAYS = 2**63 - 1, 2**31 - 1
# The range every destination's timestamps hold: 0001-01-01 to 9999-12-31 23:59:59.999999.
FIRST_MICROS, LAST_MICROS = -62135596800_000000, 253402300799_999999
FIRST_DAY, LAST_DAY = -719162, 2932896
# Elements of an array that arrive typed; any other array is a list of the elements' text.
_LIST_ELEMENTS = ("smallint", "integer", "bigint", "real", "double precision", "boolean",
                  "date", "text", "character varying", "character", "numeric",
                  "timestamp without time zone", "timestamp with time zone")


def from_postgres(type_name: str, money_scale: int = 2) -> pa.DataType:
    """Arrow type for a PostgreSQL column, given `format_type(atttypid, atttypmod)`;
    `money_scale`: the digits after the point of the server's money (lc_monetary)."""
    t = type_name.lower()
    if t.endswith("[]"):
        element = t.removesuffix("[]")
        if element.endswith("[]") or re.sub(r"\(.*\)", "", element) not in _LIST_ELEMENTS:
            return pa.list_(pa.string())
        return pa.list_(from_postgres(element))
    if t in ("json", "jsonb"):
        return JSON
    if t == "uuid":
        return UUID
    if t.startswith("interval"):
        return INTERVAL
    if t == "money":  # an integer count of cents (or the locale's unit): read as numeric
        return pa.decimal128(19, money_scale)
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
    return pa.string()  # text, varchar, numeric without typmod, timetz, inet, xml, ...


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
    if is_list(arrow_type) and dialect in ("postgresql", "duckdb"):
        element = to_sql(arrow_type.value_type, dialect)
        return element if element.endswith("]") else element + "[]"
    # (MySQL and SQLite get these as text: see their Fit)
    if arrow_type == JSON and dialect in ("postgresql", "duckdb"):
        return {"postgresql": "JSONB", "duckdb": "JSON"}[dialect]
    if arrow_type in (UUID, INTERVAL) and dialect in ("postgresql", "duckdb"):
        return "UUID" if arrow_type == UUID else "INTERVAL"
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
    if is_list(arrow_type):
        return f"a list of {in_words(arrow_type.value_type)[2:]}"
    return {JSON: "JSON", UUID: "a UUID", INTERVAL: "an interval"}.get(arrow_type,
                                                                      f"a {arrow_type}")


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


def is_list(arrow_type: pa.DataType) -> bool:
    return pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)


def _textual(arrow_type: pa.DataType) -> bool:
    """A type that `text_forms` can turn into text."""
    return is_list(arrow_type) or arrow_type in (JSON, UUID, INTERVAL)


def text_forms(batch: pa.RecordBatch, held: Callable[[pa.DataType], bool]
               ) -> pa.RecordBatch:
    """`batch` with its lists, JSON, UUIDs and intervals as text where `held` says the
    destination has no such type: a list as JSON, a UUID in its canonical form, an
    interval in ISO 8601 (as PostgreSQL's intervalstyle iso_8601 writes it)."""
    for i, field in enumerate(batch.schema):
        if _textual(field.type) and not held(field.type):
            batch = batch.set_column(i, field.name, as_text(batch.column(i)))
    return batch


def text_schema(schema: pa.Schema, held: Callable[[pa.DataType], bool]) -> pa.Schema:
    """The schema of what `text_forms` makes of batches of `schema`."""
    for i, field in enumerate(schema):
        if _textual(field.type) and not held(field.type):
            schema = schema.set(i, field.with_type(pa.string()))
    return schema


def as_text(column: pa.Array) -> pa.Array:
    if column.type == JSON:
        return column.storage
    if column.type == UUID:
        return pa.array([None if v is None else str(uuid.UUID(bytes=v))
                         for v in column.storage.to_pylist()], pa.string())
    if column.type == INTERVAL:
        return pa.array([None if v is None else interval_text(*v)
                         for v in column.to_pylist()], pa.string())
    return pa.array([None if v is None else json_text(v) for v in column.to_pylist()],
                    pa.string())


def json_text(value) -> str:
    """A value read from Arrow as JSON; decimals exact, times in ISO 8601."""
    if isinstance(value, list):
        return "[" + ", ".join(json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else "null"
    if isinstance(value, float) and value != value:
        return "null"
    if isinstance(value, bool | int | float | str) or value is None:
        return json.dumps(value)
    if isinstance(value, bytes):
        return json.dumps("\\x" + value.hex())
    return json.dumps(value.isoformat() if hasattr(value, "isoformat") else str(value))


_ISO_INTERVAL = re.compile(r"P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?"
                           r"(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:\.\d+)?)S)?)?")


def parse_interval(text: str) -> pa.MonthDayNano:
    """An ISO 8601 interval ("P1Y2M3DT4H5M6.5S", PostgreSQL's iso_8601 style, where each
    part has its own sign) as months, days and nanoseconds."""
    found = _ISO_INTERVAL.fullmatch(text.strip())
    if not found or text.strip() == "P":
        raise ValueError(f"{text!r} is not an ISO 8601 interval")
    y, mo, w, d, h, mi, sec = (g or "0" for g in found.groups())
    nanos = (int(h) * 3600 + int(mi) * 60) * 10**9 + int(Decimal(sec) * 10**9)
    return pa.MonthDayNano([int(y) * 12 + int(mo), int(w) * 7 + int(d), nanos])


def interval_text(months: int, days: int, nanos: int) -> str:
    """The ISO 8601 form PostgreSQL writes (intervalstyle iso_8601); see parse_interval."""
    def part(value: int, unit: str) -> str:
        return f"{value}{unit}" if value else ""

    sign = -1 if months < 0 else 1  # each part toward zero: -14 months is -1Y-2M
    years, months = (sign * n for n in divmod(abs(months), 12))
    sign = -1 if nanos < 0 else 1
    hours, rest = divmod(abs(nanos) // 1000, 3_600_000_000)
    minutes, micros = divmod(rest, 60_000_000)
    seconds = f"{Decimal(sign * micros) / 10**6:f}".rstrip("0").rstrip(".") if micros else ""
    date = part(years, "Y") + part(months, "M") + part(days, "D")
    time = part(sign * hours, "H") + part(sign * minutes, "M") + \
        (f"{seconds}S" if seconds else "")
    return "P" + date + ("T" + time if time else "") if date or time else "PT0S"


def fit_times(batch: pa.RecordBatch, infinity: bool, first_last: bool
              ) -> tuple[pa.RecordBatch, dict[str, int]]:
    """`batch` with the timestamps and dates a destination cannot hold as NULL, and how
    many each column had: infinity and -infinity unless `infinity`; values before year 1
    or after 9999 where `first_last` (the range of MySQL, BigQuery, Python)."""
    counts: dict[str, int] = {}
    for i, field in enumerate(batch.schema):
        if pa.types.is_timestamp(field.type) and field.type.unit == "us":
            raw, top, first, last = pa.int64(), INFINITY_MICROS, FIRST_MICROS, LAST_MICROS
        elif pa.types.is_date32(field.type):
            raw, top, first, last = pa.int32(), INFINITY_DAYS, FIRST_DAY, LAST_DAY
        else:
            continue
        values = batch.column(i).view(raw)
        if values.null_count == len(values):
            continue
        if first_last:
            out = pc.or_(pc.less(values, first), pc.greater(values, last))
        elif not infinity:
            out = pc.greater_equal(pc.abs(values), top)
        else:
            continue
        found = pc.sum(out).as_py() or 0
        if found:
            counts[field.name] = found
            batch = batch.set_column(i, field.name,
                                     pc.if_else(out, pa.scalar(None, field.type),
                                                batch.column(i)))
    return batch, counts


def _all(arrow_type: pa.DataType) -> bool:
    return True


def as_text_only(arrow_type: pa.DataType) -> bool:
    """A Fit's `held` for a destination without lists, JSON, UUIDs or intervals."""
    return False


@dataclass
class Fit:
    """What a destination holds of lists, JSON, UUIDs, intervals (`held`; the others
    arrive as text) and of times at the edges (see fit_times); `nulled` counts, by column,
    the values stored as NULL."""

    held: Callable[[pa.DataType], bool] = _all
    infinity: bool = True
    first_last: bool = False
    nulled: dict[str, int] = dataclasses.field(default_factory=dict)

    def schema(self, schema: pa.Schema) -> pa.Schema:
        return text_schema(schema, self.held)

    def batches(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            batch, counts = fit_times(text_forms(batch, self.held), self.infinity,
                                      self.first_last)
            for name, count in counts.items():
                self.nulled[name] = self.nulled.get(name, 0) + count
            yield batch


def bigquery_type(arrow_type: pa.DataType) -> str:
    """What BigQuery's Parquet load makes of a column of `arrow_type` (after the Fit of
    BigQueryDestination: lists inferred as ARRAY, decimals as NUMERIC, BIGNUMERIC or
    STRING, in that order of preference)."""
    if is_list(arrow_type):
        return f"ARRAY<{bigquery_type(arrow_type.value_type)}>"
    if pa.types.is_boolean(arrow_type):
        return "BOOL"
    if pa.types.is_integer(arrow_type):
        return "INT64" if not pa.types.is_uint64(arrow_type) else "NUMERIC"
    if pa.types.is_floating(arrow_type):
        return "FLOAT64"
    if pa.types.is_decimal(arrow_type):
        p, s = arrow_type.precision, arrow_type.scale
        if p - s <= 29 and s <= 9:
            return "NUMERIC"
        return "BIGNUMERIC" if p - s <= 38 and s <= 38 else "STRING"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP" if arrow_type.tz else "DATETIME"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_time(arrow_type):
        return "TIME"
    if pa.types.is_duration(arrow_type):
        return "INT64 (microseconds)"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return "BYTES"
    return "STRING"


def landing(arrow_type: pa.DataType) -> dict[str, str]:
    """What a column of `arrow_type` becomes in each destination (the README's table)."""
    from app.etl.destinations.bigquery import BigQueryDestination
    from app.etl.destinations.files import FolderDestination
    from app.etl.destinations.mysql import MySqlDestination

    def fitted(fit: Fit) -> pa.DataType:
        return text_schema(pa.schema([("c", arrow_type)]), fit.held).field(0).type

    def parquet(t: pa.DataType) -> str:
        if is_list(t):
            return f"list<{parquet(t.value_type)}>"
        return {JSON: "JSON", UUID: "UUID"}.get(t, str(t))

    return {
        "warehouse": to_sql(arrow_type, "duckdb"),
        "Parquet": parquet(fitted(FolderDestination.fit_for("parquet"))),
        "PostgreSQL": to_sql(arrow_type, "postgresql"),
        "MySQL": to_sql(fitted(MySqlDestination.fit(None)), "mysql"),
        "BigQuery": bigquery_type(fitted(BigQueryDestination.fit(None))),
    }
