"""The headless CLI, run as a user runs it: `python main.py ...` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.silent import SilentServer

ROOT = Path(__file__).resolve().parents[2]


def sluice(*args: str, stdin: str | None = None, env: dict | None = None):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def add_maria(db, *extra: str, password: str | None = None, env: dict | None = None):
    return sluice("connection", "add", "--type", "mariadb", "--host", db.host,
                  "--port", str(db.port), "--database", db.database, "--user", db.user,
                  "--password-stdin", *extra, stdin=(password or db.password) + "\n", env=env)


def test_add_list_test_tables_edit_delete(mariadb_db, pg_db, isolated_home, keyring_file):
    import keyring

    done = add_maria(mariadb_db, "--name", "Maria")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Saved connection 'Maria': Connected to MariaDB")
    assert "not an encrypted OS keyring" in done.stderr  # the test keyring is honoured, flagged

    pg = sluice("connection", "add", "--type", "postgresql", "--host", pg_db.host,
                "--port", str(pg_db.port), "--database", pg_db.database, "--user", pg_db.user)
    assert pg.returncode == 0, pg.stderr

    listed = json.loads(sluice("connection", "list", "--json").stdout)
    assert [c["name"] for c in listed] == ["Maria", f"PostgreSQL - {pg_db.database}"]
    maria = listed[0]
    assert maria["type"] == "mariadb" and maria["has_secret"] is True
    assert maria["params"] == {"host": mariadb_db.host, "port": mariadb_db.port,
                               "database": mariadb_db.database, "user": mariadb_db.user,
                               "ssl_mode": "preferred"}  # TLS where the server offers it
    assert maria["last_test"]["status"] == "ok"
    keyring.core.init_backend()
    assert mariadb_db.password in keyring.get_password("sluice", f"conn-{maria['id']}")
    for path in isolated_home.glob("sluice.db*"):
        assert mariadb_db.password.encode() not in path.read_bytes()

    tested = sluice("connection", "test", "--all", "--json")
    assert tested.returncode == 0, tested.stderr
    assert {r["name"]: r["result"]["status"] for r in json.loads(tested.stdout)} == {
        "Maria": "ok", f"PostgreSQL - {pg_db.database}": "ok"}

    import pymysql

    conn = pymysql.connect(host=mariadb_db.host, port=mariadb_db.port, user=mariadb_db.user,
                           password=mariadb_db.password, database=mariadb_db.database,
                           autocommit=True)
    with conn.cursor() as cur:
        cur.execute("create table items (id int)")
        cur.execute("insert into items values (1), (2), (3)")
    conn.close()
    tables = json.loads(sluice("connection", "tables", "maria", "--json").stdout)
    assert [(t["name"], t["rows"], t["rows_exact"]) for t in tables] == [("items", 3, True)]

    edited = sluice("connection", "edit", "Maria", "--rename", "Maria prod")
    assert edited.returncode == 0, edited.stderr
    assert edited.stdout.rstrip().endswith("Used by 0 jobs.")

    assert sluice("connection", "delete", "maria prod").returncode == 0
    remaining = json.loads(sluice("connection", "list", "--json").stdout)
    assert [c["name"] for c in remaining] == [f"PostgreSQL - {pg_db.database}"]


def test_a_failing_test_saves_nothing_and_exits_1(mariadb_db, keyring_file):
    done = add_maria(mariadb_db, password="wrong-password")
    assert done.returncode == 1
    assert "test failed: Wrong user name or password" in done.stderr
    assert "Nothing was saved." in done.stderr
    assert "wrong-password" not in done.stderr + done.stdout
    assert json.loads(sluice("connection", "list", "--json").stdout) == []
    assert not keyring_file.exists() or b"conn-" not in keyring_file.read_bytes()


def test_unanswering_host_fails_within_the_timeout():
    silent = SilentServer()
    try:
        done = sluice("connection", "add", "--type", "postgresql", "--host", "127.0.0.1",
                      "--port", str(silent.port), "--database", "d", "--user", "u",
                      "--timeout", "2")
    finally:
        silent.close()
    assert done.returncode == 1
    assert f"No answer from 127.0.0.1:{silent.port} within 2 s" in done.stderr


@pytest.mark.parametrize("args,message", [
    (["--port", "abc"], "Port must be a whole number, not 'abc'."),
    (["--port", "0"], "Port must be between 1 and 65535."),
    (["--host", ""], "Host is required."),
    (["--name", "x" * 10_000], "Name is too long (10000 characters; at most 100)."),
    (["--option", "password=oops"], "Give password on standard input"),
    (["--option", "colour=red"], "PostgreSQL has no field colour"),
])
def test_bad_input_is_refused_before_anything_happens(args, message):
    base = {"--host": "127.0.0.1", "--port": "5432", "--database": "d", "--user": "u"}
    flags = []
    for key, value in base.items():
        if key not in args:
            flags += [key, value]
    done = sluice("connection", "add", "--type", "postgresql", *flags, *args)
    assert done.returncode == 1
    assert message in done.stderr
    assert json.loads(sluice("connection", "list", "--json").stdout) == []


def test_usage_errors_exit_2():
    assert sluice("connection", "add", "--type", "nosuchtype").returncode == 2
    assert sluice("connection", "frobnicate").returncode == 2
    assert sluice("connection", "test").returncode == 2


def test_unknown_connection_exits_1():
    done = sluice("connection", "test", "nope")
    assert (done.returncode, done.stderr.strip()) == (1, "sluice: No connection named 'nope'.")


def test_types_json_is_the_registry():
    types = json.loads(sluice("types", "--json").stdout)
    assert len(types) == 24
    pg = next(t for t in types if t["key"] == "postgresql")
    assert pg["category"] == "relational" and pg["default_port"] == 5432
    assert pg["driver"] == {"module": "psycopg2", "package": "psycopg2-binary", "installed": True}
    assert {f["key"] for f in pg["fields"]} == {"host", "port", "database", "user", "password",
                                                "sslmode", "sslrootcert"}


def test_secret_backend_choice_and_vault(mariadb_db):
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    status = sluice("secrets", "status", "--json", env=env)
    assert status.returncode == 1
    assert json.loads(status.stdout)["usable"] is False
    refused = add_maria(mariadb_db, env=env)
    assert refused.returncode == 1 and "No secure OS keyring" in refused.stderr
    assert json.loads(sluice("connection", "list", "--json").stdout) == []

    assert sluice("secrets", "use", "vault", env=env).returncode == 0
    vault_env = {**env, "SLUICE_VAULT_PASSWORD": "master-pw"}
    saved = add_maria(mariadb_db, env=vault_env)
    assert saved.returncode == 0, saved.stderr
    vault = Path(os.environ["SLUICE_HOME"]) / "vault.json"
    assert mariadb_db.password.encode() not in vault.read_bytes()
    ok = sluice("connection", "test", "--all", "--json", env=vault_env)
    assert json.loads(ok.stdout)[0]["result"]["status"] == "ok"
    wrong = sluice("connection", "test", "--all", "--json",
                   env={**env, "SLUICE_VAULT_PASSWORD": "nope"})
    result = json.loads(wrong.stdout)[0]["result"]
    assert (result["status"], result["message"]) == (
        "error", f"Secret unavailable: Wrong master password for the encrypted vault {vault}.")
    # A run says which connection's password it could not have, not "Internal error".
    from tests.integration.engine_helpers import maria_exec

    maria_exec(mariadb_db, "create table t (id int primary key)")
    name = saved.stdout.split("'")[1]
    assert sluice("job", "add", "--name", "j", "--source", name, "--table", "t",
                  env=vault_env).returncode == 0
    ran = sluice("job", "run", "j", env={**env, "SLUICE_VAULT_PASSWORD": "nope"})
    assert ran.returncode == 1
    assert ran.stderr.strip().splitlines()[-1] == (
        f"sluice: run failed: The password of the source connection {name!r} is unavailable: "
        f"Wrong master password for the encrypted vault {vault}.")


def test_job_commands(pg_db):
    from tests.integration.engine_helpers import pg_exec

    pg_exec(pg_db, "create table orders (id int primary key, total numeric(8,2))",
            "insert into orders values (1, 9.50), (2, 20.00)")
    assert sluice("connection", "add", "--type", "postgresql", "--name", "src", "--host",
                  pg_db.host, "--port", str(pg_db.port), "--database", pg_db.database,
                  "--user", pg_db.user).returncode == 0
    missing = sluice("job", "add", "--name", "n", "--source", "src", "--table", "nope")
    assert (missing.returncode, missing.stderr.strip()) == (
        1, "sluice: Table 'nope' is not in the source.")
    bad_cron = sluice("job", "add", "--name", "n", "--source", "src", "--table", "orders",
                      "--cron", "0 6 * *")
    assert (bad_cron.returncode, bad_cron.stderr.strip()) == (
        1, "sluice: A cron expression has 5 fields (minute hour day month weekday); "
           "“0 6 * *” has 4.")
    added = sluice("job", "add", "--name", "Nightly", "--source", "src", "--table", "orders",
                   "--mode", "merge", "--primary-key", "id", "--daily", "06:00",
                   "--timezone", "Europe/Warsaw")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == ("Created job 'Nightly': public.orders (merge) from src to "
                                    "local. Every day at 06:00 Europe/Warsaw.")
    duplicate = sluice("job", "add", "--name", "NIGHTLY", "--source", "src", "--table", "orders")
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr

    shown = json.loads(sluice("job", "show", "nightly", "--json").stdout)
    assert shown["tables"][0]["mode"] == "merge" and shown["tables"][0]["primary_key"] == ["id"]
    assert shown["schedule"]["words"] == "Every day at 06:00 Europe/Warsaw"
    assert shown["schedule"]["next_run"].endswith(("T06:00:00+01:00", "T06:00:00+02:00"))
    assert [j["name"] for j in json.loads(sluice("job", "list", "--json").stdout)] == ["Nightly"]

    ran = sluice("job", "run", "Nightly", "--json")
    assert ran.returncode == 0, ran.stderr
    run = json.loads(ran.stdout)
    assert (run["status"], run["rows_written"], run["trigger"]) == ("succeeded", 2, "cli")
    runs = json.loads(sluice("job", "runs", "Nightly", "--json").stdout)
    assert [r["id"] for r in runs] == [run["id"]]

    refused = sluice("connection", "delete", "src")
    assert refused.returncode == 1 and "'Nightly'" in refused.stderr
    dry = sluice("job", "edit", "Nightly", "--mode", "append", "--every", "2h", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "public.orders: merge → append: each run adds every source row to orders; rows "
        "already there stay, so repeated runs add the same rows again.",
        "Schedule: Every day at 06:00 Europe/Warsaw → Every 2 hours."]
    assert json.loads(sluice("job", "show", "Nightly", "--json").stdout)["tables"][0][
        "mode"] == "merge"  # a dry run changes nothing
    edited = sluice("job", "edit", "Nightly", "--manual")
    assert edited.stdout.strip() == ("Schedule: Every day at 06:00 Europe/Warsaw → "
                                     "Manual — runs when you press Run.")
    assert json.loads(sluice("job", "show", "Nightly", "--json").stdout)["schedule"][
        "kind"] == "manual"
    bad = sluice("job", "edit", "Nightly", "--cron", "99 * * * *")
    assert (bad.returncode, bad.stdout) == (1, "") and "higher than the maximum" in bad.stderr
    deleted = sluice("job", "delete", "Nightly", "--drop-tables")
    assert deleted.stdout.strip() == "Deleted job 'Nightly'; dropped orders."
    assert json.loads(sluice("job", "list", "--json").stdout) == []
    assert sluice("connection", "delete", "src").returncode == 0


def test_a_failed_run_exits_1(pg_db):
    from tests.integration.engine_helpers import pg_exec

    pg_exec(pg_db, "create table t (id int)")
    sluice("connection", "add", "--type", "postgresql", "--name", "src", "--host", pg_db.host,
           "--port", str(pg_db.port), "--database", pg_db.database, "--user", pg_db.user)
    assert sluice("job", "add", "--name", "j", "--source", "src", "--table", "t").returncode == 0
    pg_exec(pg_db, "drop table t")
    failed = sluice("job", "run", "j")
    assert failed.returncode == 1
    assert failed.stdout.startswith("failed: 0 rows")
    assert "sluice: run failed: Table public.t does not exist (any more)" in failed.stderr


def test_job_columns_left_out_from_the_command_line(pg_db):
    from tests.integration.engine_helpers import pg_exec, warehouse_rows

    pg_exec(pg_db, "create table orders (id int primary key, total numeric(8,2), secret text)",
            "insert into orders values (1, 9.50, 'x'), (2, 20.00, 'y')")
    assert sluice("connection", "add", "--type", "postgresql", "--name", "src", "--host",
                  pg_db.host, "--port", str(pg_db.port), "--database", pg_db.database,
                  "--user", pg_db.user).returncode == 0
    bad = sluice("job", "add", "--name", "o", "--source", "src", "--table", "orders",
                 "--exclude-column", "secret")
    assert bad.returncode == 1 and "give the column as TABLE.COLUMN" in bad.stderr
    bad = sluice("job", "add", "--name", "o", "--source", "src", "--table", "orders",
                 "--exclude-column", "lines.secret")
    assert bad.returncode == 1 and "the job has no table 'lines'" in bad.stderr
    made = sluice("job", "add", "--name", "o", "--source", "src", "--table", "orders",
                  "--exclude-column", "orders.secret")
    assert made.returncode == 0, made.stderr
    shown = sluice("job", "show", "o").stdout
    assert "public.orders -> main.orders [replace] leaves out=secret" in shown
    assert sluice("job", "run", "o").returncode == 0
    assert [r[0] for r in warehouse_rows("select column_name from information_schema.columns "
                                         "where table_name = 'orders'")] == ["id", "total"]
    undo = sluice("job", "edit", "o", "--include-column", "public.orders.secret", "--dry-run")
    assert undo.stdout.strip() == "public.orders: secret copied again."
