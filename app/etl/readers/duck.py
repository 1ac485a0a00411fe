"""DuckDB files: DuckDB exports Arrow batches itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pyarrow as pa

from app.etl.errors import RunCancelled, RunError
from app.etl.readers import BaseReader, ReadRequest, check_columns
from app.etl.types import quote


class DuckDbReader(BaseReader):
    def __init__(self, type_key: str, params: dict, secrets: dict, request: ReadRequest,
                 cancel: threading.Event) -> None:
        import duckdb

        super().__init__()
        path = params["path"]
        self.request, self.cancel = request, cancel
        try:
            self.conn = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise RunError(f"Cannot open DuckDB file {path}: {exc}") from exc
        schema = request.schema or "main"
        where = f"table {schema}.{request.table}"
        if request.query:  # read as a table: the query as a subquery (read-only file)
            self.relation = f"({request.query.strip().rstrip(';')}) as sluice_query"
            where = f"query {request.table}"
        else:
            self.relation = f"{quote(schema, 'duckdb')}.{quote(request.table, 'duckdb')}"
            found = self.conn.execute(
                "select count(*) from duckdb_tables() where schema_name = ? and "
                "table_name = ?", [schema, request.table]).fetchall()[0][0]
            if not found:
                self.close()
                raise RunError(f"Table {schema}.{request.table} does not exist (any more) "
                               f"in {path}.")
        try:
            empty = self.conn.sql(f"select * from {self.relation} limit 0")
        except duckdb.Error as exc:
            self.close()
            raise RunError(f"The query {request.table} failed: {exc}") from exc
        try:
            kept = check_columns(request, empty.columns, where)
        except RunError:
            self.close()
            raise
        self.select = ", ".join(quote(name, "duckdb") for name in kept)
        self.schema = self.conn.sql(f"select {self.select} from {self.relation} limit 0") \
            .to_arrow_table().schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        query, args = f"select {self.select} from {self.relation}", []
        if self.request.cursor and self.request.since is not None:
            cursor = quote(self.request.cursor, "duckdb")
            nulls = f" or {cursor} is null" if self.request.with_nulls else ""
            query += f" where ({cursor} >= ?{nulls})"
            args = [self.request.since]
        reader = self.conn.sql(query, params=args).to_arrow_reader(self.request.batch_rows)
        for batch in reader:
            if self.cancel.is_set():
                raise RunCancelled()
            yield batch

    def close(self) -> None:
        self.conn.close()
