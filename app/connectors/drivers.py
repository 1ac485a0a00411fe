"""Relational sources reached through their vendors' DB-API drivers.

Oracle (oracledb, thin mode), SQL Server and Azure Synapse (pymssql), IBM DB2 (ibm_db),
Snowflake (snowflake-connector-python) and Teradata (teradatasql). Each class names how
to connect, how to ask the version, and a catalogue query; the rest is shared.
"""

from __future__ import annotations

from typing import Any

from app.connectors.base import Connector, Failed, Probe, TableInfo, first_line

_AUTH_WORDS = ("password", "login failed", "logon failed", "authentication", "invalid username",
               "access denied", "incorrect username", "sql30082n")


class DbapiConnector(Connector):
    version_sql = ""
    # Rows of (schema, name, rows, rows_exact, last_updated); `%(db)s`-free, no parameters.
    tables_sql = ""
    reachable = True  # False where there is no host:port to probe first (Snowflake)

    def connect(self, probe: Probe) -> Any:
        raise NotImplementedError

    def _connect(self, probe: Probe) -> Any:
        if self.reachable:
            probe.reach(self.params["host"], self.params["port"])
        probe.stage("authenticate")
        try:
            return self.connect(probe)
        except ImportError:
            raise
        except Exception as exc:
            text = first_line(exc)
            if any(word in text.lower() for word in _AUTH_WORDS):
                raise Failed(f"Login refused for user {self.params.get('user')!r}: {text}") \
                    from exc
            raise Failed(f"{self.ctype.label} refused the connection: {text}") from exc

    def _query(self, conn: Any, sql: str) -> list[tuple]:
        cur = conn.cursor()
        try:
            cur.execute(sql)
            return list(cur.fetchall())
        finally:
            cur.close()

    def check(self, probe: Probe) -> tuple[str, str]:
        conn = self._connect(probe)
        try:
            probe.stage("catalogue")
            version = str(self._query(conn, self.version_sql)[0][0]).splitlines()[0].strip()
            count = len(self._query(conn, self.tables_sql))
        finally:
            conn.close()
        return version, (f"Connected to {self.ctype.label} ({version[:80]}) as "
                         f"{self.params.get('user')}: {count} tables.")

    def tables(self, probe: Probe) -> list[TableInfo]:
        conn = self._connect(probe)
        try:
            probe.stage("catalogue")
            return [TableInfo(str(name).strip(), str(schema).strip() if schema else None,
                              int(rows) if rows is not None and int(rows) >= 0 else None,
                              bool(exact), updated)
                    for schema, name, rows, exact, updated in self._query(conn, self.tables_sql)]
        finally:
            conn.close()


class OracleConnector(DbapiConnector):
    version_sql = "select banner from v$version where rownum = 1"
    tables_sql = ("select owner, table_name, num_rows, 0, last_analyzed from all_tables "
                  "where owner = sys_context('userenv', 'current_schema') order by table_name")

    def connect(self, probe: Probe) -> Any:
        import oracledb

        p = self.params
        return oracledb.connect(user=p["user"], password=self.secrets.get("password"),
                                dsn=f"{p['host']}:{p['port']}/{p['database']}",
                                tcp_connect_timeout=max(1.0, probe.remaining()))


class SqlServerConnector(DbapiConnector):
    version_sql = "select @@version"
    # sys.partitions keeps a row count per index; heap/clustered index (0/1) is the table.
    tables_sql = (
        "select s.name, t.name, sum(p.rows), 0, t.modify_date from sys.tables t "
        "join sys.schemas s on s.schema_id = t.schema_id "
        "join sys.partitions p on p.object_id = t.object_id and p.index_id in (0, 1) "
        "group by s.name, t.name, t.modify_date order by s.name, t.name"
    )

    def connect(self, probe: Probe) -> Any:
        import pymssql

        p = self.params
        return pymssql.connect(server=p["host"], port=str(p["port"]), user=p["user"],
                               password=self.secrets.get("password", ""), database=p["database"],
                               login_timeout=probe.seconds(), timeout=probe.seconds(),
                               appname="Sluice")


class Db2Connector(DbapiConnector):
    version_sql = "select service_level from sysibmadm.env_inst_info"
    tables_sql = ("select tabschema, tabname, card, 0, stats_time from syscat.tables "
                  "where type = 'T' and tabschema not like 'SYS%' order by tabschema, tabname")

    def connect(self, probe: Probe) -> Any:
        import ibm_db_dbi

        p = self.params
        dsn = (f"DATABASE={p['database']};HOSTNAME={p['host']};PORT={p['port']};PROTOCOL=TCPIP;"
               f"UID={p['user']};PWD={self.secrets.get('password', '')};"
               f"CONNECTTIMEOUT={probe.seconds()};")
        return ibm_db_dbi.connect(dsn, "", "")


class SnowflakeConnector(DbapiConnector):
    reachable = False  # the account name resolves inside the driver
    version_sql = "select current_version()"
    tables_sql = ("select table_schema, table_name, row_count, 1, last_altered "
                  "from information_schema.tables where table_type = 'BASE TABLE' "
                  "order by table_schema, table_name")

    def connect(self, probe: Probe) -> Any:
        return snowflake_connect(self.params, self.secrets, probe.seconds())


def snowflake_connect(params: dict, secrets: dict, seconds: int) -> Any:
    """A Snowflake connection: to the account's own host, or to the endpoint URL given
    (PrivateLink, or a local stand-in such as fakesnow's server)."""
    from urllib.parse import urlsplit

    import snowflake.connector

    where: dict[str, Any] = {}
    if params.get("endpoint"):
        url = urlsplit(params["endpoint"] if "//" in params["endpoint"]
                       else f"https://{params['endpoint']}")
        where = {"host": url.hostname, "protocol": url.scheme or "https",
                 "port": url.port or (80 if url.scheme == "http" else 443)}
    return snowflake.connector.connect(
        account=params["account"], user=params["user"], password=secrets.get("password"),
        database=params["database"], schema=params.get("schema"),
        warehouse=params.get("warehouse"), role=params.get("role"), login_timeout=seconds,
        network_timeout=seconds, application="Sluice", **where)


class TeradataConnector(DbapiConnector):
    version_sql = "select InfoData from dbc.dbcinfoV where InfoKey = 'VERSION'"

    @property
    def tables_sql(self) -> str:  # type: ignore[override]
        db = str(self.params["database"]).replace("'", "''")
        return ("select DatabaseName, TableName, null, 0, LastAlterTimeStamp from dbc.tablesV "
                f"where TableKind = 'T' and DatabaseName = '{db}' order by TableName")

    def connect(self, probe: Probe) -> Any:
        import teradatasql

        p = self.params
        return teradatasql.connect(host=p["host"], dbs_port=str(p["port"]), user=p["user"],
                                   password=self.secrets.get("password", ""),
                                   database=p["database"],
                                   connect_timeout=str(probe.seconds() * 1000))
