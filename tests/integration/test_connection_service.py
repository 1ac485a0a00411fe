"""Connection services against the real servers: test-first saves, edits, deletes."""

from __future__ import annotations

import time

import pytest

from app.connectors.base import ERROR, FAILED, OK
from app.services.connections import Draft
from app.services.errors import (
    ConnectionInUse,
    DuplicateCredentials,
    DuplicateName,
    NotTested,
    ValidationError,
)
from app.store.models import Connection, Job, fold_name
from tests.fakes.silent import SilentServer


def maria_draft(db, name=None, **overrides) -> Draft:
    values = db.params(password=db.password)
    values.update(overrides)
    return Draft("mariadb", name, values)


def save(service, draft: Draft):
    proof = service.test(draft)
    assert proof.result.status == OK, proof.result.message
    return service.create(draft, proof)


def snapshot(ctx, keyring_file):
    """What a user's machine holds: every row of the store and the keyring's bytes."""
    with ctx.store.engine.connect() as conn:
        rows = conn.exec_driver_sql("select * from connection order by id").fetchall()
    return rows, keyring_file.read_bytes() if keyring_file.exists() else b""


def test_create_keeps_the_password_in_the_keyring_only(ctx, service, mariadb_db, keyring_file,
                                                       isolated_home):
    import keyring

    view = save(service, maria_draft(mariadb_db))
    assert view.name == f"MariaDB - {mariadb_db.database}"
    assert view.last_test_status == OK and view.last_test_at is not None
    assert "MariaDB" in view.last_test_version
    assert "password" not in view.params
    secret = keyring.get_password("sluice", f"conn-{view.id}")
    assert mariadb_db.password in secret
    files = {p.name: p.read_bytes() for p in isolated_home.glob("sluice.db*")}
    assert {"sluice.db", "sluice.db-wal"} <= set(files)  # the WAL is read while still open
    for name, data in files.items():
        assert mariadb_db.password.encode() not in data, name


def test_save_requires_a_passing_test_of_exactly_these_values(service, mariadb_db):
    draft = maria_draft(mariadb_db)
    with pytest.raises(NotTested, match="Test the connection successfully"):
        service.create(draft, None)
    failed = service.test(maria_draft(mariadb_db, password="wrong"))
    assert failed.result.status == FAILED
    with pytest.raises(NotTested):
        service.create(maria_draft(mariadb_db, password="wrong"), failed)
    proof = service.test(draft)
    with pytest.raises(NotTested, match="changed since the last test"):
        service.create(maria_draft(mariadb_db, name="Renamed", port="3307"), proof)
    assert service.list() == []
    assert service.create(draft, proof).last_test_status == OK


def test_bad_input_changes_nothing(ctx, service, mariadb_db, pg_db, keyring_file, tmp_path):
    existing = save(service, maria_draft(mariadb_db, name="Warehouse"))
    before = snapshot(ctx, keyring_file)
    silent = SilentServer()
    try:
        refusals = {
            "port not a number": maria_draft(mariadb_db, port="33o6"),
            "port out of range": maria_draft(mariadb_db, port="70000"),
            "empty host": maria_draft(mariadb_db, host=""),
            "huge name": maria_draft(mariadb_db, name="n" * 10_000),
            "name differing in case": Draft("postgresql", "WAREHOUSE", pg_db.params()),
            "same credentials": maria_draft(mariadb_db, name="Another"),
        }
        for label, draft in refusals.items():
            with pytest.raises((ValidationError, DuplicateName, DuplicateCredentials)):
                service.precheck(draft)
            with pytest.raises((ValidationError, DuplicateName, DuplicateCredentials,
                                NotTested)):
                service.create(draft, None)
            assert snapshot(ctx, keyring_file) == before, label
        failing_tests = {
            "database that does not exist": Draft("postgresql", None,
                                                  pg_db.params(database="nope_nope")),
            "wrong password": maria_draft(mariadb_db, name="Wrong", password="bad",
                                          database=mariadb_db.database),
            "host that does not answer": Draft("mariadb", "Silent", {
                "host": "127.0.0.1", "port": str(silent.port), "database": "d", "user": "u"}),
            "path that does not exist": Draft("csv", None, {"path": str(tmp_path / "nope")}),
        }
        for label, draft in failing_tests.items():
            proof = service.test(draft, timeout=1.5)
            assert proof.result.status == FAILED, label
            with pytest.raises((NotTested, DuplicateCredentials)):
                service.create(draft, proof)
            assert snapshot(ctx, keyring_file) == before, label
    finally:
        silent.close()
    assert [v.name for v in service.list()] == [existing.name]


