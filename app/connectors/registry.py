"""The one list of connection types: category, label, icon, form fields, driver, capabilities.

The wizard tiles and forms, the CLI `--type` choices and the README's table all come
from here. Nothing in this module imports a driver.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from app.vocabulary import MODES, Mode

RELATIONAL, NOSQL, FILES = "relational", "nosql", "files"
CATEGORIES = {RELATIONAL: "Relational DB", FILES: "Files", NOSQL: "NoSQL"}

NAME_MAX = 100
HOST_MAX = 253
PATH_MAX = 4096
TEXT_MAX = 1000
_HOST_RE = re.compile(r"^[\w.\-:\[\]%]+$")
# PostgreSQL also takes the folder of its Unix socket as the host (/var/run/postgresql; a
# Cloud SQL instance mounted in Cloud Run: /cloudsql/PROJECT:REGION:INSTANCE).
_SOCKET_DIR_RE = re.compile(r"^/[\w.\-:/@]+$")


@dataclass(frozen=True)
class Field:
    """One form field. `kind`: text, int, password, path, choice or bool."""

    key: str
    label: str
    kind: str = "text"
    required: bool = False
    default: Any = None
    secret: bool = False
    choices: tuple[str, ...] = ()
    placeholder: str = ""
    help: str = ""
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Driver:
    module: str  # what we import
    package: str  # what `pip install` takes
    extra: str | None = None  # Sluice's extra that installs it: pip install 'sluice[extra]'

    def installed(self) -> bool:
        try:
            return importlib.util.find_spec(self.module) is not None
        except (ImportError, ValueError):
            return False

    @property
    def hint(self) -> str:
        if self.extra:
            return (f"driver not installed: pip install 'sluice[{self.extra}]' (the "
                    f"{self.package} package)")
        return f"driver not installed: pip install {self.package}"


@dataclass(frozen=True)
class Engine:
    """What the engine can do with a type: one declaration, read by the job rules, the
    wizard, the CLI and the README (after dlt's destination capabilities)."""

    reader: str | None = None
    """`module:callable(type_key, params, secrets, request, cancel)` giving a Reader;
    None: tables of this type cannot be read yet."""
    writer: str | None = None
    """`module:Class` of the destination (`Class.open(type_key, params, secrets, handle,
    owner)`); None: Sluice cannot write there yet."""
    write_modes: tuple[Mode, ...] = ()
    """The sync modes the destination takes."""
    schemas: bool = False
    """As a destination, a source's schema stays a schema (or starts a folder's file
    name); otherwise it joins the table's name."""
    default_schema: str | None = None
    """The schema tables are in when nobody names one (`public`)."""
    schema_param: str | None = None
    """...or the form field that names it (a MySQL database, a BigQuery dataset)."""
    upper_schema: bool = False
    """The default schema is the field's value upper-cased (Oracle's user)."""
    case_sensitive: bool = False
    """Tells `Orders` from `orders` as a destination."""
    takes_schema: bool = True
    """A job may name a destination schema there (not in a SQLite file)."""
    folder: bool = False
    """As a destination, a folder with one file a table (names per app.etl.naming)."""
    queries: bool = False
    """A job's table may be a custom read-only SQL query (see ReadRequest.query)."""
    key_patterns: bool = False
    """A "table" is a pattern of keys (Redis: `session:*`), taken as given, not expanded
    against the listing."""
    source_schemas: bool = True
    """Its tables' identity includes a schema (not so where a connection is one schema:
    MySQL's database, a SQLite file, a folder)."""
    inspected: bool = False
    """Its tables' columns are described through SQLAlchemy's inspector (else by its
    reader)."""
    rows: str = "unknown"
    """What its table listing says of row counts: exact, exact when small, estimated."""
    last_updated: bool = False
    """Whether its table listing says when each table last changed."""

    def schema_of(self, params: dict) -> str | None:
        """The default schema of a connection with `params`."""
        value = self.default_schema or (params.get(self.schema_param)
                                        if self.schema_param else None)
        return value.upper() if value and self.upper_schema else value

    @property
    def readable(self) -> bool:
        return self.reader is not None

    @property
    def writable(self) -> bool:
        return self.writer is not None


@dataclass(frozen=True)
class ConnectionType:
    key: str
    label: str
    category: str
    fields: tuple[Field, ...]
    driver: Driver
    impl: str  # "module:Class" of the connector, imported only when used
    identity: tuple[str, ...]  # fields that make two connections "the same credentials"
    capabilities: frozenset[str] = frozenset({"test", "tables"})
    name_hint: str = "database"  # the field that names the connection ("PostgreSQL - sales")
    engine: Engine = Engine()

    @property
    def icon(self) -> str:
        return f"{self.key}.svg"

    @property
    def default_port(self) -> int | None:
        return next((f.default for f in self.fields if f.key == "port"), None)

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.secret)

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "category": self.category,
            "icon": self.icon,
            "default_port": self.default_port,
            "driver": {"module": self.driver.module, "package": self.driver.package,
                       "installed": self.driver.installed()},
            "capabilities": sorted(self.capabilities),
            "engine": {"read": self.engine.readable, "write_modes": list(self.engine.write_modes),
                       "rows": self.engine.rows, "last_updated": self.engine.last_updated},
            "fields": [
                {"key": f.key, "label": f.label, "kind": f.kind, "required": f.required,
                 "default": f.default, "secret": f.secret, "choices": list(f.choices)}
                for f in self.fields
            ],
        }


