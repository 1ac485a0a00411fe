"""Snowflake as a job's source, through the real snowflake-connector-python (its REST API
and Arrow results) against fakesnow's server (a stand-in for Snowflake's API that runs the
SQL on DuckDB; Snowflake itself is out of reach): types land typed, incremental runs pick
up new and changed rows once, a custom query lands the right rows, a broken one is refused
when the job is saved."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.etl.spec import TableSpec
from tests.integration.engine_helpers import make_job, run, save_connection, warehouse_rows
from tests.integration.test_cli import sluice

_NAMES = itertools.count()


def _null_timestamps_kept(to_struct):
    """fakesnow 0.12.1 sends a null timestamp as the struct of epoch 0 (its struct array has
    no validity mask); Snowflake sends a null. The stand-in is made to do as Snowflake."""
    import pyarrow as pa

    def fixed(ts):
        out = to_struct(ts)
        if isinstance(ts, pa.ChunkedArray):
            ts = ts.combine_chunks()
        return pa.StructArray.from_arrays(out.flatten(), fields=list(out.type),
                                          mask=ts.is_null())
    return fixed


@pytest.fixture(scope="session")
def snow_server():
    import fakesnow
    from fakesnow import arrow

    original = arrow.timestamp_to_sf_struct
    arrow.timestamp_to_sf_struct = _null_timestamps_kept(original)
    try:
        with fakesnow.server() as kwargs:
            yield kwargs
    finally:
        arrow.timestamp_to_sf_struct = original


@pytest.fixture
def snow(ctx, snow_server):
    """(a cursor on a database of its own, the connection's fields)."""
    import snowflake.connector

    database = f"SHOP{next(_NAMES)}"
    conn = snowflake.connector.connect(**snow_server)
    cur = conn.cursor()
    cur.execute(f"create database {database}")
    cur.execute(f"use database {database}")
    cur.execute("create schema if not exists public")
    cur.execute("use schema public")
    fields = {"account": snow_server["account"], "user": snow_server["user"],
              "password": snow_server["password"], "database": database, "schema": "public",
              "endpoint": f"http://{snow_server['host']}:{snow_server['port']}"}
    yield cur, fields
    conn.close()


def test_snowflake_types_land_typed(ctx, snow):
    cur, fields = snow
    cur.execute("create table orders (id number(38,0), price number(10,2), name varchar, "
                "created timestamp_ntz, paid_at timestamp_tz, attrs variant, ok boolean, "
                "day date, ratio float)")
    cur.execute("insert into orders select 1, 9.99, 'Zoë', '2026-01-01 10:00:00', "
                "'2026-01-01 08:00:00'::timestamp_tz, parse_json('{\"a\": [1, 2]}'), true, "
                "'2026-02-01', 0.5")
    cur.execute("insert into orders (id) values (2)")
    save_connection(ctx, "snowflake", "snow", fields)
    make_job(ctx, "snow", "snow", [TableSpec("ORDERS", "PUBLIC")])
    done = run(ctx, "snow")
    assert done.status == "succeeded", done.error
    rows = warehouse_rows('select "ID", "PRICE", "NAME", "CREATED", "PAID_AT", "ATTRS", "OK", '
                          '"DAY", "RATIO" from orders order by 1')
    assert rows[0][:4] == (1, Decimal("9.99"), "Zoë", datetime(2026, 1, 1, 10))
    assert rows[0][4] == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert json.loads(rows[0][5]) == {"a": [1, 2]}
    assert rows[0][6:] == (True, datetime(2026, 2, 1).date(), 0.5)
    assert rows[1] == (2, None, None, None, None, None, None, None, None)
    types = dict(warehouse_rows("select column_name, data_type from information_schema."
                                "columns where table_name = 'ORDERS'"))
    assert (types["ID"], types["PRICE"], types["CREATED"], types["PAID_AT"]) == (
        "BIGINT", "DECIMAL(10,2)", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE")


def test_incremental_picks_up_new_and_changed_rows_once(ctx, snow):
    cur, fields = snow
    cur.execute("create table events (id number, v number, updated timestamp_ntz)")
    for i in range(20):
        cur.execute(f"insert into events values ({i}, {i}, '2026-01-01 10:{i:02d}:00')")
    save_connection(ctx, "snowflake", "snow", fields)
    make_job(ctx, "snow", "snow", [TableSpec("EVENTS", "PUBLIC", mode="incremental",
                                             cursor="UPDATED", primary_key=["ID"])])
    assert run(ctx, "snow").status == "succeeded"
    cur.execute("update events set v = 500, updated = '2026-01-02 00:00:00' where id = 5")
    cur.execute("insert into events values (100, 100, '2026-01-02 00:01:00')")
    again = run(ctx, "snow")
    assert again.status == "succeeded", again.error
    assert again.rows_written == 2  # the row at the mark, read again, is not written twice
    assert warehouse_rows('select count(*), count(distinct "ID") from events') == [(21, 21)]
    assert warehouse_rows('select "V" from events where "ID" = 5') == [(500,)]


def test_a_query_as_a_table(ctx, snow, isolated_home, keyring_file):
    cur, fields = snow
    cur.execute("create table customers (id number, name varchar, country varchar)")
    cur.execute("create table sales (id number, customer_id number, amount number(10,2))")
    cur.execute("insert into customers values (1, 'Ann', 'PL'), (2, 'Bob', 'DE')")
    cur.execute("insert into sales values (10, 1, 5.00), (11, 1, 7.50), (12, 2, 9.00)")
    added = sluice("connection", "add", "--type", "snowflake", "--name", "snow",
                   "--database", fields["database"], "--user", fields["user"],
                   "--password-stdin", *[a for k in ("account", "schema", "endpoint")
                                         for a in ("--option", f"{k}={fields[k]}")],
                   stdin=fields["password"] + "\n")
    assert added.returncode == 0, added.stderr
    listed = json.loads(sluice("connection", "tables", "snow", "--json").stdout)
    assert {(t["schema"], t["name"]) for t in listed} >= {("PUBLIC", "CUSTOMERS"),
                                                          ("PUBLIC", "SALES")}
    broken = sluice("job", "add", "--name", "bad", "--source", "snow", "--query",
                    "x=select amount frm sales")
    # Refused with the server's own words (001003: Snowflake's SQL compilation error).
    assert broken.returncode != 0 and "query x: 001003 (42000)" in broken.stderr
    assert json.loads(sluice("job", "list", "--json").stdout) == []
    made = sluice("job", "add", "--name", "pl", "--source", "snow", "--query",
                  "pl_sales=select s.id, c.name, s.amount from sales s join customers c "
                  "on c.id = s.customer_id where c.country = 'PL'")
    assert made.returncode == 0, made.stderr
    ran = json.loads(sluice("job", "run", "pl", "--json").stdout)
    assert ran["status"] == "succeeded", ran
    assert warehouse_rows('select "ID", "NAME", "AMOUNT" from pl_sales order by 1') == [
        (10, "Ann", Decimal("5.00")), (11, "Ann", Decimal("7.50"))]
