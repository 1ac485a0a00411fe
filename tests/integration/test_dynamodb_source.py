"""DynamoDB as a job's source, through boto3 against moto's DynamoDB server (a stand-in
that speaks DynamoDB's API; AWS is out of reach): items of differing shapes land as typed
columns plus JSON, the key schema is the primary key, an attribute first seen after the
sample is kept in `_extra`, and incremental runs pick up new and changed items once."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from app.etl.spec import TableSpec
from tests.integration.engine_helpers import make_job, run, save_connection, warehouse_rows


@pytest.fixture
def dynamo(ctx, dynamo_endpoint):
    import boto3

    client = boto3.client("dynamodb", region_name="eu-west-1", endpoint_url=dynamo_endpoint,
                          aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret-key")
    client.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    save_connection(ctx, "dynamodb", "dyn", {"region": "eu-west-1", "user": "AKIDEXAMPLE",
                                             "password": "secret-key",
                                             "endpoint": dynamo_endpoint})
    return client


def put(client, **attributes) -> None:
    client.put_item(TableName="orders", Item=attributes)


def test_items_of_differing_shapes_land_as_typed_columns_and_json(ctx, dynamo):
    put(dynamo, id={"S": "a"}, qty={"N": "3"}, price={"N": "9.99"}, paid={"BOOL": True},
        tags={"SS": ["red", "blue"]}, ship={"M": {"city": {"S": "Łódź"}, "zip": {"N": "90"}}},
        lines={"L": [{"N": "1"}, {"S": "two"}]}, blob={"B": b"\x00\x01"},
        updated_at={"S": "2026-01-01T10:00:00Z"})
    put(dynamo, id={"S": "b"}, qty={"N": "4"}, price={"N": "12"}, note={"NULL": True},
        mixed={"S": "text"}, updated_at={"S": "2026-01-01T11:00:00Z"})
    put(dynamo, id={"S": "c"}, qty={"N": "5"}, mixed={"N": "5"},
        updated_at={"S": "2026-01-01T12:00:00Z"})
    make_job(ctx, "dyn", "dyn", [TableSpec("orders")])
    done = run(ctx, "dyn")
    assert done.status == "succeeded", done.error
    rows = {r[0]: r for r in warehouse_rows(
        "select id, qty, price, paid, tags, ship, lines, blob, mixed, note, _extra "
        "from orders order by id")}
    a, b, c = rows["a"], rows["b"], rows["c"]
    assert (a[1], a[2], a[3]) == (3, Decimal("9.99"), True)
    assert b[2] == Decimal("12.00") and b[3] is None
    assert json.loads(a[4]) == ["blue", "red"]
    assert json.loads(a[5]) == {"city": "Łódź", "zip": 90}
    assert json.loads(a[6]) == [1, "two"]
    assert bytes(a[7]) == b"\x00\x01"
    # Text in one item, a number in another: JSON text, which parses back to each value.
    assert (json.loads(b[8]), json.loads(c[8])) == ("text", 5)
    assert b[9] is None and a[10] is None
    from app.services.jobs import JobService

    shape = JobService(ctx).describe("dyn", [(None, "orders")])["orders"]
    assert shape.primary_key == ["id"] and shape.columns[0].name == "id"


def test_an_attribute_after_the_sample_is_kept_in_extra(ctx, dynamo, monkeypatch):
    from app.etl.readers import dynamodb

    monkeypatch.setattr(dynamodb, "SAMPLE", 50)
    for i in range(120):
        put(dynamo, id={"S": f"{i:04d}"}, n={"N": str(i)})
    sampled = {item["id"]["S"] for item in dynamo.scan(TableName="orders", Limit=50)["Items"]}
    late = next(f"{i:04d}" for i in range(120) if f"{i:04d}" not in sampled)
    put(dynamo, id={"S": late}, n={"N": str(int(late))}, late={"S": "found"})
    make_job(ctx, "dyn", "dyn", [TableSpec("orders")])
    done = run(ctx, "dyn")
    assert done.status == "succeeded", done.error
    assert warehouse_rows("select count(*), sum(n) from orders") == [(120, sum(range(120)))]
    assert warehouse_rows("select count(*) from information_schema.columns where "
                          "table_name = 'orders' and column_name = 'late'") == [(0,)]
    assert [(i, json.loads(x)) for i, x in warehouse_rows(
        "select id, _extra from orders where _extra is not null")] == [(late, {"late": "found"})]


def test_incremental_picks_up_new_and_changed_items_once(ctx, dynamo):
    for i in range(30):
        put(dynamo, id={"S": f"{i:03d}"}, v={"N": str(i)},
            updated_at={"S": f"2026-01-01T10:{i:02d}:00Z"})
    make_job(ctx, "dyn", "dyn", [TableSpec("orders", mode="incremental", cursor="updated_at",
                                           primary_key=["id"])])
    assert run(ctx, "dyn").status == "succeeded"
    put(dynamo, id={"S": "005"}, v={"N": "500"}, updated_at={"S": "2026-01-02T00:00:00Z"})
    put(dynamo, id={"S": "100"}, v={"N": "100"}, updated_at={"S": "2026-01-02T00:01:00Z"})
    again = run(ctx, "dyn")
    assert again.status == "succeeded", again.error
    assert again.rows_written == 2  # the row at the mark, read again, is not written twice
    assert warehouse_rows("select count(*), count(distinct id) from orders") == [(31, 31)]
    assert warehouse_rows("select v from orders where id = '005'") == [(500,)]
