"""User preferences kept in the metadata store: secret backend, test timeout, how long
run records are kept.

(The theme is the GUI's own affair and lives with its window settings.)
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services.context import (
    GCP_ENDPOINT,
    GCP_PROJECT,
    SECRET_BACKEND,
    TEST_TIMEOUT,
    AppContext,
    build_secret_store,
)
from app.services.errors import ValidationError
from app.services.retention import DEFAULT_DAYS, DEFAULT_RUNS, KEEP_DAYS, KEEP_RUNS

WRITABLE_BACKENDS = ("keyring", "vault", "gcp")
TIMEOUT_RANGE = (1.0, 300.0)
KEEP_DAYS_RANGE = (1, 3650)
KEEP_RUNS_RANGE = (10, 100_000)


@dataclass
class Preferences:
    secret_backend: str = "keyring"
    gcp_project: str | None = None
    gcp_endpoint: str | None = None
    test_timeout: float = 10.0
    keep_days: int = DEFAULT_DAYS  # run records: kept this long, or
    keep_runs: int = DEFAULT_RUNS  # this many a job, whichever keeps more


def load(ctx: AppContext) -> Preferences:
    get = ctx.store.get_setting
    return Preferences(get(SECRET_BACKEND, "keyring"), get(GCP_PROJECT), get(GCP_ENDPOINT),
                       float(get(TEST_TIMEOUT, 10.0)), int(get(KEEP_DAYS, DEFAULT_DAYS)),
                       int(get(KEEP_RUNS, DEFAULT_RUNS)))


def save(ctx: AppContext, prefs: Preferences) -> None:
    """Validate and store; new secrets go to the chosen backend from now on."""
    errors = {}
    if prefs.secret_backend not in WRITABLE_BACKENDS:
        errors["secret_backend"] = f"Secret backend must be one of {', '.join(WRITABLE_BACKENDS)}."
    if prefs.secret_backend == "gcp" and not (prefs.gcp_project or "").strip():
        errors["gcp_project"] = "GCP Secret Manager needs a project id."
    low, high = TIMEOUT_RANGE
    if not low <= prefs.test_timeout <= high:
        errors["test_timeout"] = f"Test timeout must be between {low:g} and {high:g} seconds."
    for key, value, (low, high), unit in (
            ("keep_days", prefs.keep_days, KEEP_DAYS_RANGE, "days"),
            ("keep_runs", prefs.keep_runs, KEEP_RUNS_RANGE, "runs a job")):
        if not low <= value <= high:
            errors[key] = f"Run records are kept from {low:,} to {high:,} {unit}."
    if errors:
        raise ValidationError(errors)
    values = {SECRET_BACKEND: prefs.secret_backend, TEST_TIMEOUT: prefs.test_timeout,
              KEEP_DAYS: prefs.keep_days, KEEP_RUNS: prefs.keep_runs}
    if prefs.gcp_project:
        values[GCP_PROJECT] = prefs.gcp_project.strip()
    if prefs.gcp_endpoint:
        values[GCP_ENDPOINT] = prefs.gcp_endpoint.strip()
    for key, value in values.items():
        ctx.store.set_setting(key, value)
    ctx.secrets = build_secret_store(ctx.store, ctx.vault_password)


def secret_note(ctx: AppContext) -> str | None:
    """What the user should know about where passwords go: a problem, a warning or None."""
    from app.secrets.keyring_backend import keyring_status

    if load(ctx).secret_backend != "keyring":
        return None
    status = keyring_status()
    return status.short_problem or status.warning
