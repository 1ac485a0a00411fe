"""The metadata store: where it lives, WAL mode, and upgrades of an older schema in place."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from app import paths
from app.store import HEAD_REVISION
from app.store.db import Store, migrate, open_store
from app.store.models import Connection, fold_name


def test_store_lives_in_sluice_home_with_wal_and_busy_timeout(isolated_home):
    store = open_store()
    assert store.path == isolated_home / "sluice.db"
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("pragma busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("pragma foreign_keys").scalar() == 1
    store.close()


def test_default_location_is_the_platform_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("SLUICE_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert paths.data_dir() == tmp_path / "share" / "Sluice"


def test_names_are_unique_ignoring_case(isolated_home):
    store = open_store()
    with store.session() as s:
        s.add(Connection(name="Sales", name_key=fold_name("Sales"), type_key="csv", params={}))
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(Connection(name="SALES", name_key=fold_name("SALES"), type_key="csv", params={}))
    store.close()


def test_an_old_store_upgrades_in_place_keeping_its_connections(isolated_home):
    path = isolated_home / "sluice.db"
    isolated_home.mkdir(parents=True, exist_ok=True)
    old = Store(path)
    migrate(old.engine, "0001")
    created = datetime(2025, 1, 2, 3, 4, 5)
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "insert into connection (id, name, name_key, type_key, params, secret_ref, "
            "created_at, updated_at, last_test_status) values "
            "('c1', 'Old PG', 'old pg', 'postgresql', '{\"host\": \"h\", \"port\": 5432}', "
            "'keyring:conn-c1', ?, ?, 'ok')",
            # As SQLAlchemy writes a DateTime in SQLite (Python 3.12+ deprecates sqlite3's
            # own datetime adapter, which a bare datetime here would use).
            (created.isoformat(sep=" "), created.isoformat(sep=" ")))
        columns = {r[1] for r in conn.exec_driver_sql("pragma table_info(connection)")}
        assert "last_test_version" not in columns
    old.close()

    store = open_store()  # what the app does at start-up
    with sqlite3.connect(path) as raw:
        assert raw.execute("select version_num from alembic_version").fetchone() == \
            (HEAD_REVISION,)
        tables = {r[0] for r in raw.execute("select name from sqlite_master where type='table'")}
    assert {"connection", "job", "run", "setting"} <= tables
    with store.session() as s:
        row = s.get(Connection, "c1")
        assert (row.name, row.params, row.secret_ref) == ("Old PG", {"host": "h", "port": 5432},
                                                          "keyring:conn-c1")
        assert row.created_at == created.replace(tzinfo=UTC)
        assert row.last_test_version is None
    store.close()


def test_opening_twice_is_idempotent(isolated_home):
    open_store().close()
    store = open_store()
    store.set_setting("test_timeout", 7)
    assert store.get_setting("test_timeout") == 7
    assert store.get_setting("missing", "fallback") == "fallback"
    store.close()


def test_head_revision_constant_is_the_newest_migration(isolated_home):
    from alembic.script import ScriptDirectory

    from app.store.db import alembic_config

    store = open_store()
    assert ScriptDirectory.from_config(alembic_config(store.engine)).get_current_head() \
        == HEAD_REVISION
    store.close()
