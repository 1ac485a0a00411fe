"""PostgreSQL's user-defined types (the film-rental sample's shapes), and large values.

The staging table used to be created with the source's type names, so a domain
(`type "year" does not exist`), an enum or an extension type failed PostgreSQL to
PostgreSQL; and a text value larger than Arrow's CSV block failed every other destination.
"""

from __future__ import annotations

import pyarrow.parquet as pq

from app.services.jobs import TableSpec
from tests.integration.engine_helpers import (
    make_job,
    pg_exec,
    pg_rows,
    run,
    save_connection,
    warehouse_rows,
)

FILMS = [
    "create extension if not exists hstore",
    "create domain year as integer check (value >= 1901 and value <= 2155)",
    "create domain short_title as varchar(20)",
    "create type mpaa_rating as enum ('G', 'PG', 'PG-13', 'R', 'NC-17')",
    "create schema catalog",
    "create type catalog.mood as enum ('calm', 'tense')",
    "create table film (film_id int primary key, title short_title, release_year year, "
    "rating mpaa_rating default 'G', moods catalog.mood[], tone catalog.mood, "
    "extra hstore)",
    "insert into film values (1, 'ACADEMY DINOSAUR', 2006, 'PG', '{calm,tense}', 'calm', "
    "'a=>1, b=>\"x y\"'), (2, 'ACE GOLDFINGER', 1901, 'NC-17', '{}', null, null), "
    "(3, null, null, null, null, 'tense', '')",
]


def _films(ctx, pg_db):
    pg_exec(pg_db, *FILMS)
    return save_connection(ctx, "postgresql", "films", pg_db.params())


def _second_database(pg_admin):
    from tests.server_fixtures import _pg_database

    server, admin = pg_admin
    return _pg_database(server, admin)


def test_domains_enums_and_extension_types_pg_to_pg(ctx, pg_db, pg_admin):
    from tests.server_fixtures import _pg_drop

    _films(ctx, pg_db)
    target = _second_database(pg_admin)
    try:
        save_connection(ctx, "postgresql", "copy", target.params())
        make_job(ctx, "films", "films", [TableSpec("film")], destination="copy")
        result = run(ctx, "films")
        assert result.status == "succeeded", result.error
        # The domain became its base type, the enums exist in the destination, and hstore,
        # which the destination lacks, arrived as its text.
        assert pg_rows(target, "select column_name, data_type, udt_schema, udt_name "
                               "from information_schema.columns where table_name = 'film' "
                               "order by ordinal_position") == [
            ("extra", "text", "pg_catalog", "text"),
            ("film_id", "integer", "pg_catalog", "int4"),
            ("moods", "text", "pg_catalog", "text"),
            ("rating", "USER-DEFINED", "public", "mpaa_rating"),
            ("release_year", "integer", "pg_catalog", "int4"),
            ("title", "character varying", "pg_catalog", "varchar"),
            ("tone", "USER-DEFINED", "catalog", "mood"),
        ]
        assert pg_rows(target, "select enum_range(null::mpaa_rating)::text") == [
            ("{G,PG,PG-13,R,NC-17}",)]
        assert pg_rows(target, "select film_id, title, release_year, rating::text, moods, "
                               "tone::text, extra from film") == [
            (1, "ACADEMY DINOSAUR", 2006, "PG", "{calm,tense}", "calm", '"a"=>"1", "b"=>"x y"'),
            (2, "ACE GOLDFINGER", 1901, "NC-17", "{}", None, None),
            (3, None, None, None, None, "tense", ""),
        ]
        assert "column extra (hstore) copied as text" in result.log
        assert "column moods (catalog.mood[]) copied as text" in result.log

        # Where the destination has the extension, the column keeps its type; the second
        # run finds the enums already there.
        pg_exec(target, "create extension hstore", "drop table film")
        result = run(ctx, "films")
        assert result.status == "succeeded", result.error
        assert pg_rows(target, "select udt_name from information_schema.columns "
                               "where table_name = 'film' and column_name = 'extra'") == [
            ("hstore",)]
        assert pg_rows(target, "select extra -> 'b' from film where film_id = 1") == [("x y",)]
    finally:
        _pg_drop(pg_admin[1], target.database)


