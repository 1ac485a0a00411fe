"""SecretStore: get/set/delete secrets by reference, whichever backend holds them.

A reference is "<scheme>:<key>": keyring:conn-<id>, vault:conn-<id>,
gcp:<project>/sluice-conn-<id>, env:<VARIABLE>. The reference is what the metadata store
keeps; the value (a small JSON document such as {"password": ...}) never leaves the backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from app.secrets.errors import (
    SecretBackendUnavailable,
    SecretError,
    SecretNotFound,
    VaultDamaged,
    VaultLocked,
)

BACKENDS = ("keyring", "vault", "gcp", "env")

__all__ = [
    "BACKENDS",
    "MasterPassword",
    "SecretBackendUnavailable",
    "SecretError",
    "SecretNotFound",
    "SecretStore",
    "VaultDamaged",
    "VaultLocked",
]


class MasterPassword:
    """The vault's master password for this process: given once (the app's prompt, or
    SLUICE_VAULT_PASSWORD), forgotten when the vault is locked."""

    def __init__(self, value: str | None = None) -> None:
        self.value = value

    def __call__(self) -> str | None:
        return self.value


class Backend(Protocol):
    scheme: str

    def get(self, key: str) -> dict: ...
    def set(self, key: str, value: dict) -> None: ...
    def delete(self, key: str) -> None: ...


class SecretStore:
    """Dispatches references to backends; new secrets go to the `default` backend.

    Backends are built on first use by `factories`, so a machine without a keyring can
    still list connections and only fails, with a plain message, when a secret is needed.
    """

    def __init__(self, default: str, factories: dict[str, Callable[[str | None], Backend]],
                 gcp_project: str | None = None) -> None:
        if default not in BACKENDS:
            raise SecretBackendUnavailable(f"unknown secret backend {default!r}")
        self.default = default
        self.gcp_project = gcp_project
        self._factories = factories
        self._built: dict[tuple[str, str | None], Backend] = {}

    def _backend(self, scheme: str, project: str | None = None) -> Backend:
        if scheme not in self._factories:
            raise SecretBackendUnavailable(f"unknown secret reference scheme {scheme!r}")
        if (scheme, project) not in self._built:
            self._built[(scheme, project)] = self._factories[scheme](project)
        return self._built[(scheme, project)]

    def _resolve(self, ref: str) -> tuple[Backend, str]:
        scheme, _, key = ref.partition(":")
        if not key:
            raise SecretError(f"malformed secret reference {ref!r}")
        if scheme == "gcp":
            project, _, key = key.partition("/")
            return self._backend(scheme, project), key
        return self._backend(scheme), key

    def ref_for(self, owner_id: str, kind: str = "conn") -> str:
        """The reference a new secret of `owner_id` gets (a connection's password, or a
        job's webhook URL: kind "hook")."""
        if self.default == "gcp":
            return f"gcp:{self.gcp_project}/sluice-{kind}-{owner_id}"
        if self.default == "env":
            infix = "" if kind == "conn" else f"{kind.upper()}_"
            return f"env:SLUICE_SECRET_{infix}{owner_id.replace('-', '_').upper()}"
        return f"{self.default}:{kind}-{owner_id}"

    def check_writable(self) -> None:
        """Raise SecretBackendUnavailable now if the default backend cannot store secrets."""
        if self.default == "env":
            raise SecretBackendUnavailable(
                "The environment secret backend is read-only (it is for containers); "
                "choose keyring, vault or gcp to save connections."
            )
        self._backend(self.default, self.gcp_project)

    def warning(self) -> str | None:
        if self.default != "keyring":
            return None
        from app.secrets.keyring_backend import keyring_status

        return keyring_status().warning

    def forget(self, scheme: str) -> None:
        """Build `scheme`'s backend again when next used (the vault was locked, or its
        password changed)."""
        self._built = {k: v for k, v in self._built.items() if k[0] != scheme}

    def get(self, ref: str) -> dict:
        backend, key = self._resolve(ref)
        return backend.get(key)

    def set(self, ref: str, value: dict) -> None:
        backend, key = self._resolve(ref)
        backend.set(key, value)

    def delete(self, ref: str) -> None:
        backend, key = self._resolve(ref)
        backend.delete(key)


def default_factories(vault_path: Any, vault_password: Callable[[], str | None],
                      gcp_client: Any = None, gcp_endpoint: str | None = None
                      ) -> dict[str, Callable[[str | None], Backend]]:
    """The real backends; `vault_password` is asked only when the vault is first opened."""

    def keyring_(_: str | None) -> Backend:
        from app.secrets.keyring_backend import KeyringBackend

        return KeyringBackend()

    def vault(_: str | None) -> Backend:
        from app.secrets.vault import EncryptedVault

        return EncryptedVault(vault_path, vault_password())

    def gcp(project: str | None) -> Backend:
        from app.secrets.gcp import GcpSecretManagerBackend

        return GcpSecretManagerBackend(project or "", client=gcp_client, endpoint=gcp_endpoint)

    def env(_: str | None) -> Backend:
        from app.secrets.env_backend import EnvBackend

        return EnvBackend()

    return {"keyring": keyring_, "vault": vault, "gcp": gcp, "env": env}
