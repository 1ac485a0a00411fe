"""A job carried from one Sluice install to another as a spec: `job export --spec` on the
first, `job import` on the second (its own store and keyring), which asks for, or is given,
the secrets it lacks and refuses or renames a job whose name is taken."""

from __future__ import annotations

import json

from tests.integration.engine_helpers import pg_rows
from tests.integration.test_cli import sluice
from tests.integration.test_cloud_runner import JOB, SECRET_VARIABLE, export, shop  # noqa: F401


def other_install(tmp_path, **extra: str) -> dict:
    """The environment of a second install: its own home, data folder and keyring file."""
    return {"SLUICE_HOME": str(tmp_path / "other-home"),
            "XDG_DATA_HOME": str(tmp_path / "other-data"), **extra}


def test_export_then_import_on_another_install(shop, tmp_path):  # noqa: F811
    source, dest = shop
    spec = export(tmp_path, "--secrets", "env")
    other = other_install(tmp_path)

    lacking = sluice("job", "import", str(spec), env=other)
    assert lacking.returncode == 1
    assert f"The password of the connection 'Shop (source)' is needed and its reference " \
           f"env:{SECRET_VARIABLE} cannot be read here" in lacking.stderr
    assert json.loads(sluice("connection", "list", "--json", env=other).stdout) == []

    given = {**other, SECRET_VARIABLE: source.password}
    done = sluice("job", "import", str(spec), env=given)
    assert done.returncode == 0, done.stderr
    assert "Saved the source connection 'Shop (source)'." in done.stdout
    assert f"Imported job '{JOB}': Shop (source) -> Warehouse PG, 3 tables." in done.stdout
    mine = json.loads(sluice("job", "show", JOB, "--json").stdout)
    theirs = json.loads(sluice("job", "show", JOB, "--json", env=other).stdout)
    for key in ("name", "tables", "schedule", "retries", "stall_seconds"):
        assert theirs[key] == mine[key], key
    # The password went to the second install's keyring, not its store or the spec.
    for path in (tmp_path / "other-home").glob("sluice.db*"):
        assert source.password.encode() not in path.read_bytes()
    ran = sluice("job", "run", JOB, env=other)  # without the variable: from its keyring
    assert ran.returncode == 0, ran.stderr
    assert pg_rows(dest, "select count(*) from sales_dw.orders") == [(500,)]

    again = sluice("job", "import", str(spec), env=given)
    assert again.returncode == 1
    assert f"A job named '{JOB}' already exists. Import it under another name: " \
           "--rename NEW_NAME." in again.stderr
    renamed = sluice("job", "import", str(spec), "--rename", "Shop copy", env=given)
    assert renamed.returncode == 0, renamed.stderr
    assert "The source is the saved connection 'Shop (source)'." in renamed.stdout
    copy = json.loads(sluice("job", "show", "Shop copy", "--json", env=other).stdout)
    # The copy continues the original's cursors (kept in the destination under its name).
    assert copy["tables"][0]["state_key"] == f"{JOB}:sales.orders"
    listed = json.loads(sluice("connection", "list", "--json", env=other).stdout)
    assert [c["name"] for c in listed] == ["Shop (source)", "Warehouse PG"]


def test_a_connection_that_fails_its_test_imports_nothing(shop, tmp_path):  # noqa: F811
    spec = export(tmp_path, "--secrets", "env")
    other = other_install(tmp_path, **{SECRET_VARIABLE: "wrong-password"})
    done = sluice("job", "import", str(spec), env=other)
    assert done.returncode == 1
    assert "The source connection 'Shop (source)' failed its test" in done.stderr
    assert "Nothing was imported." in done.stderr
    assert json.loads(sluice("connection", "list", "--json", env=other).stdout) == []
    assert json.loads(sluice("job", "list", "--json", env=other).stdout) == []
