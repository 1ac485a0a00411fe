"""PostgreSQL fast path: COPY (SELECT ...) TO STDOUT as CSV, parsed by Arrow's C++ reader.

The server streams text through a pipe; Arrow converts it with the exact column types
read from the catalogue, so nothing is inferred. Cancelling sends a cancel request to the
backend, which ends the COPY at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pyarrow as pa

from app.connectors import tls
from app.etl import types
from app.etl.errors import RunCancelled, RunError
from app.etl.readers import BaseReader, ReadAgain, ReadRequest, check_columns

# Each column with its type; a domain is followed down to its base type (and typmod),
# so a domain over integer reads as an integer. Types created after initdb (OID 16384 and
# up: enums, extension types, composites) are told apart from the built-in ones.
_COLUMNS = """
with recursive cols as (
    select a.attnum, a.attname, a.atttypid as typid, a.atttypmod as typmod
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped
), base as (
    select attnum, attname, typid, typmod from cols
    union all
    select b.attnum, b.attname, t.typbasetype, t.typtypmod
    from base b join pg_type t on t.oid = b.typid
    where t.typtype = 'd'
)
select b.attname, format_type(b.typid, b.typmod), t.typtype, tn.nspname, t.typname,
       b.typid >= 16384 or (t.typelem <> 0 and t.typelem >= 16384),
       coalesce(array(select e.enumlabel::text from pg_enum e where e.enumtypid = b.typid
                      order by e.enumsortorder), '{}')
