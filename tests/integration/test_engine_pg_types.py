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
