"""A NoSQL source in the job wizard: step 2 lists its collections like tables; step 3 reads
the fields inferred from the documents, so the cursor picker offers them before saving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.fakes.mongo_wire import FakeMongo
from tests.gui.helpers import (
    next_step,
    open_job_wizard,
    pick_source,
    tick,
    type_job_name,
    wait_columns,
    wait_tables,
)
from tests.integration.engine_helpers import save_connection


def test_collections_and_their_fields_in_the_wizard(qtbot, make_window, ctx):
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with FakeMongo("shop") as mongo:
        mongo.collections["orders"] = [
            {"_id": i, "total": i * 1.5, "updated_at": t0 + timedelta(minutes=i),
             "lines": [{"sku": "a"}]} for i in range(20)]
        mongo.collections["customers"] = [{"_id": 1, "name": "Ann"}]
        save_connection(ctx, "mongodb", "Mongo", {"host": "127.0.0.1", "port": mongo.port,
                                                  "database": "shop"})
        window = make_window()
        wizard = open_job_wizard(qtbot, window)
        pick_source(qtbot, wizard, "Mongo")
        type_job_name(qtbot, wizard, "Mongo job")
        next_step(qtbot, wizard)
        wait_tables(qtbot, wizard)
        page = wizard.tables_page
        names = {page.proxy.index(r, 1).data() for r in range(page.proxy.rowCount())}
        assert names == {"orders", "customers"}
        assert not page.query_button.isVisible()  # queries are for SQL sources
        tick(qtbot, wizard, "orders")
        next_step(qtbot, wizard)
        wait_columns(qtbot, wizard)
        settings = wizard.settings_page
        mode, cursor, key = settings._widgets(0)
        mode.setCurrentText("incremental")  # as a user picks it
        offered = [cursor.itemText(i) for i in range(cursor.count()) if cursor.itemText(i)]
        assert offered[0] == "updated_at"  # a time named like a change: suggested first
        assert set(offered) >= {"_id", "total", "lines", "updated_at"}
        assert cursor.currentText() == "updated_at" and key.text() == "_id"
        wizard.reject()


def test_a_firestore_collection_group_in_the_wizard(qtbot, make_window, ctx, monkeypatch):
    from google.cloud import firestore

    from tests.fakes.firestore_grpc import FakeFirestore

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with FakeFirestore() as fake:
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", fake.host)
        db = firestore.Client(project="demo")
        for user in ("ann", "bob"):
            db.document(f"users/{user}").set({"name": user})
            db.document(f"users/{user}/orders/o1").set({"total": 2.5, "updated_at": t0})
        db.close()
        save_connection(ctx, "firestore", "Fire", {"project": "demo"})
        window = make_window()
        wizard = open_job_wizard(qtbot, window)
        pick_source(qtbot, wizard, "Fire")
        type_job_name(qtbot, wizard, "Fire job")
        next_step(qtbot, wizard)
        wait_tables(qtbot, wizard)
        page = wizard.tables_page
        rows = {page.proxy.index(r, 1).data(): page.proxy.index(r, 2).data()
                for r in range(page.proxy.rowCount())}
        assert rows == {"users": "2", "**/orders": "2"}
        tick(qtbot, wizard, "**/orders")
        next_step(qtbot, wizard)
        wait_columns(qtbot, wizard)
        mode, cursor, key = wizard.settings_page._widgets(0)
        mode.setCurrentText("incremental")
        offered = {cursor.itemText(i) for i in range(cursor.count()) if cursor.itemText(i)}
        assert offered >= {"_parent", "_id", "total", "updated_at"}
        assert cursor.currentText() == "updated_at"
        assert [k.strip() for k in key.text().split(",")] == ["_parent", "_id"]
        wizard.reject()