def _host(default_port: int, database_label: str = "Database", database_required: bool = True,
          user_required: bool = True) -> tuple[Field, ...]:
    return (
        Field("host", "Host", required=True, placeholder="db.example.com"),
        Field("port", "Port", kind="int", required=True, default=default_port,
              minimum=1, maximum=65535),
        Field("database", database_label, required=database_required),
        Field("user", "User", required=user_required),
        Field("password", "Password", kind="password", secret=True),
    )


def _path(label: str, extensions: str) -> Field:
    return Field("path", label, kind="path", required=True,
                 help=f"A {extensions} file, or a folder of them (one table per file).")


NET = ("host", "port", "database", "user")
FILE_ID = ("path",)
_SSL = Field("sslmode", "SSL mode", kind="choice", default="prefer",
             choices=("disable", "allow", "prefer", "require", "verify-ca", "verify-full"))
_PG_CA = Field("sslrootcert", "CA file", kind="path",
               help="The certificate authority that signed the server's certificate "
                    "(verify-ca, verify-full). Empty: the system's.")
_MY_SSL = Field("ssl_mode", "SSL mode", kind="choice", default="preferred",
                choices=("preferred", "disabled", "required", "verify-ca", "verify-identity"))
_MY_CA = Field("ssl_ca", "CA file", kind="path",
               help="The certificate authority that signed the server's certificate "
                    "(verify-ca, verify-identity). Empty: the system's.")
_ENCODING = Field("encoding", "Encoding", default="utf-8")
_SAMPLE = Field("sample", "Sample size", kind="int", default=1000, minimum=1,
                maximum=1_000_000, help="Documents read to find a collection's fields and "
                                       "their types; a field seen only later lands in "
                                       "_extra.")
_KEY_FILE = Field("key_file", "Service-account key file", kind="path",
                  help="Empty: application default credentials.")

