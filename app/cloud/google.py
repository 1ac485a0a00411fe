"""Google Cloud's clients for a deploy, with one set of credentials: Secret Manager, Cloud
Run Jobs and Executions, Cloud Scheduler (their official client libraries), and an
authorized HTTP session for Cloud Storage, Cloud Build and Artifact Registry (small REST
calls with no client library in our dependencies).

Credentials: a service-account key file when one is chosen, else the application default
credentials; neither is a plain message (DeployError). SLUICE_GOOGLE_API_ENDPOINT sends every
request to one other endpoint (an emulator, a private gateway) with no credentials.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
ENDPOINT_VARIABLE = "SLUICE_GOOGLE_API_ENDPOINT"
HOSTS = {"storage": "https://storage.googleapis.com",
         "cloudbuild": "https://cloudbuild.googleapis.com",
         "artifactregistry": "https://artifactregistry.googleapis.com"}


class DeployError(Exception):
    """A deploy (or a call to Google it needs) that cannot go on; the message says why."""


def credentials(key_file: str | None = None) -> Any:
    """A chosen service-account key file's credentials, else the application default."""
    from google.auth import default
    from google.auth.exceptions import DefaultCredentialsError
    from google.oauth2 import service_account

    if key_file:
        path = Path(key_file).expanduser()
        if not path.is_file():
            raise DeployError(f"The key file {key_file} does not exist.")
        try:
            return service_account.Credentials.from_service_account_file(str(path),
                                                                         scopes=SCOPES)
        except (ValueError, KeyError) as exc:
            raise DeployError(f"{key_file} is not a service-account key file ({exc}).") \
                from exc
    try:
        return default(scopes=SCOPES)[0]
    except DefaultCredentialsError as exc:
        raise DeployError("No Google credentials: choose a service-account key file, or sign "
                          "in with `gcloud auth application-default login`.") from exc


class GoogleClients:
    """The clients a deploy uses, made on first use."""

    def __init__(self, key_file: str | None = None, endpoint: str | None = None) -> None:
        self.endpoint = endpoint or os.environ.get(ENDPOINT_VARIABLE) or None
        if self.endpoint:
            from google.auth.credentials import AnonymousCredentials

            self.credentials = AnonymousCredentials()
        else:
            self.credentials = credentials(key_file)
        self._made: dict[str, Any] = {}

    def _client(self, key: str, factory: Any) -> Any:
        if key not in self._made:
            options = {"credentials": self.credentials}
            if self.endpoint:
                options.update(transport="rest", client_options={"api_endpoint": self.endpoint})
            self._made[key] = factory(**options)
        return self._made[key]

    @property
    def secrets(self) -> Any:
        from google.cloud import secretmanager

        return self._client("secrets", secretmanager.SecretManagerServiceClient)

    @property
    def jobs(self) -> Any:
        from google.cloud import run_v2

        return self._client("jobs", run_v2.JobsClient)

    @property
    def executions(self) -> Any:
        from google.cloud import run_v2

        return self._client("executions", run_v2.ExecutionsClient)

    @property
    def scheduler(self) -> Any:
        from google.cloud import scheduler_v1

        return self._client("scheduler", scheduler_v1.CloudSchedulerClient)

    def url(self, api: str, path: str) -> str:
        return f"{(self.endpoint or HOSTS[api]).rstrip('/')}{path}"

    @property
    def http(self) -> Any:
        """An authorized requests session (REST calls without a client library)."""
        if "http" not in self._made:
            if self.endpoint:
                import requests

                self._made["http"] = requests.Session()
            else:
                from google.auth.transport.requests import AuthorizedSession

                self._made["http"] = AuthorizedSession(self.credentials)
        return self._made["http"]
