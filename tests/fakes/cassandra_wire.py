"""A Cassandra stand-in on loopback that speaks the CQL native protocol (v4; a client asking
for a newer version is told so and steps down, as with a Cassandra 3 node), so the real
cassandra-driver reads from it: OPTIONS, STARTUP, REGISTER, QUERY (SELECT with a column
list or *, WHERE conditions joined by AND with =, <, <=, >, >=, ALLOW FILTERING required
off the partition key as Cassandra requires it, LIMIT) with paging (result_page_size and
paging_state), and the system tables a driver and Sluice read: system.local, system.peers
(peers_v2 is unknown, as on Cassandra 3), system_schema.keyspaces, tables and columns.
Values are serialised by the driver's own CQL type classes, so the client decodes exactly
what a server would send. No Cassandra server can run on our machines (not in Debian or
PyPI); tables are made with `create` and filled with `insert`.
"""

from __future__ import annotations

import io
import re
import socketserver
import struct
import threading
import uuid
from datetime import UTC, datetime

from cassandra import cqltypes
from cassandra.protocol import (
    read_int,
    read_longstring,
    read_short,
    read_value,
    write_int,
    write_short,
    write_string,
    write_stringmultimap,
    write_value,
)

OPCODES = {"ERROR": 0x00, "STARTUP": 0x01, "READY": 0x02, "OPTIONS": 0x05,
           "SUPPORTED": 0x06, "QUERY": 0x07, "RESULT": 0x08, "REGISTER": 0x0B}
OPTION_IDS = {"ascii": 0x01, "bigint": 0x02, "blob": 0x03, "boolean": 0x04, "counter": 0x05,
              "decimal": 0x06, "double": 0x07, "float": 0x08, "int": 0x09, "timestamp": 0x0B,
              "uuid": 0x0C, "text": 0x0D, "varchar": 0x0D, "varint": 0x0E, "timeuuid": 0x0F,
              "inet": 0x10, "date": 0x11, "time": 0x12, "smallint": 0x13, "tinyint": 0x14,
              "duration": 0x15, "list": 0x20, "map": 0x21, "set": 0x22, "tuple": 0x31}
INVALID, PROTOCOL_ERROR, SYNTAX = 0x2200, 0x000A, 0x2000
HOST_ID, SCHEMA_VERSION = uuid.uuid4(), uuid.uuid4()


class CqlError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _parse(cql_type: str) -> tuple[str, list]:
    """`map<text, frozen<list<int>>>` as ("map", [("text", []), ("list", [("int", [])])])
    (frozen is not on the wire)."""
    tokens = re.findall(r"\w+|[<>,]", cql_type)

    def node(i: int) -> tuple[tuple[str, list], int]:
        name, i, subtypes = tokens[i].lower(), i + 1, []
        if i < len(tokens) and tokens[i] == "<":
            while tokens[i] != ">":  # "<" or "," before each subtype
                sub, i = node(i + 1)
                subtypes.append(sub)
            i += 1
        if name == "frozen":
            return subtypes[0], i
        return ("text" if name == "varchar" else name, subtypes), i

    return node(0)[0]


def cql_class(cql_type: str | tuple[str, list]):
    """The driver's type class for a CQL type string."""
    name, subtypes = _parse(cql_type) if isinstance(cql_type, str) else cql_type
    base = cqltypes._cqltypes[name]
    return base.apply_parameters([cql_class(s) for s in subtypes]) if subtypes else base


def write_option(out: io.BytesIO, cql_type: str | tuple[str, list]) -> None:
    name, subtypes = _parse(cql_type) if isinstance(cql_type, str) else cql_type
    write_short(out, OPTION_IDS[name])
    if name == "tuple":
        write_short(out, len(subtypes))
    for s in subtypes:
        write_option(out, s)