def test_duplicate_messages_name_the_existing_connection(service, mariadb_db):
    save(service, maria_draft(mariadb_db, name="Sales DB"))
    with pytest.raises(DuplicateName) as by_name:
        service.precheck(Draft("csv", "sales db", {"path": "/tmp"}))
    assert str(by_name.value) == ("A connection named 'Sales DB' already exists "
                                  "(names are compared ignoring case).")
    with pytest.raises(DuplicateCredentials) as by_login:
        service.precheck(maria_draft(mariadb_db, name="Other name", host="127.0.0.1"))
    assert str(by_login.value) == (
        f"Connection 'Sales DB' already uses these credentials (host {mariadb_db.host}, "
        f"port {mariadb_db.port}, database {mariadb_db.database}, user {mariadb_db.user}).")


def test_suggested_names_do_not_collide(service, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "orders.csv").write_text("id\n1\n")
    first = save(service, Draft("csv", None, {"path": str(tmp_path / "a" / "orders.csv")}))
    second = save(service, Draft("csv", None, {"path": str(tmp_path / "b" / "orders.csv")}))
    assert (first.name, second.name) == ("CSV - orders", "CSV - orders (2)")


def _add_job(ctx, name: str, source_id: str) -> None:
    with ctx.store.session() as s:
        s.add(Job(name=name, name_key=fold_name(name), source_connection_id=source_id,
                  tables=[{"name": "t"}]))


def test_edit_needs_a_fresh_test_keeps_an_unchanged_password_and_reports_usage(
        ctx, service, mariadb_db):
    import keyring

    view = save(service, maria_draft(mariadb_db, name="Maria"))
    _add_job(ctx, "nightly", view.id)
    edited = Draft("mariadb", "Maria renamed", mariadb_db.params())  # password left empty
    with pytest.raises(NotTested):
        service.update(view.id, edited, None)
    proof = service.test(edited, existing_id=view.id)
    assert proof.result.status == OK, proof.result.message  # tested with the saved password
    updated = service.update(view.id, edited, proof)
    assert updated.name == "Maria renamed" and updated.used_by == ["nightly"]
    assert mariadb_db.password in keyring.get_password("sluice", f"conn-{view.id}")


def test_delete_is_refused_while_jobs_use_it_and_removes_the_secret(ctx, service, mariadb_db):
    import keyring

    view = save(service, maria_draft(mariadb_db, name="Used"))
    _add_job(ctx, "orders sync", view.id)
    _add_job(ctx, "audit copy", view.id)
    with pytest.raises(ConnectionInUse) as refused:
        service.delete("used")
    assert str(refused.value) == ("Connection 'Used' is used by 2 jobs: 'audit copy', "
                                  "'orders sync'. Delete or change those jobs first.")
    assert service.get(view.id).name == "Used"
    with ctx.store.session() as s:
        for job in s.query(Job).all():
            s.delete(job)
    service.delete("USED")
    assert service.list() == []
    assert keyring.get_password("sluice", f"conn-{view.id}") is None


def test_saved_tests_are_recorded_and_run_concurrently(ctx, service, mariadb_db, pg_db):
    good = save(service, maria_draft(mariadb_db, name="Good"))
    save(service, Draft("postgresql", "PG", pg_db.params()))
    silent = SilentServer()
    try:
        # Saved through the store as a user's old, now hanging, server would be.
        hanging = []
        for i in range(10):
            draft = Draft("redis", f"Hanging {i}", {"host": "127.0.0.1",
                                                    "port": str(silent.port),
                                                    "database": str(i)})
            params, _ = service.resolve(draft)
            with ctx.store.session() as s:
                row = Connection(name=draft.name, name_key=fold_name(draft.name),
                                 type_key="redis", params=params)
                s.add(row)
            hanging.append(draft.name)
        started = time.monotonic()
        results = {v.name: r for v, r in service.test_all(timeout=1.0)}
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert results["Good"].status == OK and results["PG"].status == OK
    assert all(results[n].status == FAILED for n in hanging)
    # 12 tests, 8 at a time, each at most 1 s: two rounds, not twelve.
    assert elapsed < 6
    views = {v.name: v for v in service.list()}
    assert views["Hanging 3"].last_test_status == FAILED
    assert views["Hanging 3"].last_test_message.startswith("No answer from")
    assert views["Good"].last_test_at >= good.last_test_at


def test_a_missing_secret_is_a_yellow_error_not_a_crash(ctx, service, mariadb_db):
    import keyring

    view = save(service, maria_draft(mariadb_db, name="Lost secret"))
    keyring.delete_password("sluice", f"conn-{view.id}")
    result = service.test_saved(view.id)
    assert result.status == ERROR
    assert result.message.startswith("Secret unavailable:")
    assert service.get(view.id).last_test_status == ERROR


def test_listing_tables_marks_the_connection_used(service, pg_db):
    view = save(service, Draft("postgresql", None, pg_db.params()))
    assert view.last_used_at is None
    assert service.tables(view.id) == []
    assert service.get(view.id).last_used_at is not None