def test_a_type_the_destination_cannot_take_names_the_table_and_column(ctx, pg_db, pg_admin):
    from tests.server_fixtures import _pg_drop

    _films(ctx, pg_db)
    target = _second_database(pg_admin)
    try:
        # The destination has its own, older mpaa_rating without 'NC-17'.
        pg_exec(target, "create type mpaa_rating as enum ('G', 'PG', 'PG-13', 'R')")
        save_connection(ctx, "postgresql", "copy", target.params())
        make_job(ctx, "films", "films", [TableSpec("film")], destination="copy")
        result = run(ctx, "films")
        assert result.status == "failed"
        assert result.error.startswith("PostgreSQL refused the rows of public.film, column "
                                       "rating: invalid input value for enum mpaa_rating: "
                                       '"NC-17"'), result.error
        assert pg_rows(target, "select count(*) from pg_class where relname = 'film'") == [
            (0,)]
    finally:
        _pg_drop(pg_admin[1], target.database)


def test_domains_and_enums_into_the_warehouse(ctx, pg_db):
    _films(ctx, pg_db)
    make_job(ctx, "films", "films", [TableSpec("film")])
    result = run(ctx, "films")
    assert result.status == "succeeded", result.error
    assert warehouse_rows("select film_id, release_year, rating, tone, extra from film") == [
        (1, 2006, "PG", "calm", '"a"=>"1", "b"=>"x y"'),
        (2, 1901, "NC-17", None, None),
        (3, None, None, "tense", ""),
    ]
    # The domain over integer is an integer there too.
    assert warehouse_rows("select data_type from information_schema.columns "
                          "where table_name = 'film' and column_name = 'release_year'") == [
        ("INTEGER",)]


BIG = 64 * 1024 * 1024


def _big_values(pg_db):
    # A 64 MB document with line breaks and quotes, between ordinary rows.
    pg_exec(pg_db, "create table docs (id int primary key, body text, meta jsonb)",
            "insert into docs select g, 'row ' || g, '{\"n\": 1}' "
            "from generate_series(1, 5000) g",
            f"insert into docs values (0, repeat(E'line \"with\" quotes\\n', {BIG // 20}), "
            "'{\"big\": true}')",
            "insert into docs values (-1, repeat('x', 3 * 1024 * 1024), null)")


def test_a_64_mb_value_lands_in_the_warehouse_parquet_and_mariadb(ctx, pg_db, tmp_path,
                                                                   mariadb_db):
    from tests.integration.engine_helpers import maria_rows

    _big_values(pg_db)
    save_connection(ctx, "postgresql", "docs", pg_db.params())
    lake = tmp_path / "lake"
    lake.mkdir()
    save_connection(ctx, "parquet", "lake", {"path": str(lake)})
    save_connection(ctx, "mariadb", "maria", mariadb_db.params(password=mariadb_db.password))
    make_job(ctx, "to warehouse", "docs", [TableSpec("docs")])
    make_job(ctx, "to lake", "docs", [TableSpec("docs")], destination="lake")
    # More than MariaDB's max_allowed_packet (16 MB): an INSERT could not carry it.
    make_job(ctx, "to maria", "docs", [TableSpec("docs")], destination="maria")
    for job in ("to warehouse", "to lake", "to maria"):
        result = run(ctx, job)
        assert result.status == "succeeded", result.error
        assert result.rows_written == 5002
        assert "did not fit the read buffer" in result.log
    expected = pg_rows(pg_db, "select id, length(body), md5(body) from docs where id <= 0")
    assert warehouse_rows("select id, length(body), md5(body) from docs where id <= 0") == \
        expected
    table = pq.read_table(lake / "docs.parquet", filters=[("id", "<=", 0)])
    import hashlib

    got = sorted((r["id"], len(r["body"]), hashlib.md5(r["body"].encode()).hexdigest())
                 for r in table.to_pylist())
    assert got == expected
    assert sorted(maria_rows(mariadb_db, "select id, char_length(body), md5(body) from docs "
                                         "where id <= 0")) == expected