TYPES: tuple[ConnectionType, ...] = (
    ConnectionType("postgresql", "PostgreSQL", RELATIONAL, (*_host(5432), _SSL, _PG_CA),
                   Driver("psycopg2", "psycopg2-binary"),
                   "app.connectors.postgres:PostgresConnector", NET),
    ConnectionType("mysql", "MySQL", RELATIONAL, (*_host(3306), _MY_SSL, _MY_CA),
                   Driver("pymysql", "PyMySQL"), "app.connectors.mysql:MySQLConnector", NET),
    ConnectionType("mariadb", "MariaDB", RELATIONAL, (*_host(3306), _MY_SSL, _MY_CA),
                   Driver("pymysql", "PyMySQL"), "app.connectors.mysql:MySQLConnector", NET),
    ConnectionType("oracle", "Oracle", RELATIONAL, _host(1521, "Service name"),
                   Driver("oracledb", "oracledb", "oracle"),
                   "app.connectors.drivers:OracleConnector", NET),
    ConnectionType("sqlserver", "SQL Server", RELATIONAL, _host(1433),
                   Driver("pymssql", "pymssql", "mssql"),
                   "app.connectors.drivers:SqlServerConnector", NET),
    ConnectionType("db2", "IBM DB2", RELATIONAL, _host(50000),
                   Driver("ibm_db_sa", "ibm_db_sa", "db2"),
                   "app.connectors.drivers:Db2Connector", NET),
    ConnectionType("redshift", "Redshift", RELATIONAL, (*_host(5439), _SSL),
                   Driver("psycopg2", "psycopg2-binary"),
                   "app.connectors.postgres:RedshiftConnector", NET),
    ConnectionType(
        "bigquery", "BigQuery", RELATIONAL,
        (Field("project", "Project", required=True),
         Field("dataset", "Dataset", required=True),
         _KEY_FILE,
         Field("location", "Location", placeholder="EU"),
         Field("endpoint", "API endpoint", help="Only for an emulator or private endpoint.")),
        Driver("google.cloud.bigquery", "google-cloud-bigquery"),
        "app.connectors.bigquery:BigQueryConnector", ("project", "dataset", "key_file"),
        name_hint="dataset"),
    ConnectionType(
        "snowflake", "Snowflake", RELATIONAL,
        (Field("account", "Account", required=True, placeholder="xy12345.eu-west-1"),
         Field("user", "User", required=True),
         Field("password", "Password", kind="password", secret=True),
         Field("database", "Database", required=True),
         Field("schema", "Schema", default="PUBLIC"),
         Field("warehouse", "Warehouse"),
         Field("role", "Role"),
         Field("endpoint", "Endpoint URL",
               help="Only for PrivateLink or a local stand-in; empty: the account's host.")),
        Driver("snowflake.connector", "snowflake-connector-python", "snowflake"),
        "app.connectors.drivers:SnowflakeConnector", ("account", "database", "user")),
    ConnectionType("synapse", "Azure Synapse", RELATIONAL, _host(1433),
                   Driver("pymssql", "pymssql", "mssql"),
                   "app.connectors.drivers:SqlServerConnector", NET),
    ConnectionType("teradata", "Teradata", RELATIONAL, _host(1025),
                   Driver("teradatasqlalchemy", "teradatasqlalchemy", "teradata"),
                   "app.connectors.drivers:TeradataConnector", NET),
    ConnectionType("sqlite", "SQLite", RELATIONAL, (_path("Database file", "SQLite"),),
                   Driver("sqlite3", "(part of Python)"),
                   "app.connectors.embedded:SqliteConnector", FILE_ID, name_hint="path"),
    ConnectionType("duckdb", "DuckDB", RELATIONAL, (_path("Database file", "DuckDB"),),
                   Driver("duckdb", "duckdb"), "app.connectors.embedded:DuckDbConnector",
                   FILE_ID, name_hint="path"),
    ConnectionType(
        "mongodb", "MongoDB", NOSQL,
        (*_host(27017, user_required=False),
         Field("auth_source", "Auth database", default="admin"),
         _SAMPLE),
        Driver("pymongo", "pymongo", "mongodb"), "app.connectors.nosql:MongoConnector", NET),
    ConnectionType("cassandra", "Cassandra", NOSQL,
                   _host(9042, "Keyspace", user_required=False),
                   Driver("cassandra", "cassandra-driver", "cassandra"),
                   "app.connectors.nosql:CassandraConnector", NET),
    ConnectionType(
        "redis", "Redis", NOSQL,
        (Field("host", "Host", required=True),
         Field("port", "Port", kind="int", required=True, default=6379, minimum=1, maximum=65535),
         Field("database", "Database number", kind="int", default=0, minimum=0, maximum=1023),
         Field("user", "User"),
         Field("password", "Password", kind="password", secret=True),
         Field("pattern", "Key patterns", default="",
               help="Comma-separated patterns, each listed as a table (user:*, order:*). "
                    "Empty: grouped by the prefix before the first ':'."),
         Field("tls", "TLS", kind="bool", default=False)),
        Driver("redis", "redis"), "app.connectors.nosql:RedisConnector", NET),
    ConnectionType(
        "firestore", "Firestore", NOSQL,
        (Field("project", "Project", required=True),
         Field("database", "Database", default="(default)"),
         _KEY_FILE,
         _SAMPLE),
        Driver("google.cloud.firestore", "google-cloud-firestore", "firestore"),
        "app.connectors.nosql:FirestoreConnector", ("project", "database", "key_file"),
        name_hint="project"),
    ConnectionType(
        "dynamodb", "DynamoDB", NOSQL,
        (Field("region", "Region", required=True, placeholder="eu-west-1"),
         Field("user", "Access key id"),
         Field("password", "Secret access key", kind="password", secret=True),
         Field("endpoint", "Endpoint URL", help="Only for DynamoDB Local or a VPC endpoint.")),
        Driver("boto3", "boto3", "aws"), "app.connectors.nosql:DynamoConnector",
        ("region", "endpoint", "user"), name_hint="region"),
    ConnectionType(
        "csv", "CSV", FILES,
        (_path("File or folder", "CSV"),
         Field("delimiter", "Delimiter", default=","),
         Field("header", "First row is a header", kind="bool", default=True),
         _ENCODING),
        Driver("pyarrow", "pyarrow"), "app.connectors.files:CsvConnector", FILE_ID,
        name_hint="path"),
    ConnectionType(
        "json", "JSON", FILES,
        (_path("File or folder", "JSON or JSON-lines"),
         Field("layout", "Layout", kind="choice", default="auto",
               choices=("auto", "lines", "array"))),
        Driver("pyarrow", "pyarrow"), "app.connectors.files:JsonConnector", FILE_ID,
        name_hint="path"),
    ConnectionType("parquet", "Parquet", FILES, (_path("File or folder", "Parquet"),),
                   Driver("pyarrow", "pyarrow"), "app.connectors.files:ParquetConnector",
                   FILE_ID, name_hint="path"),
    ConnectionType("avro", "Avro", FILES, (_path("File or folder", "Avro"),),
                   Driver("fastavro", "fastavro"), "app.connectors.files:AvroConnector",
                   FILE_ID, name_hint="path"),
    ConnectionType("excel", "Excel", FILES, (_path("Workbook or folder", "Excel (.xlsx)"),),
                   Driver("openpyxl", "openpyxl"), "app.connectors.files:ExcelConnector",
                   FILE_ID, name_hint="path"),
    ConnectionType("text", "Text", FILES, (_path("File or folder", "text"), _ENCODING),
                   Driver("pyarrow", "pyarrow"), "app.connectors.files:TextConnector",
                   FILE_ID, name_hint="path"),
)

