"""DuckDB files as destinations, the local warehouse among them (Arrow scans, one transaction)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from app.etl.destinations.sql import SqlDestination
from app.etl.errors import RunError

MEMORY_LIMIT = "64MB"


class DuckDbDestination(SqlDestination):
    dialect = "duckdb"
    default_schema = "main"
    creates_schemas = True

    def placeholders(self, count: int) -> list[str]:
        return ["?"] * count

    def __init__(self, path: str | Path) -> None:
        import duckdb

        self.path = Path(path).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A bounded buffer pool keeps a large load's memory flat: DuckDB writes row
            # groups of a big transaction to the file (or its temp dir) instead. One thread:
            # the load is one insert stream, and the reader needs the other core.
            self.conn = duckdb.connect(str(self.path), config={"memory_limit": MEMORY_LIMIT,
                                                                "threads": 1})
        except (OSError, duckdb.Error) as exc:
            raise RunError(f"Cannot open the DuckDB file {self.path}: {exc}") from exc

    def execute(self, sql: str, params=None) -> list[tuple]:
        return self.conn.execute(sql, params or []).fetchall()

    def insert_batch(self, relation: str, batch: pa.RecordBatch) -> None:
        # A relation over the batch, inserted and dropped: DuckDB scans the Arrow memory.
        self.conn.from_arrow(batch).insert_into(relation)

    def close(self) -> None:
        self.conn.close()