def test_types_sqlalchemy_does_not_know_are_named_once_for_the_table_read(pg_db):
    import threading

    from app.etl.readers import ReadRequest
    from app.etl.readers.sql import SqlReader

    # The generic SQL reader (Redshift, Oracle, SQL Server...) reflects through SQLAlchemy,
    # which warns about a type it does not know; here PostgreSQL stands in for them.
    pg_exec(pg_db, "create extension ltree", "create extension citext",
            "create table kinds (id int primary key, label citext)",
            "create table things (id int primary key, path ltree, kind int references kinds)",
            "insert into kinds values (1, 'Tool')", "insert into things values (1, 'a.b', 1)")
    reader = SqlReader("redshift", pg_db.params(), {}, ReadRequest("things", "public"),
                       threading.Event())
    try:
        rows = [r for b in reader.batches() for r in b.to_pylist()]
    finally:
        reader.close()
    assert rows == [{"id": 1, "path": "a.b", "kind": 1}]
    assert reader.notes == ["public.things: column path has a type Sluice does not know "
                            "(ltree); read as text."]


TYPED = [
    "create domain positive as integer check (value > 0)",
    "create table typed (id int primary key, tags text[], nums int[], doc jsonb, "
    "amount numeric(12,3), whole numeric(10), exact numeric, qty positive, at timestamptz, "
    "span interval, addr inet, u uuid, t timetz, cash money, updated_at timestamp)",
    "insert into typed values (1, '{a,\"b c\",NULL}', '{1,2}', '{\"k\": [1, 2]}', 1.5, "
    "1234567890, 3.14159265358979323846264338327950288419716939937510, 7, "
    "'2024-05-01 10:00+02', '1 year 2 mons 3 days 04:05:06.5', '10.0.0.1/8', "
    "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '13:45:00+02', 12.34, '2024-05-01 10:00'), "
    "(2, '{}', null, 'null', null, null, null, null, null, null, null, null, null, null, "
    "'2024-05-01 10:00')",
]
# The declared types a destination must have (the domain as its base type).
TYPED_COLUMNS = [("id", "integer"), ("tags", "text[]"), ("nums", "integer[]"),
                 ("doc", "jsonb"), ("amount", "numeric(12,3)"), ("whole", "numeric(10,0)"),
                 ("exact", "numeric"), ("qty", "integer"),
                 ("at", "timestamp with time zone"), ("span", "interval"), ("addr", "inet"),
                 ("u", "uuid"), ("t", "time with time zone"), ("cash", "money"),
                 ("updated_at", "timestamp without time zone")]
DECLARED = ("select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
            "where a.attrelid = 'typed'::regclass and a.attnum > 0 and not a.attisdropped "
            "order by a.attnum")
VALUES = "select id, typed::text from typed"


def test_pg_to_pg_keeps_native_types_in_every_mode(ctx, pg_db, pg_admin):
    from tests.server_fixtures import _pg_drop

    pg_exec(pg_db, *TYPED)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    target = _second_database(pg_admin)
    try:
        save_connection(ctx, "postgresql", "copy", target.params())
        specs = {"replace": TableSpec("typed"),
                 "append": TableSpec("typed", mode="append"),
                 "incremental": TableSpec("typed", mode="incremental", cursor="updated_at"),
                 "merge": TableSpec("typed", mode="merge", primary_key=["id"])}
        for mode, spec in specs.items():
            pg_exec(target, "drop table if exists typed")
            make_job(ctx, mode, "src", [spec], destination="copy")
            for _ in range(2):  # a first run, and one on the table the first one made
                result = run(ctx, mode)
                assert result.status == "succeeded", (mode, result.error)
                assert pg_rows(target, DECLARED) == sorted(TYPED_COLUMNS), mode
            if mode != "append":
                assert pg_rows(target, VALUES) == pg_rows(pg_db, VALUES), mode

        # Incremental runs read through the same pipe: the next run brings the new row
        # only, and counts a row without a cursor instead of loading it.
        pg_exec(pg_db, "insert into typed (id, tags, updated_at) values "
                       "(3, '{x}', '2024-05-02'), (4, '{y}', null)")
        result = run(ctx, "incremental")
        assert result.status == "succeeded", result.error
        assert result.rows_written == 1
        assert pg_rows(target, "select id, tags from typed where id > 2") == [(3, ["x"])]
        assert "1 row has no updated_at and was not synced" in result.log
    finally:
        _pg_drop(pg_admin[1], target.database)