# --- the engine's abilities, per type --------------------------------------------------

_SQL = "app.etl.readers.sql:SqlReader"
_FILES_READ = "app.etl.readers.files:open_file_reader"
_FOLDER = Engine(_FILES_READ, "app.etl.destinations.files:FolderDestination", ("replace",),
                 schemas=True, folder=True, source_schemas=False, rows="exact when small",
                 last_updated=True)
ALL_MODES: tuple[Mode, ...] = MODES
ENGINES: dict[str, Engine] = {
    "postgresql": Engine("app.etl.readers.postgres:PostgresCopyReader",
                         "app.etl.destinations.postgres:PostgresDestination", ALL_MODES,
                         schemas=True, default_schema="public", case_sensitive=True,
                         rows="exact when small", queries=True),
    "mysql": Engine("app.etl.readers.mysql:MySqlReader",
                    "app.etl.destinations.mysql:MySqlDestination", ALL_MODES,
                    schema_param="database", source_schemas=False, rows="exact when small",
                    last_updated=True, queries=True),
    "oracle": Engine(_SQL, schema_param="user", upper_schema=True, inspected=True,
                     rows="estimated", last_updated=True),
    "sqlserver": Engine(_SQL, default_schema="dbo", inspected=True, rows="exact",
                        last_updated=True),
    "db2": Engine(_SQL, schema_param="user", upper_schema=True, inspected=True,
                  rows="estimated", last_updated=True),
    "redshift": Engine(_SQL, default_schema="public", inspected=True, rows="exact"),
    "bigquery": Engine("app.etl.readers.bigquery:BigQueryReader",
                       "app.etl.destinations.bigquery:BigQueryDestination",
                       ALL_MODES, schema_param="dataset", case_sensitive=True,
                       rows="exact", last_updated=True),
    "snowflake": Engine("app.etl.readers.snowflake:open_snowflake_reader",
                        schema_param="schema", upper_schema=True, rows="exact",
                        last_updated=True, queries=True),
    "teradata": Engine(_SQL, schema_param="database", inspected=True, last_updated=True),
    "sqlite": Engine(_SQL, "app.etl.destinations.sqlite:SqliteDestination", ALL_MODES,
                     default_schema="main", takes_schema=False, source_schemas=False,
                     inspected=True, rows="exact", queries=True),
    "duckdb": Engine("app.etl.readers.duck:DuckDbReader",
                     "app.etl.destinations.duck:DuckDbDestination", ALL_MODES, schemas=True,
                     default_schema="main", rows="exact", queries=True),
    "mongodb": Engine("app.etl.readers.mongo:open_mongo_reader", rows="estimated",
                      schema_param="database"),
    "cassandra": Engine("app.etl.readers.cassandra:open_cassandra_reader",
                        schema_param="database"),
    "redis": Engine("app.etl.readers.redis:open_redis_reader", rows="exact when small",
                    source_schemas=False, key_patterns=True),
    "firestore": Engine("app.etl.readers.firestore:open_firestore_reader", rows="exact",
                        source_schemas=False),
    "dynamodb": Engine("app.etl.readers.dynamodb:open_dynamo_reader", rows="estimated",
                       source_schemas=False),
    "csv": _FOLDER,
    "json": _FOLDER,
    "parquet": _FOLDER,
    "avro": Engine(_FILES_READ, source_schemas=False, rows="exact", last_updated=True),
    "excel": Engine(_FILES_READ, source_schemas=False, rows="estimated", last_updated=True),
    "text": Engine(_FILES_READ, source_schemas=False, rows="estimated", last_updated=True),
}
ENGINES["mariadb"] = ENGINES["mysql"]
ENGINES["synapse"] = ENGINES["sqlserver"]
TYPES = tuple(replace(t, engine=ENGINES[t.key]) for t in TYPES)
# The local warehouse is a DuckDB file in the data directory; jobs name it `local`.
WAREHOUSE = ENGINES["duckdb"]

