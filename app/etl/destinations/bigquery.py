"""BigQuery as a destination, in every sync mode.

The run's rows are written to a local Parquet file, then loaded by one load job, which
commits all of its rows or none:
- replace, append: straight into the table (WRITE_TRUNCATE, WRITE_APPEND);
- incremental and merge: into a staging table of the dataset; then one script applies it
  in a multi-statement transaction: MERGE on the key (an upsert), or INSERT of the rows the
  table does not hold yet (an incremental table without a key), the rows gone from the
  source deleted or marked (detect deletes), and the cursor saved in the dataset's
  `_sluice_state`. A failure rolls the transaction back: the table and the cursor stay as
  they were. Columns new in the source are added (ALTER TABLE, before the transaction: a
  failed run may leave such a column, empty) and the staging table is dropped either way.

BigQuery's transactions take no DDL, so a table that does not exist yet is created from the
staging table first (CREATE TABLE … AS SELECT), then the cursor is saved.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime

import pyarrow as pa

from app.etl.destinations import STAGE_PREFIX, STATE_TABLE, BaseDestination, Target
from app.etl.errors import RunError
from app.etl.types import Fit, is_list
from app.vocabulary import DELETED_AT

LOAD_TIMEOUT = 3600.0


def ident(*parts: str) -> str:
    """A backquoted BigQuery path: `project.dataset.table`."""
    return "`" + ".".join(p.replace("\\", "\\\\").replace("`", "\\`") for p in parts) + "`"


def col(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def literal(text: str) -> str:
    """A BigQuery string literal."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") \
        .replace("\r", "\\r")
    return f"'{escaped}'"


class BigQueryDestination(BaseDestination):
    def __init__(self, params: dict, secrets: dict) -> None:
        from app.connectors.base import Failed
        from app.connectors.bigquery import make_client

        self.params = params
        self.project = params["project"]
        self.default_schema = params["dataset"]
        try:
            self.client = make_client(params)
        except Failed as exc:
            raise RunError(str(exc)) from exc

    def fit(self) -> Fit:
        """Lists load as ARRAY (list inference); JSON, UUIDs and intervals as STRING;
        TIMESTAMP and DATE hold years 1 to 9999."""
        return Fit(is_list, first_last=True)

    # --- statements ----------------------------------------------------------------------

    def table_path(self, dataset: str | None, table: str) -> str:
        return ident(self.project, dataset or self.default_schema, table)

    def run(self, sql: str, doing: str) -> list[tuple]:
        """Run a query (or a script); its rows."""
        from google.api_core import exceptions

        try:
            job = self.client.query(sql)
            return [tuple(row.values()) for row in job.result(timeout=LOAD_TIMEOUT)]
        except exceptions.GoogleAPICallError as exc:
            raise RunError(f"BigQuery refused {doing}: {exc.message}") from exc

    def columns(self, dataset: str | None, table: str) -> dict[str, object] | None:
        """The table's columns (name -> SchemaField), None when it does not exist."""
        from google.api_core import exceptions

        name = f"{self.project}.{dataset or self.default_schema}.{table}"
        try:
            found = self.client.get_table(name)
        except exceptions.NotFound:
            return None
        except exceptions.GoogleAPICallError as exc:
            raise RunError(f"BigQuery: cannot look at {name}: {exc.message}") from exc
        return {f.name: f for f in found.schema}

    # --- state -------------------------------------------------------------------------

    def read_state(self, key: str) -> dict | None:
        if self.columns(None, STATE_TABLE) is None:
            return None
        rows = self.run(f"SELECT state FROM {self.table_path(None, STATE_TABLE)} "
                        f"WHERE state_key = {literal(key)}", "reading the saved cursor")
        return json.loads(rows[0][0]) if rows else None

    def state_sql(self, key: str, state: Mapping) -> list[str]:
        """Statements that save (or, empty, forget) a table's state."""
        table = self.table_path(None, STATE_TABLE)
        out = [f"DELETE FROM {table} WHERE state_key = {literal(key)}"]
        if state:
            now = datetime.now(UTC).isoformat()
            out.append(f"INSERT INTO {table} (state_key, state, updated_at) VALUES "
                       f"({literal(key)}, {literal(json.dumps(dict(state)))}, {literal(now)})")
        return out

    def ensure_state_table(self) -> None:
        self.run(f"CREATE TABLE IF NOT EXISTS {self.table_path(None, STATE_TABLE)} "
                 "(state_key STRING, state STRING, updated_at STRING)",
                 "creating the state table")

    def write_state(self, key: str, state: Mapping | None) -> None:
        if state is None or (not state and self.columns(None, STATE_TABLE) is None):
            return
        self.ensure_state_table()
        self.run(transaction(self.state_sql(key, state)), "saving the cursor")

    # --- loads ---------------------------------------------------------------------------

    def begin(self, target: Target, schema: pa.Schema, run_id: str) -> BigQueryLoad:
        self.check_mode("bigquery", target)
        target.schema = target.schema or self.default_schema
        staged = target.write == "upsert" or target.dedupe is not None
        return BigQueryLoad(self, target, schema, run_id if staged else None)

    def load_file(self, path: str, table: str, disposition: str, add_fields: bool) -> None:
        from google.api_core import exceptions
        from google.cloud import bigquery

        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET, write_disposition=disposition,
            decimal_target_types=["NUMERIC", "BIGNUMERIC", "STRING"])
        config.parquet_options = bigquery.ParquetOptions()
        config.parquet_options.enable_list_inference = True  # a list is an ARRAY
        if add_fields:
            config.schema_update_options = [bigquery.SchemaUpdateOption.ALLOW_FIELD_ADDITION]
        try:
            with open(path, "rb") as fh:
                job = self.client.load_table_from_file(fh, table, job_config=config,
                                                       size=os.path.getsize(path))
            job.result(timeout=LOAD_TIMEOUT)
        except exceptions.GoogleAPICallError as exc:
            raise RunError(f"BigQuery refused the load into {table}: {exc.message}") from exc

    def drop(self, target: Target) -> bool:
        from google.api_core import exceptions

        dataset = target.schema or self.default_schema
        table = f"{self.project}.{dataset}.{target.table}"
        if self.columns(dataset, target.table) is None:
            return False
        try:
            self.client.delete_table(table, not_found_ok=True)
        except exceptions.GoogleAPICallError as exc:
            raise RunError(f"BigQuery refused to delete {table}: {exc.message}") from exc
        self.write_state(target.state_key, {})
        return True

    def close(self) -> None:
        self.client.close()


