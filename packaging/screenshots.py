"""The README's pictures, made by the app itself: offscreen, at fixed sizes, on a fresh
store holding the sample shop (app.sample) after one run. `make screenshots` writes them to
docs/screenshots/; the README shows them. Usage: python packaging/screenshots.py OUT_DIR"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Every picture the README shows (a test runs this script and checks the README names
# exactly these).
SHOTS = ("main-light.png", "main-dark.png", "connection-types.png", "connection-form.png",
         "job-tables.png", "job-settings.png", "running.png", "history.png", "preview.png",
         "warehouse-sql.png", "cloud.png")
SIZE = (1180, 700)


def wait_until(condition, seconds: float = 30.0) -> None:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtTest import QTest

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("screenshots: the app did not get there in time")
        QCoreApplication.processEvents()
        QTest.qWait(20)


def shoot(widget, path: Path) -> None:
    from PySide6.QtTest import QTest

    QTest.qWait(50)  # the last paint
    if not widget.grab().save(str(path)):
        raise SystemExit(f"screenshots: cannot write {path}")
    print(path)


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    # A fixed folder: the paths the pictures show are the same on every machine.
    home = Path(tempfile.gettempdir()) / "sluice-screenshots"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    os.environ.update(SLUICE_HOME=str(home / "home"), XDG_DATA_HOME=str(home / "data"),
                      PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication, QWizard

    from app.sample import create_sample
    from app.services.context import open_app
    from app.services.jobs import JobService
    from ui import theme
    from ui.job_model import Progress
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["sluice"])
    app.setApplicationName("Sluice")
    ctx = open_app()
    sample = create_sample(ctx)
    for _ in range(3):  # a first full run, then incremental ones: History has a trend
        JobService(ctx).run(sample.job)

    def window_in(theme_name: str) -> MainWindow:
        theme.apply(app, theme_name)
        window = MainWindow(lambda: ctx)
        window.resize(*SIZE)
        window.show()
        window.load()
        wait_until(lambda: window.job_service is not None and window.job_model.rowCount())
        return window

    for theme_name in ("light", "dark"):
        window = window_in(theme_name)
        shoot(window, out / f"main-{theme_name}.png")
        if theme_name == "dark":
            window.quit_anyway = True
            window.close()
    theme.apply(app, "light")
    window = window_in("light")
    job = JobService(ctx).get(sample.job)

    window.new_connection()
    wizard = window.wizard
    wait_until(wizard.isVisible)
    shoot(wizard, out / "connection-types.png")
    page = wizard.type_page
    tile = page.tiles["postgresql"]
    for i in range(page.tabs.count()):
        if page.tabs.widget(i).isAncestorOf(tile):
            page.tabs.setCurrentIndex(i)
    tile.click()
    wizard.button(QWizard.WizardButton.NextButton).click()
    form = wizard.details.form
    for key, value in (("host", "db.example.com"), ("database", "sales"), ("user", "etl")):
        form.inputs[key].setText(value)
    shoot(wizard, out / "connection-form.png")
    wizard.reject()

    window.new_job()
    jobs = window.job_wizard
    wait_until(jobs.isVisible)
    source = jobs.source_page
    source.list.setCurrentIndex(source.proxy.index(0, 0))
    source.name.setText("Shop nightly")
    jobs.button(QWizard.WizardButton.NextButton).click()
    wait_until(lambda: not jobs.tables_page.loading)
    tables = jobs.tables_page
    tables.model.set_checked_rows(list(range(tables.model.rowCount())), True)
    shoot(jobs, out / "job-tables.png")
    jobs.button(QWizard.WizardButton.NextButton).click()
    wait_until(lambda: jobs.settings_page.task is None)
    shoot(jobs, out / "job-settings.png")
    jobs.reject()

    window.job_model.set_progress(job.id, Progress(rows=1_840_000, rate=412_000.0,
                                                   megabytes=211.0))
    shoot(window, out / "running.png")
    window.job_model.set_progress(job.id, None)

    window.show_history(job.id)
    wait_until(window.history.isVisible)
    shoot(window.history, out / "history.png")
    window.history.close()

    window.show_preview(job.id)
    wait_until(lambda: window.preview.tabs.count() == len(job.tables) + 1)
    shoot(window.preview, out / "preview.png")
    window.preview.tabs.setCurrentIndex(len(job.tables))
    sql = window.preview.sql
    sql.editor.setPlainText("select status, count(*) as orders, sum(total) as revenue\n"
                            "from orders group by status order by revenue desc")
    sql.run()
    wait_until(lambda: sql.query is None)
    shoot(window.preview, out / "warehouse-sql.png")
    window.preview.close()

    window.show_cloud(job.id)
    dialog = window.cloud_dialog
    wait_until(dialog.isVisible)
    dialog.project.setText("acme-data")
    dialog.region.setText("europe-west1")
    shoot(dialog, out / "cloud.png")
    dialog.close()

    window.quit_anyway = True
    window.close()
    ctx.close()
    app.processEvents()
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")))