def _typed_row_1():
    """Row 1 of TYPED as Python values, the way a user reads them back."""
    from datetime import UTC, datetime
    from decimal import Decimal

    return {"id": 1, "tags": ["a", "b c", None], "nums": [1, 2], "doc": {"k": [1, 2]},
            "amount": Decimal("1.500"), "whole": Decimal("1234567890"),
            "exact": "3.14159265358979323846264338327950288419716939937510", "qty": 7,
            "at": datetime(2024, 5, 1, 8, tzinfo=UTC), "addr": "10.0.0.1/8",
            "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "t": "13:45:00+02",
            "cash": Decimal("12.34"), "updated_at": datetime(2024, 5, 1, 10)}


def test_types_land_as_queryable_types_in_the_warehouse_and_parquet(ctx, pg_db, tmp_path):
    import json

    import duckdb

    from app import paths

    pg_exec(pg_db, *TYPED)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    lake = tmp_path / "lake"
    lake.mkdir()
    save_connection(ctx, "parquet", "lake", {"path": str(lake)})
    make_job(ctx, "to warehouse", "src", [TableSpec("typed")])
    make_job(ctx, "to lake", "src", [TableSpec("typed")], destination="lake")
    for job in ("to warehouse", "to lake"):
        result = run(ctx, job)
        assert result.status == "succeeded", result.error

    assert warehouse_rows("select column_name, data_type from information_schema.columns "
                          "where table_name = 'typed'") == sorted([
        ("id", "INTEGER"), ("tags", "VARCHAR[]"), ("nums", "INTEGER[]"), ("doc", "JSON"),
        ("amount", "DECIMAL(12,3)"), ("whole", "DECIMAL(10,0)"), ("exact", "VARCHAR"),
        ("qty", "INTEGER"), ("at", "TIMESTAMP WITH TIME ZONE"), ("span", "INTERVAL"),
        ("addr", "VARCHAR"), ("u", "UUID"), ("t", "VARCHAR"), ("cash", "DECIMAL(19,2)"),
        ("updated_at", "TIMESTAMP")])
    expected = _typed_row_1()
    with duckdb.connect(str(paths.warehouse_path()), read_only=True) as conn:
        conn.execute("set timezone = 'UTC'")
        got = conn.execute("select *, span = interval '1 year 2 months 3 days 04:05:06.5', "
                           "doc->'k'->>1, list_sum(nums) from typed where id = 1").fetchone()
        names = [d[0] for d in conn.description]
        row = dict(zip(names, got, strict=True))
        empty = conn.execute("select tags, nums, doc::text from typed where id = 2").fetchone()
    row["doc"], row["u"] = json.loads(row["doc"]), str(row["u"])
    assert {k: row[k] for k in expected} == expected
    assert row[names[-3]] is True and row[names[-2]] == "2" and row[names[-1]] == 3
    assert empty == ([], None, "null")  # an empty array, a NULL one, JSON's null

    table = pq.read_table(lake / "typed.parquet")
    assert {f.name: str(f.type) for f in table.schema} == {
        "id": "int32", "tags": "list<element: string>", "nums": "list<element: int32>",
        "doc": "extension<arrow.json>", "amount": "decimal128(12, 3)",
        "whole": "decimal128(10, 0)", "exact": "string", "qty": "int32",
        "at": "timestamp[us, tz=UTC]", "span": "string", "addr": "string",
        "u": "extension<arrow.uuid>", "t": "string", "cash": "decimal128(19, 2)",
        "updated_at": "timestamp[us]"}
    row = next(r for r in table.to_pylist() if r["id"] == 1)
    row["doc"], row["u"] = json.loads(row["doc"]), str(row["u"])
    assert {k: row[k] for k in expected} == expected
    assert row["span"] == "P1Y2M3DT4H5M6.5S"


