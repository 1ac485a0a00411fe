"""The one-folder app PyInstaller builds from packaging/sluice.spec (`make package`): it
carries the style sheet, icons, migrations, the desktop entry and AppStream metainfo, passes
--smoke, and runs a SQLite -> local warehouse job from its own command line. Built once per
run into a temporary folder (about a minute), or taken from SLUICE_BUNDLE
(`make package-test`)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    given = os.environ.get("SLUICE_BUNDLE")
    if given:
        return Path(given).resolve()
    work = tmp_path_factory.mktemp("bundle")
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SLUICE_ICONS": str(work / "icons")}
    subprocess.run([sys.executable, str(ROOT / "packaging" / "icons.py"), str(work / "icons")],
                   check=True, capture_output=True, timeout=120, env=environ)
    built = subprocess.run([sys.executable, "-m", "PyInstaller", str(ROOT / "packaging" /
                                                                     "sluice.spec"),
                            "--noconfirm", "--distpath", str(work / "dist"), "--workpath",
                            str(work / "build")], capture_output=True, text=True, timeout=900,
                           env=environ)
    assert built.returncode == 0, built.stderr[-3000:]
    return work / "dist" / "sluice" / "sluice"


def run(bundle: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    environ.update(SLUICE_HOME=str(home), QT_QPA_PLATFORM="offscreen",
                   PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return subprocess.run([str(bundle), *args], capture_output=True, text=True, timeout=120,
                          cwd=home.parent, env=environ)


def test_the_bundle_carries_what_it_needs(bundle):
    inside = bundle.parent / "_internal"
    for part in ("resources/style.qss", "resources/icons/types/postgresql.svg",
                 "app/store/migrations/env.py", "share/applications/sluice.desktop",
                 "share/metainfo/io.github.sluice.Sluice.metainfo.xml"):
        assert (inside / part).is_file(), part
    for size in (16, 32, 48, 128, 256, 512):
        assert (inside / f"share/icons/hicolor/{size}x{size}/apps/sluice.png").is_file()


def test_the_bundle_starts_and_runs_a_job(bundle, tmp_path):
    home = tmp_path / "home"
    smoke = run(bundle, home, "--smoke")
    assert smoke.returncode == 0, smoke.stderr
    source = tmp_path / "shop.db"
    db = sqlite3.connect(source)
    db.execute("create table orders (id integer primary key, who text, total real)")
    db.executemany("insert into orders values (?, ?, ?)",
                   [(i, f"Zoë {i}", i * 1.5) for i in range(1, 501)])
    db.commit()
    db.close()
    added = run(bundle, home, "connection", "add", "--type", "sqlite", "--name", "shop",
                "--option", f"path={source}")
    assert added.returncode == 0, added.stderr
    assert run(bundle, home, "job", "add", "--name", "shop", "--source", "shop", "--table",
               "orders").returncode == 0
    ran = run(bundle, home, "job", "run", "shop", "--json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["rows_written"] == 500
    shown = json.loads(run(bundle, home, "job", "preview", "shop", "--limit", "1",
                           "--json").stdout)
    assert shown == [{"table": "main.orders", "columns": ["id", "who", "total"],
                      "rows": [[1, "Zoë 1", 1.5]]}]
