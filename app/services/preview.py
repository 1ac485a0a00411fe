"""The first rows of a table: of what a job landed (each destination table), or of a source
table while a job is being made. A destination is read as a source of its own type (the
local warehouse as the DuckDB file it is, a folder of Parquet/CSV/JSON lines by its files),
through the same readers the engine uses, so every type that can be read can be previewed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from app.connectors.base import scrub
from app.etl.errors import RunError
from app.etl.plain import plain
from app.etl.spec import TableSpec
from app.services.context import AppContext
from app.services.errors import ServiceError

PAGE_ROWS = 100


@dataclass
class TablePreview:
    table: str  # as the user reads it: "main.orders", "sales.orders.parquet"
    columns: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)  # Arrow's names: int64, timestamp[us]
    rows: list[list] = field(default_factory=list)  # Python values; None is NULL
    offset: int = 0
    more: bool = False  # rows follow these
    error: str | None = None  # why the table cannot be shown (not loaded yet, locked …)

    def to_json(self) -> dict:
        return {"table": self.table, "columns": self.columns,
                "rows": [[plain(v) for v in row] for row in self.rows]}


def first_rows(type_key: str, params: dict, secrets: dict, table: str, schema: str | None,
               label: str, limit: int = PAGE_ROWS, offset: int = 0,
               cancel: threading.Event | None = None) -> TablePreview:
    """Rows `offset` to `offset + limit` of a table, read by its type's reader (the read
    stops there: a big table is not read to its end)."""
    from app.etl.readers import ReadRequest, open_reader

    wanted = offset + limit + 1  # one more tells whether more follow
    request = ReadRequest(table, schema, batch_rows=max(1, min(wanted, 10_000)))
    try:
        reader = open_reader(type_key, params, secrets, request, cancel or threading.Event())
    except RunError as exc:
        return TablePreview(label, error=scrub(str(exc), secrets))
    rows: list[list] = []
    batches = reader.batches()
    try:
        seen = 0
        for batch in batches:
            if seen + batch.num_rows > offset:
                start = max(0, offset - seen)
                part = batch.slice(start, wanted - offset - len(rows))
                rows.extend(list(r.values()) for r in part.to_pylist())
            seen += batch.num_rows
            if len(rows) >= wanted - offset:
                break
    except RunError as exc:
        return TablePreview(label, error=scrub(str(exc), secrets))
    finally:
        batches.close()
        reader.close()
    schema_ = reader.schema
    return TablePreview(label, list(schema_.names), [str(t) for t in schema_.types],
                        rows[:limit], offset, len(rows) > limit)


class PreviewService:
    def __init__(self, ctx: AppContext) -> None:
        from app.services.jobs import JobService

        self.ctx = ctx
        self.jobs = JobService(ctx)

    def job(self, name_or_id: str, table: str | None = None, limit: int = PAGE_ROWS,
            offset: int = 0, cancel: threading.Event | None = None) -> list[TablePreview]:
        """The first rows of each destination table of a job (or of the one whose source
        or destination name is `table`)."""
        job = self.jobs.get(name_or_id)
        specs = job.tables
        landings = self.jobs.landings(job)
        if table is not None:
            picked = [(s, w) for s, w in zip(specs, landings, strict=True)
                      if table in (s.source_name, s.table, w, s.destination_name,
                                   s.dest_table)]
            if not picked:
                raise ServiceError(f"Job {job.name!r} has no table {table!r} (its tables: "
                                   f"{', '.join(landings)}).")
            specs, landings = [p[0] for p in picked], [p[1] for p in picked]
        kind, params, secrets = self._destination(job)
        if kind is None:
            from app import paths

            if not paths.warehouse_path().is_file():
                return [TablePreview(where, error="Nothing has landed yet: run the job first.")
                        for where in landings]
        out = []
        for spec, where in zip(specs, landings, strict=True):
            kind_, params_, name, schema = self._where(kind, params, spec)
            out.append(first_rows(kind_, params_, secrets, name, schema, where, limit, offset,
                                  cancel))
        return out

    def source(self, connection: str, table: str, schema: str | None = None,
               limit: int = PAGE_ROWS, cancel: threading.Event | None = None) -> TablePreview:
        """The first rows of a source table (step 2 of the job wizard)."""
        from app.services.connections import ConnectionService

        view, secrets = ConnectionService(self.ctx).load_with_secrets(connection)
        label = f"{schema}.{table}" if schema else table
        return first_rows(view.type_key, view.params, secrets, table, schema, label, limit,
                          cancel=cancel)

    def _destination(self, job) -> tuple[str | None, dict, dict]:
        if job.destination_id is None:
            return None, {}, {}
        view, secrets = self.jobs.connections.load_with_secrets(job.destination_id)
        return view.type_key, view.params, secrets

    @staticmethod
    def _where(kind: str | None, params: dict, spec: TableSpec
               ) -> tuple[str, dict, str, str | None]:
        """(type, params, table, schema) that read what `spec` landed."""
        from app.connectors import registry
        from app.etl import naming
        from app.etl.destinations import warehouse

        target = spec.target("")
        if kind is None:  # the local warehouse: a DuckDB file
            kind, params = warehouse()
        engine = registry.engine(kind)
        if engine.folder:
            from app.etl.destinations.files import file_name

            return kind, params, file_name(target.table, target.schema), None
        schema = target.schema or naming.destination_default_schema(kind, params)
        return kind, params, target.table, schema if engine.source_schemas else None
