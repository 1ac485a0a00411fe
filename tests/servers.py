"""The real servers the integration tests use, and per-test databases and roles on them.

Point the tests at your own servers with SLUICE_TEST_PG_DSN, SLUICE_TEST_MYSQL_DSN and
SLUICE_TEST_REDIS_URL. A missing server skips its tests on a laptop and fails them in CI.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest

from tests.conftest import in_ci

PG_DSN = os.environ.get("SLUICE_TEST_PG_DSN", "postgresql://root@127.0.0.1:5432/test")
MYSQL_DSN = os.environ.get("SLUICE_TEST_MYSQL_DSN", "mysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("SLUICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def unavailable(what: str, exc: Exception) -> None:
    message = f"{what} is not reachable ({exc}); set its DSN variable (see README)"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def unique(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


@dataclass
class Server:
    host: str
    port: int
    user: str
    password: str
    database: str

    def params(self, **overrides) -> dict:
        values = {"host": self.host, "port": str(self.port), "database": self.database,
                  "user": self.user}
        values.update(overrides)
        return values


def parse(dsn: str, default_port: int) -> Server:
    url = urlparse(dsn)
    return Server(url.hostname or "127.0.0.1", url.port or default_port, url.username or "",
                  url.password or "", url.path.lstrip("/"))
