"""Small faults with plain answers: odd timeouts, long histories, file permissions, IPv6."""

from __future__ import annotations

import json
import sqlite3
import stat

import pytest

from app.services.jobs import JobService, TableSpec
from tests.integration.engine_helpers import make_job, pg_rows, run, save_connection
from tests.integration.test_cli import sluice


@pytest.mark.parametrize("value", ["inf", "nan", "-5", "0", "1e9", "soon"])
def test_an_impossible_timeout_is_refused_with_a_message(isolated_home, tmp_path, value):
    db = tmp_path / "shop.db"
    sqlite3.connect(db).close()
    done = sluice("connection", "add", "--type", "sqlite", "--option", f"path={db}",
                  "--timeout", value)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith(
        f"argument --timeout: {value!r} is not a number of seconds from 1 to 300")
    assert json.loads(sluice("connection", "list", "--json").stdout) == []


def test_job_runs_pages_past_fifty(ctx, tmp_path):
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table items (id integer primary key)")
    save_connection(ctx, "sqlite", "shop", {"path": str(db)})
    make_job(ctx, "items", "shop", [TableSpec("items")])
    for _ in range(55):
        assert run(ctx, "items").status == "succeeded"
    assert len(json.loads(sluice("job", "runs", "items", "--json").stdout)) == 50
    assert len(json.loads(sluice("job", "runs", "items", "--json", "--limit", "7").stdout)) == 7
    every = json.loads(sluice("job", "runs", "items", "--json", "--all").stdout)
    assert len(every) == 55
    assert [r["id"] for r in every] == [r.id for r in JobService(ctx).runs("items", None)]
    assert sluice("job", "runs", "items", "--limit", "0").returncode == 1


def test_every_file_sluice_keeps_is_private(isolated_home, mariadb_db, pg_db):
    from tests.integration.engine_helpers import pg_exec

    pg_exec(pg_db, "create table orders (id int primary key)", "insert into orders values (1)")
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "SLUICE_VAULT_PASSWORD": "master"}
    assert sluice("secrets", "use", "vault", env=env).returncode == 0
    assert sluice("connection", "add", "--type", "mariadb", "--host", mariadb_db.host,
                  "--port", str(mariadb_db.port), "--database", mariadb_db.database,
                  "--user", mariadb_db.user, "--password-stdin",
                  stdin=mariadb_db.password + "\n", env=env).returncode == 0
    assert sluice("connection", "add", "--type", "postgresql", "--name", "pg", "--host",
                  pg_db.host, "--port", str(pg_db.port), "--database", pg_db.database,
                  "--user", pg_db.user, env=env).returncode == 0
    assert sluice("job", "add", "--name", "o", "--source", "pg", "--table", "orders",
                  env=env).returncode == 0
    assert sluice("job", "run", "o", env=env).returncode == 0
    seen = {p.relative_to(isolated_home).as_posix(): stat.S_IMODE(p.stat().st_mode)
            for p in [isolated_home, *isolated_home.rglob("*")]}
    assert {"sluice.db", "warehouse.duckdb", "vault.json", "logs/sluice.log"} <= set(seen)
    loose = {name: oct(mode) for name, mode in seen.items()
             if mode != (0o700 if (isolated_home / name).is_dir() else 0o600)}
    assert loose == {}


def test_an_ipv6_host_works_through_every_postgres_path(ctx, pg_role_db, pg_password_server):
    from tests.integration.engine_helpers import pg_exec

    db = pg_role_db
    admin = pg_password_server
    pg_exec(db, "create table orders (id int primary key, note text)",
            "insert into orders select g, 'n' || g from generate_series(1, 100) g",
            "create schema copy")
    save_connection(ctx, "postgresql", "v6", db.params(host="::1", password=db.password))
    # The same database as its owner's administrator, written as in a URL.
    save_connection(ctx, "postgresql", "v6 bracketed",
                    db.params(host="[::1]", user=admin.user, password=admin.password))
    assert JobService(ctx).connections.get("v6 bracketed").params["host"] == "::1"
    # PG -> warehouse (COPY reader), PG -> PG (binary pipe), PG -> PG incremental (ADBC).
    make_job(ctx, "to local", "v6", [TableSpec("orders")])
    make_job(ctx, "pipe", "v6", [TableSpec("orders", dest_schema="copy")],
             destination="v6 bracketed")
    make_job(ctx, "adbc", "v6", [TableSpec("orders", dest_table="inc", mode="incremental",
                                           cursor="id")], destination="v6 bracketed")
    for job in ("to local", "pipe", "adbc"):
        result = run(ctx, job)
        assert result.status == "succeeded", (job, result.error)
        assert result.rows_written == 100
    as_admin = db.__class__(db.host, db.port, admin.user, admin.password, db.database)
    assert pg_rows(as_admin, "select count(*) from copy.orders") == [(100,)]
    assert pg_rows(as_admin, "select count(*) from public.inc") == [(100,)]