BY_KEY = {t.key: t for t in TYPES}


class UnknownType(KeyError):
    def __str__(self) -> str:
        return f"unknown connection type {self.args[0]!r}; known: {', '.join(BY_KEY)}"


def get_type(key: str) -> ConnectionType:
    try:
        return BY_KEY[key]
    except KeyError:
        raise UnknownType(key) from None


def by_category(category: str) -> list[ConnectionType]:
    return [t for t in TYPES if t.category == category]


def engine(type_key: str | None) -> Engine:
    """The engine's abilities for a type (None: the local warehouse)."""
    return WAREHOUSE if type_key is None else get_type(type_key).engine


READABLE: tuple[str, ...] = tuple(t.key for t in TYPES if t.engine.readable)
WRITABLE: tuple[str, ...] = tuple(t.key for t in TYPES if t.engine.writable)


# --- validation ------------------------------------------------------------------------

def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text)


def validate_name(name: Any) -> str | None:
    """None if `name` is acceptable as a connection (or job) name, else the reason."""
    if not isinstance(name, str) or not name.strip():
        return "Name is required."
    if len(name.strip()) > NAME_MAX:
        return f"Name is too long ({len(name.strip())} characters; at most {NAME_MAX})."
    if _has_control(name):
        return "Name must not contain control characters."
    return None


