"""The type registry: one source of truth for tiles, forms, CLI choices and validation."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from app.connectors import registry
from app.connectors.registry import CATEGORIES, TYPES, validate, validate_name

DESIGN_TYPES = {
    "relational": {"PostgreSQL", "MySQL", "MariaDB", "Oracle", "SQL Server", "IBM DB2",
                   "Redshift", "BigQuery", "Snowflake", "Azure Synapse", "Teradata", "SQLite",
                   "DuckDB"},
    "nosql": {"MongoDB", "Cassandra", "Redis", "Firestore", "DynamoDB"},
    "files": {"CSV", "JSON", "Parquet", "Avro", "Excel", "Text"},
}


def test_every_type_of_the_design_is_registered_in_its_category():
    for category, labels in DESIGN_TYPES.items():
        assert {t.label for t in registry.by_category(category)} == labels
    assert set(CATEGORIES) == set(DESIGN_TYPES)
    assert len({t.key for t in TYPES}) == len(TYPES)


def test_types_declare_fields_driver_and_capabilities():
    for t in TYPES:
        assert t.fields and t.icon == f"{t.key}.svg"
        assert t.driver.module and t.driver.package
        assert {"test", "tables"} <= t.capabilities
        assert all(k in {f.key for f in t.fields} for k in t.identity)
        assert sum(f.secret for f in t.fields) <= 1


def test_default_ports():
    ports = {t.key: t.default_port for t in TYPES}
    assert ports["postgresql"] == 5432
    assert ports["mysql"] == ports["mariadb"] == 3306
    assert ports["sqlserver"] == ports["synapse"] == 1433
    assert ports["oracle"] == 1521 and ports["redis"] == 6379 and ports["mongodb"] == 27017
    assert ports["csv"] is None


def pg(**overrides):
    values = {"host": "db.local", "port": "5432", "database": "sales", "user": "etl",
              "password": "pw"}
    values.update(overrides)
    return validate("postgresql", values)


def test_valid_form_splits_params_from_secrets():
    params, secrets, errors = pg()
    assert errors == {}
    assert params == {"host": "db.local", "port": 5432, "database": "sales", "user": "etl",
                      "sslmode": "prefer"}
    assert secrets == {"password": "pw"}


def test_bad_ports_are_explained():
    assert pg(port="abc")[2]["port"] == "Port must be a whole number, not 'abc'."
    assert pg(port="0")[2]["port"] == "Port must be between 1 and 65535."
    assert pg(port="65536")[2]["port"] == "Port must be between 1 and 65535."
    assert pg(port="-1")[2]["port"].startswith("Port must be a whole number")
    assert pg(port=" 6543 ")[0]["port"] == 6543


def test_empty_or_malformed_host():
    assert pg(host="")[2]["host"] == "Host is required."
    assert pg(host="   ")[2]["host"] == "Host is required."
    assert "not a valid host" in pg(host="db local")[2]["host"]
    assert pg(host="[::1]")[2] == {}


def test_unknown_field_is_refused():
    assert "no field colour" in validate("postgresql", {"colour": "red"})[2]["_unknown"]


def test_names():
    assert validate_name("x" * 10_000) == "Name is too long (10000 characters; at most 100)."
    assert validate_name("") == "Name is required."
    assert validate_name("  ") == "Name is required."
    assert validate_name("ok\x00no") == "Name must not contain control characters."
    assert validate_name("Ventes – Zürich ✓") is None


def test_suggested_names():
    assert registry.suggest_name("postgresql", {"database": "sales"}) == "PostgreSQL - sales"
    assert registry.suggest_name("csv", {"path": "/data/in/orders.csv"}) == "CSV - orders"
    assert registry.suggest_name("bigquery", {"dataset": "web"}) == "BigQuery - web"
    assert registry.suggest_name("mysql", {}) == "MySQL"


def test_identity_ignores_host_case():
    a = registry.identity("postgresql", pg(host="DB.local")[0])
    b = registry.identity("postgresql", pg(host="db.local")[0])
    assert a == b
    assert a != registry.identity("postgresql", pg(user="other")[0])


text = st.one_of(st.text(), st.text(alphabet=string.printable), st.none(),
                 st.integers().map(str), st.booleans())


@settings(max_examples=300, deadline=None)
@given(type_index=st.integers(0, len(TYPES) - 1), data=st.data())
def test_arbitrary_input_never_crashes_and_is_either_clean_or_explained(type_index, data):
    ctype = TYPES[type_index]
    values = {f.key: data.draw(text, label=f.key) for f in ctype.fields}
    params, secrets, errors = validate(ctype.key, values)
    for key, message in errors.items():
        assert isinstance(message, str) and message.endswith(".")
        assert key in values
    for f in ctype.fields:
        if f.key in errors:
            assert f.key not in params and f.key not in secrets
            continue
        value = params.get(f.key)
        if f.kind == "int" and value is not None:
            assert isinstance(value, int) and f.minimum <= value <= f.maximum
        if f.key == "host" and value is not None:
            assert value and not any(ch.isspace() for ch in value)
        if f.secret:
            assert f.key not in params


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_names(name):
    problem = validate_name(name)
    if problem is None:
        assert 0 < len(name.strip()) <= registry.NAME_MAX
    else:
        assert problem.endswith(".")
