"""What a finished run tells the person who scheduled it, beyond the app: a webhook.

A job may name a webhook URL (kept in the secret backend: such URLs carry tokens). A run
that fails or is skipped, or one that succeeds when the job asks for that too, is POSTed
as a JSON document:

    {"job", "status", "rows", "duration_seconds", "error", "run_id", "attempts",
     "trigger", "started_at", "text"}

`text` says it in one line, so a Slack (or Mattermost, Teams, Discord-via-Slack) incoming
webhook shows it as is. A webhook that fails is logged and noted in the run's log; it never
fails the run.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

from app import __version__

if TYPE_CHECKING:
    from app.services.views import RunView

log = logging.getLogger("sluice.notify")
TIMEOUT_SECONDS = 10.0


class WebhookError(Exception):
    """The webhook could not be told (the message says why, without the URL's token)."""


def wanted(status: str, on_success: bool) -> bool:
    """Whether a run that ended in `status` is worth telling."""
    return status in ("failed", "skipped", "interrupted") or (on_success and
                                                             status == "succeeded")


def headline(job_name: str, run: RunView) -> str:
    """The run in one line: "Orders ETL failed: connection refused (2 attempts)"."""
    if run.status == "succeeded":
        said = f"succeeded: {run.rows_written:,} rows"
        if run.seconds is not None:
            said += f" in {run.seconds:,.1f} s"
    else:
        said = run.status + (f": {run.error.splitlines()[0]}" if run.error else "")
    if run.attempts > 1:
        said += f" ({run.attempts} attempts)"
    return f"Sluice: job “{job_name}” {said}"


def document(job_name: str, run: RunView) -> dict:
    return {"job": job_name, "status": run.status, "rows": run.rows_written,
            "duration_seconds": run.seconds, "error": run.error, "run_id": run.id,
            "attempts": run.attempts, "trigger": run.trigger,
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "text": headline(job_name, run)}


def _where(url: str) -> str:
    """The URL without what may be a token (its path and query): "https://hooks.slack.com"."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}"


def post(url: str, doc: dict, timeout: float = TIMEOUT_SECONDS) -> None:
    """POST `doc` as JSON to `url`; WebhookError when the other end does not take it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("the webhook URL must start with http:// or https://")
    request = urllib.request.Request(
        url, data=json.dumps(doc).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 "User-Agent": f"Sluice/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read(1024)
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"{_where(url)} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"{_where(url)} could not be reached: {reason}") from None
