"""The vault as the app offers it: set up, unlock, lock, change the master password."""

from __future__ import annotations

import pytest

from app.secrets import VaultLocked
from app.services import preferences, vault
from app.services.errors import ValidationError

MASTER = "correct horse battery staple"


def test_set_up_checks_the_password_and_makes_the_vault_the_choice(ctx):
    assert vault.state(ctx) == "none"
    with pytest.raises(ValidationError) as short:
        vault.set_up(ctx, "short", "short")
    assert short.value.errors == {"password": "The master password needs at least 8 "
                                              "characters."}
    with pytest.raises(ValidationError) as differ:
        vault.set_up(ctx, MASTER, MASTER + " ")
    assert differ.value.errors == {"again": "The two passwords differ."}
    assert vault.state(ctx) == "none" and preferences.load(ctx).secret_backend == "keyring"
    vault.set_up(ctx, MASTER, MASTER)
    assert vault.state(ctx) == "unlocked" and vault.in_use(ctx)
    ctx.secrets.set("vault:conn-1", {"password": "pw"})
    assert ctx.secrets.get("vault:conn-1") == {"password": "pw"}


def test_locked_means_the_password_is_needed_again(ctx):
    vault.set_up(ctx, MASTER, MASTER)
    ctx.secrets.set("vault:conn-1", {"password": "pw"})
    vault.lock(ctx)
    assert vault.state(ctx) == "locked"
    with pytest.raises(VaultLocked, match="locked"):
        ctx.secrets.get("vault:conn-1")
    with pytest.raises(VaultLocked, match="Wrong master password"):
        vault.unlock(ctx, "guess")
    assert vault.state(ctx) == "locked"
    vault.unlock(ctx, MASTER)
    assert ctx.secrets.get("vault:conn-1") == {"password": "pw"}


def test_a_new_master_password_keeps_every_secret(ctx):
    vault.set_up(ctx, MASTER, MASTER)
    for n in range(3):
        ctx.secrets.set(f"vault:conn-{n}", {"password": f"pw{n}"})
    with pytest.raises(VaultLocked, match="Wrong master password"):
        vault.change_password(ctx, "guess", "another long password", "another long password")
    vault.change_password(ctx, MASTER, "another long password", "another long password")
    vault.lock(ctx)
    with pytest.raises(VaultLocked):
        vault.unlock(ctx, MASTER)
    vault.unlock(ctx, "another long password")
    assert [ctx.secrets.get(f"vault:conn-{n}") for n in range(3)] == [
        {"password": f"pw{n}"} for n in range(3)]


@pytest.mark.parametrize("password, hint", [
    ("abc", "Too short: at least 8 characters."),
    ("abcdefgh", "Weak: use 12 characters or more, or a few unrelated words."),
    ("abcdefgh12", "Fair: longer is stronger (a few unrelated words)."),
    ("Abcdefgh12!x", "Strong."), ("correct horse battery staple", "Strong."),
])
def test_a_word_on_the_strength_of_a_new_password(password, hint):
    from app.secrets.vault import strength_hint

    assert strength_hint(password) == hint
