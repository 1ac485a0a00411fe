"""A connection test never hangs: silent servers time out, Cancel returns, drivers missing
are reported, never raised."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from app.connectors import base, registry
from tests.fakes.silent import SilentServer


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


def _params(type_key: str, port: int) -> dict:
    ctype = registry.get_type(type_key)
    text = {f.key for f in ctype.fields if f.kind == "text"}
    values = {"host": "127.0.0.1", "port": str(port)}
    values.update({k: "x" for k in ("database", "user") if k in text})
    params, _, errors = registry.validate(type_key, values)
    assert not errors
    return params


# Every installed driver that talks to a host: a server that accepts and never answers.
@pytest.mark.parametrize("type_key", ["postgresql", "mariadb", "redis", "mongodb", "oracle",
                                      "sqlserver", "db2", "teradata", "cassandra"])
def test_silent_server_fails_within_the_timeout(silent, type_key):
    if not registry.get_type(type_key).driver.installed():
        pytest.skip(f"{type_key} driver not installed")
    started = time.monotonic()
    result = base.test_connection(type_key, _params(type_key, silent.port), {"password": "p"},
                                  timeout=1.5)
    elapsed = time.monotonic() - started
    assert result.status == base.FAILED, result.message
    assert result.message.startswith(f"No answer from 127.0.0.1:{silent.port} within 1.5 s")
    assert elapsed < 1.5 + 1.0


def test_cancel_returns_at_once(silent):
    cancel = threading.Event()
    outcome: dict = {}

    def run() -> None:
        outcome["result"] = base.test_connection(
            "postgresql", _params("postgresql", silent.port), {}, timeout=60, cancel=cancel)

    worker = threading.Thread(target=run)
    started = time.monotonic()
    worker.start()
    assert silent.accepted.wait(10)  # the test is now stuck waiting for the server
    cancel.set()
    worker.join(5)
    assert not worker.is_alive()
    assert outcome["result"].status == base.FAILED
    assert outcome["result"].message == "Test cancelled."
    assert time.monotonic() - started < 10


def test_unresolvable_host_is_failed():
    params, _, _ = registry.validate("mariadb", {"host": "no-such-host.invalid", "port": "3306",
                                                 "database": "d", "user": "u"})
    result = base.test_connection("mariadb", params, {}, timeout=10)
    assert result.status == base.FAILED
    assert result.stage in ("resolve", "connect")
    assert "no-such-host.invalid" in result.message


@pytest.mark.parametrize("ctype", [t for t in registry.TYPES if t.driver.module != "sqlite3"],
                         ids=lambda t: t.key)
def test_missing_driver_is_a_yellow_error_naming_the_package(monkeypatch, ctype):
    monkeypatch.setitem(sys.modules, ctype.driver.module, None)
    values = {f.key: "1" if f.kind == "int" else "x" for f in ctype.fields if f.required}
    params, _, errors = registry.validate(ctype.key, values)
    assert not errors
    result = base.test_connection(ctype.key, params, {})
    assert result.status == base.ERROR
    assert result.message == (
        f"driver not installed: pip install 'sluice[{ctype.driver.extra}]' (the "
        f"{ctype.driver.package} package)" if ctype.driver.extra
        else f"driver not installed: pip install {ctype.driver.package}")
    with pytest.raises(base.ListingError, match="driver not installed"):
        base.list_tables(ctype.key, params, {})


def test_an_unexpected_driver_error_is_yellow_not_a_crash(monkeypatch, tmp_path):
    from app.connectors import files

    def boom(self, probe):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(files.CsvConnector, "check", boom)
    result = base.test_connection("csv", {"path": str(tmp_path)}, {})
    assert result.status == base.ERROR
    assert result.message == "Internal error while preparing: something inside broke"


def test_secrets_never_appear_in_messages(monkeypatch, tmp_path):
    from app.connectors import files

    def echo(self, probe):
        raise base.Failed(f"bad login with password {self.secrets['password']}")

    monkeypatch.setattr(files.CsvConnector, "check", echo)
    result = base.test_connection("csv", {"path": str(tmp_path)}, {"password": "hunter22"})
    assert "hunter22" not in result.message
    assert result.message == "bad login with password ••••"
