"""Painting cards thousands of times leaves Python's reference counts as they were.

PySide6-Essentials 6.12.0 on Python 3.11 drops one reference to None in each of
QPainter.setPen, setBrush and drawRoundedRect; the job card repaints on every progress
tick, so a long run drained None's count and the app died (`Fatal Python error:
none_dealloc`). Python 3.12 made None immortal, which hides the fault there, so this test
means most on the lowest Python the project supports.
"""

from __future__ import annotations

import sqlite3
import sys

import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem

from app.services.jobs import TableSpec
from tests.integration.engine_helpers import make_job, save_connection
from ui.job_model import Progress

PAINTS = 3_000
ROUND = 100


def _paint_all(panel, image: QImage, times: int) -> None:
    view = panel.view
    painter = QPainter(image)
    try:
        for _ in range(times):
            for row in range(panel.proxy.rowCount()):
                index = panel.proxy.index(row, 0)
                option = QStyleOptionViewItem()
                view.initViewItemOption(option)
                option.rect = view.visualRect(index)
                panel.delegate.paint(painter, option, index)
    finally:
        painter.end()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason=(
    "None is immortal from Python 3.12 (PEP 683): its count drifts harmlessly as binary "
    "extensions built for older Pythons add and drop references, so it tells nothing"))
def test_painting_cards_does_not_drain_none(qtbot, make_window, ctx, tmp_path):
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table orders (id integer primary key)")
    save_connection(ctx, "sqlite", "Shop", {"path": str(db)})
    job = make_job(ctx, "Orders", "Shop", [TableSpec("orders")])
    window = make_window()
    # A running job: the card with the pulsing dot and the progress bar.
    window.jobs.model.set_progress(job.id, Progress(rows=1_234, rate=5_000.0, megabytes=3.0))
    image = QImage(window.width(), window.height(), QImage.Format.Format_ARGB32)

    _paint_all(window.jobs, image, 10)  # caches (fonts, icons) settle first
    _paint_all(window.connections, image, 10)
    before = sys.getrefcount(None)
    for _ in range(PAINTS // ROUND):
        _paint_all(window.jobs, image, ROUND)
        _paint_all(window.connections, image, ROUND)
        lost = before - sys.getrefcount(None)
        # Checked every round, so a leak fails here before it can take the process down
        # (one reference a call would lose hundreds a round).
        assert lost < 100, f"painting the cards lost {lost} references to None"
