"""Jobs from the command line, per table: each table's own mode, cursor, key and deletes
(`--cursor TABLE=COLUMN`), whole schemas (`--table 'sales.*'`, `--all-tables`), columns
checked against the live source when the job is made or edited, naming the table."""

from __future__ import annotations

import json

import pytest

from tests.integration.engine_helpers import pg_exec, warehouse_rows
from tests.integration.test_cli import sluice


@pytest.fixture
def shop(pg_db):
    """sales.orders and public.orders (one name, two schemas), sales.customers, a view in
    sales, and a table without a key."""
    pg_exec(pg_db, "create schema sales",
            "create table sales.orders (id int primary key, total int, changed timestamptz)",
            "create table sales.customers (id int primary key, name text)",
            "create table public.orders (id int primary key, note text)",
            "create table public.events (at timestamptz, what text)",
            "create view sales.big_orders as select * from sales.orders where total > 10",
            "insert into sales.orders values (1, 5, '2024-01-01 10:00+00'), "
            "(2, 50, '2024-01-01 11:00+00')",
            "insert into sales.customers values (1, 'Ann'), (2, 'Bob')")
    made = sluice("connection", "add", "--type", "postgresql", "--name", "src", "--host",
                  pg_db.host, "--port", str(pg_db.port), "--database", pg_db.database,
                  "--user", pg_db.user)
    assert made.returncode == 0, made.stderr
    return pg_db


def _tables(job: str) -> dict[str, dict]:
    shown = json.loads(sluice("job", "show", job, "--json").stdout)
    return {t["schema"] + "." + t["table"]: t for t in shown["tables"]}


def test_each_table_gets_its_own_settings(shop):
    made = sluice("job", "add", "--name", "shop", "--source", "src",
                  "--table", "sales.orders", "--table", "sales.customers",
                  "--mode", "merge", "--mode", "sales.orders=incremental",
                  "--cursor", "sales.orders=changed", "--detect-deletes", "customers=delete")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Created job 'shop': sales.orders (incremental), "
                                  "sales.customers (merge) from src to local.")
    tables = _tables("shop")
    orders, customers = tables["sales.orders"], tables["sales.customers"]
    assert (orders["mode"], orders["cursor"], orders["primary_key"]) == (
        "incremental", "changed", [])
    # Merge takes the source's primary key when none is given.
    assert (customers["mode"], customers["cursor"], customers["primary_key"],
            customers["detect_deletes"]) == ("merge", None, ["id"], "delete")
    assert sluice("job", "run", "shop").returncode == 0
    pg_exec(shop, "delete from sales.customers where id = 2")
    ran = json.loads(sluice("job", "run", "shop", "--json").stdout)
    assert [t.get("notice") for t in ran["tables"]] == [
        None, "1 row gone from the source was deleted"]
    assert warehouse_rows("select id, name from sales.customers") == [(1, "Ann")]


@pytest.mark.parametrize(("args", "message"), [
    (["--table", "sales.orders", "--table", "sales.customers", "--mode", "incremental",
      "--cursor", "changed"], "sales.customers has no column changed."),
    (["--table", "sales.orders", "--mode", "merge", "--primary-key", "order_id"],
     "sales.orders has no column order_id."),
    (["--table", "sales.orders", "--cursor", "lines=changed"],
     "--cursor lines: the job has no table 'lines' (its tables: sales.orders)."),
    (["--table", "sales.orders", "--table", "public.orders", "--cursor", "orders=changed"],
     "--cursor orders: several tables of the job are named so (sales.orders, public.orders); "
     "say schema.table."),
    (["--table", "events", "--mode", "merge"],
     "public.events: merge mode needs a primary key, and the source declares none: name the "
     "column(s) that identify a row."),
    (["--table", "sales.orders", "--mode", "incremental", "--cursor", "changed",
      "--detect-deletes", "mark"],
     "sales.orders: detecting deletes compares every source key, so it needs merge mode with "
     "a primary key."),
    (["--table", "sales.orders", "--mode", "sometimes"],
     "--mode 'sometimes': use replace or append or incremental or merge."),
    (["--table", "nothing.*"], "No table of the source matches 'nothing.*'."),
])
def test_a_column_or_table_the_source_lacks_is_refused_at_creation(shop, args, message):
    refused = sluice("job", "add", "--name", "bad", "--source", "src", *args)
    assert (refused.returncode, refused.stderr.strip()) == (1, f"sluice: {message}")
    assert json.loads(sluice("job", "list", "--json").stdout) == []


