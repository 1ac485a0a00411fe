"""Helpers for the engine tests: saved connections, jobs, and row-by-row comparison."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

from app.services.connections import ConnectionService, Draft
from app.services.jobs import JobDraft, JobService, TableSpec, Unattended


def save_connection(ctx, type_key: str, name: str, values: dict):
    service = ConnectionService(ctx)
    draft = Draft(type_key, name, values)
    proof = service.test(draft)
    assert proof.result.ok, proof.result.message
    return service.create(draft, proof)


def maria_and_sqlite(ctx, mariadb_db, tmp_path):
    """Two destinations for the same checks: "maria" (MariaDB) and "lite" (a SQLite file,
    whose path is returned)."""
    import sqlite3

    save_connection(ctx, "mariadb", "maria", mariadb_db.params(password=mariadb_db.password))
    db = tmp_path / "out.db"
    sqlite3.connect(db).close()
    save_connection(ctx, "sqlite", "lite", {"path": str(db)})
    return db


def make_job(ctx, name: str, source: str, tables: list[TableSpec], destination: str = "local",
             retries: int | None = None):
    """A job; `retries` 0 makes a transient failure final (what a failed run leaves)."""
    draft = JobDraft(name, source, tables, destination)
    if retries is not None:
        draft.unattended = Unattended(retries=retries)
    return JobService(ctx).create(draft)


def run(ctx, name: str):
    return JobService(ctx).run(name)


def norm(value):
    """One comparable form for a value read back from any engine."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytearray):
        value = bytes(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, Decimal):
        return value.normalize() if value == value.to_integral() else value
    return value


def rows(cursor_rows) -> list[tuple]:
    return sorted((tuple(norm(v) for v in row) for row in cursor_rows),
                  key=lambda r: (r[0] is None, r[0]))


def pg_rows(server, sql: str) -> list[tuple]:
    import psycopg2

    conn = psycopg2.connect(host=server.host, port=server.port, user=server.user,
                            password=server.password, dbname=server.database)
    try:
        with conn.cursor() as cur:
            cur.execute("set timezone = 'UTC'")
            cur.execute(sql)
            return rows(cur.fetchall())
    finally:
        conn.close()


def pg_exec(server, *statements, params=None) -> None:
    import psycopg2

    conn = psycopg2.connect(host=server.host, port=server.port, user=server.user,
                            password=server.password, dbname=server.database)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement, params)
    finally:
        conn.close()


def maria_exec(server, *statements, params=None) -> None:
    import pymysql

    conn = pymysql.connect(host=server.host, port=server.port, user=server.user,
                           password=server.password, database=server.database,
                           autocommit=True)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement, params)
    finally:
        conn.close()


def maria_rows(server, sql: str) -> list[tuple]:
    import pymysql

    conn = pymysql.connect(host=server.host, port=server.port, user=server.user,
                           password=server.password, database=server.database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        conn.close()


def warehouse_rows(sql: str) -> list[tuple]:
    import duckdb

    from app import paths

    with duckdb.connect(str(paths.warehouse_path()), read_only=True) as conn:
        return rows(conn.execute(sql).fetchall())


def wait_until(condition, seconds: float = 30.0) -> None:
    """Wait for `condition()` (polling the store, a process or a scheduler), at most
    `seconds`; fail if it never holds."""
    import threading
    import time

    deadline = time.monotonic() + seconds
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        pause.wait(0.05)
