"""A damaged, read-only or full metadata store gives one message and changes nothing.

Each used to give a raw SQLAlchemy or OSError traceback from every command, `types`
included, and the app hung on "Loading connections…".
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_cli import sluice

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a file system needs root")


def _shop(tmp_path: Path) -> Path:
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table items (id integer primary key)")
    return db


def _add(name: str, db: Path):
    return sluice("connection", "add", "--type", "sqlite", "--name", name,
                  "--option", f"path={db}")


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr  # no traceback
    return lines[0]


def _damage(store: Path, how: str) -> None:
    data = store.read_bytes()
    if how == "truncated":
        store.write_bytes(data[: len(data) // 2])
    elif how == "random bytes":
        store.write_bytes(os.urandom(len(data)))
    elif how == "a text file":
        store.write_text("name,host\nsales,db1\n")
    else:  # a bad header
        store.write_bytes(b"SQLite format 2\x00" + data[16:])


@pytest.mark.parametrize("how", ["truncated", "random bytes", "a text file", "a bad header"])
def test_a_damaged_store_is_named_kept_and_restorable(isolated_home, tmp_path, how):
    assert _add("Shop", _shop(tmp_path)).returncode == 0
    assert sluice("job", "list").returncode == 0  # opened again: backed up with Shop in it
    store = isolated_home / "sluice.db"
    _damage(store, how)
    damaged = store.read_bytes()

    listed = sluice("connection", "list")
    assert listed.returncode == 1
    line = _one_line(listed.stderr)
    assert line.startswith(f"sluice: The metadata store {store} is damaged (")
    assert "it was left as it is. To go on, restore the latest automatic backup" in line
    assert "`python main.py store restore`" in line
    assert store.read_bytes() == damaged  # never written to
    assert sluice("types").returncode == 0  # needs no store

    restored = sluice("store", "restore")
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith("Restored the metadata store from the backup sluice-")
    kept = [p for p in isolated_home.iterdir() if p.name.startswith("sluice.db.damaged-")
            and not p.name.endswith(("-wal", "-shm"))]
    assert [p.read_bytes() for p in kept] == [damaged]
    assert "Shop" in sluice("connection", "list").stdout


def test_a_damaged_store_without_a_backup_says_what_to_do(isolated_home, tmp_path):
    assert _add("Shop", _shop(tmp_path)).returncode == 0
    for backup in (isolated_home / "backups").iterdir():
        backup.unlink()
    (isolated_home / "sluice.db").write_text("not a database")
    line = _one_line(sluice("job", "list").stderr)
    assert line.endswith("there is no backup yet: move the file away and Sluice starts an "
                         "empty store.")
    refused = sluice("store", "restore")
    assert refused.returncode == 1
    assert _one_line(refused.stderr).startswith("sluice: No usable backup of ")


def test_an_empty_store_file_is_started_afresh_and_logged(isolated_home):
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "sluice.db").write_bytes(b"")
    assert sluice("connection", "list").returncode == 0
    log = (isolated_home / "logs" / "sluice.log").read_text()
    assert "sluice.db was empty (0 bytes): starting a new, empty store" in log


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


@needs_root
def test_a_read_only_data_folder_is_said_plainly(small_disk, tmp_path, monkeypatch):
    home = small_disk / "home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    assert _add("Shop", _shop(tmp_path)).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        listed = sluice("connection", "list")
        assert listed.returncode == 1
        assert _one_line(listed.stderr) == (
            f"sluice: The metadata store {home / 'sluice.db'} cannot be written: its folder "
            f"{home} is read-only. Make the file and its folder writable (Sluice keeps two "
            "working files beside it), or set SLUICE_HOME to a writable folder.")
        monkeypatch.setenv("SLUICE_HOME", str(small_disk / "new" / "home"))
        fresh = sluice("job", "list")
        assert _one_line(fresh.stderr) == (
            f"sluice: Cannot create Sluice's data folder {small_disk / 'new'} (Read-only file "
            "system): make its parent writable, or set SLUICE_HOME to a folder you can write.")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)


@needs_root
def test_a_full_disk_under_the_store_is_said_plainly(small_disk, tmp_path, monkeypatch):
    home = small_disk / "home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    assert _add("Shop", _shop(tmp_path)).returncode == 0
    before = (home / "sluice.db").read_bytes()
    filler = small_disk / "filler"
    with filler.open("wb", buffering=0) as fh, pytest.raises(OSError):
        while True:
            fh.write(b"\0" * 4096)
    added = _add("Shop 2", tmp_path / "shop.db")
    assert added.returncode == 1
    assert _one_line(added.stderr) == (
        f"sluice: The disk holding the metadata store {home / 'sluice.db'} is full: free some "
        "space and try again (nothing was lost).")
    assert (home / "sluice.db").read_bytes() == before
    filler.unlink()
    assert "Shop" in sluice("connection", "list").stdout