def test_lists_json_and_uuids_from_another_source_land_typed_in_postgresql(ctx, pg_db,
                                                                           tmp_path):
    """The Arrow path into PostgreSQL (any source but PostgreSQL): a Parquet file of the
    warehouse's making, read back as a source."""
    pg_exec(pg_db, *TYPED)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    lake = tmp_path / "lake"
    lake.mkdir()
    save_connection(ctx, "parquet", "lake", {"path": str(lake)})
    make_job(ctx, "to lake", "src", [TableSpec("typed")], destination="lake")
    assert run(ctx, "to lake").status == "succeeded"
    make_job(ctx, "back", "lake", [TableSpec("typed", dest_table="typed_back")],
             destination="src")
    result = run(ctx, "back")
    assert result.status == "succeeded", result.error
    assert dict(pg_rows(pg_db, DECLARED.replace("'typed'", "'typed_back'"))) == {
        **dict(TYPED_COLUMNS), "whole": "numeric(10,0)", "exact": "text", "span": "text",
        "addr": "text", "t": "text", "cash": "numeric(19,2)"}
    same = "select id, tags, nums, doc, amount, at, u from {}"
    assert pg_rows(pg_db, same.format("typed_back")) == pg_rows(pg_db, same.format("typed"))


def test_a_merge_of_these_types_rewrites_nothing_unchanged(ctx, pg_db):
    pg_exec(pg_db, *TYPED)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "merge", "src", [TableSpec("typed", mode="merge", primary_key=["id"])])
    assert run(ctx, "merge").rows_written == 2
    pg_exec(pg_db, "update typed set tags = '{a,b}' where id = 1")
    result = run(ctx, "merge")  # lists, JSON, UUIDs and intervals compare as equal
    assert (result.status, result.rows_written) == ("succeeded", 1), result.error
    assert warehouse_rows("select id, tags from typed") == [(1, ["a", "b"]), (2, [])]


def test_mariadb_and_sqlite_get_the_text_of_lists_json_uuids_and_intervals(
        ctx, pg_db, mariadb_db, tmp_path):
    import json
    import sqlite3

    from tests.integration.engine_helpers import maria_rows

    pg_exec(pg_db, *TYPED)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    save_connection(ctx, "mariadb", "maria", mariadb_db.params(password=mariadb_db.password))
    sqlite3.connect(tmp_path / "lite.db").close()
    save_connection(ctx, "sqlite", "lite", {"path": str(tmp_path / "lite.db")})
    make_job(ctx, "to maria", "src", [TableSpec("typed")], destination="maria")
    make_job(ctx, "to lite", "src", [TableSpec("typed")], destination="lite")
    for job in ("to maria", "to lite"):
        result = run(ctx, job)
        assert result.status == "succeeded", result.error
    query = "select tags, nums, doc, u, span, amount from typed where id = 1"
    (maria,) = maria_rows(mariadb_db, query)
    with sqlite3.connect(tmp_path / "lite.db") as conn:
        lite = conn.execute(query).fetchone()
    for got in (maria, lite):
        assert [json.loads(got[0]), json.loads(got[1]), json.loads(got[2])] == [
            ["a", "b c", None], [1, 2], {"k": [1, 2]}]
        assert got[3:5] == ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "P1Y2M3DT4H5M6.5S")
    assert maria_rows(mariadb_db, "select json_value(doc, '$.k[1]') from typed "
                                  "where id = 1") == [("2",)]


EDGES = [
    "create table edges (id int primary key, ts timestamp, tstz timestamptz, d date, "
    "wide numeric(50,10))",
    "insert into edges values "
    "(1, 'infinity', '-infinity', 'infinity', "
    "'1234567890123456789012345678901234567890.0123456789'), "
    "(2, '0044-03-15 12:00 BC', '0044-03-15 00:00+00 BC', '0044-03-15 BC', "
    "'-0.0000000001'), "
    "(3, '12000-01-01 00:00', '12000-01-01 00:00+00', '12000-01-01', null), "
    "(4, '2024-01-01 00:00', '2024-01-01 00:00+00', '2024-01-01', 1)",
]
WIDE = "1234567890123456789012345678901234567890.0123456789"


