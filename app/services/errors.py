"""User-facing service errors: each message says what is wrong and names what it concerns."""

from __future__ import annotations

from app.secrets.errors import (  # noqa: F401 - for front ends: secrets' faults
    SecretBackendUnavailable,
    SecretError,
    VaultLocked,
)
from app.store.health import StoreError  # noqa: F401 - and the store's


class ServiceError(Exception):
    """A request a user made that cannot be carried out; nothing was changed."""


class ValidationError(ServiceError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


class NotFound(ServiceError):
    pass


class NotTested(ServiceError):
    """Save was asked for values that did not just pass a test."""


class DuplicateName(ServiceError):
    def __init__(self, existing: str) -> None:
        self.existing = existing
        super().__init__(f"A connection named {existing!r} already exists "
                         "(names are compared ignoring case).")


class DuplicateCredentials(ServiceError):
    def __init__(self, existing: str, where: str) -> None:
        self.existing = existing
        super().__init__(f"Connection {existing!r} already uses these credentials ({where}).")


class ConnectionInUse(ServiceError):
    def __init__(self, name: str, jobs: list[str]) -> None:
        self.jobs = jobs
        listed = ", ".join(repr(j) for j in jobs)
        super().__init__(f"Connection {name!r} is used by {len(jobs)} "
                         f"job{'s' if len(jobs) != 1 else ''}: {listed}. "
                         "Delete or change those jobs first.")
