"""Google credentials for BigQuery and Firestore: a key file, or application defaults."""

from __future__ import annotations

from pathlib import Path

from app.connectors.base import Failed, first_line

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


def google_credentials(params: dict):
    """Service-account key file when given, else application default credentials."""
    from google.auth import default
    from google.auth.exceptions import DefaultCredentialsError
    from google.oauth2 import service_account

    key_file = params.get("key_file")
    if key_file:
        if not Path(key_file).expanduser().is_file():
            raise Failed(f"Key file not found: {key_file}")
        try:
            return service_account.Credentials.from_service_account_file(
                str(Path(key_file).expanduser()),
                scopes=SCOPES)
        except (ValueError, KeyError) as exc:
            raise Failed(f"{key_file} is not a service-account key file: {first_line(exc)}") \
                from exc
    try:
        credentials, _ = default(scopes=SCOPES)
    except DefaultCredentialsError as exc:
        raise Failed("No Google credentials: choose a service-account key file, or run "
                     "`gcloud auth application-default login`.") from exc
    return credentials


def firestore_client(params: dict):
    """A Firestore client for a connection's parameters. With FIRESTORE_EMULATOR_HOST set
    (the client library's own switch) it talks to that emulator, without credentials."""
    import os

    from google.cloud import firestore

    emulated = bool(os.environ.get("FIRESTORE_EMULATOR_HOST"))
    return firestore.Client(project=params["project"],
                            credentials=None if emulated else google_credentials(params),
                            database=params.get("database") or "(default)")
