"""SecretStore and its backends: keyring (honest about security), vault, env."""

from __future__ import annotations

import json

import pytest

from app.secrets import (
    SecretBackendUnavailable,
    SecretNotFound,
    SecretStore,
    VaultLocked,
    default_factories,
)
from app.secrets.keyring_backend import keyring_status
from app.secrets.vault import EncryptedVault


def test_explicitly_chosen_file_keyring_is_used_with_a_warning():
    status = keyring_status()
    assert status.explicit and status.usable and not status.secure
    assert status.acceptable
    assert "not an encrypted OS keyring" in status.warning


def test_an_insecure_keyring_picked_automatically_is_refused(monkeypatch):
    import keyring.core

    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    keyring.core.init_backend()
    status = keyring_status()
    if status.secure:  # a desktop with a real keyring: nothing to refuse
        pytest.skip("this machine has a secure OS keyring")
    assert not status.acceptable
    assert "No secure OS keyring" in status.problem
    assert "secrets use vault" in status.problem and "secrets use gcp" in status.problem
    store = SecretStore("keyring", default_factories(None, lambda: None))
    with pytest.raises(SecretBackendUnavailable, match="will not store passwords in plain"):
        store.set("keyring:conn-1", {"password": "pw"})


def test_no_keyring_at_all_is_reported(monkeypatch):
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()
    status = keyring_status()
    assert not status.usable
    assert "(found: none)" in status.problem


def test_keyring_roundtrip(keyring_file):
    store = SecretStore("keyring", default_factories(None, lambda: None))
    ref = store.ref_for("abc")
    assert ref == "keyring:conn-abc"
    store.set(ref, {"password": "hunter2"})
    assert store.get(ref) == {"password": "hunter2"}
    store.delete(ref)
    with pytest.raises(SecretNotFound):
        store.get(ref)
    store.delete(ref)  # deleting twice is fine


def test_vault_encrypts_and_needs_the_master_password(tmp_path):
    path = tmp_path / "vault.json"
    vault = EncryptedVault(path, "correct horse")
    vault.set("conn-1", {"password": "top-secret-value"})
    raw = path.read_bytes()
    assert b"top-secret-value" not in raw
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert EncryptedVault(path, "correct horse").get("conn-1") == {
        "password": "top-secret-value"}
    with pytest.raises(VaultLocked, match="Wrong master password"):
        EncryptedVault(path, "wrong")
    with pytest.raises(VaultLocked, match="locked"):
        EncryptedVault(path, None)
    reopened = EncryptedVault(path, "correct horse")
    reopened.delete("conn-1")
    with pytest.raises(SecretNotFound):
        EncryptedVault(path, "correct horse").get("conn-1")


def test_vault_entries_cannot_be_swapped(tmp_path):
    path = tmp_path / "vault.json"
    vault = EncryptedVault(path, "pw")
    vault.set("a", {"password": "A"})
    vault.set("b", {"password": "B"})
    doc = json.loads(path.read_text())
    doc["entries"]["a"], doc["entries"]["b"] = doc["entries"]["b"], doc["entries"]["a"]
    path.write_text(json.dumps(doc))
    with pytest.raises(Exception):  # noqa: B017 - AES-GCM refuses, whatever its class
        EncryptedVault(path, "pw").get("a")


def test_vault_through_the_secret_store(tmp_path):
    store = SecretStore("vault", default_factories(tmp_path / "v.json", lambda: "m"))
    ref = store.ref_for("x")
    assert ref == "vault:conn-x"
    store.set(ref, {"password": "p"})
    assert store.get(ref) == {"password": "p"}


def test_env_backend_reads_json_or_bare_password(monkeypatch):
    store = SecretStore("env", default_factories(None, lambda: None))
    monkeypatch.setenv("PG_SECRET", '{"password": "from-json"}')
    monkeypatch.setenv("BARE", "plain-pw")
    assert store.get("env:PG_SECRET") == {"password": "from-json"}
    assert store.get("env:BARE") == {"password": "plain-pw"}
    with pytest.raises(SecretNotFound):
        store.get("env:NOT_SET_ANYWHERE")
    with pytest.raises(SecretBackendUnavailable, match="read-only"):
        store.check_writable()


def _vault_with_entry(tmp_path):
    import json

    path = tmp_path / "vault.json"
    EncryptedVault(path, "pw").set("conn-1", {"password": "s3cret"})
    return path, json.loads(path.read_text())


def _write(path, doc) -> None:
    import json

    path.write_text(json.dumps(doc))


def test_a_tampered_entry_is_named_not_trusted(tmp_path):
    import base64

    from app.secrets import VaultDamaged

    path, doc = _vault_with_entry(tmp_path)
    raw = bytearray(base64.b64decode(doc["entries"]["conn-1"]))
    raw[-1] ^= 1  # one bit of the tag
    doc["entries"]["conn-1"] = base64.b64encode(bytes(raw)).decode()
    _write(path, doc)
    with pytest.raises(VaultDamaged) as damaged:
        EncryptedVault(path, "pw").get("conn-1")
    assert str(damaged.value) == (
        f"The entry 'conn-1' of the encrypted vault {path} was changed outside Sluice and "
        "cannot be trusted; enter the password again (Edit the connection) to replace it.")


@pytest.mark.parametrize("damage, said", [
    (lambda p, d: p.write_text('{"kdf": {'), "not JSON: Expecting property name enclosed in "
                                             "double quotes at line 1"),
    (lambda p, d: p.write_bytes(b"\xff\xfe\x00garbage"), "it is not text"),
    (lambda p, d: _write(p, {**d, "kdf": {**d["kdf"], "salt": "%%%not base64%%%"}}),
     "a part is missing or malformed: "),
    (lambda p, d: _write(p, {k: v for k, v in d.items() if k != "check"}),
     "a part is missing or malformed: 'check'"),
    (lambda p, d: _write(p, {**d, "kdf": {**d["kdf"], "n": 2**24, "r": 64}}),
     "its key-derivation settings (scrypt n=16777216, r=64, p=1) are not ones Sluice "
     "writes or accepts"),
    (lambda p, d: _write(p, {**d, "kdf": {**d["kdf"], "n": 1000}}),
     "its key-derivation settings (scrypt n=1000, r=8, p=1)"),
])
def test_a_damaged_vault_file_is_named_and_left_alone(tmp_path, damage, said):
    from app.secrets import VaultDamaged

    path, doc = _vault_with_entry(tmp_path)
    damage(path, doc)
    before = path.read_bytes()
    with pytest.raises(VaultDamaged) as damaged:
        EncryptedVault(path, "pw")
    message = str(damaged.value)
    assert message.startswith(f"The encrypted vault {path} is damaged ({said}")
    assert message.endswith("Sluice left it as it is. Restore it from a copy, or move it "
                            "away and enter the connections' passwords again.")
    assert path.read_bytes() == before


def test_a_wrong_master_password_says_so(tmp_path):
    path, _ = _vault_with_entry(tmp_path)
    with pytest.raises(VaultLocked) as locked:
        EncryptedVault(path, "not it")
    assert str(locked.value) == f"Wrong master password for the encrypted vault {path}."
