"""Firestore as a job's source, through the real google-cloud-firestore client against a
stand-in that speaks Firestore's gRPC API (tests/fakes/firestore_grpc.py, reached through
FIRESTORE_EMULATOR_HOST: no Firestore server can run on our machines): documents of
differing shapes land as typed columns plus JSON that parses back to the document,
collection groups are tables too, a field after the sample lands in `_extra`, incremental
runs pick up new and changed documents once, reads go a page at a time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.etl.spec import TableSpec
from tests.fakes.firestore_grpc import FakeFirestore
from tests.integration.engine_helpers import make_job, run, save_connection, warehouse_rows
from tests.integration.test_cli import sluice

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def fake(ctx, monkeypatch):
    with FakeFirestore() as server:
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", server.host)
        yield server


@pytest.fixture
def db(fake):
    from google.cloud import firestore

    client = firestore.Client(project="demo")
    yield client
    client.close()


def connect(ctx, sample: int = 1000):
    save_connection(ctx, "firestore", "fs", {"project": "demo", "sample": sample})


def put(db, path: str, data: dict) -> None:
    db.document(path).set(data)


def test_documents_of_differing_shapes(ctx, db):
    from google.cloud import firestore

    put(db, "users/ann", {"n": 1, "score": 9.5, "name": "Zoë", "tags": ["a", "b"],
                          "address": {"city": "Łódź", "zip": 90}, "at": T0, "paid": True,
                          "mixed": "text", "home": firestore.GeoPoint(51.75, 19.45),
                          "friend": db.document("users/bob"), "photo": b"\x00\xff"})
    put(db, "users/bob", {"n": 2, "score": 12, "name": "Bob", "mixed": 5, "paid": False})
    put(db, "users/cy", {"n": 3, "name": None, "mixed": {"deep": [1, 2]}})
    connect(ctx)
    make_job(ctx, "fs", "fs", [TableSpec("users")])
    done = run(ctx, "fs")
    assert done.status == "succeeded", done.error
    rows = {r[0]: r for r in warehouse_rows(
        'select _id, n, score, name, tags, address, "at", paid, mixed, home, friend, photo, '
        "_extra from users")}
    ann, bob, cy = rows["ann"], rows["bob"], rows["cy"]
    assert (ann[1], ann[2], ann[3]) == (1, 9.5, "Zoë")
    assert bob[2] == 12.0 and cy[2] is None and cy[3] is None  # int + double: a double
    assert json.loads(ann[4]) == ["a", "b"]
    assert json.loads(ann[5]) == {"city": "Łódź", "zip": 90}
    assert ann[6] == T0
    assert (ann[7], bob[7], cy[7]) == (True, False, None)
    # Text, a number and a map in one field: JSON text that parses back to each value.
    assert [json.loads(r[8]) for r in (ann, bob, cy)] == ["text", 5, {"deep": [1, 2]}]
    assert json.loads(ann[9]) == {"latitude": 51.75, "longitude": 19.45}
    assert ann[10] == "users/bob"  # a reference: the path of the document it names
    assert bytes(ann[11]) == b"\x00\xff"
    assert {r[12] for r in rows.values()} == {None}
    types = dict(warehouse_rows("select column_name, data_type from information_schema."
                                "columns where table_name = 'users'"))
    assert (types["_id"], types["n"], types["score"], types["at"], types["photo"]) == (
        "VARCHAR", "BIGINT", "DOUBLE", "TIMESTAMP WITH TIME ZONE", "BLOB")

    from app.services.jobs import JobService

    shape = JobService(ctx).describe("fs", [(None, "users")])["users"]
    assert shape.primary_key == ["_id"] and shape.columns[0].name == "_id"


def test_a_collection_group_is_a_table(ctx, db, isolated_home, keyring_file, fake):
    for user in ("ann", "bob"):
        put(db, f"users/{user}", {"name": user})
        put(db, f"users/{user}/orders/o1", {"total": 10 if user == "ann" else 20})
    put(db, "users/bob/orders/o2", {"total": 5})
    added = sluice("connection", "add", "--type", "firestore", "--name", "fs",
                   "--option", "project=demo")
    assert added.returncode == 0, added.stderr
    listed = json.loads(sluice("connection", "tables", "fs", "--json").stdout)
    assert {(t["name"], t["rows"], t["kind"]) for t in listed} == {
        ("users", 2, "collection"), ("**/orders", 3, "collection group")}
    made = sluice("job", "add", "--name", "orders", "--source", "fs", "--table", "**/orders")
    assert made.returncode == 0, made.stderr
    ran = json.loads(sluice("job", "run", "orders", "--json").stdout)
    assert ran["status"] == "succeeded" and ran["rows_written"] == 3
    # Two documents named o1 under different users: the key is the holder's path and id.
    assert warehouse_rows("select _parent, _id, total from orders order by 1, 2") == [
        ("users/ann", "o1", 10), ("users/bob", "o1", 20), ("users/bob", "o2", 5)]
    shown = json.loads(sluice("job", "show", "orders", "--json").stdout)
    assert [t["table"] for t in shown["tables"]] == ["**/orders"]


def test_a_field_after_the_sample_lands_in_extra(ctx, db):
    batch = db.batch()
    for i in range(60):
        batch.set(db.document(f"events/{i:03d}"), {"n": i})
    batch.commit()
    put(db, "events/059", {"n": 59, "late": {"found": True}})
    connect(ctx, sample=20)
    make_job(ctx, "fs", "fs", [TableSpec("events")])
    done = run(ctx, "fs")
    assert done.status == "succeeded", done.error
    assert warehouse_rows("select count(*), sum(n) from events") == [(60, sum(range(60)))]
    assert [(i, json.loads(x)) for i, x in warehouse_rows(
        "select _id, _extra from events where _extra is not null")] == [
        ("059", {"late": {"found": True}})]


def test_incremental_picks_up_new_and_changed_documents_once(ctx, db, fake, monkeypatch):
    from app.etl.readers import firestore as reader

    monkeypatch.setattr(reader, "PAGE", 7)  # several pages, each resuming after the last
    batch = db.batch()
    for i in range(30):
        batch.set(db.document(f"orders/{i:03d}"), {"v": i,
                                                    "updated_at": T0 + timedelta(minutes=i)})
    batch.commit()
    connect(ctx)
    make_job(ctx, "fs", "fs", [TableSpec("orders", mode="incremental", cursor="updated_at",
                                         primary_key=["_id"])])
    first = run(ctx, "fs")
    assert first.status == "succeeded", first.error
    assert warehouse_rows("select count(*) from orders") == [(30,)]
    queries = fake.calls["RunQuery"]
    put(db, "orders/005", {"v": 500, "updated_at": T0 + timedelta(days=1)})
    put(db, "orders/100", {"v": 100, "updated_at": T0 + timedelta(days=1, minutes=1)})
    again = run(ctx, "fs")
    assert again.status == "succeeded", again.error
    assert again.rows_written == 2  # the document at the mark, read again, is not written twice
    assert warehouse_rows("select count(*), count(distinct _id) from orders") == [(31, 31)]
    assert warehouse_rows("select v from orders where _id = '005'") == [(500,)]
    # The second run asked only for documents from the mark on: a page or two, not five.
    assert fake.calls["RunQuery"] - queries < 8


def test_a_collection_that_is_gone_fails_the_run_and_keeps_the_table(ctx, db):
    put(db, "tmp/a", {"n": 1})
    connect(ctx)
    make_job(ctx, "fs", "fs", [TableSpec("tmp")])
    assert run(ctx, "fs").status == "succeeded"
    db.document("tmp/a").delete()
    done = run(ctx, "fs")
    assert done.status == "failed"
    assert "no collection 'tmp'" in done.error
    assert warehouse_rows("select n from tmp") == [(1,)]
