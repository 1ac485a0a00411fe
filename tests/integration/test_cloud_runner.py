"""A job exported as a spec and run headless (`main.py run --spec`), as the Cloud Run
container runs it: in an environment without Qt, with a fresh SLUICE_HOME and no metadata
store, secrets from environment variables. It must land exactly what the app lands, share
the incremental cursor with the app, and split tables across tasks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from app.etl.spec import TableSpec
from app.services.jobs import JobService
from tests.integration.engine_helpers import make_job, pg_exec, pg_rows, save_connection
from tests.integration.test_cli import ROOT, sluice

JOB = "Shop ETL"
SOURCE = "Shop (source)"
SECRET_VARIABLE = "SLUICE_SECRET_SHOP_SOURCE_"  # every run of non-alphanumerics is one _


@pytest.fixture(scope="module")
def qtless_python(tmp_path_factory) -> Path:
    """A virtual environment without Qt: the packages of this one, but PySide6 and
    shiboken6 (and the pytest-qt plugin) are not there, as in the cloud container."""
    root = tmp_path_factory.mktemp("qtless")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")],
                   check=True, timeout=120)
    shadow = root / "site"
    shadow.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if entry.name.lower().startswith(("pyside6", "shiboken6", "pytestqt", "pytest_qt")):
            continue
        if entry.suffix == ".pth":
            continue  # the editable install of Sluice: the runner runs from the source
        (shadow / entry.name).symlink_to(entry)
    python = root / "venv" / "bin" / "python"
    venv_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    Path(venv_site, "shop.pth").write_text(f"{shadow}\n")
    probe = subprocess.run([str(python), "-c", "import PySide6"], capture_output=True,
                           text=True)
    assert probe.returncode != 0 and "No module named 'PySide6'" in probe.stderr
    return python


def run_spec(python: Path, spec: Path, home: Path, password: str | None, *extra: str,
             env: dict | None = None) -> subprocess.CompletedProcess:
    """`main.py run --spec` as the container runs it: a fresh home, no keyring."""
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLUICE_", "PYTHON_KEYRING"))}
    environ.update({"SLUICE_HOME": str(home), **(env or {})})
    if password is not None:
        environ[SECRET_VARIABLE] = password
    return subprocess.run([str(python), "main.py", "run", "--spec", str(spec), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=environ)


def log_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def shop(ctx, pg_role_db, pg_db):
    """Source: a password-protected database with two schemas holding `orders`, and a table
    to merge. Destination: another PostgreSQL database. The job: one table of each mode."""
    pg_exec(pg_role_db,
            "create schema sales",
            "create table sales.orders (id int primary key, total numeric(10,2), "
            "updated_at timestamptz not null)",
            "create table public.orders (id int primary key, note text)",
            "create table sales.customers (id int primary key, name text, tags text[])",
            "insert into sales.orders select i, i * 1.5, "
            "'2026-01-01 00:00+00'::timestamptz + i * interval '1 minute' "
            "from generate_series(1, 500) i",
            "insert into public.orders values (1, 'first'), (2, null)",
            "insert into sales.customers values (1, 'Ann', '{a,b}'), (2, 'Bob', null)")
    save_connection(ctx, "postgresql", SOURCE, pg_role_db.params(password=pg_role_db.password))
    save_connection(ctx, "postgresql", "Warehouse PG", pg_db.params())
    make_job(ctx, JOB, SOURCE, [
        TableSpec("orders", "sales", mode="incremental", cursor="updated_at",
                  primary_key=["id"], dest_schema="sales_dw"),
        TableSpec("orders", "public", mode="replace", dest_schema="public_dw"),
        TableSpec("customers", "sales", mode="merge", dest_schema="sales_dw")],
        destination="Warehouse PG")
    return pg_role_db, pg_db


def export(tmp_path: Path, *extra: str) -> Path:
    spec = tmp_path / "spec.json"
    done = sluice("job", "export", JOB, "--spec", str(spec), *extra)
    assert done.returncode == 0, done.stderr
    return spec


def landed(dest) -> dict:
    """Every destination table's rows, and the saved cursors."""
    out = {}
    for schema, table in (("sales_dw", "orders"), ("public_dw", "orders"),
                          ("sales_dw", "customers")):
        out[f"{schema}.{table}"] = pg_rows(dest, f"select * from {schema}.{table} order by 1")
    out["state"] = sorted((key, json.loads(state)) for key, state in pg_rows(
        dest, "select state_key, state from public._sluice_state"))
    return out


