"""The OS keyring backend, and an honest report of whether that keyring is secure."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass

from app.secrets.errors import SecretBackendUnavailable, SecretNotFound

SERVICE = "sluice"

# Keyrings that keep secrets encrypted by the operating system's own facility.
SECURE_MODULES = (
    "keyring.backends.SecretService",
    "keyring.backends.libsecret",
    "keyring.backends.kwallet",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
)


@dataclass(frozen=True)
class KeyringStatus:
    name: str
    usable: bool
    secure: bool
    explicit: bool  # chosen through PYTHON_KEYRING_BACKEND or keyringrc

    @property
    def acceptable(self) -> bool:
        """Usable, and either secure or chosen on purpose by the user."""
        return self.usable and (self.secure or self.explicit)

    @property
    def warning(self) -> str | None:
        if self.usable and self.explicit and not self.secure:
            return (
                f"The keyring backend {self.name} was chosen in keyring's configuration "
                "and is not an encrypted OS keyring; secrets are stored as its author designed."
            )
        return None

    @property
    def short_problem(self) -> str | None:
        """The problem as the app says it (Preferences)."""
        if self.acceptable:
            return None
        return ("This computer has no secure keyring. Keep passwords in the encrypted vault "
                "(a master password) or in GCP Secret Manager instead.")

    @property
    def problem(self) -> str | None:
        if self.acceptable:
            return None
        found = "none" if not self.usable else f"{self.name}, which is not secure"
        return (
            f"No secure OS keyring is available on this machine (found: {found}). "
            "Sluice will not store passwords in plain text. Choose instead, in Preferences: "
            "the encrypted local vault (unlocked by a master password) or GCP Secret Manager; "
            "from the command line: `python main.py secrets use vault` or "
            "`python main.py secrets use gcp --project PROJECT`. Or select a keyring "
            "explicitly with PYTHON_KEYRING_BACKEND."
        )


def _is_secure(backend: object) -> bool:
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        return bool(backend.backends) and all(_is_secure(b) for b in backend.backends)
    return type(backend).__module__.startswith(SECURE_MODULES)


def keyring_status() -> KeyringStatus:
    import keyring
    import keyring.core
    from keyring.backends import fail
    from keyring.backends.chainer import ChainerBackend

    backend = keyring.get_keyring()
    explicit = (bool(os.environ.get("PYTHON_KEYRING_BACKEND"))
                or keyring.core.load_config() is not None)
    usable = not isinstance(backend, fail.Keyring) and not (
        isinstance(backend, ChainerBackend) and not backend.backends
    )
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    return KeyringStatus(name=name, usable=usable, secure=_is_secure(backend), explicit=explicit)


class KeyringBackend:
    """Secrets as JSON documents in the OS keyring, service "sluice", user = the key."""

    scheme = "keyring"

    def __init__(self) -> None:
        status = keyring_status()
        if not status.acceptable:
            raise SecretBackendUnavailable(status.problem)
        self.status = status

    def get(self, key: str) -> dict:
        import keyring

        raw = keyring.get_password(SERVICE, key)
        if raw is None:
            raise SecretNotFound(f"no secret {key!r} in the keyring")
        return json.loads(raw)

    def set(self, key: str, value: dict) -> None:
        import keyring

        keyring.set_password(SERVICE, key, json.dumps(value))

    def delete(self, key: str) -> None:
        import keyring
        from keyring.errors import PasswordDeleteError

        with contextlib.suppress(PasswordDeleteError):
            keyring.delete_password(SERVICE, key)
