"""Reading a job spec from a file or from Cloud Storage (gs://bucket/object)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

# Where gs:// reads go (an emulator or private endpoint); default Google's JSON API.
ENDPOINT_VARIABLE = "SLUICE_STORAGE_ENDPOINT"
STORAGE_API = "https://storage.googleapis.com"


class SpecUnreadable(Exception):
    """The spec's file or object cannot be read; the message says why."""


def read_spec_text(where: str, session=None) -> str:
    """The text at a path, or at gs://bucket/object (read with the application default
    credentials, or `session`: an authorized requests session)."""
    if not where.startswith("gs://"):
        try:
            return Path(where).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecUnreadable(f"Cannot read the job spec {where}: "
                                 f"{getattr(exc, 'strerror', None) or exc}") from exc
    bucket, _, name = where[5:].partition("/")
    if not bucket or not name:
        raise SpecUnreadable(f"{where} does not name an object (gs://BUCKET/OBJECT).")
    if session is None:
        session = _session()
    base = os.environ.get(ENDPOINT_VARIABLE, STORAGE_API).rstrip("/")
    url = f"{base}/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}?alt=media"
    try:
        response = session.get(url, timeout=60)
    except Exception as exc:  # noqa: BLE001 - a network failure, in words
        raise SpecUnreadable(f"Cannot read the job spec {where}: {exc}") from exc
    if response.status_code != 200:
        raise SpecUnreadable(f"Cannot read the job spec {where}: HTTP "
                             f"{response.status_code} {response.text[:200]}")
    return response.content.decode("utf-8", errors="replace")


def _session():
    try:
        import google.auth
        from google.auth.transport.requests import AuthorizedSession

        credentials, _ = google.auth.default(
            scopes=["https://www.googleapis.com/auth/devstorage.read_only"])
    except Exception as exc:  # noqa: BLE001 - no credentials: say so
        raise SpecUnreadable(f"Reading gs:// needs Google credentials: {exc}") from exc
    return AuthorizedSession(credentials)