class Table:
    def __init__(self, keyspace: str, name: str, columns: list[tuple[str, str, str]]) -> None:
        self.keyspace, self.name = keyspace, name
        self.columns = columns  # (name, CQL type, kind: partition_key/clustering/regular)
        self.types = {c: t for c, t, _ in columns}
        self.key = [c for c, _, kind in columns if kind != "regular"]
        self.rows: dict[tuple, dict] = {}

    def select(self) -> list[dict]:
        return list(self.rows.values())


def _literal(text: str):
    text = text.strip()
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() == "null":
        return None
    return float(text) if re.search(r"[.eE]", text) else int(text)


def _coerce(value, cql_type: str):
    """A literal as the column's value (times given as milliseconds or ISO text)."""
    if cql_type == "timestamp":
        if isinstance(value, int):
            return datetime.fromtimestamp(value / 1000, UTC).replace(tzinfo=None)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC) \
            .replace(tzinfo=None)
    return value


SELECT = re.compile(r"^\s*SELECT\s+(?P<cols>.+?)\s+FROM\s+(?P<table>[\w.\"]+)"
                    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?"
                    r"(?P<filtering>\s+ALLOW\s+FILTERING)?\s*;?\s*$", re.I | re.S)
CONDITION = re.compile(r"^\s*(\"?[\w]+\"?)\s*(>=|<=|=|<|>)\s*('(?:[^']|'')*'|[^\s]+)\s*$")
OPERATORS = {"=": lambda a, b: a == b, ">=": lambda a, b: a >= b, ">": lambda a, b: a > b,
             "<=": lambda a, b: a <= b, "<": lambda a, b: a < b}