from base b
join pg_type t on t.oid = b.typid
join pg_namespace tn on tn.oid = t.typnamespace
where t.typtype <> 'd'
order by b.attnum
"""

_PRIMARY_KEY = """
select a.attname from pg_index i
join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
where i.indrelid = (quote_ident(%s) || '.' || quote_ident(%s))::regclass and i.indisprimary
order by array_position(i.indkey, a.attnum)
"""

# The largest CSV block Arrow is given: a row longer than this fails the table.
MAX_BLOCK_BYTES = 1 << 30
BLOCK_BYTES = 1 << 20


@dataclass
class PgColumn:
    name: str
    type: str  # format_type of the base type: "integer", "public.mood", "hstore", "text[]"
    kind: str  # pg_type.typtype: b(ase), e(num), c(omposite), r(ange), m(ultirange), p
    type_schema: str
    type_name: str
    user_defined: bool  # created after initdb (an enum, an extension's type), or an array
    labels: list[str]  # an enum's labels, in order


def connect(params: dict, secrets: dict, timeout: int = 10):
    import psycopg2

    try:
        conn = psycopg2.connect(
            host=params["host"], port=params["port"], dbname=params["database"],
            user=params["user"], password=secrets.get("password"),
            **tls.postgres_options(params), connect_timeout=timeout,
            application_name="Sluice",
            # A peer that vanished (network gone, machine off) is noticed in minutes.
            keepalives=1, keepalives_idle=60, keepalives_interval=10, keepalives_count=6,
        )
    except psycopg2.OperationalError as exc:
        raise RunError(f"Cannot connect to PostgreSQL at {params['host']}: "
                       f"{str(exc).strip().splitlines()[0]}") from exc
    return conn


class PostgresCopyReader(BaseReader):
    def __init__(self, type_key: str, params: dict, secrets: dict, request: ReadRequest,
                 cancel: threading.Event) -> None:
        from psycopg2 import sql

        super().__init__()
        self.request, self.cancel = request, cancel
        self.params, self.secrets = params, secrets
        self.conn = connect(params, secrets)
        schema, relname = request.schema or "public", request.table
        if request.query:  # read as a table: a temporary view of the query
            schema, relname = self._query_view(request)
        self.relation = sql.SQL("{}.{}").format(sql.Identifier(schema),
                                                 sql.Identifier(relname))
        with self.conn.cursor() as cur:
            # One snapshot for the whole read; text forms that Arrow parses exactly.
            cur.execute("set transaction isolation level repeatable read, read only")
            cur.execute("set local timezone = 'UTC'; set local datestyle = 'ISO, YMD'; "
                        "set local bytea_output = 'hex'; set local extra_float_digits = 3; "
                        "set local intervalstyle = 'iso_8601'")
            cur.execute(_COLUMNS, (schema, relname))
            found = [PgColumn(*row) for row in cur.fetchall()]
            if found and not request.query:
                cur.execute(_PRIMARY_KEY, (schema, relname))
                self.primary_key = [r[0] for r in cur.fetchall()]
        if not found:
            self.close()
            raise RunError(f"Table {schema}.{request.table} does not exist (any more) "
                           f"on {params['host']}/{params['database']}.")
        self.where = f"query {request.table}" if request.query else \
            f"{schema}.{request.table}"
        try:
            kept = check_columns(request, [c.name for c in found],
                                 self.where if request.query else f"table {self.where}")
        except RunError:
            self.close()
            raise
        self.columns = [c for c in found if c.name in kept]
        money_scale = 2
        if any(c.type == "money" for c in self.columns):
            with self.conn.cursor() as cur:  # its unit follows the server's lc_monetary
                cur.execute("select scale(1::money::numeric)")
                money_scale = cur.fetchone()[0]
        self.schema = pa.schema([
            (c.name, pa.string() if c.name in request.text_columns
             else types.from_postgres(c.type, money_scale)) for c in self.columns])
        self.copy = self.copy_sql("csv")
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _query_view(self, request: ReadRequest) -> tuple[str, str]:
        """Make the query a temporary view of this session; its (schema, name). A query
        that fails (or is not a single SELECT) is a RunError with the server's message."""
        import psycopg2
        from psycopg2 import sql

        view = f"sluice_query_{uuid.uuid4().hex[:12]}"
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql.SQL("create temporary view {} as {}").format(
                    sql.Identifier(view), sql.SQL(request.query.strip().rstrip(";"))))
                cur.execute("select nspname from pg_namespace where oid = pg_my_temp_schema()")
                schema = cur.fetchone()[0]
            self.conn.commit()
        except psycopg2.Error as exc:
            self.close()
            message = (exc.pgerror or str(exc)).strip().replace("\n", " ")
            raise RunError(f"The query {request.table} failed: {message}") from exc
        return schema, view

    def copy_sql(self, form: str, as_text: frozenset[str] = frozenset()) -> str:
        """COPY of the rows read, in `form` (csv or binary); `as_text` columns are cast to
        text (for a destination that lacks their type)."""
        from psycopg2 import sql

        def column(c: PgColumn, arrow_type: pa.DataType):
            name = sql.Identifier(c.name)
            if c.name in as_text:
                return sql.SQL("{}::text").format(name)
            if form == "binary":
                return name
            if c.name in self.request.text_columns:
                return sql.SQL("{}::text").format(name)
            if types.is_list(arrow_type):  # JSON, whose arrays Python reads (see _convert)
                typed = arrow_type.value_type != pa.string() or c.type.startswith("text")
                return sql.SQL("to_json({}{})").format(name,
                                                       sql.SQL("" if typed else "::text[]"))
            if c.type == "money":
                return sql.SQL("{}::numeric").format(name)
            if self.request.safe and pa.types.is_timestamp(arrow_type):
                # Infinity and years outside 1-9999 as microseconds since 1970 (see types).
                return sql.SQL(
                    "case when {0} = 'infinity' then {1} when {0} = '-infinity' then -{1} "
                    "else (extract(epoch from {0}) * 1000000)::int8 end").format(
                    name, sql.Literal(types.INFINITY_MICROS))
            if self.request.safe and pa.types.is_date32(arrow_type):
                return sql.SQL(
                    "case when {0} = 'infinity' then {1} when {0} = '-infinity' then -{1} "
                    "else {0} - date '1970-01-01' end").format(
                    name, sql.Literal(types.INFINITY_DAYS))
            return name

        query = sql.SQL("select {} from {}").format(
            sql.SQL(", ").join(column(c, f.type) for c, f in zip(self.columns, self.schema,
                                                                  strict=True)),
            self.relation)
        if self.request.cursor and self.request.since is not None:
            cursor = sql.Identifier(self.request.cursor)
            nulls = sql.SQL(" or {} is null").format(cursor) if self.request.with_nulls \
                else sql.SQL("")
            # A text mark was taken in byte order (the engine's); compare in that order too,
            # not the column's collation (ICU, case-insensitive), or the rows at the mark
            # would never be behind it.
            bound = sql.SQL('{}::text collate "C"').format(cursor) \
                if isinstance(self.request.since, str) else cursor
            query = sql.SQL("{} where ({} >= {}{})").format(
                query, bound, sql.Literal(self.request.since), nulls)
        return sql.SQL("copy ({}) to stdout with (format {})").format(query, sql.SQL(form)) \
            .as_string(self.conn)

    def _pump(self, fd: int) -> None:
        try:
            with open(fd, "wb", buffering=1 << 20) as sink, self.conn.cursor() as cur:
                cur.copy_expert(self.copy, sink)
        except BrokenPipeError:
            pass  # the reading side stopped (cancelled or failed) and said why
        except BaseException as exc:  # noqa: BLE001 - re-raised in batches()
            self._error = exc

    def copy_binary_to(self, sink, as_text: frozenset[str] = frozenset()) -> None:
        """Stream the rows in PostgreSQL's binary COPY format into `sink` (a file object)."""
        with self.conn.cursor() as cur:
            cur.copy_expert(self.copy_sql("binary", as_text), sink, size=1 << 20)

    def _convert(self, batch: pa.RecordBatch, first_row: int) -> pa.RecordBatch:
        """The columns Arrow's CSV reader cannot type, from their text (see _read_as):
        bytea arrives as hex (\\x...), arrays as JSON, decimals wider than 38 digits,
        JSON, UUIDs and intervals as text, and (a safe read) timestamps and dates as
        numbers; the rest was parsed to its type already."""
        columns = []
        for field, column in zip(self.schema, batch.columns, strict=True):
            if column.type != field.type:
                try:
                    column = _from_text(column, field.type)
                except _Dimensions as exc:
                    raise ReadAgain(
                        f"{self.where}.{field.name} holds {exc}: read again with the column "
                        "as its text, as PostgreSQL writes it ({{1,2},{3,4}}).",
                        replace(self.request, text_columns=self.request.text_columns |
                                {field.name})) from None
                except ValueError as exc:  # ArrowInvalid, or one of ours that says why
                    row, value = _first_unfit(column, field.type)
                    why = "" if isinstance(exc, pa.ArrowInvalid) else f" ({exc})"
                    raise RunError(f"{self.where}.{field.name}, row {first_row + row:,}: "
                                   f"{value!r} cannot be stored as {types.in_words(field.type)}"
                                   f"{why}; leave the column out, or read it through a view"
                                   " that casts it.") from None
            columns.append(column)
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)

    def _read_as(self, arrow_type: pa.DataType) -> pa.DataType:
        """The type Arrow's CSV reader gives a column of `arrow_type` (see _convert)."""
        if self.request.safe and pa.types.is_timestamp(arrow_type):
            return pa.int64()
        if self.request.safe and pa.types.is_date32(arrow_type):
            return pa.int32()
        if pa.types.is_binary(arrow_type) or types.is_list(arrow_type) or \
                arrow_type in (types.JSON, types.UUID, types.INTERVAL) or \
                (pa.types.is_decimal(arrow_type) and arrow_type.bit_width == 256):
            return pa.string()
        return arrow_type

    def batches(self) -> Iterator[pa.RecordBatch]:
        from pyarrow import csv

        read_fd, write_fd = os.pipe()
        self._thread = threading.Thread(target=self._pump, args=(write_fd,), daemon=True,
                                        name="sluice-pg-copy")
        self._thread.start()
        text_types = {f.name: self._read_as(f.type) for f in self.schema}
        converted = any(text_types[f.name] != f.type for f in self.schema)
        rows = 0
        try:
            with open(read_fd, "rb", buffering=1 << 20) as source:
                reader = csv.open_csv(
                    source,
                    # One parsing thread: on two cores the other belongs to the writer and
                    # the servers; measured faster, and memory stays lower. A row must fit
                    # in one block: see _roomier().
                    read_options=csv.ReadOptions(
                        column_names=self.schema.names, use_threads=False,
                        block_size=self.request.block_bytes or BLOCK_BYTES),
                    # Text values may hold line breaks: without this a quoted line break
                    # at a block's end puts the parser out of step.
                    parse_options=csv.ParseOptions(newlines_in_values=True),
                    convert_options=csv.ConvertOptions(
                        column_types=text_types, true_values=["t"], false_values=["f"],
                        # Only an unquoted empty field is NULL in COPY's CSV; "NaN" and
                        # "NULL" are values (Arrow would read them as null by default).
                        null_values=[""], strings_can_be_null=True,
                        quoted_strings_can_be_null=False),
                )
                for batch in reader:
                    if self.cancel.is_set():
                        self.conn.cancel()
                        raise RunCancelled()
                    yield self._convert(batch, rows + 1) if converted else batch
                    rows += batch.num_rows
        except pa.ArrowInvalid as exc:
            self._thread.join()
            if self._error is not None:
                raise self._failure() from self._error
            if "Empty CSV file" in str(exc):
                return  # a table without rows
            if "straddling" in str(exc):
                raise self._roomier() from exc
            raise self._unfit(exc) from exc
        except GeneratorExit:
            with contextlib.suppress(Exception):  # the connection may be closed already
                self.conn.cancel()
            raise
        self._thread.join()
        if self._error is not None:
            raise self._failure() from self._error

    def _unfit(self, exc: Exception) -> RunError:
        """A value Arrow could not take, named by table, column and row ("In CSV column #3:
        Row #2: ... 'infinity'" becomes "public.orders.delivered_at, row 2: ...")."""
        found = re.search(r"CSV column #(\d+): Row #(\d+): (.*)", str(exc), re.DOTALL)
        if not found:
            return RunError(f"Could not read {self.where}: {exc}")
        index, row, reason = int(found.group(1)), int(found.group(2)), found.group(3)
        if index >= len(self.schema):
            return RunError(f"Could not read {self.where}, row {row:,}: {reason}")
        field = self.schema.field(index)
        value = re.search(r"'([^']*)'", reason)
        what = f"{value.group(1)!r}" if value else "a value"
        if value and not self.request.safe and _edge_time(field.type, value.group(1)):
            return self._edges(f"{self.where}.{field.name}, row {row:,}: {what}")
        return RunError(f"{self.where}.{field.name}, row {row:,}: {what} cannot be stored as "
                        f"{types.in_words(field.type)}; leave the column out, or read it "
                        "through a view that casts it.")

    def _edges(self, found: str) -> ReadAgain:
        """A time Arrow's parser cannot take (infinity, a BC date, a year past 9999): read
        again with times as numbers, which hold them (see types.fit_times)."""
        return ReadAgain(f"{found}: read again with times as numbers (infinity, dates before "
                         "year 1 or after 9999).", replace(self.request, safe=True))

    def _roomier(self) -> ReadAgain:
        """A row is wider than the CSV block: measure the widest row (its record text form,
        which doubles quotes and backslashes, so it is never shorter than its CSV line) and
        read again with a block that holds it."""
        from psycopg2 import sql

        conn = connect(self.params, self.secrets)  # the abandoned COPY holds ours
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("select max(octet_length(t::text)) from {} t")
                            .format(self.relation))
                widest = cur.fetchone()[0] or 0
        finally:
            conn.close()
        block = -(-(widest + BLOCK_BYTES) // BLOCK_BYTES) * BLOCK_BYTES
        if block > MAX_BLOCK_BYTES or block <= (self.request.block_bytes or BLOCK_BYTES):
            raise RunError(f"A row of {self.where} is {widest / 1e6:,.0f} MB as text, more "
                           f"than Sluice reads in one piece ({MAX_BLOCK_BYTES >> 20} MB).")
        return ReadAgain(f"{self.where}: a row of {widest / 1e6:,.1f} MB did not fit the "
                         f"read buffer; read again with {block >> 20} MB blocks.",
                         replace(self.request, block_bytes=block))

    def _failure(self) -> RunError:
        if self.cancel.is_set():
            return RunCancelled()
        first = str(self._error).strip().splitlines()[0] if str(self._error) else \
            type(self._error).__name__
        return RunError(f"The source stopped mid-read: {first}")

    def interrupt(self) -> None:
        """Break the connection now (the watchdog: a frozen server answers no cancel)."""
        from app.etl.watchdog import break_socket

        break_socket(self.conn.fileno())

    def close(self) -> None:
        if self._thread_alive():
            self.conn.cancel()
            self._thread.join(10)
        self.conn.close()

    def _thread_alive(self) -> bool:
        return getattr(self, "_thread", None) is not None and self._thread.is_alive()


def _edge_time(arrow_type: pa.DataType, text: str) -> bool:
    """A date or timestamp text Arrow's parser refuses but a safe read holds."""
    return (pa.types.is_timestamp(arrow_type) or pa.types.is_date32(arrow_type)) and \
        bool(re.fullmatch(r"-?infinity|.* BC|\d{5,}-.*", text))


def _from_text(column: pa.Array, arrow_type: pa.DataType) -> pa.Array:
    """A column read as text (or numbers) converted to its type (see _read_as)."""
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date32(arrow_type):
        return column.view(arrow_type)  # microseconds or days since 1970
    values = column.to_pylist()
    if pa.types.is_binary(arrow_type):
        return pa.array([None if v is None else bytes.fromhex(v[2:]) for v in values],
                        arrow_type)
    if arrow_type == types.JSON:
        return pa.ExtensionArray.from_storage(arrow_type, column)
    if arrow_type == types.UUID:
        return pa.ExtensionArray.from_storage(arrow_type, pa.array(
            [None if v is None else uuid.UUID(v).bytes for v in values], pa.binary(16)))
    if arrow_type == types.INTERVAL:
        return pa.array([None if v is None else types.parse_interval(v) for v in values],
                        arrow_type)
    if types.is_list(arrow_type):
        return pa.array([None if v is None else _elements(v) for v in values],
                        pa.list_(pa.string())).cast(arrow_type)
    return column.cast(arrow_type)  # a decimal wider than 38 digits


class _Dimensions(ValueError):
    """An array of more than one dimension, which is no list of its elements."""


def _elements(text: str) -> list[str | None]:
    """A one-dimensional array's JSON (to_json) as its elements' text, numbers exact."""
    items = json.loads(text, parse_float=str, parse_int=str)
    if any(isinstance(v, list | dict) for v in items):
        raise _Dimensions("arrays of more than one dimension")
    return [v if v is None or isinstance(v, str) else ("true" if v else "false")
            for v in items]


def _first_unfit(column: pa.Array, arrow_type: pa.DataType) -> tuple[int, str]:
    """The first value of a text column that does not convert to `arrow_type` (0-based)."""
    for row, value in enumerate(column.to_pylist()):
        if value is None:
            continue
        try:
            _from_text(pa.array([value], column.type), arrow_type)
        except ValueError:  # (ArrowInvalid is one)
            return row, value
    return 0, "a value"
