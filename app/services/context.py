"""The pieces every front end needs, opened once: the store, secrets and preferences."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import paths
from app.secrets import MasterPassword, SecretStore, default_factories
from app.store.db import Store, open_store

SECRET_BACKEND = "secret_backend"
GCP_PROJECT = "gcp_project"
GCP_ENDPOINT = "gcp_endpoint"
TEST_TIMEOUT = "test_timeout"


@dataclass
class AppContext:
    store: Store
    secrets: SecretStore
    vault_password: Callable[[], str | None]  # a MasterPassword, except in the CLI

    @property
    def vault_path(self) -> Path:
        return vault_path(self.store)

    @property
    def test_timeout(self) -> float:
        return float(self.store.get_setting(TEST_TIMEOUT, 10.0))

    def close(self) -> None:
        self.store.close()


def vault_path(store: Store) -> Path:
    return store.path.parent / "vault.json"


def build_secret_store(store: Store, vault_password: Callable[[], str | None] | None = None,
                       gcp_client: Any = None) -> SecretStore:
    """The SecretStore the user chose in preferences (the OS keyring unless changed)."""

    def password() -> str | None:
        if vault_password is not None:
            return vault_password()
        return os.environ.get("SLUICE_VAULT_PASSWORD")

    factories = default_factories(
        vault_path=vault_path(store), vault_password=password,
        gcp_client=gcp_client, gcp_endpoint=store.get_setting(GCP_ENDPOINT),
    )
    return SecretStore(store.get_setting(SECRET_BACKEND, "keyring"), factories,
                       gcp_project=store.get_setting(GCP_PROJECT))


def open_app(home: Path | None = None,
             vault_password: Callable[[], str | None] | None = None) -> AppContext:
    """The store and secrets; the vault's master password is `vault_password`'s (the
    app's prompt), else SLUICE_VAULT_PASSWORD's."""
    store = open_store(home / "sluice.db" if home else None)
    master = vault_password or MasterPassword(os.environ.get("SLUICE_VAULT_PASSWORD"))
    return AppContext(store, build_secret_store(store, master), master)


def restore_store(source: Path | None = None) -> str:
    """Put the newest healthy backup of the store (or `source`) in place of the store file,
    which is moved aside, never deleted; returns what happened in a sentence."""
    from app.store.health import restore

    used, aside = restore(paths.store_path(), source)
    return (f"Restored the metadata store from the backup {used.name}." +
            (f" The file it replaced was kept as {aside.name}." if aside else ""))


def has_backup() -> bool:
    from app.store.health import backups

    return bool(backups(paths.store_path()))
