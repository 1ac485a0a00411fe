"""PostgreSQL and Redshift (same wire protocol, psycopg2)."""

from __future__ import annotations

import re

from app.connectors import tls
from app.connectors.base import Connector, Failed, Probe, TableInfo, TimedOut, first_line

EXACT_COUNT_BELOW = 100_000  # estimated rows under which an exact count(*) is cheap
EXACT_COUNT_TABLES = 200  # at most this many exact counts per listing

_PG_TABLES = """
select n.nspname, c.relname, c.relkind,
       case when c.reltuples >= 0 then c.reltuples::bigint else s.n_live_tup end
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_stat_user_tables s on s.relid = c.oid
where c.relkind in ('r', 'p', 'v', 'm', 'f')
  and not c.relispartition
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\\_toast%%'
  and has_table_privilege(c.oid, 'SELECT')
order by n.nspname, c.relname
"""
_KINDS = {"r": "table", "p": "table", "f": "table", "v": "view", "m": "view"}


def _translate(exc: Exception, params: dict) -> Exception:
    """Turn a psycopg2 connection error into a message a user can act on."""
    text = first_line(exc)
    low = str(exc).lower()
    user, db = params.get("user"), params.get("database")
    if "password authentication failed" in low or "no password supplied" in low:
        return Failed(f"Wrong user name or password for user {user!r}.")
    if re.search(r"role .* does not exist", low):
        return Failed(f"User {user!r} does not exist on the server.")
    if re.search(r"database .* does not exist", low):
        return Failed(f"Database {db!r} does not exist on {params.get('host')}.")
    if "timeout expired" in low:
        return TimedOut()
    if "connection refused" in low:
        return Failed(f"Connection refused by {params.get('host')}:{params.get('port')}.")
    return Failed(text)


def reach_socket(probe: Probe, folder: str, port: int) -> None:
    """A host that is the folder of the server's Unix socket: is the socket there?"""
    import socket

    probe.stage("connect")
    path = f"{folder.rstrip('/')}/.s.PGSQL.{port}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(max(0.1, probe.remaining()))
    try:
        sock.connect(path)
    except OSError as exc:
        raise Failed(f"No PostgreSQL socket at {path}: {exc.strerror or exc} (is the server "
                     "running there?).") from exc
    finally:
        sock.close()


class PostgresConnector(Connector):
    def _connect(self, probe: Probe):
        import psycopg2

        p = self.params
        if str(p["host"]).startswith("/"):
            reach_socket(probe, p["host"], p["port"])
        else:
            probe.reach(p["host"], p["port"])
        probe.stage("authenticate")
        timeout_ms = int(probe.remaining() * 1000)
        try:
            return psycopg2.connect(
                host=p["host"], port=p["port"], dbname=p["database"], user=p["user"],
                password=self.secrets.get("password"), **tls.postgres_options(p),
                connect_timeout=probe.seconds(minimum=2), application_name="Sluice",
                options=f"-c statement_timeout={max(timeout_ms, 1000)}",
            )
        except psycopg2.OperationalError as exc:
            raise _translate(exc, p) from exc

    def check(self, probe: Probe) -> tuple[str, str]:
        conn = self._connect(probe)
        try:
            probe.stage("catalogue")
            with conn.cursor() as cur:
                cur.execute("select version(), current_user")
                version, user = cur.fetchone()
                cur.execute(
                    "select count(*) from information_schema.tables "
                    "where table_schema not in ('pg_catalog', 'information_schema')"
                )
                (count,) = cur.fetchone()
        finally:
            conn.close()
        short = " ".join(version.split()[:2]).rstrip(",")
        return version, f"Connected to {short} as {user}, database {self.params['database']}: " \
                        f"{count} tables and views."

    def tables(self, probe: Probe) -> list[TableInfo]:
        from psycopg2 import sql

        conn = self._connect(probe)
        try:
            probe.stage("catalogue")
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(_PG_TABLES)
                rows = cur.fetchall()
                out = []
                exact_left = EXACT_COUNT_TABLES
                for schema, name, kind, estimate in rows:
                    info = TableInfo(name, schema, estimate, False, None, _KINDS[kind])
                    small = estimate is None or estimate < EXACT_COUNT_BELOW
                    if kind in "rp" and small and exact_left > 0:
                        exact_left -= 1
                        cur.execute(sql.SQL("select count(*) from {}.{}").format(
                            sql.Identifier(schema), sql.Identifier(name)))
                        info.rows, info.rows_exact = cur.fetchone()[0], True
                    out.append(info)
                return out
        finally:
            conn.close()


class RedshiftConnector(PostgresConnector):
    """Redshift speaks the PostgreSQL protocol; its catalogue keeps row counts in svv_table_info."""

    def tables(self, probe: Probe) -> list[TableInfo]:
        conn = self._connect(probe)
        try:
            probe.stage("catalogue")
            with conn.cursor() as cur:
                cur.execute('select "schema", "table", tbl_rows from svv_table_info '
                            'order by "schema", "table"')
                return [TableInfo(t, s, int(r) if r is not None else None, False)
                        for s, t, r in cur.fetchall()]
        finally:
            conn.close()
