"""IBM DB2 and Teradata are read through their SQLAlchemy dialects (ibm_db_sa,
teradatasqlalchemy) by the generic SQL reader. No server of either can run here: these
check the driver path — the URL reaches the vendor's dialect and driver, and a source that
is not there fails the read with the driver's own message, at once."""

from __future__ import annotations

import socket
import threading

import pytest

from app.etl.errors import RunError
from app.etl.readers import ReadRequest, open_reader
from app.etl.readers.sql import engine_url


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("type_key", "dialect"), [("db2", "ibm_db_sa"),
                                                   ("teradata", "teradatasql")])
def test_the_vendor_dialect_reads_the_table(type_key, dialect):
    from sqlalchemy import create_engine

    params = {"host": "db.example", "port": 50000, "database": "SALES", "user": "etl"}
    url = engine_url(type_key, params, {"password": "pw"})
    assert create_engine(url).dialect.name == dialect
    assert url.password == "pw" and url.host == "db.example"


@pytest.mark.parametrize("type_key", ["db2", "teradata"])
def test_a_source_that_is_not_there_fails_the_read_with_the_drivers_message(type_key):
    params = {"host": "127.0.0.1", "port": _closed_port(), "database": "SALES",
              "user": "etl"}
    with pytest.raises(RunError, match="Cannot connect to the source: .+"):
        open_reader(type_key, params, {"password": "pw"}, ReadRequest("ORDERS", "ETL"),
                    threading.Event())
