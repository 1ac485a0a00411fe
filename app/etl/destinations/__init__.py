"""Destinations: where batches land, with the sync-mode guarantees.

Every SQL destination loads into a staging table first and touches the target only in a
final short transaction (swap for replace, insert for append, delete + insert for merge),
together with the incremental state row. A failed, cancelled or killed run therefore
leaves the target exactly as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

from app.etl.types import Fit
from app.vocabulary import Deletes, Mode, Write

if TYPE_CHECKING:
    from app.etl.pipeline import RunHandle

STATE_TABLE = "_sluice_state"
STAGE_PREFIX = "_sluice_stage_"
# What a load's commit does to the table's saved incremental state.
KEEP_STATE = None  # leave it as it is
FORGET_STATE: Mapping = MappingProxyType({})  # a rebuilt table starts its cursor over
# (any other mapping is saved as the new state, with the rows)


@dataclass(frozen=True)
class Dedupe:
    """A staged row equal to a row the destination already holds is left out: nothing is
    loaded twice (rows re-read at an incremental mark, without a key) or rewritten (an
    upsert: a merge, or an incremental load with a key). Equal on `cursor` (first, if any)
    and `columns`, those of the run that took the mark; None: all that both tables have."""

    cursor: str | None = None
    columns: tuple[str, ...] | None = None


@dataclass
class Target:
    """Where one table of a job lands, and what this load does to it."""

    table: str
    schema: str | None
    mode: Mode  # the job's sync mode for the table
    primary_key: list[str] = field(default_factory=list)
    state_key: str = ""
    write: Write = "replace"  # what this load does (see app.vocabulary.write_for)
    dedupe: Dedupe | None = None
    deletes: Deletes | None = None  # a merge (every source row): what of keys gone


class Load(Protocol):
    skipped: int  # staged rows not published: the destination held them already
    deleted: int  # rows whose key is gone from the source, deleted or marked (Target.deletes)

    def write(self, batch: pa.RecordBatch) -> None: ...
    def commit(self, state: Mapping | None) -> None: ...
    def abort(self) -> None: ...


class Destination(Protocol):
    default_schema: str | None
    write_rows: int  # batches are coalesced to about this many rows (0: as they come)

    def fit(self) -> Fit: ...

    def read_state(self, key: str) -> dict | None: ...
    def begin(self, target: Target, schema: pa.Schema, run_id: str) -> Load: ...
    def drop(self, target: Target) -> bool: ...
    def pipe_params(self) -> tuple[dict, dict] | None: ...
    def interrupt(self) -> None: ...
    def close(self) -> None: ...


class BaseDestination:
    """What a destination does not have to support, said once."""

    default_schema: str | None = None
    write_rows = 65_536

    def fit(self) -> Fit:
        """What this destination holds of the types and values at the edges (see Fit):
        here, all of them."""
        return Fit()

    @classmethod
    def open(cls, type_key: str, params: dict, secrets: dict, handle: RunHandle | None,
             owner: str) -> BaseDestination:
        """The destination of a connection of `type_key` (the registry's `Engine.writer`)."""
        return cls(params, secrets)  # type: ignore[call-arg]

    def pipe_params(self) -> tuple[dict, dict] | None:
        """Where a PostgreSQL source may COPY straight into (app.etl.pg_pipe); None here."""
        return None

    def interrupt(self) -> None:
        """Break the connection now (not supported here: the watchdog only cancels)."""

    def check_mode(self, type_key: str, target: Target) -> None:
        """Refuse a mode the type does not declare (the job service refuses it first)."""
        from app.connectors import registry
        from app.etl.errors import RunError

        allowed = registry.engine(type_key).write_modes
        if target.mode not in allowed:
            label = registry.get_type(type_key).label
            raise RunError(f"{label} takes {' or '.join(allowed)} mode, not {target.mode}.")

    def close(self) -> None:
        """Nothing to release."""


def warehouse() -> tuple[str, dict]:
    """The local warehouse as a connection would give it: a DuckDB file's type and
    parameters."""
    from app import paths

    return "duckdb", {"path": str(paths.warehouse_path())}


def open_destination(type_key: str | None, params: dict, secrets: dict,
                     handle: RunHandle | None = None, owner: str = "a job") -> Destination:
    """The destination for a connection type (the registry's `Engine.writer`); None means
    the local warehouse.

    `owner` (a job's name) and `handle` serve a destination that only one writer at a time
    may open (a DuckDB file): the next waits, saying so through the handle."""
    from app.connectors import registry
    from app.etl.errors import RunError
    from app.etl.readers import load

    if type_key is None:
        type_key, params = warehouse()
    where = registry.engine(type_key).writer
    if where is None:
        raise RunError(f"Sluice cannot write to {registry.get_type(type_key).label} "
                       "connections yet.")
    destination = load(where).open(type_key, params, secrets, handle, owner)
    if handle is not None and handle.note:
        handle.say("")  # whatever it waited for is over
    return destination
