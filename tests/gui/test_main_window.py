"""The main window opens on the user's store (empty on a first start)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


def test_window_shows_the_connection_count(qtbot, ctx, tmp_path):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "Sluice"
    assert "0 saved connections." in window.summary.text()
    assert not window.grab().isNull()


def test_smoke_start_exits_zero_and_creates_the_store(isolated_home):
    done = subprocess.run([sys.executable, "main.py", "--smoke"], cwd=ROOT, timeout=120,
                          capture_output=True, text=True,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert (isolated_home / "sluice.db").exists()
