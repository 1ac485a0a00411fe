"""BigQuery tables as a source: pages of rows as Arrow batches (tabledata.list), or a
parameterised query for incremental reads."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pyarrow as pa

from app.etl.errors import RunCancelled, RunError
from app.etl.readers import BaseReader, ReadRequest, check_columns


class BigQueryReader(BaseReader):
    def __init__(self, type_key: str, params: dict, secrets: dict, request: ReadRequest,
                 cancel: threading.Event) -> None:
        from google.api_core import exceptions

        from app.connectors.base import Failed
        from app.connectors.bigquery import make_client

        super().__init__()
        self.request, self.cancel = request, cancel
        dataset = request.schema or params["dataset"]
        self.ref = f"{params['project']}.{dataset}.{request.table}"
        try:
            self.client = make_client(params)
            self.table = self.client.get_table(self.ref)
        except Failed as exc:
            raise RunError(str(exc)) from exc
        except exceptions.NotFound as exc:
            raise RunError(f"Table {self.ref} does not exist (any more).") from exc
        except exceptions.GoogleAPICallError as exc:
            raise RunError(f"BigQuery refused: {exc.message}") from exc
        kept = check_columns(request, [f.name for f in self.table.schema], f"table {self.ref}")
        self.fields = [f for f in self.table.schema if f.name in kept]
        self.schema = _arrow_schema(self.fields)

    def _rows(self):
        from google.cloud import bigquery

        if self.request.cursor and self.request.since is not None:
            field = next(f for f in self.table.schema if f.name == self.request.cursor)
            config = bigquery.QueryJobConfig(query_parameters=[
                bigquery.ScalarQueryParameter("since", field.field_type, self.request.since)])
            columns = ", ".join(f"`{f.name}`" for f in self.fields)
            cursor = f"`{self.request.cursor}`"
            nulls = f" OR {cursor} IS NULL" if self.request.with_nulls else ""
            sql = f"SELECT {columns} FROM `{self.ref}` WHERE ({cursor} >= @since{nulls})"
            return self.client.query(sql, job_config=config).result(
                page_size=self.request.batch_rows)
        return self.client.list_rows(self.table, selected_fields=self.fields,
                                     page_size=self.request.batch_rows)

    def batches(self) -> Iterator[pa.RecordBatch]:
        from google.api_core import exceptions

        try:
            for batch in self._rows().to_arrow_iterable():
                if self.cancel.is_set():
                    raise RunCancelled()
                yield batch.cast(self.schema) if batch.schema != self.schema else batch
        except exceptions.GoogleAPICallError as exc:
            raise RunError(f"The source stopped mid-read: {exc.message}") from exc

    def close(self) -> None:
        self.client.close()


def _arrow_schema(fields) -> pa.Schema:
    """Arrow types of BigQuery columns, as the client's own Arrow conversion gives them
    (its helper is private, but the client is pinned and this keeps one mapping)."""
    from google.cloud.bigquery import _pandas_helpers

    return pa.schema([_pandas_helpers.bq_to_arrow_field(f) for f in fields])
