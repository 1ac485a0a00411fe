"""GCP Secret Manager and BigQuery through the real Google clients and a fake REST server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.connectors import base, registry
from app.secrets import SecretNotFound, SecretStore, default_factories
from tests.fakes import google_rest


@pytest.fixture
def secret_manager():
    with google_rest.secret_manager() as fake:
        yield fake


def _sm_client(endpoint: str):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import secretmanager

    return secretmanager.SecretManagerServiceClient(
        credentials=AnonymousCredentials(), transport="rest",
        client_options={"api_endpoint": endpoint})


def test_secret_manager_roundtrip_by_connection_id(secret_manager):
    store = SecretStore("gcp", default_factories(None, lambda: None,
                                                 gcp_client=_sm_client(secret_manager.endpoint)),
                        gcp_project="acme-etl")
    ref = store.ref_for("1234")
    assert ref == "gcp:acme-etl/sluice-conn-1234"
    store.set(ref, {"password": "pw-1"})
    store.set(ref, {"password": "pw-2"})  # second save: new version of the same secret
    assert store.get(ref) == {"password": "pw-2"}
    name = "projects/acme-etl/secrets/sluice-conn-1234"
    assert len(secret_manager.secrets[name]) == 2
    store.delete(ref)
    assert name not in secret_manager.secrets
    with pytest.raises(SecretNotFound, match="not found in project acme-etl"):
        store.get(ref)


def _bq_params(endpoint: str, **extra) -> dict:
    params, _, errors = registry.validate("bigquery", {"project": "acme", "dataset": "web",
                                                       "endpoint": endpoint, **extra})
    assert not errors
    return params


def test_bigquery_test_and_tables():
    modified = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    tables = {"events": {"rows": 1500, "modified_ms": int(modified.timestamp() * 1000)},
              "daily": {"rows": None, "type": "VIEW",
                        "modified_ms": int(modified.timestamp() * 1000)}}
    with google_rest.bigquery("acme", "web", tables) as fake:
        result = base.test_connection("bigquery", _bq_params(fake.endpoint), {})
        assert result.status == base.OK, result.message
        assert result.message == "Connected to BigQuery dataset acme.web in EU: 2 tables."
        listed = {t.name: t for t in base.list_tables("bigquery", _bq_params(fake.endpoint), {})}
    assert (listed["events"].rows, listed["events"].rows_exact) == (1500, True)
    assert listed["events"].last_updated == modified
    assert listed["daily"].kind == "view" and listed["daily"].rows is None


def test_bigquery_missing_dataset_is_failed():
    with google_rest.bigquery("acme", "other", {}) as fake:
        result = base.test_connection("bigquery", _bq_params(fake.endpoint), {})
    assert result.status == base.FAILED
    assert result.message == "Dataset acme.web was not found."


def test_bigquery_key_file_that_does_not_exist_is_failed(tmp_path):
    params, _, _ = registry.validate("bigquery", {"project": "acme", "dataset": "web",
                                                  "key_file": str(tmp_path / "nope.json")})
    result = base.test_connection("bigquery", params, {})
    assert result.status == base.FAILED
    assert result.message.startswith("Key file not found:")


def test_bigquery_without_credentials_says_how_to_get_them(monkeypatch, tmp_path):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    params, _, _ = registry.validate("bigquery", {"project": "acme", "dataset": "web"})
    result = base.test_connection("bigquery", params, {}, timeout=20)
    assert result.status == base.FAILED
    assert "credentials" in result.message.lower()


def test_bigquery_key_file_that_is_not_a_key_is_failed(tmp_path):
    bad = tmp_path / "key.json"
    bad.write_text('{"type": "service_account"}')
    params, _, _ = registry.validate("bigquery", {"project": "acme", "dataset": "web",
                                                  "key_file": str(bad)})
    result = base.test_connection("bigquery", params, {})
    assert result.status == base.FAILED
    assert result.message.startswith(f"{bad} is not a service-account key file")
