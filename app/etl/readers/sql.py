"""Any SQL source through SQLAlchemy: reflected columns, server-side cursor, Arrow batches."""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa

from app.etl import types
from app.etl.errors import RunCancelled, RunError
from app.etl.readers import BaseReader, ReadRequest, check_columns

# The collation that orders text as the engine does (by code point) where the column's own
# may not: a text cursor is compared in it.
BINARY_COLLATION = {"sqlite": "BINARY", "mssql": "Latin1_General_BIN2"}


def engine_url(type_key: str, params: dict, secrets: dict):
    """The SQLAlchemy URL of a saved connection (secrets only in memory)."""
    from sqlalchemy.engine import URL

    password = secrets.get("password")
    if type_key == "sqlite":
        return URL.create("sqlite", database=f"file:{params['path']}?mode=ro",
                          query={"uri": "true"})
    drivers = {"mysql": "mysql+pymysql", "mariadb": "mysql+pymysql",
               "postgresql": "postgresql+psycopg2", "redshift": "postgresql+psycopg2",
               "oracle": "oracle+oracledb", "sqlserver": "mssql+pymssql",
               "synapse": "mssql+pymssql", "db2": "db2+ibm_db", "teradata": "teradatasql"}
    if type_key not in drivers:
        raise RunError(f"Reading tables from {type_key} is not supported yet.")
    query = {"service_name": params["database"]} if type_key == "oracle" else {}
    database = None if type_key in ("oracle", "teradata") else params.get("database")
    if type_key in ("mysql", "mariadb"):
        query = {"charset": "utf8mb4"}
    if type_key == "teradata":  # teradatasql's own connection parameters
        query = {"dbs_port": str(params.get("port")), "database": params["database"]}
        return URL.create(drivers[type_key], username=params.get("user"), password=password,
                          host=params.get("host"), query=query)
    return URL.create(drivers[type_key], username=params.get("user"), password=password,
                      host=params.get("host"), port=params.get("port"), database=database,
                      query=query)


def connect_args(type_key: str, params: dict) -> dict:
    """The driver's own options a saved connection asks for: TLS (see app.connectors.tls
    for MySQL and MariaDB; PostgreSQL's sslmode and CA file)."""
    from app.connectors import tls

    if type_key in ("mysql", "mariadb"):
        return tls.pymysql_options(params)
    if type_key in ("postgresql", "redshift"):
        return tls.postgres_options(params)
    return {}


def _column(values: list, arrow_type: pa.DataType) -> pa.Array:
    if pa.types.is_timestamp(arrow_type) and arrow_type.tz:
        values = [v.astimezone(UTC) if isinstance(v, datetime) and v.tzinfo else v
                  for v in values]
    if pa.types.is_floating(arrow_type):
        # Some dialects (MySQL's DOUBLE) hand floats over as Decimal.
        values = [float(v) if isinstance(v, Decimal) else v for v in values]
    if pa.types.is_string(arrow_type):
        values = [v if v is None or isinstance(v, str) else str(v) for v in values]
    return pa.array(values, type=arrow_type)


class SqlReader(BaseReader):
    def __init__(self, type_key: str, params: dict, secrets: dict, request: ReadRequest,
                 cancel: threading.Event) -> None:
        from sqlalchemy import MetaData, Table, create_engine, exc
        from sqlalchemy.pool import NullPool

        super().__init__()
        self.request, self.cancel = request, cancel
        self.engine = create_engine(engine_url(type_key, params, secrets), poolclass=NullPool,
                                    connect_args=connect_args(type_key, params))
        try:
            self.conn = self.engine.connect()
        except exc.DBAPIError as error:
            raise RunError(f"Cannot connect to the source: {str(error.orig).strip()}") \
                from error
        where = f"{request.schema}.{request.table}" if request.schema else request.table
        name, schema = request.table, request.schema
        if request.query:  # SQLite: read as a table, a temporary view of the query
            name, schema = self._query_view(request), "temp"
            where = f"query {request.table}"
        try:
            # Only this table (resolve_fks=False: not the tables its foreign keys name); a
            # type SQLAlchemy does not know is read as text and said once, in the log.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.table = Table(name, MetaData(), schema=schema,
                                   autoload_with=self.conn, resolve_fks=False)
        except exc.NoSuchTableError as error:
            self.close()
            raise RunError(f"Table {where} does not exist (any more) in the source.") \
                from error
        for warning in caught:
            unknown = re.search(r"Did not recognize type '(.+?)' of column '(.+?)'",
                                str(warning.message))
            if unknown and unknown.group(2) not in request.exclude:
                self.notes.append(f"{where}: column {unknown.group(2)} has a type Sluice "
                                  f"does not know ({unknown.group(1)}); read as text.")
        try:
            kept = check_columns(request, [c.name for c in self.table.columns],
                                 f"table {where}")
        except RunError:
            self.close()
            raise
        self.columns = [self.table.c[name] for name in kept]
        self.schema = pa.schema([(c.name, types.from_sqlalchemy(c.type))
                                 for c in self.columns])

    def _query_view(self, request: ReadRequest) -> str:
        """The query as a temporary view of this connection (SQLite's temp schema is
        writable even when the file is opened read-only); RunError with its message."""
        import uuid

        from sqlalchemy import exc

        view = f"sluice_query_{uuid.uuid4().hex[:12]}"
        try:
            self.conn.exec_driver_sql(f'create temp view "{view}" as '
                                      f"{request.query.strip().rstrip(';')}")
            self.conn.exec_driver_sql(f'select * from temp."{view}" limit 0')
        except exc.DBAPIError as error:
            self.close()
            raise RunError(f"The query {request.table} failed: "
                           f"{str(error.orig).strip()}") from error
        return view

    def batches(self) -> Iterator[pa.RecordBatch]:
        from sqlalchemy import or_, select

        query = select(*(self._selected(c, f.type) for c, f in zip(self.columns, self.schema,
                                                                   strict=True)))
        if self.request.cursor and self.request.since is not None:
            cursor = self.table.c[self.request.cursor]
            binary = BINARY_COLLATION.get(self.engine.dialect.name)
            if isinstance(self.request.since, str) and binary:
                # The mark was taken in byte order (the engine's), not in the column's
                # collation (SQL Server's are case-insensitive by default).
                cursor = cursor.collate(binary)
            since = cursor >= self.request.since
            query = query.where(or_(since, cursor.is_(None)) if self.request.with_nulls
                                else since)
        result = self.conn.execution_options(
            stream_results=True, yield_per=self.request.batch_rows).execute(query)
        for rows in result.partitions(self.request.batch_rows):
            if self.cancel.is_set():
                raise RunCancelled()
            columns = list(zip(*rows, strict=True))
            yield pa.RecordBatch.from_arrays(
                [_column(list(values), field.type)
                 for values, field in zip(columns, self.schema, strict=True)],
                schema=self.schema)

    def _selected(self, column, arrow_type: pa.DataType):
        """A column read as text is taken as the driver gives it and made text here:
        SQLite stores any value in any column (text in a NUMERIC one, say), and
        SQLAlchemy's conversion for the declared type would fail on it."""
        from sqlalchemy import type_coerce
        from sqlalchemy.types import NullType

        if self.engine.dialect.name == "sqlite" and pa.types.is_string(arrow_type):
            return type_coerce(column, NullType()).label(column.name)
        return column

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()
