"""Start-up time: Sluice's main window vs a bare PySide6 window, in one run.

Each sample is a fresh process. Measured from just before the process is started until
the window has been shown and the event loop has turned once (both print `shown_at=`),
and for Sluice also until its 200 saved connections are listed (`loaded_at=`, from
`main.py --smoke`). Prints medians and ratios (target: shown under 3x the bare window).

    .venv/bin/python bench/startup.py [--runs 7] [--connections 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BARE = (
    "import sys\n"
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication(sys.argv)\n"
    "w = QMainWindow(); w.resize(1180, 740); w.show()\n"
    "import time\n"
    "QTimer.singleShot(0, lambda: print(f'shown_at={time.time():.6f}', flush=True))\n"
    "QTimer.singleShot(0, app.quit)\n"
    "sys.exit(app.exec())\n"
)


def seed(home: Path, count: int) -> None:
    """A store with `count` connections (CSV folders: no network needed to list them)."""
    env = {**os.environ, "SLUICE_HOME": str(home)}
    code = (
        "import sys\n"
        "from app.services.context import open_app\n"
        "from app.store.models import Connection, fold_name\n"
        "ctx = open_app()\n"
        "with ctx.store.session() as s:\n"
        f"    for i in range({count}):\n"
        "        name = f'Source {i:04d}'\n"
        "        s.add(Connection(name=name, name_key=fold_name(name), type_key='csv',\n"
        f"                         params={{'path': '{home}/data/' + str(i)}}))\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def sample(args: list[str], env: dict) -> dict[str, float]:
    """Seconds from spawning `args` to each `name=<epoch>` line it prints."""
    started = time.time()
    done = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    marks = dict(line.split("=", 1) for line in done.stdout.split() if "_at=" in line)
    return {name: float(value) - started for name, value in marks.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--connections", type=int, default=200)
    opts = parser.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        seed(home, opts.connections)
        sluice_env = {**env, "SLUICE_HOME": str(home)}
        bare, sluice = [], []
        sample([sys.executable, "-c", BARE], env)  # warm the OS file cache for both
        sample([sys.executable, "main.py", "--smoke"], sluice_env)
        for _ in range(opts.runs):  # interleaved, so drift hits both alike
            bare.append(sample([sys.executable, "-c", BARE], env))
            sluice.append(sample([sys.executable, "main.py", "--smoke"], sluice_env))
    b = statistics.median(r["shown_at"] for r in bare)
    shown = statistics.median(r["shown_at"] for r in sluice)
    loaded = statistics.median(r["loaded_at"] for r in sluice)
    n = opts.runs
    print(f"bare PySide6 window shown:             {b * 1000:6.0f} ms  (median of {n})")
    print(f"Sluice window shown ({opts.connections} connections):  {shown * 1000:6.0f} ms  "
          f"ratio {shown / b:.2f}x (target < 3x)")
    print(f"Sluice connections listed:             {loaded * 1000:6.0f} ms  "
          f"ratio {loaded / b:.2f}x")


if __name__ == "__main__":
    main()
