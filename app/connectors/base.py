"""What every connector shares: results, the staged and bounded test, table listings.

A connection test runs on a daemon thread and is waited for with a deadline and a cancel
event, so an unreachable host, a silent server or a user's Cancel all return promptly
even when a driver call blocks; the driver is also given the remaining time, so the
abandoned thread ends by itself soon after.
"""

from __future__ import annotations

import importlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from app.connectors.registry import ConnectionType, get_type

OK, FAILED, ERROR, UNKNOWN = "ok", "failed", "error", "unknown"
DEFAULT_TEST_TIMEOUT = 10.0
DEFAULT_LIST_TIMEOUT = 60.0

STAGE_LABELS = {
    "prepare": "preparing",
    "resolve": "resolving the host name",
    "connect": "opening a connection",
    "authenticate": "logging in",
    "catalogue": "reading the catalogue",
}

T = TypeVar("T")


class Failed(Exception):
    """The source answered "no" (unreachable, bad credentials, missing database): red."""


class Cancelled(Exception):
    pass


class TimedOut(Exception):
    pass


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class, despite the name

    status: str  # ok | failed | error
    message: str
    server_version: str | None = None
    latency_ms: int | None = None
    stage: str | None = None
    tested_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return self.status == OK

    def to_json(self) -> dict:
        data = asdict(self)
        data["tested_at"] = self.tested_at.isoformat()
        return data


@dataclass
class TableInfo:
    name: str
    schema: str | None = None
    rows: int | None = None
    rows_exact: bool = False
    last_updated: datetime | None = None
    kind: str = "table"  # table, view, file, sheet, collection, keys

    def to_json(self) -> dict:
        data = asdict(self)
        data["last_updated"] = self.last_updated.isoformat() if self.last_updated else None
        return data


class Probe:
    """Handed to a connector: knows the deadline, the cancel flag and the current stage."""

    def __init__(self, deadline: float, cancel: threading.Event) -> None:
        self.deadline = deadline
        self.cancel = cancel
        self.stage_name = "prepare"

    def stage(self, name: str) -> None:
        if self.cancel.is_set():
            raise Cancelled()
        if self.remaining() <= 0:
            raise TimedOut()
        self.stage_name = name

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def seconds(self, minimum: int = 1) -> int:
        """The remaining time as whole seconds, for drivers that take an integer timeout."""
        return max(minimum, int(self.remaining() + 0.999))

    def reach(self, host: str, port: int) -> None:
        """The first two stages of every network test: resolve the name, open a socket."""
        self.stage("resolve")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise Failed(f"Host {host!r} could not be resolved ({exc.strerror}).") from exc
        self.stage("connect")
        last: OSError | None = None
        for family, kind, proto, _, address in infos:
            sock = socket.socket(family, kind, proto)
            sock.settimeout(max(0.1, self.remaining()))
            try:
                sock.connect(address)
                return
            except TimeoutError as exc:
                raise TimedOut() from exc
            except OSError as exc:
                last = exc
            finally:
                sock.close()
        reason = last.strerror if last and last.strerror else str(last)
        raise Failed(f"Cannot reach {host}:{port}: {reason} (is the server running there?).")


