"""GCP Secret Manager backend: one secret per connection, a new version on each change."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from app.secrets.errors import SecretBackendUnavailable, SecretNotFound


class GcpSecretManagerBackend:
    """Keys are secret ids (e.g. "sluice-conn-<uuid>") inside `project`."""

    scheme = "gcp"

    def __init__(self, project: str, client: Any = None, endpoint: str | None = None) -> None:
        if not project:
            raise SecretBackendUnavailable("GCP Secret Manager needs a project id.")
        self.project = project
        if client is None:
            from google.cloud import secretmanager

            options = {"api_endpoint": endpoint} if endpoint else None
            client = secretmanager.SecretManagerServiceClient(client_options=options)
        self._client = client

    def _name(self, key: str) -> str:
        return f"projects/{self.project}/secrets/{key}"

    def get(self, key: str, version: str = "latest") -> dict:
        from google.api_core import exceptions

        try:
            response = self._client.access_secret_version(
                request={"name": f"{self._name(key)}/versions/{version}"}
            )
        except exceptions.NotFound as exc:
            raise SecretNotFound(f"secret {key} not found in project {self.project}") from exc
        return json.loads(response.payload.data.decode())

    def set(self, key: str, value: dict) -> None:
        from google.api_core import exceptions

        # Already there: add a version. gRPC says AlreadyExists, REST a 409 Conflict (its base).
        with contextlib.suppress(exceptions.Conflict):
            self._client.create_secret(
                request={
                    "parent": f"projects/{self.project}",
                    "secret_id": key,
                    "secret": {"replication": {"automatic": {}}, "labels": {"app": "sluice"}},
                }
            )
        self._client.add_secret_version(
            request={"parent": self._name(key), "payload": {"data": json.dumps(value).encode()}}
        )

    def delete(self, key: str) -> None:
        from google.api_core import exceptions

        with contextlib.suppress(exceptions.NotFound):
            self._client.delete_secret(request={"name": self._name(key)})