def test_a_whole_schema(shop):
    made = sluice("job", "add", "--name", "sales", "--source", "src", "--table", "sales.*")
    assert made.returncode == 0, made.stderr
    assert sorted(_tables("sales")) == ["sales.customers", "sales.orders"]  # not the view
    every = sluice("job", "add", "--name", "all sales", "--source", "src", "--all-tables",
                   "--schema", "sales", "--dest-schema", "raw")
    assert every.returncode == 0, every.stderr
    assert {t["dest_schema"] for t in _tables("all sales").values()} == {"raw"}
    everything = sluice("job", "add", "--name", "everything", "--source", "src",
                        "--all-tables")
    assert everything.returncode == 0, everything.stderr
    assert sorted(_tables("everything")) == ["public.events", "public.orders",
                                             "sales.customers", "sales.orders"]
    lone = sluice("job", "add", "--name", "x", "--source", "src", "--schema", "sales",
                  "--table", "orders")
    assert lone.returncode == 1 and "--schema goes with --all-tables" in lone.stderr


def test_edit_sets_lookback_schema_and_tables(shop):
    assert sluice("job", "add", "--name", "shop", "--source", "src", "--table", "sales.orders",
                  "--mode", "incremental", "--cursor", "changed").returncode == 0
    missing = sluice("job", "edit", "shop", "--cursor", "sales.orders=closed")
    assert (missing.returncode, missing.stderr.strip()) == (
        1, "sluice: sales.orders has no column closed.")
    edited = sluice("job", "edit", "shop", "--primary-key", "id", "--lookback", "2h",
                    "--dest-schema", "raw", "--add-table", "sales.customers",
                    "--mode", "customers=merge", "--detect-deletes", "customers=mark")
    assert edited.returncode == 0, edited.stderr
    assert "sales.orders: each run re-reads 2h behind the saved position." in edited.stdout
    assert "sales.customers is new" in edited.stdout
    assert "sales.orders now lands in raw.orders; sales.orders is kept as it is." \
        in edited.stdout
    tables = _tables("shop")
    assert (tables["sales.orders"]["lookback"], tables["sales.orders"]["dest_schema"],
            tables["sales.orders"]["primary_key"]) == ("2h", "raw", ["id"])
    assert (tables["sales.customers"]["mode"], tables["sales.customers"]["detect_deletes"]) \
        == ("merge", "mark")
    removed = sluice("job", "edit", "shop", "--remove-table", "sales.orders")
    assert removed.returncode == 0, removed.stderr
    assert "sales.orders is no longer copied; raw.orders is kept as it is." in removed.stdout
    assert list(_tables("shop")) == ["sales.customers"]
    last = sluice("job", "edit", "shop", "--remove-table", "customers")
    assert last.returncode == 1 and "delete the job instead" in last.stderr


def test_unattended_options_pause_resume_and_attempts(shop):
    made = sluice("job", "add", "--name", "nightly", "--source", "src", "--table",
                  "sales.customers", "--daily", "02:00", "--timezone", "UTC",
                  "--retries", "4", "--grace", "30m", "--webhook",
                  "https://hooks.example.com/services/T0KEN", "--notify-success")
    assert made.returncode == 0, made.stderr
    shown = json.loads(sluice("job", "show", "nightly", "--json").stdout)
    assert (shown["retries"], shown["missed_grace_seconds"], shown["webhook"],
            shown["notify_success"]) == (4, 1800, True, True)
    assert "T0KEN" not in json.dumps(shown)
    edited = sluice("job", "edit", "nightly", "--webhook", "", "--retries", "0",
                    "--no-notify-success")
    assert edited.returncode == 0, edited.stderr
    shown = json.loads(sluice("job", "show", "nightly", "--json").stdout)
    assert (shown["retries"], shown["webhook"], shown["notify_success"]) == (0, False, False)
    refused = sluice("job", "edit", "nightly", "--retries", "9")
    assert refused.returncode == 2
    assert "'9' is not a number from 0 to 5" in refused.stderr
    refused = sluice("job", "edit", "nightly", "--grace", "soon")
    assert (refused.returncode, refused.stderr.strip()) == (
        1, "sluice: --grace 'soon' is not a duration such as 30m, 2h or 0.")

    paused = sluice("job", "pause", "nightly")
    assert paused.stdout.startswith("Paused job 'nightly'")
    shown = json.loads(sluice("job", "show", "nightly", "--json").stdout)
    assert (shown["enabled"], shown["schedule"]["next_run"]) == (False, None)
    assert sluice("job", "resume", "nightly").stdout.startswith(
        "Resumed job 'nightly': Every day at 02:00")
    assert json.loads(sluice("job", "show", "nightly", "--json").stdout)["enabled"]

    assert sluice("scheduler", "pause").stdout.startswith("Schedules paused on this computer")
    assert sluice("scheduler", "resume").stdout.strip() == "Schedules resumed."

    assert sluice("job", "run", "nightly").returncode == 0
    runs = json.loads(sluice("job", "runs", "nightly", "--json").stdout)
    assert [(r["status"], r["attempts"]) for r in runs] == [("succeeded", 1)]
