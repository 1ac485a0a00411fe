"""Reading the secrets a job spec references, with no metadata store: environment
variables (`env:NAME`; Cloud Run fills them from Secret Manager through `secretKeyRef`) or
Secret Manager itself (`projects/P/secrets/S[/versions/V]`, or `gcp:S` in the runner's
project)."""

from __future__ import annotations

import os
from typing import Any

from app.secrets import SecretBackendUnavailable, SecretError

# Where the runner's Secret Manager requests go (an emulator or private endpoint).
ENDPOINT_VARIABLE = "SLUICE_SECRET_MANAGER_ENDPOINT"


class SpecSecrets:
    """Resolves references to secret documents ({"password": ...}); one Secret Manager
    client per project, made on first use."""

    def __init__(self, gcp_client: Any = None) -> None:
        self._client = gcp_client
        self._backends: dict[str, Any] = {}

    def get(self, ref: str) -> dict:
        scheme, _, rest = ref.partition(":")
        if scheme == "env" and rest:
            from app.secrets.env_backend import EnvBackend

            return EnvBackend().get(rest)
        if scheme == "gcp" and rest:
            return self._gcp(runner_project()).get(rest)
        parts = ref.split("/")
        if len(parts) in (4, 6) and parts[0] == "projects" and parts[2] == "secrets":
            version = parts[5] if len(parts) == 6 else "latest"
            return self._gcp(parts[1]).get(parts[3], version)
        raise SecretError(f"{ref!r} is not a secret reference")

    def _gcp(self, project: str) -> Any:
        if project not in self._backends:
            from app.secrets.gcp import GcpSecretManagerBackend

            self._backends[project] = GcpSecretManagerBackend(
                project, client=self._client, endpoint=os.environ.get(ENDPOINT_VARIABLE))
        return self._backends[project]


def runner_project() -> str:
    """The Google Cloud project the runner runs in: GOOGLE_CLOUD_PROJECT, else the
    application default credentials' project."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if project:
        return project
    try:
        import google.auth

        project = google.auth.default()[1]
    except Exception as exc:  # noqa: BLE001 - no credentials at all: say what to set
        raise SecretBackendUnavailable(
            f"A gcp: secret reference needs the project: set GOOGLE_CLOUD_PROJECT ({exc})"
        ) from exc
    if not project:
        raise SecretBackendUnavailable("A gcp: secret reference needs the project: set "
                                       "GOOGLE_CLOUD_PROJECT.")
    return project
