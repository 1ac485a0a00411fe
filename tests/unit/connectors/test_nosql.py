"""DynamoDB through boto3 against moto's DynamoDB server on loopback (AWS is unreachable)."""

from __future__ import annotations

from app.connectors import base, registry


def _params(endpoint: str) -> tuple[dict, dict]:
    params, secrets, errors = registry.validate("dynamodb", {
        "region": "eu-west-1", "user": "AKIDEXAMPLE", "password": "secret-key",
        "endpoint": endpoint})
    assert not errors
    return params, secrets


def test_dynamodb_tables_with_item_counts(dynamo_endpoint):
    import boto3

    client = boto3.client("dynamodb", region_name="eu-west-1", endpoint_url=dynamo_endpoint,
                          aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret-key")
    client.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    for i in range(4):
        client.put_item(TableName="orders", Item={"id": {"S": str(i)}})
    params, secrets = _params(dynamo_endpoint)
    result = base.test_connection("dynamodb", params, secrets)
    assert result.status == base.OK, result.message
    assert result.message == "Connected to DynamoDB in eu-west-1: 1 tables."
    (orders,) = base.list_tables("dynamodb", params, secrets)
    assert (orders.name, orders.rows, orders.rows_exact) == ("orders", 4, False)


def test_dynamodb_unreachable_endpoint_is_failed():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    params, secrets = _params(f"http://127.0.0.1:{port}")
    result = base.test_connection("dynamodb", params, secrets, timeout=5)
    assert result.status == base.FAILED
    assert result.message.startswith("DynamoDB unreachable:")
