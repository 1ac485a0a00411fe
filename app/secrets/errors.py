"""Errors raised by secret backends; messages are shown to users and never hold a secret."""


class SecretError(Exception):
    """Base of every secret-store failure."""


class SecretBackendUnavailable(SecretError):
    """The chosen backend cannot be used on this machine (message says what to do instead)."""


class SecretNotFound(SecretError):
    pass


class VaultLocked(SecretError):
    """The encrypted vault needs its master password, or the one given is wrong."""


class VaultDamaged(SecretError):
    """The vault file (or one entry of it) cannot be read as Sluice wrote it."""
