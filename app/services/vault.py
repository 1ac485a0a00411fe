"""The encrypted vault as the app offers it: set it up, unlock it, lock it, change its
master password. The password lives in the context's MasterPassword for the session."""

from __future__ import annotations

from typing import Literal

from app.secrets import MasterPassword, VaultLocked
from app.services.context import SECRET_BACKEND, AppContext, build_secret_store
from app.services.errors import ValidationError

State = Literal["none", "locked", "unlocked"]


def strength_hint(password: str) -> str:
    from app.secrets.vault import strength_hint

    return strength_hint(password)


def state(ctx: AppContext) -> State:
    """Whether a vault exists here, and whether this session holds its password."""
    path = ctx.vault_path
    if not path.exists() or path.stat().st_size == 0:
        return "none"
    return "unlocked" if _master(ctx).value else "locked"


def in_use(ctx: AppContext) -> bool:
    """New passwords go to the vault (the user's choice, or set up here)."""
    return ctx.store.get_setting(SECRET_BACKEND, "keyring") == "vault"


def set_up(ctx: AppContext, password: str, again: str) -> None:
    """Create the vault with `password` (typed twice) and keep new passwords there."""
    from app.secrets.vault import MIN_PASSWORD

    errors = {}
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"The master password needs at least {MIN_PASSWORD} characters."
    elif password != again:
        errors["again"] = "The two passwords differ."
    if errors:
        raise ValidationError(errors)
    _open(ctx, password)  # creates it (or, if one exists, needs its password)
    use(ctx)


def use(ctx: AppContext) -> None:
    """New passwords go to the vault from now on."""
    ctx.store.set_setting(SECRET_BACKEND, "vault")
    ctx.secrets = build_secret_store(ctx.store, ctx.vault_password)


def unlock(ctx: AppContext, password: str) -> None:
    """Raises VaultLocked ("Wrong master password ...") unless `password` opens it."""
    _open(ctx, password)


def lock(ctx: AppContext) -> None:
    """Forget the master password: the vault's secrets need it again."""
    _master(ctx).value = None
    ctx.secrets.forget("vault")


def change_password(ctx: AppContext, current: str, new: str, again: str) -> None:
    from app.secrets.vault import MIN_PASSWORD, EncryptedVault

    if len(new) < MIN_PASSWORD:
        raise ValidationError({"password": f"The master password needs at least "
                                           f"{MIN_PASSWORD} characters."})
    if new != again:
        raise ValidationError({"again": "The two passwords differ."})
    EncryptedVault(ctx.vault_path, current).change_password(new)  # VaultLocked if wrong
    _master(ctx).value = new
    ctx.secrets.forget("vault")


def _open(ctx: AppContext, password: str) -> None:
    from app.secrets.vault import EncryptedVault

    if not password:
        raise VaultLocked("Type the vault's master password.")
    EncryptedVault(ctx.vault_path, password)  # creates it, or checks the password
    _master(ctx).value = password
    ctx.secrets.forget("vault")


def _master(ctx: AppContext) -> MasterPassword:
    if not isinstance(ctx.vault_password, MasterPassword):
        raise TypeError("this front end asks for the vault's password itself")
    return ctx.vault_password
