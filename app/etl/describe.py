"""The shape of source tables for the job wizard: columns, types, primary key, and which
columns would make a good incremental cursor."""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass, field

import pyarrow as pa

from app.etl.errors import RunError
from app.etl.readers import ReadRequest, open_reader

_CHANGED = re.compile(r"(updated|modified|changed|last_?update|mtime|edited)", re.IGNORECASE)
_STAMP = re.compile(r"(_at|_on|_ts|timestamp|time|date)$", re.IGNORECASE)
_SEQUENCE = re.compile(r"^(id|seq|sequence|version|row_?id|.*_seq|.*_version)$", re.IGNORECASE)


@dataclass
class Column:
    name: str
    type: str  # Arrow's name for the type the engine will read it as

    @property
    def temporal(self) -> bool:
        return self.type.startswith(("timestamp", "date"))

    @property
    def integer(self) -> bool:
        return self.type.startswith(("int", "uint"))


@dataclass
class TableShape:
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)

    def cursor_candidates(self) -> list[str]:
        """Columns likely to grow with every change, best first: timestamps named like
        updated/modified, other timestamps, then increasing integer keys."""
        def rank(col: Column) -> int | None:
            if col.temporal and _CHANGED.search(col.name):
                return 0
            if col.temporal and _STAMP.search(col.name):
                return 1
            if col.temporal:
                return 2
            if col.integer and (self.primary_key == [col.name] or _SEQUENCE.match(col.name)):
                return 3
            return None

        ranked = [(rank(c), i, c.name) for i, c in enumerate(self.columns)]
        return [name for r, _, name in sorted(x for x in ranked if x[0] is not None)]

    def to_json(self) -> dict:
        return {"columns": [{"name": c.name, "type": c.type} for c in self.columns],
                "primary_key": self.primary_key, "cursor_candidates": self.cursor_candidates()}


def _type_name(arrow_type: pa.DataType) -> str:
    return str(arrow_type)


def _inspect(type_key: str, params: dict, secrets: dict,
             tables: list[tuple[str | None, str]]) -> dict[tuple[str | None, str], TableShape]:
    from sqlalchemy import create_engine, exc, inspect
    from sqlalchemy.pool import NullPool

    from app.etl import types
    from app.etl.readers.sql import connect_args, engine_url

    engine = create_engine(engine_url(type_key, params, secrets), poolclass=NullPool,
                           connect_args=connect_args(type_key, params))
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            # A type SQLAlchemy does not know is read as text; the reader says so in the log.
            warnings.filterwarnings("ignore", "Did not recognize type", category=Warning)
            inspector = inspect(conn)
            shapes = {}
            for schema, table in tables:
                try:
                    columns = inspector.get_columns(table, schema=schema)
                    key = inspector.get_pk_constraint(table, schema=schema)
                except exc.NoSuchTableError as error:
                    where = f"{schema}.{table}" if schema else table
                    raise RunError(f"Table {where} does not exist (any more).") from error
                shapes[(schema, table)] = TableShape(
                    [Column(c["name"], _type_name(types.from_sqlalchemy(c["type"])))
                     for c in columns], list(key.get("constrained_columns") or []))
            return shapes
    except exc.DBAPIError as error:
        raise RunError(f"Cannot read the source's columns: {str(error.orig).strip()}") \
            from error
    finally:
        engine.dispose()


def _duckdb_key(path: str, schema: str | None, table: str) -> list[str]:
    import duckdb

    with duckdb.connect(path, read_only=True) as conn:
        row = conn.execute(
            "select constraint_column_names from duckdb_constraints() where "
            "constraint_type = 'PRIMARY KEY' and table_name = ? and schema_name = ?",
            [table, schema or "main"]).fetchone()
    return list(row[0]) if row else []


def describe_tables(type_key: str, params: dict, secrets: dict,
                    tables: list[tuple[str | None, str]],
                    cancel: threading.Event | None = None,
                    queries: dict[str, str] | None = None
                    ) -> dict[tuple[str | None, str], TableShape]:
    """Columns and primary key of each (schema, table); raises RunError with the reason.
    A table named in `queries` is that query (read by the type's reader)."""
    from app.connectors import registry

    # Through SQLAlchemy's inspector, one connection for all the tables, where the type says
    # so; else by the type's own reader, so the wizard shows the types a run lands
    # (PostgreSQL's domains and enums, MySQL's column plan).
    queries = queries or {}
    if registry.engine(type_key).inspected and not queries:
        return _inspect(type_key, params, secrets, tables)
    cancel = cancel or threading.Event()
    shapes = {}
    for schema, table in tables:
        request = ReadRequest(table, None, query=queries[table]) if table in queries \
            else ReadRequest(table, schema)
        reader = open_reader(type_key, params, secrets, request, cancel)
        try:
            columns = [Column(f.name, _type_name(f.type)) for f in reader.schema]
            key = list(reader.primary_key)
        finally:
            reader.close()
        if type_key == "duckdb":
            key = _duckdb_key(params["path"], schema, table)
        shapes[(schema, table)] = TableShape(columns, key)
    return shapes