def transaction(statements: list[str]) -> str:
    """One script applying `statements` all or none."""
    return "BEGIN TRANSACTION;\n" + "".join(f"{s};\n" for s in statements) + \
        "COMMIT TRANSACTION;"


class BigQueryLoad:
    """One table's load: a Parquet file, then a load job (into the table or a staging
    table), then, for a staged load, the script that applies it."""

    def __init__(self, dest: BigQueryDestination, target: Target, schema: pa.Schema,
                 stage_run: str | None) -> None:
        import pyarrow.parquet as pq

        self.dest, self.target = dest, target
        self.skipped = self.deleted = 0
        self.staged = 0
        self.stage = f"{STAGE_PREFIX}{target.table}_{stage_run[:8]}" if stage_run else None
        self.names = schema.names
        self.lists = {f.name for f in schema if pa.types.is_list(f.type)
                      or pa.types.is_large_list(f.type) or pa.types.is_struct(f.type)}
        handle, self.path = tempfile.mkstemp(prefix="sluice-bq-", suffix=".parquet")
        os.close(handle)
        self.writer = pq.ParquetWriter(self.path, schema, compression="zstd")

    @property
    def table_id(self) -> str:
        return f"{self.dest.project}.{self.target.schema}.{self.target.table}"

    def write(self, batch: pa.RecordBatch) -> None:
        self.writer.write_batch(batch)
        self.staged += batch.num_rows

    def commit(self, state: Mapping | None) -> None:
        from google.cloud import bigquery

        self.writer.close()
        d, t = self.dest, self.target
        try:
            if self.stage is None:  # replace or append: one load job is the whole change
                d.load_file(self.path, self.table_id,
                            bigquery.WriteDisposition.WRITE_TRUNCATE if t.write == "replace"
                            else bigquery.WriteDisposition.WRITE_APPEND,
                            add_fields=t.write == "append")
                d.write_state(t.state_key, state)
                return
            stage_id = f"{d.project}.{t.schema}.{self.stage}"
            d.load_file(self.path, stage_id, bigquery.WriteDisposition.WRITE_TRUNCATE,
                        add_fields=False)
            try:
                self._apply(state)
            finally:
                with contextlib.suppress(Exception):
                    d.client.delete_table(stage_id, not_found_ok=True)
        finally:
            self._remove()

    def _apply(self, state: Mapping | None) -> None:
        d, t = self.dest, self.target
        target = d.table_path(t.schema, t.table)
        stage = d.table_path(t.schema, self.stage)
        if state is not None:
            d.ensure_state_table()
        existing = d.columns(t.schema, t.table)
        if existing is None:  # the first load: the staged rows are the table
            d.run(f"CREATE TABLE {target} AS SELECT * FROM {stage}", f"creating {t.table}")
            if t.deletes == "mark":
                d.run(f"ALTER TABLE {target} ADD COLUMN {col(DELETED_AT)} TIMESTAMP",
                      f"adding {DELETED_AT}")
            if state is not None:
                d.run(transaction(d.state_sql(t.state_key, state)), "saving the cursor")
            return
        staged = d.columns(t.schema, self.stage) or {}
        for name, field in staged.items():
            if name not in existing:
                d.run(f"ALTER TABLE {target} ADD COLUMN {col(name)} {field.field_type}"
                      if field.mode != "REPEATED" else
                      f"ALTER TABLE {target} ADD COLUMN {col(name)} "
                      f"ARRAY<{field.field_type}>", f"adding the column {name}")
            elif existing[name].field_type != field.field_type:
                raise RunError(f"Column {name!r} of {t.table} changed type from "
                               f"{existing[name].field_type} to {field.field_type}; run the "
                               "table in replace mode to rebuild it.")
        if t.deletes == "mark" and DELETED_AT not in existing:
            d.run(f"ALTER TABLE {target} ADD COLUMN {col(DELETED_AT)} TIMESTAMP",
                  f"adding {DELETED_AT}")
        statements = self._changes(target, stage, list(staged), existing)
        if state is not None:
            statements += d.state_sql(t.state_key, state)
        self.skipped = self._held_already(target, stage, list(staged), existing)
        self.deleted = self._gone(target, stage)
        d.run(transaction(statements), f"the {'merge' if t.write == 'upsert' else 'insert'} "
                                       f"into {self.table_id}")

    def _changes(self, target: str, stage: str, names: list[str], existing: dict
                 ) -> list[str]:
        """The statements that apply the staged rows (see the module's docstring)."""
        t = self.target
        cols = ", ".join(col(n) for n in names)
        if t.write == "upsert":
            missing = [k for k in t.primary_key if k not in names]
            if missing:
                raise RunError(f"Primary key column(s) {', '.join(missing)} not in {t.table}.")
            on = " AND ".join(f"t.{col(k)} = s.{col(k)}" for k in t.primary_key)
            out = []
            if t.deletes == "delete":
                out.append(f"DELETE FROM {target} t WHERE NOT EXISTS "
                           f"(SELECT 1 FROM {stage} s WHERE {on})")
            elif t.deletes == "mark":
                out.append(f"UPDATE {target} t SET {col(DELETED_AT)} = CURRENT_TIMESTAMP() "
                           f"WHERE t.{col(DELETED_AT)} IS NULL AND NOT EXISTS "
                           f"(SELECT 1 FROM {stage} s WHERE {on})")
            sets = ", ".join(f"{col(n)} = s.{col(n)}" for n in names
                             if n not in t.primary_key)
            revive = f", {col(DELETED_AT)} = NULL" if t.deletes == "mark" else ""
            values = ", ".join(f"s.{col(n)}" for n in names)
            # A row the table holds unchanged is left as it is.
            changed = f" AND NOT ({self._held(names, existing)})" if t.dedupe else ""
            matched = f"WHEN MATCHED{changed} THEN UPDATE SET {sets}{revive} " if sets else ""
            out.append(f"MERGE {target} t USING {stage} s ON {on} {matched}"
                       f"WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({values})")
            return out
        held = self._held(names, existing)
        return [f"INSERT INTO {target} ({cols}) SELECT {', '.join(f's.{col(n)}' for n in names)}"
                f" FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE {held})"]

    def _held(self, names: list[str], existing: dict) -> str:
        """SQL that a target row `t` is the staged row `s` (see Dedupe): the cursor, and the
        columns of the run that took the mark that both have (arrays are not comparable)."""
        dedupe = self.target.dedupe
        cursor = dedupe.cursor if dedupe else None
        wanted = dedupe.columns if dedupe and dedupe.columns is not None else tuple(names)
        compared = ([cursor] if cursor else []) + [
            c for c in wanted if c != cursor and c in names and c in existing
            and c not in self.lists]
        keys = self.target.primary_key if self.target.write == "upsert" else []
        alive = [f"t.{col(DELETED_AT)} IS NULL"] if self.target.deletes == "mark" else []
        return " AND ".join([f"t.{col(c)} = s.{col(c)}" if c in keys else
                             f"t.{col(c)} IS NOT DISTINCT FROM s.{col(c)}"
                             for c in compared] + alive) or "TRUE"

    def _held_already(self, target: str, stage: str, names: list[str], existing: dict
                      ) -> int:
        """How many staged rows the table holds already, unchanged: left out (or, in a
        merge, left as they are)."""
        if self.target.dedupe is None:
            return 0
        rows = self.dest.run(f"SELECT COUNT(*) FROM {stage} s WHERE EXISTS "
                             f"(SELECT 1 FROM {target} t WHERE {self._held(names, existing)})",
                             "counting the rows held already")
        return int(rows[0][0])

    def _gone(self, target: str, stage: str) -> int:
        """How many of the table's rows the staged rows (every source row) no longer have:
        deleted, or marked (see Target.deletes)."""
        t = self.target
        if t.write != "upsert" or not t.deletes:
            return 0
        on = " AND ".join(f"t.{col(k)} = s.{col(k)}" for k in t.primary_key)
        alive = f" AND t.{col(DELETED_AT)} IS NULL" if t.deletes == "mark" else ""
        rows = self.dest.run(f"SELECT COUNT(*) FROM {target} t WHERE NOT EXISTS "
                             f"(SELECT 1 FROM {stage} s WHERE {on}){alive}",
                             "counting the rows gone from the source")
        return int(rows[0][0])

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()
        self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
