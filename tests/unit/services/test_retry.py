"""Which failures a run tries again (app.services.retry), as the drivers raise them."""

from __future__ import annotations

import psycopg2
import pymysql
import pytest

from app.etl.errors import RunCancelled, RunError
from app.services import retry


def chained(cause: BaseException) -> RunError:
    try:
        raise RunError(f"The source stopped mid-read: {cause}") from cause
    except RunError as exc:
        return exc


@pytest.mark.parametrize("cause", [
    # The connection dropped in the middle of a COPY: libpq has no error from the server.
    psycopg2.OperationalError("error with status PGRES_COPY_OUT and no message from the "
                              "libpq"),
    psycopg2.OperationalError("server closed the connection unexpectedly"),
    pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query"),
    ConnectionResetError(104, "Connection reset by peer"),
])
def test_a_dropped_connection_is_tried_again(cause):
    assert retry.transient(chained(cause))


@pytest.mark.parametrize("cause", [
    pymysql.err.OperationalError(1045, "Access denied for user 'x'"),
    RunCancelled(),
    ValueError("a value the destination cannot hold"),
])
def test_what_another_try_cannot_fix_is_not(cause):
    assert not retry.transient(chained(cause))
