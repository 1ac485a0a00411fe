"""PostgreSQL -> BigQuery through the real client and a fake BigQuery REST server."""

from __future__ import annotations

import io

import pyarrow.parquet as pq

from app.services.jobs import TableSpec
from tests.fakes import google_rest
from tests.integration.engine_helpers import make_job, pg_exec, run, save_connection


def _source(ctx, pg_db):
    pg_exec(pg_db, "create table orders (id int, amount numeric(10,2), at timestamptz)",
            "insert into orders values (1, 9.99, '2024-05-01 10:00+00'), (2, null, null)")
    save_connection(ctx, "postgresql", "src", pg_db.params())


def test_replace_uploads_the_rows_in_one_truncating_load_job(ctx, pg_db):
    _source(ctx, pg_db)
    with google_rest.bigquery("acme", "dw", {}) as fake:
        save_connection(ctx, "bigquery", "bq", {"project": "acme", "dataset": "dw",
                                                "endpoint": fake.endpoint})
        make_job(ctx, "to bq", "src", [TableSpec("orders")], destination="bq")
        result = run(ctx, "to bq")
        assert result.status == "succeeded", result.error
        (config, media), = fake.loads
    assert config["writeDisposition"] == "WRITE_TRUNCATE"
    assert config["sourceFormat"] == "PARQUET"
    assert config["destinationTable"] == {"projectId": "acme", "datasetId": "dw",
                                          "tableId": "orders"}
    table = pq.read_table(io.BytesIO(media))
    assert str(table.schema.field("amount").type) == "decimal128(10, 2)"
    assert [r["id"] for r in table.to_pylist()] == [1, 2]
    assert str(table.to_pylist()[0]["amount"]) == "9.99"


def test_a_refused_load_fails_the_run_with_googles_reason(ctx, pg_db):
    _source(ctx, pg_db)
    with google_rest.bigquery("acme", "dw", {}, fail_loads="Quota exceeded") as fake:
        save_connection(ctx, "bigquery", "bq", {"project": "acme", "dataset": "dw",
                                                "endpoint": fake.endpoint})
        make_job(ctx, "to bq", "src", [TableSpec("orders", mode="append")], destination="bq")
        result = run(ctx, "to bq")
    assert result.status == "failed"
    assert result.error.startswith("BigQuery refused the load into acme.dw.orders:")
    assert "Quota exceeded" in result.error


def test_bigquery_table_to_local_warehouse(ctx):
    from datetime import UTC, datetime
    from decimal import Decimal

    from tests.integration.engine_helpers import warehouse_rows

    schema = [{"name": "id", "type": "INTEGER"}, {"name": "price", "type": "NUMERIC"},
              {"name": "at", "type": "TIMESTAMP"}, {"name": "name", "type": "STRING"}]
    at = datetime(2024, 5, 1, 10, tzinfo=UTC)
    data = [["1", "9.99", str(int(at.timestamp() * 1_000_000)), "Zoë"],
            ["2", None, None, None]]
    tables = {"items": {"rows": 2, "modified_ms": 0, "schema": schema, "data": data}}
    with google_rest.bigquery("acme", "dw", tables) as fake:
        save_connection(ctx, "bigquery", "bq", {"project": "acme", "dataset": "dw",
                                                "endpoint": fake.endpoint})
        make_job(ctx, "from bq", "bq", [TableSpec("items")])
        result = run(ctx, "from bq")
    assert result.status == "succeeded", result.error
    assert warehouse_rows('select id, price, "at", name from items') == [
        (1, Decimal("9.99"), at, "Zoë"), (2, None, None, None)]
