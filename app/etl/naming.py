"""Where each source table lands, so that different source tables never share one.

The rule, applied when a table is added to a job (and shown in the job wizard, where it
can be changed):
- A table in the source's default schema (PostgreSQL's `public`, DuckDB's `main`, SQL
  Server's `dbo`, ...) or in a source without schemas lands in the destination's default
  schema under its own name: `public.orders` -> `main.orders` in the local warehouse.
- A table in any other schema keeps that schema where the destination has schemas
  (PostgreSQL, DuckDB and the local warehouse create it; a folder puts it in the file name,
  `sales.orders.parquet`): `sales.orders` -> `sales.orders`.
- Where it has none (MySQL, MariaDB, SQLite, BigQuery), the schema joins the table's name:
  `sales.orders` -> `sales__orders`.

A job is refused when two of its tables would still land in one destination table:
the same table given twice, or two names the destination cannot tell apart (it folds case
unless the registry says otherwise, as for PostgreSQL and BigQuery; a folder's files may
sit on a disk that folds case). A job saved before this rule existed is checked the same
way when it runs. What each type has (schemas, a default schema, case) is declared in the
registry's `Engine`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from app.connectors import registry

if TYPE_CHECKING:
    from app.etl.spec import TableSpec


def destination_default_schema(dest_type: str | None, params: dict) -> str | None:
    """The schema a table lands in when its job names none (None: the destination has
    no schemas, as a SQLite file or a folder)."""
    engine = registry.engine(dest_type)
    return engine.schema_of(params) if engine.takes_schema else None


def default_destination(source_type: str, source_params: dict, dest_type: str | None,
                        schema: str | None, table: str) -> tuple[str | None, str | None]:
    """(dest_schema, dest_table) for a source table, by the rule above; None means the
    destination's default schema, and the source table's own name. A Redis key pattern
    lands in a table named by its prefix ("session:*" -> "session"); a Firestore
    collection group or nested collection by its id ("**/orders", "users/u1/orders" ->
    "orders")."""
    if source_type == "redis":
        return None, pattern_table(table)
    if source_type == "firestore" and "/" in table:
        return None, table.rsplit("/", 1)[-1]
    if schema is None or schema == registry.engine(source_type).schema_of(source_params):
        return None, None
    if registry.engine(dest_type).schemas:
        return schema, None
    return None, f"{schema}__{table}"


def pattern_table(pattern: str) -> str:
    """The table a Redis key pattern lands in: its prefix before the first wildcard
    ("session:*" -> "session", "(no prefix)" -> "keys")."""
    import re

    head = pattern
    for mark in "*?[(":
        head = head.split(mark, 1)[0]
    return re.sub(r"\W+", "_", head).strip("_") or "keys"


def landing(spec: TableSpec, dest_type: str | None, dest_params: dict) -> str:
    """Where a table lands, as the user reads it: "main.orders", "sales.orders.parquet"."""
    table = spec.dest_table or spec.table
    if registry.engine(dest_type).folder:
        from app.etl.destinations.files import SUFFIX, file_name

        return file_name(table, spec.dest_schema) + SUFFIX[dest_type]
    schema = spec.dest_schema or destination_default_schema(dest_type, dest_params)
    return f"{schema}.{table}" if schema else table


def collision(specs: Iterable[TableSpec], dest_type: str | None, dest_params: dict
              ) -> str | None:
    """Why two of `specs` would land in one destination table, or None."""
    case_sensitive = registry.engine(dest_type).case_sensitive
    sources: dict[tuple[str | None, str], TableSpec] = {}
    targets: dict[str, TableSpec] = {}
    for spec in specs:
        key = (spec.schema, spec.table)
        if key in sources:
            return f"{spec.source_name} is in the job twice."
        sources[key] = spec
        where = landing(spec, dest_type, dest_params)
        folded = where if case_sensitive else where.casefold()
        other = targets.get(folded)
        if other is not None:
            same = landing(other, dest_type, dest_params)
            how = "" if same == where else f" ({same} and {where} are one name there)"
            return (f"{other.source_name} and {spec.source_name} would both land in {same}"
                    f"{how}; give one of them another destination table or schema.")
        targets[folded] = spec
    return None
