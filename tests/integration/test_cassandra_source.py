"""Cassandra as a job's source, through the real cassandra-driver against a stand-in that
speaks the CQL native protocol (tests/fakes/cassandra_wire.py: no Cassandra server can run
on our machines): CQL types land as typed columns and JSON that parses back to the value,
the partition and clustering columns are the key, reads are paged, incremental runs pick up
new and changed rows once, and a vanished table fails the run and keeps what landed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from app.etl.spec import TableSpec
from tests.fakes.cassandra_wire import FakeCassandra
from tests.integration.engine_helpers import make_job, run, save_connection, warehouse_rows
from tests.integration.test_cli import sluice

T0 = datetime(2026, 1, 1)  # Cassandra's timestamps come back naive, in UTC

COLUMNS = [("region", "text", "partition_key"), ("id", "int", "clustering"),
           ("at", "timestamp", "regular"), ("qty", "bigint", "regular"),
           ("small", "smallint", "regular"), ("price", "decimal", "regular"),
           ("big", "varint", "regular"), ("ratio", "double", "regular"),
           ("paid", "boolean", "regular"), ("day", "date", "regular"),
           ("clock", "time", "regular"), ("ref", "uuid", "regular"),
           ("ip", "inet", "regular"), ("photo", "blob", "regular"),
           ("tags", "set<text>", "regular"), ("lines", "list<int>", "regular"),
           ("attrs", "map<text, frozen<list<int>>>", "regular"),
           ("pair", "frozen<tuple<text, int>>", "regular")]


@pytest.fixture
def cassandra(ctx):
    with FakeCassandra() as fake:
        fake.create("shop", "orders", COLUMNS)
        yield fake


def connect(ctx, fake):
    save_connection(ctx, "cassandra", "cass", {"host": "127.0.0.1", "port": fake.port,
                                               "database": "shop"})


def test_cql_types_land_typed_and_as_json(ctx, cassandra):
    ref = uuid.uuid4()
    cassandra.insert("shop", "orders", {
        "region": "eu", "id": 1, "at": T0, "qty": 2 ** 40, "small": -3,
        "price": Decimal("19.990000001"), "big": 10 ** 30, "ratio": 0.25, "paid": True,
        "day": date(2026, 2, 28), "clock": time(13, 45, 30, 250), "ref": ref,
        "ip": "10.0.0.7", "photo": b"\x00\xff", "tags": {"b", "a"}, "lines": [3, 1],
        "attrs": {"x": [1, 2]}, "pair": ("Łódź", 90)})
    cassandra.insert("shop", "orders", {"region": "us", "id": 1})
    connect(ctx, cassandra)
    make_job(ctx, "cass", "cass", [TableSpec("orders", "shop")])
    done = run(ctx, "cass")
    assert done.status == "succeeded", done.error
    eu = warehouse_rows(
        'select region, id, "at", qty, small, price, big, ratio, paid, "day", clock, ref, ip, '
        "photo, tags, lines, attrs, pair from orders where region = 'eu'")[0]
    assert eu[:5] == ("eu", 1, T0.replace(tzinfo=UTC), 2 ** 40, -3)
    assert (eu[5], eu[6], eu[7], eu[8]) == (Decimal("19.990000001"), Decimal(10 ** 30), 0.25,
                                            True)
    assert (eu[9], eu[10], eu[11], eu[12]) == (date(2026, 2, 28), time(13, 45, 30, 250),
                                               str(ref), "10.0.0.7")
    assert bytes(eu[13]) == b"\x00\xff"
    assert [json.loads(v) for v in eu[14:]] == [["a", "b"], [3, 1], {"x": [1, 2]},
                                                ["Łódź", 90]]
    assert warehouse_rows("select qty, tags from orders where region = 'us'") == [
        (None, None)]
    types = dict(warehouse_rows("select column_name, data_type from information_schema."
                                "columns where table_name = 'orders'"))
    assert (types["id"], types["small"], types["price"], types["day"], types["clock"]) == (
        "INTEGER", "SMALLINT", "DECIMAL(38,9)", "DATE", "TIME")

    from app.services.jobs import JobService

    shape = JobService(ctx).describe("cass", [("shop", "orders")])["shop.orders"]
    assert shape.primary_key == ["region", "id"]


def test_a_decimal_wider_than_its_column_is_read_again_as_text(ctx, cassandra):
    cassandra.insert("shop", "orders", {"region": "eu", "id": 1,
                                        "price": Decimal("1.0000000000001")})
    connect(ctx, cassandra)
    make_job(ctx, "cass", "cass", [TableSpec("orders", "shop")])
    done = run(ctx, "cass")
    assert done.status == "succeeded", done.error
    assert warehouse_rows("select price from orders") == [("1.0000000000001",)]
    assert "read again with varint and decimal columns as text" in done.log


def test_incremental_picks_up_new_and_changed_rows_once_in_pages(ctx, cassandra, monkeypatch):
    from app.etl.readers import cassandra as reader

    monkeypatch.setattr(reader, "FETCH", 7)
    for i in range(30):
        cassandra.insert("shop", "orders", {"region": "eu", "id": i, "qty": i,
                                            "at": T0 + timedelta(minutes=i)})
    connect(ctx, cassandra)
    make_job(ctx, "cass", "cass", [TableSpec("orders", "shop", mode="incremental",
                                             cursor="at", primary_key=["region", "id"])])
    first = run(ctx, "cass")
    assert first.status == "succeeded", first.error
    pages = [q for q in cassandra.queries if "from \"shop\".\"orders\"" in q]
    assert len(pages) == 5  # 30 rows, 7 a page
    cassandra.insert("shop", "orders", {"region": "eu", "id": 5, "qty": 500,
                                        "at": T0 + timedelta(days=1)})
    cassandra.insert("shop", "orders", {"region": "us", "id": 1, "qty": 1,
                                        "at": T0 + timedelta(days=1, minutes=1)})
    again = run(ctx, "cass")
    assert again.status == "succeeded", again.error
    assert again.rows_written == 2  # the row at the mark, read again, is not written twice
    assert warehouse_rows("select count(*) from orders") == [(31,)]
    assert warehouse_rows("select qty from orders where region = 'eu' and id = 5") == [(500,)]
    assert "allow filtering" in cassandra.queries[-1]


def test_cli_lists_tables_and_a_vanished_table_keeps_what_landed(
        ctx, cassandra, isolated_home, keyring_file):
    cassandra.create("shop", "events", [("id", "int", "partition_key"),
                                        ("name", "text", "regular")])
    cassandra.insert("shop", "events", {"id": 1, "name": "start"})
    added = sluice("connection", "add", "--type", "cassandra", "--name", "cass", "--host",
                   "127.0.0.1", "--port", str(cassandra.port), "--database", "shop")
    assert added.returncode == 0, added.stderr
    assert "Cassandra 4.1.5, keyspace shop: 2 tables" in added.stdout
    listed = json.loads(sluice("connection", "tables", "cass", "--json").stdout)
    assert sorted(t["name"] for t in listed) == ["events", "orders"]
    made = sluice("job", "add", "--name", "ev", "--source", "cass", "--table", "events")
    assert made.returncode == 0, made.stderr
    assert json.loads(sluice("job", "run", "ev", "--json").stdout)["status"] == "succeeded"
    cassandra.drop("shop", "events")
    ran = json.loads(sluice("job", "run", "ev", "--json").stdout)
    assert ran["status"] == "failed" and "no table shop.events" in ran["error"]
    assert warehouse_rows("select id, name from events") == [(1, "start")]


def test_a_keyspace_that_does_not_exist_is_refused(ctx, cassandra):
    from app.services.connections import ConnectionService, Draft

    proof = ConnectionService(ctx).test(Draft("cassandra", "c", {
        "host": "127.0.0.1", "port": cassandra.port, "database": "nope"}))
    assert not proof.result.ok
    assert "no keyspace 'nope'" in proof.result.message
