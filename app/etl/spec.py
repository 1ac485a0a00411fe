"""One table of a job as the job stores it: where it comes from, how it is synced, where
it lands (plain data, light to import: the window lists jobs before the engine loads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.vocabulary import Deletes, Mode, write_for

if TYPE_CHECKING:
    from app.etl.destinations import Target


@dataclass
class TableSpec:
    """One table of a job, as stored in job.tables."""

    table: str
    schema: str | None = None
    mode: Mode = "replace"
    cursor: str | None = None
    primary_key: list[str] = field(default_factory=list)
    dest_schema: str | None = None
    dest_table: str | None = None
    lookback: str | None = None
    exclude_columns: list[str] = field(default_factory=list)  # left out of every run
    detect_deletes: Deletes | None = None  # merge with a key: rows gone from the source
    # Where the incremental cursor is kept in the destination; set when a job is renamed,
    # so the cursor survives the rename (otherwise "<job name>:<source table>").
    state_key: str | None = None
    # A read-only SQL query read instead of a table (`table` is then its name, and the
    # destination table's default); see app.etl.readers.ReadRequest.query.
    query: str | None = None

    @property
    def source_name(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table

    @property
    def destination_name(self) -> str:
        table = self.dest_table or self.table
        return f"{self.dest_schema}.{table}" if self.dest_schema else table

    def state_key_for(self, job_name: str) -> str:
        return self.state_key or f"{job_name}:{self.source_name}"

    def target(self, job_name: str, first_run: bool = False) -> Target:
        """Where the table lands; `first_run`: an incremental table with no saved cursor
        (it is read in full, so written as a replace)."""
        from app.etl.destinations import Target

        return Target(table=self.dest_table or self.table, schema=self.dest_schema,
                      mode=self.mode, primary_key=list(self.primary_key),
                      state_key=self.state_key_for(job_name),
                      write=write_for(self.mode, self.primary_key, first_run),
                      deletes=self.detect_deletes if self.mode == "merge" else None)

    @classmethod
    def from_json(cls, data: dict) -> TableSpec:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}
