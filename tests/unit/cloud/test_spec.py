"""The job spec: what it holds, and every way a spec is refused (one line per problem)."""

from __future__ import annotations

import json

import pytest

from app.cloud.spec import Endpoint, JobSpec, SpecError, digest, env_name, loads, secret_id
from app.etl.spec import TableSpec
from app.scheduling.schedule import Schedule


def good() -> JobSpec:
    return JobSpec(
        "Sales ETL",
        Endpoint("Sales DB", "postgresql", {"host": "db", "port": 5432, "database": "sales",
                                            "user": "etl"}, "env:SLUICE_SECRET_SALES_DB"),
        Endpoint("DWH", "postgresql", {"host": "dwh", "port": 5432, "database": "dwh",
                                       "user": "loader"},
                 "projects/acme-data/secrets/sluice-dwh"),
        [TableSpec("orders", "sales", mode="incremental", cursor="updated_at",
                   primary_key=["id"], lookback="1h"),
         TableSpec("customers", "sales", mode="merge", primary_key=["id"])],
        Schedule("cron", "0 6 * * 1-5", "Europe/Warsaw"), webhook="gcp:sluice-webhook-sales")


def sealed(doc: dict) -> str:
    doc = {k: v for k, v in doc.items() if k != "digest"}
    return json.dumps({**doc, "digest": digest(doc)})


def problems(doc: dict, seal: bool = True) -> list[str]:
    with pytest.raises(SpecError) as raised:
        loads(sealed(doc) if seal else json.dumps(doc), "job.json")
    assert str(raised.value).startswith("The job spec job.json cannot be used:\n  - ")
    return raised.value.problems


def test_a_spec_round_trips_with_everything_the_job_says():
    spec = good()
    back = loads(spec.dumps())
    # Parameters come back as a form would save them (defaults filled in).
    assert back.source.params == {**spec.source.params, "sslmode": "prefer"}
    assert back.document()["job"] == spec.document()["job"]
    assert loads(back.dumps()).document() == back.document()
    assert back.tables[0].lookback == "1h" and back.tables[1].primary_key == ["id"]
    assert back.schedule == Schedule("cron", "0 6 * * 1-5", "Europe/Warsaw")
    assert back.source.secret == "env:SLUICE_SECRET_SALES_DB"


def test_secret_names_follow_the_connection_name():
    assert env_name("Sales DB (EU)") == "SLUICE_SECRET_SALES_DB_EU_"
    assert env_name("pg--main") == "SLUICE_SECRET_PG_MAIN"
    assert secret_id("Sales DB (EU)") == "sluice-sales-db-eu"


def test_unknown_version_and_foreign_documents():
    doc = good().document()
    assert problems({**doc, "version": 2}) == [
        "Unknown spec version 2: this Sluice reads version 1 (a newer Sluice wrote it: "
        "upgrade Sluice)."]
    assert "not a Sluice job spec" in problems({"name": "x"})[0]
    with pytest.raises(SpecError, match="It is not JSON"):
        loads("{", "job.json")


def test_missing_fields_and_unknown_types_are_each_named():
    doc = good().document()
    del doc["job"]["schedule"]
    doc["source"]["type"] = "foxpro"
    del doc["destination"]["params"]
    found = problems(doc)
    assert 'Missing field "job.schedule".' in found
    assert any(p.startswith("Unknown connection type 'foxpro' in source.type") for p in found)
    assert 'Missing field "destination.params".' in found


def test_a_secret_given_as_a_value_is_refused_without_repeating_it():
    doc = good().document()
    doc["source"]["params"]["password"] = "hunter2"
    doc["destination"]["secret"] = "hunter2"
    doc["job"]["notify"]["webhook"] = "https://hooks.example.com/T000/B000/XXXX"
    found = problems(doc)
    assert found[0].startswith("source.params.password is a secret given as a value")
    assert any(p.startswith("destination.secret is not a reference") for p in found)
    assert any(p.startswith("job.notify.webhook is a URL given as a value") for p in found)
    assert not any("hunter2" in p or "XXXX" in p for p in found)


def test_a_changed_or_unsealed_spec_is_refused():
    text = good().dumps()
    doc = json.loads(text)
    doc["job"]["tables"][0]["mode"] = "replace"
    assert problems(doc, seal=False) == [
        "It was changed after it was exported (its digest no longer matches its content): "
        "export the job again from Sluice rather than editing the file."]
    del doc["digest"]
    assert problems(doc, seal=False)[0] == \
        'Missing field "digest": export the job again from Sluice.'


def test_the_job_rules_apply():
    doc = good().document()
    doc["job"]["tables"][0]["cursor"] = None
    doc["job"]["tables"][1]["mode"] = "upsert"
    doc["job"]["schedule"]["timezone"] = "Mars/Olympus"
    doc["job"]["tables"].append({"table": "x", "colour": "red"})
    found = problems(doc)
    assert any("cursor" in p.lower() for p in found)
    assert "job: sales.customers: mode must be one of replace, append, incremental, " \
        "merge." in found
    assert any("Mars/Olympus" in p for p in found)
    assert "job.tables[2] (x) has unknown field colour." in found


def test_the_local_warehouse_is_a_destination_only():
    doc = good().document()
    doc["source"] = {"name": "w", "type": "local"}
    assert problems(doc) == ['source.type "local": the local warehouse is a destination only.']