def reset(dest) -> None:
    pg_exec(dest, "drop schema sales_dw cascade", "drop schema public_dw cascade",
            "drop table public._sluice_state")


def test_the_exported_spec_lands_what_the_app_lands(shop, qtless_python, tmp_path):
    source, dest = shop
    spec = export(tmp_path, "--secrets", "env")
    text = spec.read_text()
    assert source.password not in text
    doc = json.loads(text)
    assert doc["source"]["secret"] == f"env:{SECRET_VARIABLE}"
    assert doc["destination"]["secret"] is None  # the destination has no password

    ran = run_spec(qtless_python, spec, tmp_path / "cloud-home", source.password)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert not (tmp_path / "cloud-home" / "sluice.db").exists()  # no metadata store
    lines = log_lines(ran.stdout)
    assert {line["severity"] for line in lines} == {"INFO"}
    done = [line for line in lines if "rows" in line and "table" in line
            and "seconds" in line]
    assert [(d["table"], d["rows"], d["job"]) for d in done] == [
        ("sales.orders", 500, JOB), ("public.orders", 2, JOB), ("sales.customers", 2, JOB)]
    assert lines[-1]["status"] == "succeeded" and lines[-1]["rows"] == 504
    from_the_cloud = landed(dest)

    reset(dest)
    run = JobService(cloud_ctx := _ctx()).run(JOB)
    cloud_ctx.close()
    assert run.status == "succeeded", run.error
    assert landed(dest) == from_the_cloud
    assert from_the_cloud["state"][0][0] == f"{JOB}:sales.orders"


def _ctx():
    from app.services.context import open_app

    return open_app()


def test_spec_runs_and_the_app_continue_one_cursor(shop, qtless_python, tmp_path):
    source, dest = shop
    spec = export(tmp_path, "--secrets", "env")
    home = tmp_path / "cloud-home"

    def add(first: int, last: int, minute: int) -> None:
        pg_exec(source, f"insert into sales.orders select i, i, '2026-02-01 00:00+00'::"
                        f"timestamptz + interval '{minute} minutes' from "
                        f"generate_series({first}, {last}) i")

    first = run_spec(qtless_python, spec, home, source.password, "--json")
    assert first.returncode == 0, first.stderr
    record = json.loads(first.stdout)  # --json: the run record on stdout, logs on stderr
    assert record["status"] == "succeeded" and record["trigger"] == "cloud"
    assert log_lines(first.stderr)[-1]["status"] == "succeeded"
    add(501, 600, 1)  # 100 rows sharing one timestamp
    second = json.loads(run_spec(qtless_python, spec, home, source.password,
                                 "--json").stdout)
    assert second["tables"][0]["rows"] == 100
    assert second["cursor_before"]["sales.orders"] == record["cursor_after"]["sales.orders"]
    add(601, 650, 1)  # more rows at the same timestamp as the last ones
    add(651, 660, 2)
    context = _ctx()
    try:
        desktop = JobService(context).run(JOB)
    finally:
        context.close()
    assert desktop.status == "succeeded", desktop.error
    assert desktop.cursor_before["sales.orders"] == second["cursor_after"]["sales.orders"]
    assert desktop.tables[0]["rows"] == 60
    ids = [r[0] for r in pg_rows(dest, "select id from sales_dw.orders order by id")]
    assert ids == list(range(1, 661))  # every row once


def test_two_tasks_copy_every_table_exactly_once(shop, qtless_python, tmp_path):
    source, dest = shop
    spec = export(tmp_path, "--secrets", "env")
    copied = []
    for index in (0, 1):
        ran = run_spec(qtless_python, spec, tmp_path / f"task-{index}", source.password,
                       env={"CLOUD_RUN_TASK_INDEX": str(index), "CLOUD_RUN_TASK_COUNT": "2"})
        assert ran.returncode == 0, ran.stdout
        lines = log_lines(ran.stdout)
        assert all(line["task"] == {"index": index, "count": 2} for line in lines)
        copied.append([line["table"] for line in lines if "seconds" in line
                       and "table" in line])
    assert copied == [["sales.orders", "sales.customers"], ["public.orders"]]
    assert pg_rows(dest, "select count(*) from sales_dw.orders") == [(500,)]
    assert pg_rows(dest, "select count(*) from public_dw.orders") == [(2,)]
    assert pg_rows(dest, "select count(*) from sales_dw.customers") == [(2,)]


