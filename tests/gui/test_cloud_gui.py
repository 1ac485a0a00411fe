"""The job card's Cloud button: export a bundle to a folder, deploy to Google Cloud (the
client libraries talking to a loopback stand-in), run it there, and the card says where the
job is deployed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.services.jobs import TableSpec
from tests.fakes.google_cloud import google_cloud
from tests.gui.helpers import card_line, click_card_button, orders_table
from tests.integration.engine_helpers import make_job, save_connection

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def cloud_job(ctx, pg_db, pg_role_db):
    orders_table(pg_db, 5)
    save_connection(ctx, "postgresql", "Orders DB", pg_db.params())
    save_connection(ctx, "postgresql", "Warehouse", pg_role_db.params(
        password=pg_role_db.password))
    make_job(ctx, "Orders", "Orders DB", [TableSpec("orders", dest_schema="dw")],
             destination="Warehouse")
    return pg_role_db


def open_cloud(qtbot, window):
    click_card_button(qtbot, window.jobs, "Orders", "cloud")
    qtbot.waitUntil(lambda: getattr(window, "cloud_dialog", None) is not None
                    and window.cloud_dialog.isVisible())
    return window.cloud_dialog


def steps(dialog) -> list[str]:
    return [dialog.steps.item(i).text() for i in range(dialog.steps.count())]


def test_export_then_deploy_then_run_in_the_cloud(qtbot, make_window, cloud_job, tmp_path,
                                                  monkeypatch):
    window = make_window()
    dialog = open_cloud(qtbot, window)
    assert dialog.where.text() == "Not deployed."
    assert not dialog.run_button.isEnabled()
    qtbot.keyClicks(dialog.project, "acme-data")
    qtbot.keyClicks(dialog.region, "europe-west1")
    qtbot.keyClicks(dialog.hosts["Warehouse"], "10.0.0.5")

    folder = tmp_path / "bundle"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    qtbot.mouseClick(dialog.export_button, LEFT)
    qtbot.waitUntil(lambda: any(s.startswith("✓ Wrote") for s in steps(dialog)), timeout=20_000)
    assert (folder / "cloud-run-job.yaml").is_file()
    assert '"host": "10.0.0.5"' in (folder / "spec.json").read_text()
    for path in folder.rglob("*"):
        if path.is_file():
            assert cloud_job.password.encode() not in path.read_bytes()

    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text, *a, **k: (
        asked.append(text), QMessageBox.StandardButton.Yes)[1])
    qtbot.keyClicks(dialog.image, "europe-west1-docker.pkg.dev/acme-data/sluice/orders:1")
    with google_cloud() as fake:
        monkeypatch.setenv("SLUICE_GOOGLE_API_ENDPOINT", fake.endpoint)
        qtbot.mouseClick(dialog.deploy_button, LEFT)
        qtbot.waitUntil(lambda: "Deployed." in steps(dialog), timeout=20_000)
        assert asked == ["Copy the secret of the connection 'Warehouse' to Secret Manager in "
                         "acme-data as sluice-warehouse?\n\nThe Cloud Run job reads it from "
                         "there. No: the secret already in Secret Manager is used."]
        assert "✓ Cloud Run job sluice-orders: created (1 task(s), image " \
               "europe-west1-docker.pkg.dev/acme-data/sluice/orders:1)" in steps(dialog)
        assert dialog.where.text() == "Deployed to acme-data / europe-west1 as sluice-orders"
        assert "☁ Cloud Run acme-data/europe-west1" in card_line(window, "Orders", "detail")
        assert fake.secrets["projects/acme-data/secrets/sluice-warehouse"]

        assert dialog.run_button.isEnabled()
        qtbot.mouseClick(dialog.run_button, LEFT)
        qtbot.waitUntil(lambda: any(s.startswith("Execution sluice-orders-00001: running")
                                    for s in steps(dialog)), timeout=20_000)
        assert card_line(window, "Orders", "detail").endswith("last run running")


def _import_action(window):
    return next(a for a in window.file_menu.actions() if a.text() == "Import job…")


def test_import_a_spec_under_another_name(qtbot, make_window, ctx, cloud_job, tmp_path,
                                          monkeypatch):
    from app.cloud.transfer import export_spec
    from tests.gui.helpers import row_with

    path = tmp_path / "orders.json"
    path.write_text(export_spec(ctx, "Orders", "env").dumps())
    window = make_window()
    qtbot.waitUntil(lambda: _import_action(window).isEnabled())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    asked = []

    def answer(parent, title, label, *args, **kwargs):
        asked.append(label)
        return "Orders copy", True
    monkeypatch.setattr("PySide6.QtWidgets.QInputDialog.getText", answer)
    _import_action(window).trigger()
    qtbot.waitUntil(lambda: window.job_model.rowCount() == 2, timeout=20_000)
    assert asked == ["A job named “Orders” already exists. Import it as:"]
    row_with(window.jobs.proxy, "Orders copy")
    message = window.statusBar().currentMessage()
    assert message.startswith("Imported job 'Orders copy'. The source is the saved "
                              "connection 'Orders DB'.")


def test_a_damaged_spec_is_refused_with_its_problems(qtbot, make_window, ctx, cloud_job,
                                                     tmp_path, monkeypatch):
    from tests.gui.helpers import active_modal

    path = tmp_path / "broken.json"
    path.write_text('{"format": "sluice.job-spec", "version": 9}')
    window = make_window()
    qtbot.waitUntil(lambda: _import_action(window).isEnabled())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    _import_action(window).trigger()
    qtbot.waitUntil(lambda: isinstance(active_modal(), QMessageBox), timeout=20_000)
    box = active_modal()
    assert box.text() == ("The job spec broken.json cannot be used:\n  - Unknown spec version "
                          "9: this Sluice reads version 1 (a newer Sluice wrote it: upgrade "
                          "Sluice).")
    box.close()
    assert window.job_model.rowCount() == 1
