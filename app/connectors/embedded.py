"""SQLite and DuckDB database files, opened read-only."""

from __future__ import annotations

from pathlib import Path

from app.connectors.base import Connector, Failed, Probe, TableInfo, first_line


def quote_ident(name: str) -> str:
    """Standard SQL identifier quoting (SQLite and DuckDB): double quotes, doubled inside."""
    return '"' + name.replace('"', '""') + '"'


def existing_path(params: dict, want_file: bool = False) -> Path:
    path = Path(str(params["path"])).expanduser()
    if not path.exists():
        raise Failed(f"Path not found: {path}")
    if want_file and not path.is_file():
        raise Failed(f"Not a file: {path}")
    return path


class SqliteConnector(Connector):
    def _open(self, probe: Probe):
        import sqlite3

        probe.stage("connect")
        path = existing_path(self.params, want_file=True)
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                               timeout=probe.remaining(), check_same_thread=False)
        try:
            conn.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise Failed(f"{path.name} is not a readable SQLite database: {first_line(exc)}") \
                from exc
        return conn

    def check(self, probe: Probe) -> tuple[str, str]:
        conn = self._open(probe)
        try:
            probe.stage("catalogue")
            (version,) = conn.execute("select sqlite_version()").fetchone()
            (count,) = conn.execute(
                "select count(*) from sqlite_master where type in ('table', 'view') "
                "and name not like 'sqlite_%'").fetchone()
        finally:
            conn.close()
        return f"SQLite {version}", f"Opened SQLite {version} database: {count} tables and views."

    def tables(self, probe: Probe) -> list[TableInfo]:
        conn = self._open(probe)
        try:
            probe.stage("catalogue")
            rows = conn.execute(
                "select name, type from sqlite_master where type in ('table', 'view') "
                "and name not like 'sqlite_%' order by name").fetchall()
            out = []
            for name, kind in rows:
                count = conn.execute(f"select count(*) from {quote_ident(name)}").fetchone()[0] \
                    if kind == "table" else None
                out.append(TableInfo(name, "main", count, count is not None, None, kind))
            return out
        finally:
            conn.close()


class DuckDbConnector(Connector):
    def _open(self, probe: Probe):
        import duckdb

        probe.stage("connect")
        path = existing_path(self.params, want_file=True)
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise Failed(f"Cannot open {path.name} as a DuckDB database: {first_line(exc)}") \
                from exc

    def check(self, probe: Probe) -> tuple[str, str]:
        conn = self._open(probe)
        try:
            probe.stage("catalogue")
            (version,) = conn.execute("select version()").fetchone()
            (count,) = conn.execute(
                "select count(*) from duckdb_tables() where not internal").fetchone()
        finally:
            conn.close()
        return f"DuckDB {version}", f"Opened DuckDB {version} database: {count} tables."

    def tables(self, probe: Probe) -> list[TableInfo]:
        conn = self._open(probe)
        try:
            probe.stage("catalogue")
            rows = conn.execute(
                "select schema_name, table_name, 'table' from duckdb_tables() where not internal "
                "union all select schema_name, view_name, 'view' from duckdb_views() "
                "where not internal order by 1, 2").fetchall()
            out = []
            for schema, name, kind in rows:
                count = None
                if kind == "table":
                    count = conn.execute(
                        f"select count(*) from {quote_ident(schema)}.{quote_ident(name)}"
                    ).fetchone()[0]
                out.append(TableInfo(name, schema, count, count is not None, None, kind))
            return out
        finally:
            conn.close()