class FakeCassandra:
    def __init__(self, release: str = "4.1.5") -> None:
        self.release = release
        self.tables: dict[tuple[str, str], Table] = {}
        self.queries: list[str] = []
        self.lock = threading.Lock()

    # --- the data ----------------------------------------------------------------------

    def create(self, keyspace: str, table: str, columns: list[tuple[str, str, str]]) -> None:
        self.tables[(keyspace, table)] = Table(keyspace, table, columns)

    def insert(self, keyspace: str, table: str, *rows: dict) -> None:
        t = self.tables[(keyspace, table)]
        with self.lock:
            for row in rows:
                key = tuple(row[k] for k in t.key)
                t.rows[key] = {**t.rows.get(key, {}), **row}  # an upsert, as Cassandra's

    def drop(self, keyspace: str, table: str) -> None:
        del self.tables[(keyspace, table)]

    def _system(self, keyspace: str, name: str) -> Table | None:
        if (keyspace, name) == ("system", "local"):
            t = Table("system", "local", [
                ("key", "text", "partition_key"), ("bootstrapped", "text", "regular"),
                ("broadcast_address", "inet", "regular"), ("cluster_name", "text", "regular"),
                ("cql_version", "text", "regular"), ("data_center", "text", "regular"),
                ("host_id", "uuid", "regular"), ("listen_address", "inet", "regular"),
                ("native_protocol_version", "text", "regular"),
                ("partitioner", "text", "regular"), ("rack", "text", "regular"),
                ("release_version", "text", "regular"), ("rpc_address", "inet", "regular"),
                ("schema_version", "uuid", "regular"), ("tokens", "set<text>", "regular")])
            t.rows[("local",)] = {
                "key": "local", "bootstrapped": "COMPLETED", "broadcast_address": "127.0.0.1",
                "cluster_name": "Test Cluster", "cql_version": "3.4.6", "data_center": "dc1",
                "host_id": HOST_ID, "listen_address": "127.0.0.1",
                "native_protocol_version": "4",
                "partitioner": "org.apache.cassandra.dht.Murmur3Partitioner", "rack": "rack1",
                "release_version": self.release, "rpc_address": "127.0.0.1",
                "schema_version": SCHEMA_VERSION, "tokens": {"0"}}
            return t
        if (keyspace, name) == ("system", "peers"):
            return Table("system", "peers", [
                ("peer", "inet", "partition_key"), ("data_center", "text", "regular"),
                ("host_id", "uuid", "regular"), ("rack", "text", "regular"),
                ("release_version", "text", "regular"), ("rpc_address", "inet", "regular"),
                ("schema_version", "uuid", "regular"), ("tokens", "set<text>", "regular")])
        if (keyspace, name) == ("system_schema", "keyspaces"):
            t = Table("system_schema", "keyspaces", [
                ("keyspace_name", "text", "partition_key"),
                ("durable_writes", "boolean", "regular"),
                ("replication", "map<text, text>", "regular")])
            for ks in sorted({k for k, _ in self.tables}):
                t.rows[(ks,)] = {"keyspace_name": ks, "durable_writes": True, "replication": {
                    "class": "org.apache.cassandra.locator.SimpleStrategy",
                    "replication_factor": "1"}}
            return t
        if (keyspace, name) == ("system_schema", "tables"):
            t = Table("system_schema", "tables", [
                ("keyspace_name", "text", "partition_key"),
                ("table_name", "text", "clustering"), ("comment", "text", "regular")])
            for (ks, tn) in sorted(self.tables):
                t.rows[(ks, tn)] = {"keyspace_name": ks, "table_name": tn, "comment": ""}
            return t
        if (keyspace, name) == ("system_schema", "columns"):
            t = Table("system_schema", "columns", [
                ("keyspace_name", "text", "partition_key"),
                ("table_name", "text", "clustering"), ("column_name", "text", "clustering"),
                ("clustering_order", "text", "regular"), ("kind", "text", "regular"),
                ("position", "int", "regular"), ("type", "text", "regular")])
            for (ks, tn), table in sorted(self.tables.items()):
                positions: dict[str, int] = {}
                for column, cql_type, kind in table.columns:
                    position = positions.get(kind, 0) if kind != "regular" else -1
                    positions[kind] = position + 1
                    t.rows[(ks, tn, column)] = {
                        "keyspace_name": ks, "table_name": tn, "column_name": column,
                        "clustering_order": "asc" if kind == "clustering" else "none",
                        "kind": kind, "position": position, "type": cql_type}
            return t
        return None

    # --- queries -----------------------------------------------------------------------

    def query(self, cql: str) -> tuple[Table, list[str], list[dict]]:
        self.queries.append(cql)
        m = SELECT.match(cql)
        if m is None:
            raise CqlError(SYNTAX, f"line 1:0 no viable alternative at input "
                                   f"'{cql.split()[0] if cql.split() else ''}'")
        keyspace, _, name = m["table"].replace('"', "").rpartition(".")
        if not keyspace:
            raise CqlError(INVALID, "No keyspace has been specified. USE a keyspace, or "
                                    "explicitly specify keyspace.tablename")
        table = self._system(keyspace, name) or self.tables.get((keyspace, name))
        if table is None:
            raise CqlError(INVALID, f"unconfigured table {name}")
        with self.lock:
            rows = table.select()
        if m["where"]:
            for condition in re.split(r"\s+AND\s+", m["where"], flags=re.I):
                c = CONDITION.match(condition)
                if c is None:
                    raise CqlError(SYNTAX, f"line 1:0 mismatched input near {condition!r}")
                column, op, literal = c[1].strip('"'), c[2], c[3]
                if column not in table.types:
                    raise CqlError(INVALID, f"Undefined column name {column}")
                if column not in table.key and not m["filtering"]:
                    raise CqlError(INVALID, "Cannot execute this query as it might involve "
                                            "data filtering and thus may have unpredictable "
                                            "performance. If you want to execute this query "
                                            "despite the performance unpredictability, use "
                                            "ALLOW FILTERING")
                wanted = _coerce(_literal(literal), table.types[column])
                rows = [r for r in rows if r.get(column) is not None
                        and OPERATORS[op](r[column], wanted)]
        if m["limit"]:
            rows = rows[:int(m["limit"])]
        cols = m["cols"].strip()
        if cols == "*":
            names = [c for c, _, _ in table.columns]
        else:
            names = [c.strip().strip('"') for c in cols.split(",")]
            unknown = [c for c in names if c not in table.types]
            if unknown:
                raise CqlError(INVALID, f"Undefined column name {unknown[0]}")
        return table, names, rows

    def rows_message(self, table: Table, names: list[str], rows: list[dict], start: int,
                     page_size: int | None) -> bytes:
        out = io.BytesIO()
        write_int(out, 0x0002)  # Rows
        end = len(rows) if not page_size else min(len(rows), start + page_size)
        more = end < len(rows)
        write_int(out, 0x0001 | (0x0002 if more else 0))  # global table spec, more pages
        write_int(out, len(names))
        if more:
            write_value(out, str(end).encode())
        write_string(out, table.keyspace)
        write_string(out, table.name)
        classes = []
        for name in names:
            write_string(out, name)
            write_option(out, table.types[name])
            classes.append(cql_class(table.types[name]))
        write_int(out, end - start)
        for row in rows[start:end]:
            for name, cls in zip(names, classes, strict=True):
                value = row.get(name)
                write_value(out, None if value is None else cls.to_binary(value, 4))
        return out.getvalue()

    # --- serving -----------------------------------------------------------------------

    def _answer(self, opcode: int, body: bytes) -> tuple[int, bytes]:
        f = io.BytesIO(body)
        if opcode == OPCODES["OPTIONS"]:
            out = io.BytesIO()
            write_stringmultimap(out, {"CQL_VERSION": ["3.4.6"], "COMPRESSION": [],
                                       "PROTOCOL_VERSIONS": ["3/v3", "4/v4"]})
            return OPCODES["SUPPORTED"], out.getvalue()
        if opcode in (OPCODES["STARTUP"], OPCODES["REGISTER"]):
            return OPCODES["READY"], b""
        if opcode == OPCODES["QUERY"]:
            cql = read_longstring(f)
            read_short(f)  # consistency
            flags = f.read(1)[0]
            if flags & 0x01:  # values: the driver binds client-side for simple statements
                for _ in range(read_short(f)):
                    read_value(f)
            page_size = read_int(f) if flags & 0x04 else None
            start = int(read_value(f).decode()) if flags & 0x08 else 0
            try:
                table, names, rows = self.query(cql)
            except CqlError as exc:
                return self._error(exc.code, exc.message)
            return OPCODES["RESULT"], self.rows_message(table, names, rows, start, page_size)
        return self._error(PROTOCOL_ERROR, f"opcode {opcode:#x} is not served here")

    @staticmethod
    def _error(code: int, message: str) -> tuple[int, bytes]:
        out = io.BytesIO()
        write_int(out, code)
        write_string(out, message)
        return OPCODES["ERROR"], out.getvalue()

    def __enter__(self) -> FakeCassandra:
        fake = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                while True:
                    header = self._read(9)
                    if header is None:
                        return
                    version, _, stream, opcode, length = struct.unpack(">BBhBi", header)
                    body = self._read(length) if length else b""
                    if version & 0x7F != 4:
                        opcode, body = fake._error(
                            PROTOCOL_ERROR, f"Invalid or unsupported protocol version "
                                            f"({version & 0x7F}); supported versions are "
                                            "(3/v3, 4/v4)")
                        reply_version = version & 0x7F
                    else:
                        opcode, body = fake._answer(opcode, body or b"")
                        reply_version = 4
                    self.request.sendall(struct.pack(">BBhBi", 0x80 | reply_version, 0,
                                                     stream, opcode, len(body)) + body)

            def _read(self, n: int) -> bytes | None:
                data = b""
                while len(data) < n:
                    chunk = self.request.recv(n - len(data))
                    if not chunk:
                        return None
                    data += chunk
                return data

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