def test_a_host_override_to_the_servers_socket_folder(shop, qtless_python, tmp_path):
    """`--host CONNECTION=/folder`: PostgreSQL reached through its Unix socket, as Cloud Run
    reaches a Cloud SQL instance (/cloudsql/PROJECT:REGION:INSTANCE); here the local
    server's own socket folder, so the path is exercised for real (the destination's load
    goes through ADBC's URL, the reads through psycopg2)."""
    source, dest = shop
    folder = pg_rows(dest, "show unix_socket_directories")[0][0].split(",")[0].strip()
    spec = export(tmp_path, "--secrets", "env", "--host", f"Warehouse PG={folder}")
    assert json.loads(spec.read_text())["destination"]["params"]["host"] == folder
    ran = run_spec(qtless_python, spec, tmp_path / "home", source.password)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert pg_rows(dest, "select count(*) from sales_dw.orders") == [(500,)]
    # The connection test takes the socket folder too (an import tests what it saves).
    added = sluice("connection", "add", "--type", "postgresql", "--name", "By socket",
                   "--host", folder, "--database", dest.database, "--user", dest.user)
    assert added.returncode == 0, added.stderr
    missing = sluice("connection", "add", "--type", "postgresql", "--host", "/nowhere",
                     "--database", dest.database, "--user", dest.user)
    assert missing.returncode == 1
    assert "No PostgreSQL socket at /nowhere/.s.PGSQL.5432" in missing.stderr


def test_a_failure_is_a_nonzero_exit_with_an_error_line(shop, qtless_python, tmp_path):
    source, _ = shop
    spec = export(tmp_path, "--secrets", "env")
    missing = run_spec(qtless_python, spec, tmp_path / "h1", None)
    assert missing.returncode == 1
    last = log_lines(missing.stdout)[-1]
    assert last["severity"] == "ERROR" and last["status"] == "failed"
    assert f"environment variable {SECRET_VARIABLE} is not set" in last["message"]
    wrong = run_spec(qtless_python, spec, tmp_path / "h2", "not-the-password")
    assert wrong.returncode == 1
    assert "password authentication failed" in log_lines(wrong.stdout)[-1]["message"]
    assert "not-the-password" not in wrong.stdout + wrong.stderr


def test_malformed_tampered_and_secret_bearing_specs_are_refused(shop, qtless_python,
                                                               tmp_path):
    source, _ = shop
    spec = export(tmp_path, "--secrets", "env")
    doc = json.loads(spec.read_text())

    def refused(text: str) -> str:
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        ran = run_spec(qtless_python, bad, tmp_path / "h", source.password)
        assert ran.returncode == 1
        (line,) = log_lines(ran.stdout)
        assert line["severity"] == "ERROR"
        return line["message"]

    assert "It is not JSON" in refused(spec.read_text()[:-20])
    tampered = json.loads(spec.read_text())
    tampered["job"]["tables"][1]["mode"] = "append"
    assert "changed after it was exported" in refused(json.dumps(tampered))
    bearing = json.loads(spec.read_text())
    bearing["source"]["params"]["password"] = source.password
    message = refused(json.dumps(bearing))
    assert "source.params.password is a secret given as a value" in message
    assert source.password not in message
    assert doc["version"] == 1


def test_the_spec_from_gcs_is_read_with_the_storage_api(shop, tmp_path, monkeypatch):
    """`run --spec gs://…` reads the object through Cloud Storage's JSON API (served here
    by a loopback stand-in; the request carries the object's path)."""
    from app.cloud.storage import read_spec_text
    from tests.fakes.google_rest import FakeGoogle

    spec = export(tmp_path, "--secrets", "env")
    fake = FakeGoogle()

    @fake.route("GET", r"/storage/v1/b/(?P<bucket>[^/]+)/o/(?P<name>.+)")
    def get(match, body, query):
        assert "alt=media" in query
        return 200, json.loads(spec.read_text())

    import requests

    with fake:
        monkeypatch.setenv("SLUICE_STORAGE_ENDPOINT", fake.endpoint)
        text = read_spec_text("gs://shop-specs/jobs/shop etl.json", session=requests.Session())
    assert json.loads(text)["job"]["name"] == JOB
    assert fake.requests == [("GET", "/storage/v1/b/shop-specs/o/jobs%2Fshop%20etl.json")]
