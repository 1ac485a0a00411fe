"""Secrets from environment variables, for containers (Cloud Run injects them)."""

from __future__ import annotations

import json
import os

from app.secrets.errors import SecretError, SecretNotFound


class EnvBackend:
    """Read-only: the key is a variable name holding JSON (or a bare password)."""

    scheme = "env"

    def get(self, key: str) -> dict:
        raw = os.environ.get(key)
        if raw is None:
            raise SecretNotFound(f"environment variable {key} is not set")
        try:
            value = json.loads(raw)
        except ValueError:
            return {"password": raw}
        return value if isinstance(value, dict) else {"password": raw}

    def set(self, key: str, value: dict) -> None:
        raise SecretError("environment secrets are read-only; set them in the container")

    def delete(self, key: str) -> None:
        raise SecretError("environment secrets are read-only; unset them in the container")
