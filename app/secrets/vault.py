"""An encrypted local vault for machines without a secure keyring.

One JSON file; each entry sealed with AES-256-GCM under a key derived from the master
password with scrypt. Nothing is ever written in clear.

Several processes use one vault (the app, the CLI, the scheduler), so every change is a
read-modify-write under an exclusive lock (`vault.json.lock`): the file is read again,
the one entry changed, and the whole written to a temporary file that atomically replaces
it. An entry written by another process is therefore never lost, and readers see the old
file or the new one, never half of one. Reads look at the file again whenever it changed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag

from app.secrets.errors import SecretNotFound, VaultDamaged, VaultLocked

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
# A vault asking for more is refused rather than obeyed: scrypt needs 128·n·r bytes, so a
# hostile file (n = 2^24, r = 64) would take 128 GB.
MAX_SCRYPT_MEMORY, MAX_SCRYPT_P = 256 << 20, 16
CHECK_PLAINTEXT = b"sluice-vault-v1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


MIN_PASSWORD = 8


def strength_hint(password: str) -> str:
    """A short word on a new master password: what it lacks, or that it is strong."""
    if len(password) < MIN_PASSWORD:
        return f"Too short: at least {MIN_PASSWORD} characters."
    kinds = sum(any(test(c) for c in password)
                for test in (str.islower, str.isupper, str.isdigit,
                             lambda c: not c.isalnum()))
    if len(password) >= 16 or (len(password) >= 12 and kinds >= 3):
        return "Strong."
    if len(password) >= 10 and kinds >= 2:
        return "Fair: longer is stronger (a few unrelated words)."
    return "Weak: use 12 characters or more, or a few unrelated words."


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password.encode())


class EncryptedVault:
    """get/set/delete by key; `password` unlocks it (created on first use)."""

    scheme = "vault"

    def __init__(self, path: Path, password: str | None) -> None:
        if not password:
            raise VaultLocked(
                "The encrypted vault is locked: unlock it with its master password "
                "(the app asks; elsewhere, set SLUICE_VAULT_PASSWORD)."
            )
        self.path = Path(path)
        self._password = password
        self._seen: tuple[int, int, int] | None = None
        with self._locked():
            if self._exists():
                self._load()
            else:
                self._create()

    # --- the file ------------------------------------------------------------------------

    def _locked(self) -> contextlib.AbstractContextManager:
        """Exclusive use of the vault file for one read-modify-write, across processes."""
        from app import locks

        return locks.held(self.path.with_name(self.path.name + ".lock"))

    def _exists(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    def _stamp(self) -> tuple[int, int, int] | None:
        with contextlib.suppress(FileNotFoundError):
            st = self.path.stat()
            return st.st_ino, st.st_mtime_ns, st.st_size
        return None

    def _create(self) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        salt = os.urandom(16)
        self._salt = salt
        self._aead = AESGCM(_derive(self._password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
        self._doc = {
            "kdf": {"name": "scrypt", "salt": _b64(salt), "n": SCRYPT_N, "r": SCRYPT_R,
                    "p": SCRYPT_P},
            "check": self._seal(CHECK_PLAINTEXT, b"check"),
            "entries": {},
        }
        self._write()

    def _load(self) -> None:
        """Read the file; derive the key again only if the vault was made anew."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        stamp = self._stamp()
        doc, salt, (n, r, p) = self._parse()
        if getattr(self, "_salt", None) != salt:
            self._aead = AESGCM(_derive(self._password, salt, n, r, p))
            self._salt = salt
            try:
                self._open(doc["check"], b"check")
            except InvalidTag as exc:
                raise VaultLocked(f"Wrong master password for the encrypted vault "
                                  f"{self.path}.") from exc
        self._doc, self._seen = doc, stamp

    def _damaged(self, what: str) -> VaultDamaged:
        return VaultDamaged(f"The encrypted vault {self.path} is damaged ({what}); Sluice "
                            "left it as it is. Restore it from a copy, or move it away and "
                            "enter the connections' passwords again.")

    def _parse(self) -> tuple[dict, bytes, tuple[int, int, int]]:
        """The vault's document, salt and scrypt parameters, checked before any use."""
        try:
            doc = json.loads(self.path.read_text())
        except UnicodeDecodeError as exc:
            raise self._damaged("it is not text") from exc
        except json.JSONDecodeError as exc:
            raise self._damaged(f"not JSON: {exc.msg} at line {exc.lineno}") from exc
        try:
            kdf, entries = doc["kdf"], doc["entries"]
            salt = _unb64(kdf["salt"])
            n, r, p = (int(kdf[k]) for k in ("n", "r", "p"))
            _unb64(doc["check"])
            if not isinstance(entries, dict):
                raise TypeError("entries")
        except (KeyError, TypeError, ValueError) as exc:  # binascii.Error is a ValueError
            raise self._damaged(f"a part is missing or malformed: {exc}") from exc
        if kdf.get("name") != "scrypt" or n < 2 or n & (n - 1) or r < 1 or p < 1 \
                or 128 * n * r > MAX_SCRYPT_MEMORY or p > MAX_SCRYPT_P:
            raise self._damaged(f"its key-derivation settings (scrypt n={n}, r={r}, p={p}) "
                                "are not ones Sluice writes or accepts")
        return doc, salt, (n, r, p)

    def _fresh(self) -> None:
        """Read the file again if another process changed it since we last did."""
        if self._stamp() != self._seen:
            self._load()

    def _write(self) -> None:
        # A temporary file of our own (several writers may exist), then an atomic replace.
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(self._doc, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        self._seen = self._stamp()

    # --- entries -------------------------------------------------------------------------

    def _seal(self, plaintext: bytes, aad: bytes) -> str:
        nonce = os.urandom(12)
        return _b64(nonce + self._aead.encrypt(nonce, plaintext, aad))

    def _open(self, sealed: str, aad: bytes) -> bytes:
        raw = _unb64(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], aad)

    def get(self, key: str) -> dict:
        self._fresh()
        sealed = self._doc["entries"].get(key)
        if sealed is None:
            raise SecretNotFound(f"no secret {key!r} in the vault")
        try:
            return json.loads(self._open(sealed, key.encode()))
        except (InvalidTag, ValueError) as exc:
            raise VaultDamaged(f"The entry {key!r} of the encrypted vault {self.path} was "
                               "changed outside Sluice and cannot be trusted; enter the "
                               "password again (Edit the connection) to replace it.") from exc

    def set(self, key: str, value: dict) -> None:
        with self._locked():
            self._fresh()
            self._doc["entries"][key] = self._seal(json.dumps(value).encode(), key.encode())
            self._write()

    def delete(self, key: str) -> None:
        with self._locked():
            self._fresh()
            if self._doc["entries"].pop(key, None) is not None:
                self._write()

    def change_password(self, new: str) -> None:
        """Seal every entry again under a key from `new` (a new salt), in one write."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        with self._locked():
            self._fresh()
            plain = {key: self._open(sealed, key.encode())
                     for key, sealed in self._doc["entries"].items()}
            salt = os.urandom(16)
            self._aead = AESGCM(_derive(new, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
            self._salt, self._password = salt, new
            self._doc = {
                "kdf": {"name": "scrypt", "salt": _b64(salt), "n": SCRYPT_N, "r": SCRYPT_R,
                        "p": SCRYPT_P},
                "check": self._seal(CHECK_PLAINTEXT, b"check"),
                "entries": {key: self._seal(value, key.encode())
                            for key, value in plain.items()},
            }
            self._write()
