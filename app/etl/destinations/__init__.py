"""Destinations: where batches land, with the sync-mode guarantees.

Every SQL destination loads into a staging table first and touches the target only in a
final short transaction (swap for replace, insert for append, delete + insert for merge),
together with the incremental state row. A failed, cancelled or killed run therefore
leaves the target exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

if TYPE_CHECKING:
    from app.etl.pipeline import RunHandle

MODES = ("replace", "append", "incremental", "merge")
STATE_TABLE = "_sluice_state"
STAGE_PREFIX = "_sluice_stage_"


@dataclass
class Target:
    table: str
    schema: str | None
    mode: str
    primary_key: list[str] = field(default_factory=list)
    state_key: str = ""

    @property
    def upsert(self) -> bool:
        """Rows replace earlier rows with the same key (merge, or incremental with a key)."""
        return self.mode == "merge" or (self.mode == "incremental" and bool(self.primary_key))


class Load(Protocol):
    def write(self, batch: pa.RecordBatch) -> None: ...
    def commit(self, state: dict | None) -> None: ...
    def abort(self) -> None: ...


class Destination(Protocol):
    default_schema: str | None

    def read_state(self, key: str) -> dict | None: ...
    def begin(self, target: Target, schema: pa.Schema, run_id: str) -> Load: ...
    def drop(self, target: Target) -> bool: ...
    def close(self) -> None: ...


def open_destination(type_key: str | None, params: dict, secrets: dict,
                     handle: RunHandle | None = None, owner: str = "a job") -> Destination:
    """The destination for a connection type; None means the local warehouse.

    `owner` (a job's name) and `handle` serve a destination that only one writer at a time
    may open (a DuckDB file): the next waits, saying so through the handle."""
    from app.etl.errors import RunError

    if type_key in (None, "duckdb"):
        from app import paths
        from app.etl.destinations.duck import DuckDbDestination

        path = paths.warehouse_path() if type_key is None else params["path"]
        if handle is None:
            return DuckDbDestination(path, owner)
        destination = DuckDbDestination(path, owner, handle.say, handle.cancel.is_set)
        if handle.note:
            handle.say("")
        return destination
    if type_key == "postgresql":
        from app.etl.destinations.postgres import PostgresDestination

        return PostgresDestination(params, secrets)
    if type_key in ("mysql", "mariadb"):
        from app.etl.destinations.mysql import MySqlDestination

        return MySqlDestination(params, secrets)
    if type_key == "sqlite":
        from app.etl.destinations.sqlite import SqliteDestination

        return SqliteDestination(params["path"])
    if type_key == "bigquery":
        from app.etl.destinations.bigquery import BigQueryDestination

        return BigQueryDestination(params, secrets)
    if type_key in ("parquet", "csv", "json"):
        from app.etl.destinations.files import FolderDestination

        return FolderDestination(type_key, params)
    raise RunError(f"Sluice cannot write to {type_key} connections yet.")


WRITABLE = ("duckdb", "postgresql", "mysql", "mariadb", "sqlite", "parquet", "csv", "json",
            "bigquery")
FILE_MODES = ("replace",)
BIGQUERY_MODES = ("replace", "append")
