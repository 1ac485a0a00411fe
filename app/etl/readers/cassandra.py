"""Cassandra as a source: a table of a keyspace (the connection's, or the job's schema), its
columns and primary key (partition key, then clustering columns) from system_schema.columns,
read with one SELECT that the driver pages (FETCH rows a page, the next asked for when the
last is used up), so memory holds a page and a batch.

CQL types: ascii, text, varchar → text; tinyint, smallint, int, bigint, counter → integers
of that width; varint → decimal(38, 0); decimal → decimal(38, 9); float, double; boolean;
timestamp → UTC time (milliseconds); date; time (nanoseconds); uuid, timeuuid, inet,
duration → text; blob → binary; list, set, map, tuple, user types, vectors (frozen or not)
→ JSON text. A varint or decimal that does not fit makes the table be read again with
those columns as text (the run log says so).

Incremental: `WHERE cursor >= mark ALLOW FILTERING` (Cassandra filters on the nodes; on a
column outside the key that is a scan of the table there, which is what a full read is
anyway). Cassandra cannot select rows whose cursor is null: only a full read sees them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC
from typing import Any

import pyarrow as pa

from app.etl.errors import RunCancelled, RunError
from app.etl.readers import BaseReader, ReadAgain, ReadRequest, check_columns
from app.etl.readers.documents import UNFIT

FETCH = 5_000  # rows a page
TIMEOUT = 300.0

SIMPLE: dict[str, pa.DataType] = {
    "ascii": pa.string(), "text": pa.string(), "varchar": pa.string(),
    "tinyint": pa.int8(), "smallint": pa.int16(), "int": pa.int32(), "bigint": pa.int64(),
    "counter": pa.int64(), "varint": pa.decimal128(38, 0), "decimal": pa.decimal128(38, 9),
    "float": pa.float32(), "double": pa.float64(), "boolean": pa.bool_(),
    "timestamp": pa.timestamp("ms", tz="UTC"), "date": pa.date32(), "time": pa.time64("ns"),
    "uuid": pa.string(), "timeuuid": pa.string(), "inet": pa.string(),
    "duration": pa.string(), "blob": pa.binary(),
}


def arrow_type(cql_type: str, safe: bool = False) -> pa.DataType:
    """The column type for a CQL type (anything nested, or unknown: JSON text)."""
    name = cql_type.strip().lower()
    if safe and name in ("varint", "decimal"):
        return pa.string()
    return SIMPLE.get(name, pa.string())


def _json_ready(value: Any) -> Any:
    """A driver value as plain Python for JSON: sets and lists as lists, maps as objects,
    tuples as arrays, user types as objects, dates and times as ISO text."""
    kind = type(value).__name__
    if isinstance(value, dict) or kind == "OrderedMapSerializedKey":
        return {str(_json_ready(k)): _json_ready(v) for k, v in value.items()}
    if hasattr(value, "_asdict"):  # a user-defined type
        return {k: _json_ready(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple | set | frozenset) or kind == "SortedSet":
        return [_json_ready(v) for v in value]
    if kind == "Date":
        return value.date().isoformat()
    if kind == "Time":
        return value.time().isoformat()
    if kind in ("UUID", "Duration", "IPv4Address", "IPv6Address"):
        return str(value)
    if kind == "datetime" and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def converter(cql_type: str, arrow: pa.DataType) -> Callable[[Any], Any]:
    import json

    from app.etl.plain import plain

    name = cql_type.strip().lower()
    if name == "timestamp":
        return lambda v: v.replace(tzinfo=UTC) if v.tzinfo is None else v
    if name == "date":
        return lambda v: v.date()
    if name == "time":
        return lambda v: v.time()
    if pa.types.is_string(arrow) and name not in ("ascii", "text", "varchar"):
        if name in SIMPLE:  # uuid, inet, duration; varint and decimal read as text
            return str
        return lambda v: json.dumps(plain(_json_ready(v)), ensure_ascii=False)
    return lambda v: v


class CassandraReader(BaseReader):
    def __init__(self, params: dict, secrets: dict, request: ReadRequest,
                 cancel: threading.Event) -> None:
        from app.connectors.nosql import cassandra_session

        super().__init__()
        self.request, self.cancel = request, cancel
        self.keyspace = request.schema or params["database"]
        self.where = f"table {self.keyspace}.{request.table}"
        try:
            self.cluster, self.session = cassandra_session(params, secrets, 30.0)
        except Exception as exc:
            raise RunError(f"Cassandra refused the connection: {exc}") from exc
        try:
            columns = self.session.execute(
                "select column_name, kind, position, type from system_schema.columns "
                "where keyspace_name = %s and table_name = %s",
                (self.keyspace, request.table)).all()
        except Exception as exc:
            self.cluster.shutdown()
            raise RunError(f"Cassandra: {exc}") from exc
        if not columns:
            self.cluster.shutdown()
            raise RunError(f"Cassandra holds no {self.where} (any more).")
        order = {"partition_key": 0, "clustering": 1}
        columns.sort(key=lambda c: (order.get(c[1], 2), c[2] if c[1] in order else 0, c[0]))
        self.primary_key = [c[0] for c in columns if c[1] in order]
        types = {c[0]: c[3] for c in columns}
        kept = check_columns(request, [c[0] for c in columns], self.where)
        self.schema = pa.schema([pa.field(n, arrow_type(types[n], request.safe),
                                          nullable=n not in self.primary_key) for n in kept])
        self.convert = [converter(types[f.name], f.type) for f in self.schema]

    def _statement(self):
        from cassandra.query import SimpleStatement

        r = self.request
        names = ", ".join('"' + n.replace('"', '""') + '"' for n in self.schema.names)
        cql = f'select {names} from "{self.keyspace}"."{r.table}"'
        values = None
        if r.cursor and r.since is not None:
            cql += f' where "{r.cursor}" >= %s allow filtering'
            values = (r.since,)
        return SimpleStatement(cql, fetch_size=FETCH), values

    def batches(self) -> Iterator[pa.RecordBatch]:
        statement, values = self._statement()
        size = self.request.batch_rows
        rows: list[tuple] = []
        try:
            for row in self.session.execute(statement, values, timeout=TIMEOUT):
                rows.append(row)
                if len(rows) >= size:
                    yield self._batch(rows)
                    rows = []
                    if self.cancel.is_set():
                        raise RunCancelled()
            if rows:
                yield self._batch(rows)
        except (RunCancelled, ReadAgain):
            raise
        except Exception as exc:
            if self.cancel.is_set():
                raise RunCancelled() from exc
            raise RunError(f"Cassandra stopped mid-read: {exc}") from exc

    def _batch(self, rows: list[tuple]) -> pa.RecordBatch:
        try:
            columns = [pa.array([None if row[i] is None else convert(row[i]) for row in rows],
                                type=field.type)
                       for i, (field, convert) in enumerate(zip(self.schema, self.convert,
                                                                strict=True))]
        except UNFIT as exc:
            raise ReadAgain(f"{self.request.table}: a number did not fit its column ({exc}); "
                            "read again with varint and decimal columns as text.",
                            replace(self.request, safe=True)) from exc
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)

    def interrupt(self) -> None:
        self.cluster.shutdown()

    def close(self) -> None:
        self.cluster.shutdown()


def open_cassandra_reader(type_key: str, params: dict, secrets: dict, request: ReadRequest,
                          cancel: threading.Event) -> CassandraReader:
    return CassandraReader(params, secrets, request, cancel)
