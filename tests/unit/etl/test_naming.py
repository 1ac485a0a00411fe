"""app/etl/naming.py: where source tables land, per destination, and collisions."""

from __future__ import annotations

import pytest

from app.etl import naming
from app.etl.runner import TableSpec

DESTINATIONS = (None, "postgresql", "mysql", "sqlite", "parquet", "bigquery")
# source (type, schema, table) -> where it lands in each destination above
CASES = [
    (("postgresql", "public", "orders"),
     ("main.orders", "public.orders", "db.orders", "orders", "orders.parquet",
      "ds.orders")),
    (("postgresql", "sales", "orders"),
     ("sales.orders", "sales.orders", "db.sales__orders", "sales__orders",
      "sales.orders.parquet", "ds.sales__orders")),
    (("mysql", "shop", "orders"),  # a MySQL connection is one database
     ("main.orders", "public.orders", "db.orders", "orders", "orders.parquet", "ds.orders")),
    (("postgresql", "public", "a/b"),
     ("main.a/b", "public.a/b", "db.a/b", "a/b", "a%2Fb.parquet", "ds.a/b")),
]
PARAMS = {"mysql": {"database": "db"}, "bigquery": {"dataset": "ds"}}


@pytest.mark.parametrize("source, expected", CASES, ids=lambda v: str(v))
def test_where_each_table_lands(source, expected):
    source_type, schema, table = source
    source_params = {"database": "shop"}
    got = []
    for dest in DESTINATIONS:
        dest_schema, dest_table = naming.default_destination(source_type, source_params, dest,
                                                             schema, table)
        spec = TableSpec(table, schema, dest_schema=dest_schema, dest_table=dest_table)
        got.append(naming.landing(spec, dest, PARAMS.get(dest, {})))
    assert tuple(got) == expected


@pytest.mark.parametrize("dest, clash", [(None, True), ("parquet", True), ("mysql", True),
                                         ("postgresql", False), ("bigquery", False)])
def test_names_differing_only_in_case_clash_where_case_folds(dest, clash):
    specs = [TableSpec("Orders", "public"), TableSpec("orders", "public")]
    said = naming.collision(specs, dest, PARAMS.get(dest, {}))
    assert (said is not None) == clash
    if clash:
        assert said.startswith("public.Orders and public.orders would both land in ")


def test_the_same_table_twice_is_named():
    specs = [TableSpec("orders", "public"), TableSpec("orders", "public", dest_table="o2")]
    assert naming.collision(specs, None, {}) == "public.orders is in the job twice."