def _check_field(f: Field, raw: Any) -> tuple[Any, str | None]:
    """Return (normalised value, error message or None)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if f.required and f.default is None:
            return None, f"{f.label} is required."
        return f.default, None
    if f.kind == "int":
        text = str(raw).strip()
        if isinstance(raw, bool) or not re.fullmatch(r"[0-9]{1,10}", text):
            return None, f"{f.label} must be a whole number, not {text[:40]!r}."
        value = int(text)
        if (f.minimum is not None and value < f.minimum) or (
            f.maximum is not None and value > f.maximum
        ):
            return None, f"{f.label} must be between {f.minimum} and {f.maximum}."
        return value, None
    if f.kind == "bool":
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True, None
        if text in ("0", "false", "no", "off"):
            return False, None
        return None, f"{f.label} must be true or false."
    if not isinstance(raw, str):
        return None, f"{f.label} must be text."
    if f.secret:
        return raw, None  # passwords are taken exactly as typed
    text = raw.strip()
    if f.kind == "choice" and text not in f.choices:
        return None, f"{f.label} must be one of: {', '.join(f.choices)}."
    if f.key == "host":
        if len(text) > HOST_MAX:
            return None, f"{f.label} is too long (at most {HOST_MAX} characters)."
        if not _HOST_RE.match(text) and not _SOCKET_DIR_RE.match(text):
            return None, f"{f.label} {text[:40]!r} is not a valid host name or address."
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]  # an IPv6 address as written in a URL: kept bare
        return text, None
    limit = PATH_MAX if f.kind == "path" else TEXT_MAX
    if len(text) > limit:
        return None, f"{f.label} is too long (at most {limit} characters)."
    if _has_control(text):
        return None, f"{f.label} must not contain control characters."
    return text, None


def validate(type_key: str, values: dict[str, Any]) -> tuple[dict, dict, dict[str, str]]:
    """Check a form's values for `type_key`.

    Returns (params, secrets, errors): params and secrets hold normalised values (secrets
    kept apart so they can never reach the metadata store); errors maps a field key, or
    "_unknown", to a message a user can act on.
    """
    ctype = get_type(type_key)
    params: dict = {}
    secrets: dict = {}
    errors: dict[str, str] = {}
    known = {f.key for f in ctype.fields}
    unknown = sorted(set(values) - known)
    if unknown:
        errors["_unknown"] = (
            f"{ctype.label} has no field {', '.join(unknown)}; fields: {', '.join(sorted(known))}."
        )
    for f in ctype.fields:
        value, error = _check_field(f, values.get(f.key))
        if error:
            errors[f.key] = error
        elif f.secret:
            if value:
                secrets[f.key] = value
        elif value is not None:
            params[f.key] = value
    return params, secrets, errors


def suggest_name(type_key: str, params: dict) -> str:
    """A readable default name: "PostgreSQL - sales", "CSV - orders", "Redis - cache.local"."""
    ctype = get_type(type_key)
    hint = params.get(ctype.name_hint) or params.get("host") or ""
    if ctype.name_hint == "path" and hint:
        hint = re.split(r"[\\/]", str(hint).rstrip("/\\"))[-1].rsplit(".", 1)[0] or str(hint)
    hint = str(hint).strip()
    return f"{ctype.label} - {hint}"[:NAME_MAX] if hint else ctype.label


def identity(type_key: str, params: dict) -> tuple:
    """What makes two connections point at the same place with the same login."""
    ctype = get_type(type_key)
    values = []
    for key in ctype.identity:
        value = params.get(key)
        if isinstance(value, str):
            value = value.strip().lower() if key in ("host", "account") else value.strip()
        values.append(value)
    return (ctype.key, *values)
