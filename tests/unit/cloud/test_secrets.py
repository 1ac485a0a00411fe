"""The runner reads a spec's secrets through their references: environment variables, or
Secret Manager (the real client, against a loopback stand-in) by resource name or in the
runner's own project."""

from __future__ import annotations

import json

import pytest

from app.cloud.secrets import SpecSecrets
from app.secrets import SecretError, SecretNotFound
from tests.fakes import google_rest
from tests.unit.secrets.test_gcp import _sm_client


@pytest.fixture
def secret_manager():
    with google_rest.secret_manager() as fake:
        fake.secrets["projects/acme/secrets/sluice-sales"] = [
            json.dumps({"password": "old"}).encode(), json.dumps({"password": "pw"}).encode()]
        yield fake


def test_secret_manager_references(secret_manager, monkeypatch):
    secrets = SpecSecrets(gcp_client=_sm_client(secret_manager.endpoint))
    assert secrets.get("projects/acme/secrets/sluice-sales") == {"password": "pw"}
    assert secrets.get("projects/acme/secrets/sluice-sales/versions/latest") == \
        {"password": "pw"}
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "acme")
    assert secrets.get("gcp:sluice-sales") == {"password": "pw"}
    with pytest.raises(SecretNotFound, match="secret sluice-hr not found in project acme"):
        secrets.get("gcp:sluice-hr")


def test_environment_references(monkeypatch):
    monkeypatch.setenv("SLUICE_SECRET_SALES", '{"password": "p\\"w"}')
    monkeypatch.setenv("SLUICE_SECRET_BARE", "just-a-password")
    secrets = SpecSecrets()
    assert secrets.get("env:SLUICE_SECRET_SALES") == {"password": 'p"w'}
    assert secrets.get("env:SLUICE_SECRET_BARE") == {"password": "just-a-password"}
    with pytest.raises(SecretNotFound, match="SLUICE_SECRET_NONE is not set"):
        secrets.get("env:SLUICE_SECRET_NONE")
    with pytest.raises(SecretError, match="is not a secret reference"):
        secrets.get("hunter2")
