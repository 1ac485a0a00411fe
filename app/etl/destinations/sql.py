"""The staging-table protocol shared by every SQL destination."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from app.etl import types
from app.etl.destinations import STAGE_PREFIX, STATE_TABLE, BaseDestination, Target
from app.etl.errors import RunError
from app.vocabulary import DELETED_AT, Deletes


def stage_name(table: str, run_id: str) -> str:
    """`_sluice_stage_<table, cleaned and cut>_<hash of the whole name>_<run>`.

    The hash keeps tables apart whose cleaned names share a beginning (`mid` and `mid_my`):
    a stale staging table is recognised by an exact pattern (see stale_stage), never by a
    prefix. At most 60 characters, 64 with `_old` (MySQL's limit; PostgreSQL's is 63 and
    never sees `_old`)."""
    return f"{_stage_stem(table)}{run_id.replace('-', '')[:12]}"


def _stage_stem(table: str) -> str:
    safe = re.sub(r"\W", "_", table, flags=re.ASCII)[:20]
    digest = hashlib.sha1(table.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{STAGE_PREFIX}{safe}_{digest}_"


def stale_stage(table: str, name: str) -> bool:
    """Whether `name` is a staging table (or its swapped-out `_old`) of a load of `table`."""
    return re.fullmatch(re.escape(_stage_stem(table)) + r"[0-9a-f]{12}(_old)?", name) \
        is not None


class SqlDestination(BaseDestination):
    """Subclasses give the connection, transactions, catalogue reads and bulk insert."""

    dialect = ""
    default_schema: str | None = None
    # False where DDL commits by itself (MySQL): staging is then loaded and committed
    # first, and only the final step runs in one transaction.
    transactional_ddl = True

    # --- primitives ----------------------------------------------------------------------

    conn: Any = None
    type_column = "data_type"  # the information_schema column holding the declared type

    def execute(self, sql: str, params: tuple | list | None = None) -> list[tuple]:
        raise NotImplementedError

    def changed(self, sql: str, params: list | None = None) -> int:
        """Run an INSERT, UPDATE or DELETE; how many rows it changed."""
        raise NotImplementedError

    def begin_tx(self) -> None:
        self.conn.begin()

    def commit_tx(self) -> None:
        self.conn.commit()

    def rollback_tx(self) -> None:
        self.conn.rollback()

    def columns(self, schema: str | None, table: str) -> dict[str, str] | None:
        """Column name -> declared type, or None when the table does not exist."""
        p1, p2 = self.placeholders(2)
        rows = self.execute(
            f"select column_name, {self.type_column} from information_schema.columns "
            f"where table_schema = {p1} and table_name = {p2} order by ordinal_position",
            [schema or self.default_schema, table])
        return dict(rows) if rows else None

    def table_names(self, schema: str | None) -> list[str]:
        (p,) = self.placeholders(1)
        return [r[0] for r in self.execute(
            f"select table_name from information_schema.tables where table_schema = {p}",
            [schema or self.default_schema])]

    def insert_batch(self, relation: str, batch: pa.RecordBatch) -> None:
        raise NotImplementedError

    def finish_inserts(self) -> None:
        """Wait until every row given to insert_batch is in the staging table."""

    def abort_inserts(self) -> None:
        """Stop inserting (the load is being abandoned)."""

    def rename_sql(self, schema: str | None, old: str, new: str) -> list[str]:
        return [f"ALTER TABLE {self.qualified(schema, old)} RENAME TO {self.q(new)}"]

    def close(self) -> None:
        raise NotImplementedError

    # --- shared ------------------------------------------------------------------------

    def q(self, name: str) -> str:
        return types.quote(name, self.dialect)

    def qualified(self, schema: str | None, table: str) -> str:
        return f"{self.q(schema)}.{self.q(table)}" if schema else self.q(table)

    def same(self, left: str, right: str, declared: str) -> str:
        """SQL that two values of a column of type `declared` are equal, NULLs included
        (MySQL and SQLite say it their way; PostgreSQL's json has no equality)."""
        return f"{left} IS NOT DISTINCT FROM {right}"

    def delete_rows(self, target: str, keys: list[str], stage: str,
                    on: Callable[[str], str], having: bool) -> int:
        """Delete the rows of `target` that have (`having`), or have not, a row `s` of
        `stage` with `on(target row)`; `keys` tell target rows apart. Returns how many."""
        return self.changed(f"DELETE FROM {target} WHERE "
                            f"{'' if having else 'NOT '}EXISTS "
                            f"(SELECT 1 FROM {stage} s WHERE {on(target)})")

    def mark_rows(self, target: str, keys: list[str], stage: str, on: Callable[[str], str],
                  column: str, at: datetime) -> int:
        """Set `column` to `at` in the unmarked rows of `target` that have no row `s` of
        `stage` with `on(target row)`. Returns how many."""
        (p,) = self.placeholders(1)
        return self.changed(f"UPDATE {target} SET {self.q(column)} = {p} "
                            f"WHERE {self.q(column)} IS NULL AND NOT EXISTS "
                            f"(SELECT 1 FROM {stage} s WHERE {on(target)})", [at])

    def holds_all(self, stage: str, target: str, columns: list[str], cursor: str) -> bool:
        """Whether the target holds every staged row already (then none is inserted), told
        quickly; False: not known (the rows are compared one by one, see fresh_rows)."""
        return False

    def fresh_rows(self, stage: str, target: str, columns: list[str],
                   held: Callable[[str, str], str]) -> str:
        """A SELECT of the `columns` of the staged rows `s` no target row `t` holds."""
        cols = ", ".join(f"s.{self.q(c)}" for c in columns)
        return f"SELECT {cols} FROM {stage} s WHERE NOT EXISTS " \
               f"(SELECT 1 FROM {target} t WHERE {held('t', 's')})"

    # Where a join cannot hash (MariaDB), the rows the target holds are deleted from the
    # staging table first, found through an index on it (see prune).
    prunes_stage = False

    def prune(self, stage: str, target: str, held: Callable[[str, str], str],
              columns: list[tuple[str, str]], keys: list[str]) -> None:
        raise NotImplementedError

    def rows_equal(self, left: str, right: str, columns: list[tuple[str, str]],
                   keys: list[str]) -> str:
        """SQL that rows `left` and `right` are equal on `columns` (name, declared type);
        `keys` (a primary key, never NULL) are compared with `=`, which a join can hash."""
        return " AND ".join(
            f"{left}.{self.q(c)} = {right}.{self.q(c)}" if c in keys else
            self.same(f"{left}.{self.q(c)}", f"{right}.{self.q(c)}", declared)
            for c, declared in columns)

    def create_sql(self, relation: str, schema: pa.Schema, temporary: bool = False) -> str:
        columns = ", ".join(f"{self.q(f.name)} {types.to_sql(f.type, self.dialect)}"
                            for f in schema)
        return f"CREATE {'TEMPORARY ' if temporary else ''}TABLE {relation} ({columns})"

    temp_schema: str | None = None  # the catalogue's schema of temporary tables, if used

    def temp_relation(self, table: str) -> str:
        return self.q(table)

    def _state_relation(self) -> str:
        return self.qualified(self.default_schema, STATE_TABLE)

    def _ensure_state_table(self) -> None:
        self.execute(f"CREATE TABLE IF NOT EXISTS {self._state_relation()} "
                     f"({self.q('state_key')} {types.to_sql(pa.string(), self.dialect)}, "
                     f"{self.q('state')} {types.to_sql(pa.string(), self.dialect)}, "
                     f"{self.q('updated_at')} {types.to_sql(pa.string(), self.dialect)})")

    def read_state(self, key: str) -> dict | None:
        if self.columns(self.default_schema, STATE_TABLE) is None:
            return None
        (p,) = self.placeholders(1)
        rows = self.execute(f"SELECT {self.q('state')} FROM {self._state_relation()} "
                            f"WHERE {self.q('state_key')} = {p}", [key])
        return json.loads(rows[0][0]) if rows else None

    def placeholders(self, count: int) -> list[str]:
        """Parameter markers of the driver ("%s", "?", "$1" ...)."""
        return ["%s"] * count

    def write_state(self, key: str, state: Mapping) -> None:
        """Save a table's incremental state; an empty state forgets it."""
        if not state and self.columns(self.default_schema, STATE_TABLE) is None:
            return
        self._ensure_state_table()
        (p,) = self.placeholders(1)
        self.execute(f"DELETE FROM {self._state_relation()} WHERE {self.q('state_key')} = {p}",
                     [key])
        if not state:
            return
        marks = ", ".join(self.placeholders(3))
        self.execute(f"INSERT INTO {self._state_relation()} VALUES ({marks})",
                     [key, json.dumps(state), datetime.now(UTC).isoformat()])

    def drop(self, target: Target) -> bool:
        """Drop a job's table and forget its incremental state, in one transaction.

        True when the table was there."""
        schema = target.schema or self.default_schema
        existed = self.columns(schema, target.table) is not None
        self.begin_tx()
        try:
            self.execute(f"DROP TABLE IF EXISTS {self.qualified(schema, target.table)}")
            if self.columns(self.default_schema, STATE_TABLE) is not None:
                (p,) = self.placeholders(1)
                self.execute(f"DELETE FROM {self._state_relation()} "
                             f"WHERE {self.q('state_key')} = {p}", [target.state_key])
            self.commit_tx()
        except BaseException:
            self.rollback_tx()
            raise
        return existed

    def drop_stale_stages(self, schema: str | None, table: str) -> None:
        """Remove staging tables that a killed run of this table left behind (only while
        this load holds the table: see claim)."""
        for name in self.table_names(schema):
            if stale_stage(table, name):
                self.execute(f"DROP TABLE IF EXISTS {self.qualified(schema, name)}")

    def claim(self, target: Target) -> None:
        """Wait until no other load writes `target` (where DDL is not transactional)."""

    def release(self, target: Target) -> None:
        """Let the next load of `target` go on."""

    creates_schemas = False  # PostgreSQL and DuckDB make a missing destination schema

    def ensure_schema(self, target: Target) -> None:
        target.schema = target.schema or self.default_schema
        if self.creates_schemas and target.schema != self.default_schema:
            self.execute(f"CREATE SCHEMA IF NOT EXISTS {self.q(target.schema)}")

    def begin(self, target: Target, schema: pa.Schema, run_id: str) -> SqlLoad:
        self.ensure_schema(target)
        if self.transactional_ddl:
            return SqlLoad(self, target, schema, stage_name(target.table, run_id))
        self.claim(target)
        try:
            self.drop_stale_stages(target.schema, target.table)
            return SqlLoad(self, target, schema, stage_name(target.table, run_id))
        except BaseException:
            self.release(target)
            raise


class SqlLoad:
    """One table's load: rows go to a staging table; `commit` publishes them at once."""

    def __init__(self, dest: SqlDestination, target: Target, schema: pa.Schema,
                 stage: str) -> None:
        self.dest, self.target, self.schema, self.stage = dest, target, schema, stage
        self.write_rows = dest.write_rows
        # Rows bound for an existing table (append, upsert) may stage in a temporary
        # table where the destination keeps those off its log (DuckDB): a replace's stage
        # becomes the table, so it stages in the target's schema.
        self.temporary = dest.temp_schema is not None and target.write != "replace" and \
            dest.columns(target.schema, target.table) is not None
        self.stage_schema = dest.temp_schema if self.temporary else target.schema
        self.stage_rel = dest.temp_relation(stage) if self.temporary else \
            dest.qualified(target.schema, stage)
        self.target_rel = dest.qualified(target.schema, target.table)
        self.staged = 0
        self.skipped = 0  # staged rows the destination held already (see Dedupe)
        self.deleted = 0  # target rows whose key the source no longer has (Target.deletes)
        self.open = True
        if dest.transactional_ddl:
            dest.begin_tx()
        self.create_stage()

    def create_stage(self) -> None:
        self.dest.execute(self.dest.create_sql(self.stage_rel, self.schema, self.temporary))

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            self.dest.insert_batch(self.stage_rel, batch)
            self.staged += batch.num_rows

    def commit(self, state: Mapping | None) -> None:
        d, t = self.dest, self.target
        d.finish_inserts()
        if not d.transactional_ddl:
            d.commit_tx()  # the staged rows are safe; now the short final step
            try:
                self._publish_nontransactional(state)
            finally:
                d.release(t)
            return
        existing = d.columns(t.schema, t.table)
        if t.write == "replace" or existing is None:
            self._mark_column(self.stage_rel)
            if existing is not None:
                d.execute(f"DROP TABLE {self.target_rel}")
            for sql in d.rename_sql(t.schema, self.stage, t.table):
                d.execute(sql)
        else:
            self._merge_into(existing)
            d.execute(f"DROP TABLE {self.stage_rel}")
        if state is not None:
            d.write_state(t.state_key, state)
        d.commit_tx()
        self.open = False

    def _merge_into(self, existing: dict[str, str]) -> None:
        """Append (or upsert by key) the staged rows into the existing target."""
        d, t = self.dest, self.target
        staged = d.columns(self.stage_schema, self.stage) or {}
        for name, declared in staged.items():
            if name not in existing:
                d.execute(f"ALTER TABLE {self.target_rel} ADD COLUMN {d.q(name)} {declared}")
            elif _norm(existing[name]) != _norm(declared):
                raise RunError(
                    f"Column {name!r} of {t.table} changed type from {existing[name]} to "
                    f"{declared}; run the table in replace mode to rebuild it.")
        if DELETED_AT not in existing:
            self._mark_column(self.target_rel)
        cols = ", ".join(d.q(n) for n in staged)
        held = self._held(existing, staged)
        if t.write == "upsert" and t.deletes:  # first: the staging table has every key
            self.deleted = self._gone(t.deletes)
        if held and d.prunes_stage:  # the staging table keeps only the rows to write
            d.prune(self.stage_rel, self.target_rel, held, *self._compared(existing, staged))
            held = None
        if t.write == "upsert":
            missing = [k for k in t.primary_key if k not in staged]
            if missing:
                raise RunError(f"Primary key column(s) {', '.join(missing)} not in {t.table}.")

            def replaced(row: str) -> str:  # a row the target holds unchanged stays
                same_key = self._same_key(row)
                return f"{same_key} AND NOT ({held(row, 's')})" if held else same_key
            d.delete_rows(self.target_rel, t.primary_key, self.stage_rel, replaced, True)
        cursor = t.dedupe.cursor if t.dedupe else None
        if held and cursor and t.write != "upsert" and d.holds_all(
                self.stage_rel, self.target_rel,
                [c for c, _ in self._compared(existing, staged)[0]], cursor):
            inserted = 0  # every row re-read at the mark is held already
        else:
            inserted = d.changed(f"INSERT INTO {self.target_rel} ({cols}) " + (
                d.fresh_rows(self.stage_rel, self.target_rel, list(staged), held) if held
                else f"SELECT {cols} FROM {self.stage_rel}"))
        self.skipped = self.staged - inserted

    def _same_key(self, row: str) -> str:
        d = self.dest
        return " AND ".join(f"s.{d.q(k)} = {row}.{d.q(k)}" for k in self.target.primary_key)

    def _mark_column(self, relation: str) -> None:
        """A merge that marks deletes keeps the time in a column of its own."""
        if self.target.deletes == "mark":
            d = self.dest
            d.execute(f"ALTER TABLE {relation} ADD COLUMN {d.q(DELETED_AT)} "
                      f"{types.to_sql(pa.timestamp('us', tz='UTC'), d.dialect)}")

    def _gone(self, how: Deletes) -> int:
        """Delete, or mark, the target's rows whose key no staged row has: the staging
        table holds every source row (a merge reads the whole table), so the comparison
        runs inside the destination, streamed by its own join. Returns how many."""
        d, t = self.dest, self.target
        if how == "delete":
            return d.delete_rows(self.target_rel, t.primary_key, self.stage_rel,
                                 self._same_key, False)
        return d.mark_rows(self.target_rel, t.primary_key, self.stage_rel, self._same_key,
                           DELETED_AT, datetime.now(UTC))

    def _compared(self, existing: dict[str, str], staged: dict[str, str]
                  ) -> tuple[list[tuple[str, str]], list[str]]:
        """The columns a staged row is compared on with the target's (see Dedupe): the
        cursor first, then those of the run that took the mark that both tables have, so a
        column added or dropped since changes nothing; as (name, declared type). And the
        key, where the load is an upsert."""
        t = self.target
        cursor = t.dedupe.cursor if t.dedupe else None
        wanted = t.dedupe.columns if t.dedupe and t.dedupe.columns is not None \
            else tuple(staged)
        compared = ([cursor] if cursor else []) + [
            c for c in wanted if c != cursor and c in staged and c in existing]
        keys = [k for k in t.primary_key if k in compared] if t.write == "upsert" else []
        return [(c, existing[c]) for c in compared], keys

    def _held(self, existing: dict[str, str], staged: dict[str, str]) \
            -> Callable[[str, str], str] | None:
        """SQL that a target row equals a staged one (see _compared); a row marked deleted
        is never held. None: every staged row is written (no Dedupe)."""
        d, t = self.dest, self.target
        if t.dedupe is None:
            return None
        typed, keys = self._compared(existing, staged)

        def held(target: str, stage: str) -> str:
            alive = f" AND {target}.{d.q(DELETED_AT)} IS NULL" if t.deletes == "mark" else ""
            return d.rows_equal(target, stage, typed, keys) + alive
        return held

    def _publish_nontransactional(self, state: Mapping | None) -> None:
        d, t = self.dest, self.target
        existing = d.columns(t.schema, t.table)
        if t.write == "replace" or existing is None:
            self._mark_column(self.stage_rel)
            d.swap_in(t.schema, self.stage, t.table, existing is not None)
            if state is not None:
                d.begin_tx()
                d.write_state(t.state_key, state)
                d.commit_tx()
        else:
            d.begin_tx()
            try:
                self._merge_into(existing)
                if state is not None:
                    d.write_state(t.state_key, state)
                d.commit_tx()
            except BaseException:
                d.rollback_tx()
                raise
            d.execute(f"DROP TABLE IF EXISTS {self.stage_rel}")
        self.open = False

    def abort(self) -> None:
        if not self.open:
            return
        self.open = False
        with contextlib.suppress(Exception):
            self.dest.abort_inserts()
        with contextlib.suppress(Exception):
            self.dest.rollback_tx()
        if not self.dest.transactional_ddl:
            with contextlib.suppress(Exception):
                self.dest.execute(f"DROP TABLE IF EXISTS {self.stage_rel}")
            self.dest.release(self.target)


def _norm(declared: str) -> str:
    return re.sub(r"\s+", "", declared.lower())
