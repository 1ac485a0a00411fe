"""Where Sluice keeps its files: the platform user-data dir, or SLUICE_HOME."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "Sluice"


def data_dir() -> Path:
    """Return (and create) the directory holding the metadata store and local warehouse.

    SLUICE_HOME overrides the platform default, for tests and portable installs.
    """
    override = os.environ.get("SLUICE_HOME")
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    if not path.is_dir():
        # Private: it holds business data (the store, the warehouse, the vault, logs).
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def store_path() -> Path:
    return data_dir() / "sluice.db"


def warehouse_path() -> Path:
    return data_dir() / "warehouse.duckdb"


def make_private(*paths: Path) -> None:
    """Business data: readable by its owner only (0600 files, 0700 folders)."""
    import contextlib

    for path in paths:
        with contextlib.suppress(FileNotFoundError, PermissionError):
            path.chmod(0o700 if path.is_dir() else 0o600)