def url_host(host: str) -> str:
    """A host as it goes into a URL: an IPv6 address in brackets ([::1])."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class Connector:
    """One family of types. Subclasses implement `check` and `tables`."""

    def __init__(self, ctype: ConnectionType, params: dict, secrets: dict) -> None:
        self.ctype = ctype
        self.params = params
        self.secrets = secrets

    def check(self, probe: Probe) -> tuple[str, str]:
        """Run the stages; return (server version, a one-line summary). Raise Failed on "no"."""
        raise NotImplementedError

    def tables(self, probe: Probe) -> list[TableInfo]:
        raise NotImplementedError

    @property
    def where(self) -> str:
        p = self.params
        if "host" in p:
            return f"{p['host']}:{p.get('port', '')}".rstrip(":")
        return str(p.get("path") or p.get("project") or p.get("account") or p.get("region", ""))


def load_connector(type_key: str, params: dict, secrets: dict) -> Connector:
    ctype = get_type(type_key)
    module, _, cls = ctype.impl.partition(":")
    return getattr(importlib.import_module(module), cls)(ctype, params, secrets)


def scrub(text: str, secrets: dict) -> str:
    """Remove every secret value from a message (drivers sometimes echo a DSN)."""
    for value in secrets.values():
        if isinstance(value, str) and len(value) >= 3:
            text = text.replace(value, "••••")
    return text


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].strip()


def bounded(fn: Callable[[Probe], T], timeout: float, cancel: threading.Event | None
            ) -> tuple[str, T | BaseException | None, str]:
    """Run fn(probe) on a daemon thread; wait until done, the deadline, or cancel.

    Returns (outcome, value or exception, stage reached); outcome is "done", "raised",
    "timeout" or "cancelled".
    """
    cancel = cancel or threading.Event()
    probe = Probe(time.monotonic() + timeout, cancel)
    box: dict[str, Any] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            box["value"] = fn(probe)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            box["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=work, name=f"sluice-probe-{id(probe)}", daemon=True).start()
    while not finished.wait(0.05):
        if cancel.is_set():
            return "cancelled", None, probe.stage_name
        if probe.remaining() <= 0:
            return "timeout", None, probe.stage_name
    if "error" in box:
        return "raised", box["error"], probe.stage_name
    return "done", box.get("value"), probe.stage_name


def _classify(exc: BaseException, ctype: ConnectionType, stage: str, timeout: float,
              where: str) -> tuple[str, str]:
    if isinstance(exc, Failed):
        return FAILED, str(exc)
    if isinstance(exc, TimedOut):
        return FAILED, _timeout_message(timeout, stage, where)
    if isinstance(exc, Cancelled):
        return FAILED, "Test cancelled."
    if isinstance(exc, ImportError):
        return ERROR, ctype.driver.hint
    return ERROR, f"Internal error while {STAGE_LABELS.get(stage, stage)}: {first_line(exc)}"


def _timeout_message(timeout: float, stage: str, where: str) -> str:
    return (f"No answer from {where} within {timeout:g} s "
            f"(stuck while {STAGE_LABELS.get(stage, stage)}).")


def test_connection(type_key: str, params: dict, secrets: dict,
                    timeout: float = DEFAULT_TEST_TIMEOUT,
                    cancel: threading.Event | None = None) -> TestResult:
    """Test a connection: staged, bounded by `timeout` seconds, cancellable. Never raises."""
    ctype = get_type(type_key)
    if not ctype.driver.installed():
        return TestResult(ERROR, ctype.driver.hint, stage="prepare")
    started = time.monotonic()
    connector: Connector | None = None

    def run(probe: Probe) -> tuple[str, str]:
        nonlocal connector
        connector = load_connector(type_key, params, secrets)
        return connector.check(probe)

    outcome, value, stage = bounded(run, timeout, cancel)
    latency = int((time.monotonic() - started) * 1000)
    where = connector.where if connector else type_key
    if outcome == "done":
        version, summary = value  # type: ignore[misc]
        return TestResult(OK, scrub(summary, secrets), scrub(version, secrets), latency, stage)
    if outcome == "cancelled":
        return TestResult(FAILED, "Test cancelled.", None, latency, stage)
    if outcome == "timeout":
        return TestResult(FAILED, _timeout_message(timeout, stage, where), None, latency, stage)
    status, message = _classify(value, ctype, stage, timeout, where)  # type: ignore[arg-type]
    return TestResult(status, scrub(message, secrets), None, latency, stage)


class ListingError(Exception):
    """Listing tables failed; `status` says failed (red) or error (yellow)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def list_tables(type_key: str, params: dict, secrets: dict,
                timeout: float = DEFAULT_LIST_TIMEOUT,
                cancel: threading.Event | None = None) -> list[TableInfo]:
    """The tables (files, sheets, collections, key groups) a source offers."""
    ctype = get_type(type_key)
    if not ctype.driver.installed():
        raise ListingError(ERROR, ctype.driver.hint)
    connector = load_connector(type_key, params, secrets)
    outcome, value, stage = bounded(connector.tables, timeout, cancel)
    if outcome == "done":
        return value  # type: ignore[return-value]
    if outcome == "cancelled":
        raise ListingError(FAILED, "Listing cancelled.")
    if outcome == "timeout":
        raise ListingError(FAILED, _timeout_message(timeout, stage, connector.where))
    status, message = _classify(value, ctype, stage, timeout, connector.where)  # type: ignore
    raise ListingError(status, scrub(message, secrets))
