"""`make screenshots` (packaging/screenshots.py) runs offscreen and writes every picture the
README shows, at the fixed size, so the README's pictures can always be made again."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_script_makes_every_picture_the_readme_shows(tmp_path):
    sys.path.insert(0, str(ROOT / "packaging"))
    from screenshots import SHOTS, SIZE

    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    environ["QT_QPA_PLATFORM"] = "offscreen"
    done = subprocess.run([sys.executable, str(ROOT / "packaging" / "screenshots.py"),
                           str(tmp_path)], capture_output=True, text=True, timeout=300,
                          env=environ)
    assert done.returncode == 0, done.stderr[-2000:]
    made = sorted(p.name for p in tmp_path.glob("*.png"))
    shown = sorted(set(re.findall(r"docs/screenshots/([\w-]+\.png)",
                                  (ROOT / "README.md").read_text())))
    assert made == sorted(SHOTS) == shown
    from PySide6.QtGui import QImage

    main = QImage(str(tmp_path / "main-light.png"))
    assert (main.width(), main.height()) == SIZE
    assert all((ROOT / "docs" / "screenshots" / name).is_file() for name in SHOTS)
