"""The README's type table is the registry's, so the docs cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from app.connectors.registry import CATEGORIES, TYPES

README = Path(__file__).resolve().parents[2] / "README.md"


# How the suite exercises each type: against a real server or real files here, through a
# stand-in that speaks to the real client library, or only its driver path (a silent or
# unreachable endpoint: timeouts, cancel, missing driver, messages).
TESTED = {
    "postgresql": "real server", "mysql": "real server (MariaDB)", "mariadb": "real server",
    "oracle": "driver path only", "sqlserver": "driver path only", "db2": "driver path only",
    "redshift": "PostgreSQL as a stand-in", "bigquery": "REST stand-in (SQL run on DuckDB)",
    "snowflake": "fakesnow server (SQL run on DuckDB)", "synapse": "driver path only",
    "teradata": "driver path only", "sqlite": "real files", "duckdb": "real files",
    "mongodb": "wire-protocol stand-in", "cassandra": "wire-protocol stand-in",
    "redis": "real server", "firestore": "gRPC stand-in",
    "dynamodb": "moto server (DynamoDB API stand-in)", "csv": "real files", "json": "real files",
    "parquet": "real files", "avro": "real files", "excel": "real files", "text": "real files",
}


def _row(t) -> str:
    """A type's line in the README: what it is, what the engine can do with it, and how
    the suite tests it."""
    e = t.engine
    writes = ", ".join(e.write_modes) if e.writable else "—"
    listing = e.rows + (", last update" if e.last_updated else "")
    return (f"| `{t.key}` | {t.label} | {CATEGORIES[t.category]} | {t.default_port or '—'} | "
            f"{t.driver.package} | {'yes' if e.readable else '—'} | {writes} | {listing} | "
            f"{TESTED[t.key]} |")


def test_readme_type_table_matches_the_registry():
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `")]
    expected = [_row(t) for t in TYPES]
    assert rows[:len(expected)] == expected


def test_readme_has_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text


# The rows of the README's table of how PostgreSQL types land: the source types named, and
# the one whose mapping the code is asked for.
PG_TYPES = [
    ("`integer` (`smallint`, `bigint`: their width)", "integer"),
    ("`real`, `double precision`", "double precision"),
    ("`numeric(p,s)`, p up to 38", "numeric(12,2)"),
    ("`numeric(p)`", "numeric(10,0)"),
    ("`numeric(p,s)`, p over 38", "numeric(50,10)"),
    ("`numeric` (no precision)", "numeric"),
    ("`money`", "money"),
    ("`boolean`", "boolean"),
    ("`text`, `varchar`, `char`, enums", "text"),
    ("`bytea`", "bytea"),
    ("`date`", "date"),
    ("`timestamp`", "timestamp without time zone"),
    ("`timestamptz`", "timestamp with time zone"),
    ("`time`", "time without time zone"),
    ("`timetz`, `inet`, `cidr`, `xml`, others", "time with time zone"),
    ("`interval`", "interval"),
    ("`uuid`", "uuid"),
    ("`json`, `jsonb`", "jsonb"),
    ("`text[]`, `varchar[]`", "text[]"),
    ("`integer[]` (and other number arrays)", "integer[]"),
    ("`numeric(p,s)[]`", "numeric(12,2)[]"),
    ("`timestamptz[]`", "timestamp with time zone[]"),
    ("other arrays (`uuid[]`, `jsonb[]`, enums ...)", "uuid[]"),
]
DESTINATIONS = ["warehouse", "Parquet", "PostgreSQL", "MySQL", "BigQuery"]


def test_readme_table_of_postgresql_types_matches_the_code():
    from app.etl.types import from_postgres, landing

    lines = README.read_text().splitlines()
    start = lines.index("| PostgreSQL source | " + " | ".join(DESTINATIONS) + " |")
    expected = []
    for label, pg_type in PG_TYPES:
        lands = landing(from_postgres(pg_type))
        expected.append(f"| {label} | " + " | ".join(f"`{lands[d]}`" for d in DESTINATIONS)
                        + " |")
    assert lines[start + 2:start + 2 + len(expected)] == expected
    assert lines[start + 2 + len(expected)] == ""