def test_infinity_bc_dates_far_years_and_50_digit_decimals(ctx, pg_db, pg_admin, tmp_path,
                                                          mariadb_db):
    from datetime import date, datetime
    from decimal import Decimal

    from tests.integration.engine_helpers import maria_rows
    from tests.server_fixtures import _pg_drop

    pg_exec(pg_db, *EDGES)
    save_connection(ctx, "postgresql", "src", pg_db.params())
    lake = tmp_path / "lake"
    lake.mkdir()
    save_connection(ctx, "parquet", "lake", {"path": str(lake)})
    save_connection(ctx, "mariadb", "maria", mariadb_db.params(password=mariadb_db.password))
    target = _second_database(pg_admin)
    try:
        save_connection(ctx, "postgresql", "copy", target.params())
        results = {}
        for dest in ("local", "lake", "maria", "copy"):
            make_job(ctx, dest, "src", [TableSpec("edges")], destination=dest)
            results[dest] = run(ctx, dest)
            assert results[dest].status == "succeeded", (dest, results[dest].error)

        # DuckDB and PostgreSQL hold them all; the widest decimal is exact text in DuckDB.
        text = "select id, ts::text, tstz::text, d::text, wide::text from edges"
        assert warehouse_rows(text) == [
            (1, "infinity", "-infinity", "infinity", WIDE),
            (2, "0044-03-15 (BC) 12:00:00", "0044-03-15 (BC) 00:00:00+00", "0044-03-15 (BC)",
             "-0.0000000001"),
            (3, "12000-01-01 00:00:00", "12000-01-01 00:00:00+00", "12000-01-01", None),
            (4, "2024-01-01 00:00:00", "2024-01-01 00:00:00+00", "2024-01-01", "1.0000000000")]
        assert pg_rows(target, text) == pg_rows(pg_db, text)
        assert "stored as NULL" not in results["local"].log + results["copy"].log

        # Parquet holds any year (and the 50 digits) but no infinity: NULL, counted.
        table = pq.read_table(lake / "edges.parquet")
        assert str(table.schema.field("wide").type) == "decimal256(50, 10)"
        assert table.column("wide").to_pylist()[0] == Decimal(WIDE)
        import duckdb

        parquet = str(lake / "edges.parquet")
        assert sorted(duckdb.sql(f"select id, ts::text, d::text from '{parquet}'").fetchall()
                      ) == [(1, None, None), (2, "0044-03-15 (BC) 12:00:00", "0044-03-15 (BC)"),
                            (3, "12000-01-01 00:00:00", "12000-01-01"),
                            (4, "2024-01-01 00:00:00", "2024-01-01")]
        assert table.column("ts")[0].as_py() is None
        assert table.column("ts")[3].as_py() == datetime(2024, 1, 1)
        assert "3 values the destination cannot hold (infinity, a year outside 1-9999) " \
               "were stored as NULL: ts 1, tstz 1, d 1" in results["lake"].log

        # MariaDB holds years 1 to 9999: the rest are NULL, counted by column.
        assert maria_rows(mariadb_db, "select id, ts, d, wide from edges order by id") == [
            (1, None, None, Decimal(WIDE)), (2, None, None, Decimal("-0.0000000001")),
            (3, None, None, None),
            (4, datetime(2024, 1, 1), date(2024, 1, 1), Decimal("1.0000000000"))]
        assert "9 values the destination cannot hold (infinity, a year outside 1-9999) " \
               "were stored as NULL: ts 3, tstz 3, d 3" in results["maria"].log
        table = results["maria"].tables[0]
        assert "9 values the destination cannot hold" in table["notice"]
    finally:
        _pg_drop(pg_admin[1], target.database)


def test_an_array_of_two_dimensions_lands_as_its_text(ctx, pg_db):
    pg_exec(pg_db, "create table grid (id int, cells int[], tags text[])",
            "insert into grid values (1, '{1,2}', '{a}'), (2, '{{1,2},{3,4}}', '{b}')")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "grid", "src", [TableSpec("grid")])
    result = run(ctx, "grid")
    assert result.status == "succeeded", result.error
    assert "public.grid.cells holds arrays of more than one dimension: read again with the " \
           "column as its text, as PostgreSQL writes it ({{1,2},{3,4}})." in result.log
    assert warehouse_rows("select id, cells, tags from grid") == [
        (1, "{1,2}", ["a"]), (2, "{{1,2},{3,4}}", ["b"])]
