"""Live tests and table listings against the real PostgreSQL and MariaDB servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.connectors import registry
from app.connectors.base import FAILED, OK, list_tables
from app.connectors.base import test_connection as probe


def _values(server, type_key, **overrides):
    params, secrets, errors = registry.validate(type_key, server.params(**overrides))
    assert not errors
    if server.password and "password" not in overrides:
        secrets["password"] = server.password
    return params, secrets


def test_postgres_ok_reports_version_and_latency(pg_db):
    result = probe("postgresql", *_values(pg_db, "postgresql"))
    assert result.status == OK, result.message
    assert result.server_version.startswith("PostgreSQL ")
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert pg_db.database in result.message


def test_postgres_wrong_password_is_failed(pg_role_db):
    params, _ = _values(pg_role_db, "postgresql")
    result = probe("postgresql", params, {"password": "not-the-password"})
    assert result.status == FAILED
    assert "Wrong user name or password" in result.message
    assert "not-the-password" not in result.message
    good = probe("postgresql", params, {"password": pg_role_db.password})
    assert good.status == OK, good.message


def test_postgres_missing_database_is_failed(pg_db):
    result = probe("postgresql", *_values(pg_db, "postgresql", database="no_such_db"))
    assert result.status == FAILED
    assert "'no_such_db' does not exist" in result.message


def test_postgres_tables_counts_and_kinds(pg_admin, pg_db):
    import psycopg2

    conn = psycopg2.connect(host=pg_db.host, port=pg_db.port, user=pg_db.user,
                            password=pg_db.password, dbname=pg_db.database)
    with conn, conn.cursor() as cur:
        cur.execute("create schema sales")
        cur.execute('create table sales.orders (id int primary key)')
        cur.execute("insert into sales.orders select generate_series(1, 1234)")
        cur.execute('create table public."Odd Name ""x""" (v text)')
        cur.execute("create view public.big_orders as select * from sales.orders where id > 5")
    conn.close()
    tables = {(t.schema, t.name): t for t in list_tables("postgresql",
                                                         *_values(pg_db, "postgresql"))}
    orders = tables[("sales", "orders")]
    assert (orders.rows, orders.rows_exact, orders.kind) == (1234, True, "table")
    odd = tables[("public", 'Odd Name "x"')]
    assert (odd.rows, odd.rows_exact) == (0, True)
    assert tables[("public", "big_orders")].kind == "view"


def test_mariadb_ok_and_wrong_password(mariadb_db):
    params, secrets = _values(mariadb_db, "mariadb")
    result = probe("mariadb", params, secrets)
    assert result.status == OK, result.message
    assert "MariaDB" in result.server_version
    bad = probe("mariadb", params, {"password": "wrong"})
    assert bad.status == FAILED
    assert bad.message == f"Wrong user name or password for user {mariadb_db.user!r}."


def test_mariadb_missing_database_is_failed(mariadb_db, mariadb_admin):
    result = probe("mariadb", *_values(mariadb_db, "mariadb", database="nope_db"))
    assert result.status == FAILED
    # MariaDB says "access denied" for a database the user may not see; either way: red.
    assert "nope_db" in result.message or "Wrong user name or password" in result.message


def test_mariadb_tables_with_counts_and_update_time(mariadb_db):
    import pymysql

    conn = pymysql.connect(host=mariadb_db.host, port=mariadb_db.port, user=mariadb_db.user,
                           password=mariadb_db.password, database=mariadb_db.database,
                           autocommit=True)
    with conn.cursor() as cur:
        cur.execute("create table customers (id int primary key, name varchar(20)) engine=InnoDB")
        cur.executemany("insert into customers values (%s, %s)",
                        [(i, f"c{i}") for i in range(1, 501)])
        cur.execute("create table `spaced name` (id int) engine=Aria")
        cur.execute("insert into `spaced name` values (1), (2)")
        cur.execute("create view v_customers as select id from customers")
    conn.close()
    tables = {t.name: t for t in list_tables("mariadb", *_values(mariadb_db, "mariadb"))}
    customers = tables["customers"]
    assert (customers.rows, customers.rows_exact) == (500, True)
    assert customers.last_updated is not None
    assert abs(customers.last_updated - datetime.now(UTC)) < timedelta(minutes=5)
    assert (tables["spaced name"].rows, tables["spaced name"].rows_exact) == (2, True)
    assert tables["v_customers"].kind == "view"


def test_redis_keys_by_pattern(redis_db):
    client, prefix = redis_db
    for i in range(25):
        client.set(f"{prefix}:user:{i}", i)
    for i in range(3):
        client.hset(f"{prefix}:order:{i}", "total", i)
    params, secrets, errors = registry.validate("redis", {
        "host": "127.0.0.1", "port": "6379",
        "pattern": f"{prefix}:user:*, {prefix}:order:*"})
    assert not errors
    result = probe("redis", params, secrets)
    assert result.status == OK and result.server_version.startswith("Redis ")
    tables = {t.name: t for t in list_tables("redis", params, secrets)}
    assert tables[f"{prefix}:user:*"].rows == 25
    assert tables[f"{prefix}:order:*"].rows == 3
    assert all(t.rows_exact for t in tables.values())


@pytest.mark.parametrize("type_key", ["postgresql", "mariadb", "redis"])
def test_closed_port_is_failed_fast(type_key):
    ctype = registry.get_type(type_key)
    params, secrets, _ = registry.validate(type_key, {
        "host": "127.0.0.1", "port": "1", "database": "x", "user": "u"}
        if "database" in {f.key for f in ctype.fields} else {"host": "127.0.0.1", "port": "1"})
    result = probe(type_key, params, secrets, timeout=5)
    assert result.status == FAILED
    assert "Cannot reach 127.0.0.1:1" in result.message
    assert result.latency_ms < 5000
