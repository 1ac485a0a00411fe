"""MySQL and MariaDB through PyMySQL."""

from __future__ import annotations

from datetime import UTC, timedelta

from app.connectors import tls
from app.connectors.base import Connector, Failed, Probe, TableInfo, TimedOut, first_line
from app.connectors.postgres import EXACT_COUNT_BELOW, EXACT_COUNT_TABLES

ACCESS_DENIED, BAD_DB, CANT_CONNECT, LOST = 1045, 1049, 2003, 2013


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class MySQLConnector(Connector):
    def _connect(self, probe: Probe):
        import pymysql

        p = self.params
        probe.reach(p["host"], p["port"])
        probe.stage("authenticate")
        seconds = probe.seconds()
        try:
            return tls.connect(
                p, host=p["host"], port=p["port"], user=p["user"],
                password=self.secrets.get("password", ""), database=p["database"],
                connect_timeout=seconds, read_timeout=seconds, write_timeout=seconds,
                charset="utf8mb4",
            )
        except tls.Refused as exc:
            raise Failed(str(exc)) from exc
        except pymysql.err.OperationalError as exc:
            code = exc.args[0] if exc.args else None
            if code == ACCESS_DENIED:
                raise Failed(f"Wrong user name or password for user {p['user']!r}.") from exc
            if code == BAD_DB:
                raise Failed(f"Database {p['database']!r} does not exist on {p['host']}.") from exc
            if code == LOST or "timed out" in str(exc):
                raise TimedOut() from exc
            raise Failed(first_line(exc)) from exc

    def check(self, probe: Probe) -> tuple[str, str]:
        conn = self._connect(probe)
        try:
            probe.stage("catalogue")
            with conn.cursor() as cur:
                cur.execute("select version(), current_user()")
                version, user = cur.fetchone()
                cur.execute("select count(*) from information_schema.tables "
                            "where table_schema = database()")
                (count,) = cur.fetchone()
        finally:
            conn.close()
        flavour = "MariaDB" if "mariadb" in version.lower() else "MySQL"
        return (f"{flavour} {version}",
                f"Connected to {flavour} {version.split('-')[0]} as {user}, "
                f"database {self.params['database']}: {count} tables and views.")

    def tables(self, probe: Probe) -> list[TableInfo]:
        conn = self._connect(probe)
        try:
            probe.stage("catalogue")
            with conn.cursor() as cur:
                # UPDATE_TIME is in the session time zone; learn its offset from UTC.
                cur.execute("select timestampdiff(second, utc_timestamp(), now())")
                offset = timedelta(seconds=cur.fetchone()[0])
                cur.execute(
                    "select table_name, table_type, table_rows, update_time, engine "
                    "from information_schema.tables where table_schema = database() "
                    "order by table_name"
                )
                out = []
                exact_left = EXACT_COUNT_TABLES
                for name, ttype, rows, updated, engine in cur.fetchall():
                    is_view = ttype == "VIEW"
                    stamp = (updated - offset).replace(tzinfo=UTC) if updated else None
                    # MyISAM and Aria keep an exact count; InnoDB's is an estimate.
                    exact = engine in ("MyISAM", "Aria") and rows is not None
                    info = TableInfo(name, self.params["database"], rows, exact, stamp,
                                     "view" if is_view else "table")
                    small = rows is None or rows < EXACT_COUNT_BELOW
                    if not is_view and not exact and small and exact_left > 0:
                        exact_left -= 1
                        cur.execute(f"select count(*) from {_quote(name)}")
                        info.rows, info.rows_exact = cur.fetchone()[0], True
                    out.append(info)
                return out
        finally:
            conn.close()

