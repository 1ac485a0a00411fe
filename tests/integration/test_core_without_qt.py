"""The core (engine, command line, scheduler with no window) runs where Qt is not
installed: PySide6 is the `gui` extra. Here Qt is made unimportable in the process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NO_QT = (
    "import runpy, sys\n"
    "class NoQt:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in ('PySide6', 'shiboken6'):\n"
    "            raise ImportError(f'No module named {name!r}')\n"
    "sys.meta_path.insert(0, NoQt())\n"
    "sys.argv = ['main.py', *sys.argv[1:]]\n"
    "runpy.run_path('main.py', run_name='__main__')\n"
)


def sluice_without_qt(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", NO_QT, *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=120, env=os.environ.copy())


def test_a_job_is_made_and_run_from_the_command_line_without_qt(isolated_home, tmp_path):
    (tmp_path / "items.csv").write_text("id,name\n1,a\n2,b\n3,c\n")
    made = sluice_without_qt("connection", "add", "--type", "csv", "--name", "files",
                             "--option", f"path={tmp_path}")
    assert made.returncode == 0, made.stderr
    made = sluice_without_qt("job", "add", "--name", "items", "--source", "files",
                             "--table", "items")
    assert made.returncode == 0, made.stderr
    ran = sluice_without_qt("job", "run", "items", "--json")
    assert ran.returncode == 0, ran.stderr
    assert (json.loads(ran.stdout)["status"], json.loads(ran.stdout)["rows_written"]) == (
        "succeeded", 3)


def test_the_window_without_qt_says_how_to_get_it(isolated_home):
    done = sluice_without_qt()
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "sluice: the app's window needs the GUI extra: pip install 'sluice[gui]'. The "
        "command line works without it (sluice --help).")
