"""Start-up time: Sluice's main window vs a bare PySide6 window, in one run.

Each sample is a fresh process. Measured from just before the process is started until
the window has been shown and the event loop has turned once (both print `shown_at=`),
and for Sluice also until its 200 saved connections and 50 jobs are listed (`listed_at=`,
from `main.py --smoke`: the window's first look at the store file) and until its services
are open, so a click acts at once (`loaded_at=`), with the longest the event loop went
without turning from shown until half a second after ready, while the 200 connections
are being tested (`stall_ms=`). Prints medians and ratios (target: filled under
3x the bare window, no stall over 100 ms).

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


def seed(home: Path, count: int, jobs: int) -> None:
    """A store with `count` connections (CSV folders: no network needed to list them) and
    `jobs` jobs reading them, each with a run."""
    env = {**os.environ, "SLUICE_HOME": str(home)}
    code = (
        "import sys, uuid\n"
        "from datetime import UTC, datetime\n"
        "from app.services.context import open_app\n"
        "from app.store.models import Connection, Job, Run, fold_name\n"
        "ctx = open_app()\n"
        "with ctx.store.session() as s:\n"
        "    ids = []\n"
        f"    for i in range({count}):\n"
        "        name = f'Source {i:04d}'\n"
        "        row = Connection(name=name, name_key=fold_name(name), type_key='csv',\n"
        f"                         params={{'path': '{home}/data/' + str(i)}})\n"
        "        s.add(row); s.flush(); ids.append(row.id)\n"
        f"    for i in range({jobs}):\n"
        "        name = f'Job {i:03d}'\n"
        "        job = Job(name=name, name_key=fold_name(name), source_connection_id=ids[i],\n"
        "                  tables=[{'table': 'items', 'mode': 'replace'}])\n"
        "        s.add(job); s.flush()\n"
        "        now = datetime.now(UTC)\n"
        "        s.add(Run(job_id=job.id, trigger='manual', status='succeeded',\n"
        "                  started_at=now, finished_at=now, rows_read=1, rows_written=1))\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def sample(args: list[str], env: dict) -> dict[str, float]:
    """Seconds from spawning `args` to each `name=<epoch>` line it prints."""
    started = time.time()
    done = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    marks = dict(line.split("=", 1) for line in done.stdout.split() if "=" in line)
    out = {name: float(value) - started for name, value in marks.items() if name.endswith("_at")}
    if "stall_ms" in marks:
        out["stall"] = float(marks["stall_ms"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=50)
    opts = parser.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        seed(home, opts.connections, opts.jobs)
        sluice_env = {**env, "SLUICE_HOME": str(home)}
        bare, sluice = [], []
        sample([sys.executable, "-c", BARE], env)  # warm the OS file cache for both
        sample([sys.executable, "main.py", "--smoke"], sluice_env)
        for _ in range(opts.runs):  # interleaved, so drift hits both alike
            bare.append(sample([sys.executable, "-c", BARE], env))
            sluice.append(sample([sys.executable, "main.py", "--smoke"], sluice_env))
    b = statistics.median(r["shown_at"] for r in bare)
    shown = statistics.median(r["shown_at"] for r in sluice)
    listed = statistics.median(r["listed_at"] for r in sluice)
    loaded = statistics.median(r["loaded_at"] for r in sluice)
    stall = max(r["stall"] for r in sluice)
    typical = statistics.median(r["stall"] for r in sluice)
    n = opts.runs
    print(f"bare PySide6 window shown:             {b * 1000:6.0f} ms  (median of {n})")
    print(f"Sluice window shown ({opts.connections} connections, {opts.jobs} jobs): "
          f"{shown * 1000:6.0f} ms  ratio {shown / b:.2f}x")
    print(f"Sluice window filled (lists shown):    {listed * 1000:6.0f} ms  "
          f"ratio {listed / b:.2f}x (target < 3x)")
    print(f"Sluice ready (services open):          {loaded * 1000:6.0f} ms  "
          f"ratio {loaded / b:.2f}x")
    print(f"longest event-loop stall, shown to 0.5 s after ready (connection tests "
          f"running): median {typical:.0f} ms, worst of {n} {stall:.0f} ms "
          "(target < 100 ms)")


if __name__ == "__main__":
    main()
