"""An encrypted local vault for machines without a secure keyring.

One JSON file; each entry sealed with AES-256-GCM under a key derived from the master
password with scrypt. Nothing is ever written in clear.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from app.secrets.errors import SecretNotFound, VaultLocked

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
CHECK_PLAINTEXT = b"sluice-vault-v1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password.encode())


class EncryptedVault:
    """get/set/delete by key; `password` unlocks it (created on first use)."""

    scheme = "vault"

    def __init__(self, path: Path, password: str | None) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not password:
            raise VaultLocked(
                "The encrypted vault is locked: give its master password "
                "(SLUICE_VAULT_PASSWORD, or the prompt)."
            )
        self.path = path
        if path.exists():
            self._doc = json.loads(path.read_text())
            kdf = self._doc["kdf"]
            key = _derive(password, _unb64(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
            self._aead = AESGCM(key)
            try:
                self._open(self._doc["check"], b"check")
            except Exception as exc:
                raise VaultLocked("Wrong master password for the encrypted vault.") from exc
        else:
            salt = os.urandom(16)
            key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
            self._aead = AESGCM(key)
            self._doc = {
                "kdf": {"name": "scrypt", "salt": _b64(salt), "n": SCRYPT_N, "r": SCRYPT_R,
                        "p": SCRYPT_P},
                "check": self._seal(CHECK_PLAINTEXT, b"check"),
                "entries": {},
            }
            self._write()

    def _seal(self, plaintext: bytes, aad: bytes) -> str:
        nonce = os.urandom(12)
        return _b64(nonce + self._aead.encrypt(nonce, plaintext, aad))

    def _open(self, sealed: str, aad: bytes) -> bytes:
        raw = _unb64(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], aad)

    def _write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(self._doc, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def get(self, key: str) -> dict:
        sealed = self._doc["entries"].get(key)
        if sealed is None:
            raise SecretNotFound(f"no secret {key!r} in the vault")
        return json.loads(self._open(sealed, key.encode()))

    def set(self, key: str, value: dict) -> None:
        self._doc["entries"][key] = self._seal(json.dumps(value).encode(), key.encode())
        self._write()

    def delete(self, key: str) -> None:
        if self._doc["entries"].pop(key, None) is not None:
            self._write()
