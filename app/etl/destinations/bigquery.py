"""BigQuery as a destination: the run is written to a local Parquet file, then loaded by
one load job (WRITE_TRUNCATE for replace, WRITE_APPEND for append). A load job commits
all of its rows or none, so the table is never half-written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping

import pyarrow as pa

from app.etl.destinations import BaseDestination, Target
from app.etl.errors import RunError
from app.etl.types import Fit, is_list

LOAD_TIMEOUT = 3600.0


class BigQueryDestination(BaseDestination):
    def __init__(self, params: dict, secrets: dict) -> None:
        from app.connectors.base import Failed
        from app.connectors.bigquery import make_client

        self.params = params
        self.default_schema = params["dataset"]
        try:
            self.client = make_client(params)
        except Failed as exc:
            raise RunError(str(exc)) from exc

    def fit(self) -> Fit:
        """Lists load as ARRAY (list inference); JSON, UUIDs and intervals as STRING;
        TIMESTAMP and DATE hold years 1 to 9999."""
        return Fit(is_list, first_last=True)

    def read_state(self, key: str) -> dict | None:
        return None  # incremental runs are not offered for BigQuery yet

    def begin(self, target: Target, schema: pa.Schema, run_id: str) -> BigQueryLoad:
        self.check_mode("bigquery", target)
        dataset = target.schema or self.default_schema
        table = f"{self.params['project']}.{dataset}.{target.table}"
        return BigQueryLoad(self.client, table, target.write, schema)

    def drop(self, target: Target) -> bool:
        from google.api_core import exceptions

        dataset = target.schema or self.default_schema
        table = f"{self.params['project']}.{dataset}.{target.table}"
        try:
            self.client.get_table(table)
        except exceptions.NotFound:
            return False
        except exceptions.GoogleAPICallError as exc:
            raise RunError(f"BigQuery: cannot look at {table}: {exc.message}") from exc
        try:
            self.client.delete_table(table, not_found_ok=True)
        except exceptions.GoogleAPICallError as exc:
            raise RunError(f"BigQuery refused to delete {table}: {exc.message}") from exc
        return True

    def close(self) -> None:
        self.client.close()


class BigQueryLoad:
    skipped = deleted = 0

    def __init__(self, client, table: str, mode: str, schema: pa.Schema) -> None:
        import pyarrow.parquet as pq

        self.client, self.table, self.mode = client, table, mode
        handle, self.path = tempfile.mkstemp(prefix="sluice-bq-", suffix=".parquet")
        os.close(handle)
        self.writer = pq.ParquetWriter(self.path, schema, compression="zstd")

    def write(self, batch: pa.RecordBatch) -> None:
        self.writer.write_batch(batch)

    def commit(self, state: Mapping | None) -> None:
        from google.api_core import exceptions
        from google.cloud import bigquery

        self.writer.close()
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET,
            write_disposition=(bigquery.WriteDisposition.WRITE_TRUNCATE if self.mode == "replace"
                               else bigquery.WriteDisposition.WRITE_APPEND),
            decimal_target_types=["NUMERIC", "BIGNUMERIC", "STRING"],
        )
        config.parquet_options = bigquery.ParquetOptions()
        config.parquet_options.enable_list_inference = True  # a list is an ARRAY
        if self.mode == "append":
            config.schema_update_options = [bigquery.SchemaUpdateOption.ALLOW_FIELD_ADDITION]
        try:
            with open(self.path, "rb") as fh:
                job = self.client.load_table_from_file(fh, self.table, job_config=config,
                                                       size=os.path.getsize(self.path))
            job.result(timeout=LOAD_TIMEOUT)
        except exceptions.GoogleAPICallError as exc:
            raise RunError(f"BigQuery refused the load into {self.table}: {exc.message}") \
                from exc
        finally:
            self._remove()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()
        self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
