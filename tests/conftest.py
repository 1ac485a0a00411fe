"""Every test runs against its own SLUICE_HOME and its own file keyring.

The keyring is chosen the way a user would choose one, through keyring's own
configuration (PYTHON_KEYRING_BACKEND), so Sluice honours it with a warning.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TEST_KEYRING = "keyrings.alt.file.PlaintextKeyring"

pytest_plugins = ["tests.server_fixtures"]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "sluice-home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", TEST_KEYRING)
    monkeypatch.delenv("SLUICE_VAULT_PASSWORD", raising=False)
    import keyring.core

    keyring.core.init_backend()  # pick up this test's keyring file location
    return home


@pytest.fixture
def keyring_file(isolated_home: Path) -> Path:
    import keyring

    return Path(keyring.get_keyring().file_path)


@pytest.fixture
def ctx(isolated_home: Path):
    from app.services.context import open_app

    context = open_app()
    yield context
    context.close()


@pytest.fixture
def service(ctx):
    from app.services.connections import ConnectionService

    return ConnectionService(ctx)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
