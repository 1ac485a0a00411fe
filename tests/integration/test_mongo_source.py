"""MongoDB as a job's source, through the real pymongo client against a stand-in that
speaks MongoDB's wire protocol (tests/fakes/mongo_wire.py: no MongoDB server can run on our
machines): documents of differing shapes land as typed columns plus JSON that parses back
to the document, `_id` is the key, a field after the sample lands in `_extra`, incremental
runs pick up new and changed documents once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import bson
import pytest

from app.etl.spec import TableSpec
from tests.fakes.mongo_wire import FakeMongo
from tests.integration.engine_helpers import make_job, run, save_connection, warehouse_rows

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def mongo(ctx):
    with FakeMongo("shop") as fake:
        yield fake


def connect(ctx, fake, sample: int = 1000):
    save_connection(ctx, "mongodb", "mongo", {"host": "127.0.0.1", "port": fake.port,
                                              "database": "shop", "sample": sample})


def test_documents_of_differing_shapes(ctx, mongo):
    ids = [bson.ObjectId() for _ in range(3)]
    mongo.collections["orders"] = [
        {"_id": ids[0], "n": 1, "price": 9.5, "name": "Zoë", "tags": ["a", "b"],
         "ship": {"city": "Łódź", "zip": 90}, "at": T0, "mixed": "text", "paid": True},
        {"_id": ids[1], "n": 2, "price": 12, "name": "Bob", "mixed": 5, "paid": False},
        {"_id": ids[2], "n": 3, "name": None, "mixed": {"deep": [1, 2]}},
    ]
    connect(ctx, mongo)
    make_job(ctx, "mongo", "mongo", [TableSpec("orders", "shop")])
    done = run(ctx, "mongo")
    assert done.status == "succeeded", done.error
    rows = {r[0]: r for r in warehouse_rows(
        'select _id, n, price, name, tags, ship, "at", mixed, paid, _extra from orders')}
    first, second, third = (rows[str(i)] for i in ids)
    assert (first[1], first[2], first[3]) == (1, 9.5, "Zoë")
    assert second[2] == 12.0 and third[2] is None  # int + float: a double column
    assert json.loads(first[4]) == ["a", "b"]
    assert json.loads(first[5]) == {"city": "Łódź", "zip": 90}
    assert first[6] == T0
    assert (first[7], second[7], json.loads(third[7])) == ('"text"', "5",
                                                            {"deep": [1, 2]})
    assert (first[8], second[8], third[8]) == (True, False, None)
    types = dict(warehouse_rows("select column_name, data_type from information_schema."
                                "columns where table_name = 'orders'"))
    assert (types["_id"], types["n"], types["price"], types["at"]) == (
        "VARCHAR", "BIGINT", "DOUBLE", "TIMESTAMP WITH TIME ZONE")


def test_a_field_after_the_sample_lands_in_extra(ctx, mongo):
    mongo.collections["events"] = [{"_id": i, "kind": "view"} for i in range(30)]
    mongo.collections["events"][25]["late"] = {"found": True}
    connect(ctx, mongo, sample=10)
    make_job(ctx, "events", "mongo", [TableSpec("events", "shop")])
    done = run(ctx, "events")
    assert done.status == "succeeded", done.error
    assert warehouse_rows("select count(*) from events") == [(30,)]
    assert [(i, json.loads(x)) for i, x in warehouse_rows(
        "select _id, _extra from events where _extra is not null")] == [
        (25, {"late": {"found": True}})]


def test_incremental_picks_up_new_and_changed_documents_once(ctx, mongo):
    docs = [{"_id": i, "v": i, "updated_at": T0 + timedelta(minutes=i)} for i in range(50)]
    mongo.collections["items"] = docs
    connect(ctx, mongo)
    make_job(ctx, "items", "mongo", [TableSpec("items", "shop", mode="incremental",
                                               cursor="updated_at", primary_key=["_id"])])
    assert run(ctx, "items").status == "succeeded"
    docs[7].update(v=700, updated_at=T0 + timedelta(days=1))
    docs.append({"_id": 50, "v": 50, "updated_at": T0 + timedelta(days=1, minutes=1)})
    again = run(ctx, "items")
    assert again.status == "succeeded", again.error
    assert again.rows_written == 2
    assert warehouse_rows("select count(*), count(distinct _id) from items") == [(51, 51)]
    assert warehouse_rows("select v from items where _id = 7") == [(700,)]
    assert "find" in mongo.commands and "getMore" not in mongo.commands[:3]
