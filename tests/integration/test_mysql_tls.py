"""TLS with MySQL and MariaDB, as their clients name the modes, against a real server
that offers TLS (its certificate signed by the test's own CA) and one that does not."""

from __future__ import annotations

import pytest

from app.services.connections import ConnectionService, Draft
from app.services.jobs import TableSpec
from tests.integration.engine_helpers import make_job, maria_exec, run, warehouse_rows


@pytest.fixture
def tls_db(mariadb_tls_server):
    """A database and a user with a password on the TLS server; (Server, CA file)."""
    import pymysql

    from tests.servers import Server, unique

    s = mariadb_tls_server
    admin = pymysql.connect(host=s.host, port=s.port, user="root", autocommit=True)
    name, user = unique("sluice_t"), unique("u")
    with admin.cursor() as cur:
        cur.execute(f"create database `{name}`")
        cur.execute(f"create user '{user}'@'%' identified by 'pw-{user}'")
        cur.execute(f"grant all on `{name}`.* to '{user}'@'%'")
    yield Server(s.host, s.port, user, f"pw-{user}", name), s.database
    with admin.cursor() as cur:
        cur.execute(f"drop database `{name}`")
        cur.execute(f"drop user '{user}'@'%'")
    admin.close()


def _test(ctx, server, **tls):
    service = ConnectionService(ctx)
    draft = Draft("mariadb", f"tls {tls.get('ssl_mode', 'default')}",
                  {**server.params(password=server.password), **tls})
    return service, draft, service.test(draft)


def _cipher(server, **tls) -> str:
    """The cipher of a session opened the way Sluice opens them ('' unencrypted)."""
    from app.etl.readers.mysql import connect

    conn = connect(server.params(**tls), {"password": server.password})
    try:
        with conn.cursor() as cur:
            cur.execute("show session status like 'Ssl_cipher'")
            return cur.fetchone()[1]
    finally:
        conn.close()


def test_each_mode_against_a_server_that_offers_tls(ctx, tls_db):
    server, ca = tls_db
    assert _cipher(server) != ""  # preferred (the default): encrypted when offered
    assert _cipher(server, ssl_mode="disabled") == ""
    for mode, extra in (("required", {}), ("verify-ca", {"ssl_ca": str(ca)}),
                        ("verify-identity", {"ssl_ca": str(ca)})):
        _, _, proof = _test(ctx, server, ssl_mode=mode, **extra)
        assert proof.result.ok, (mode, proof.result.message)
        assert _cipher(server, ssl_mode=mode, **extra) != ""
    # The system's authorities never signed the test's CA: verification says so.
    _, _, proof = _test(ctx, server, ssl_mode="verify-ca")
    assert not proof.result.ok
    assert proof.result.message.startswith(f"TLS with {server.host} failed: ")
    assert proof.result.message.endswith("self-signed certificate in certificate chain")


def test_an_encrypted_connection_reads_its_rows_encrypted(ctx, tls_db):
    server, ca = tls_db
    maria_exec(server, "create table items (id int primary key, name text)",
               "insert into items values (1, 'a'), (2, 'b')")
    service, draft, proof = _test(ctx, server, ssl_mode="verify-identity", ssl_ca=str(ca))
    service.create(draft, proof)
    make_job(ctx, "items", draft.name, [TableSpec("items")])
    result = run(ctx, "items")
    assert result.status == "succeeded", result.error
    assert warehouse_rows("select id, name from items") == [(1, "a"), (2, "b")]


def test_a_server_without_tls_is_refused_where_tls_is_required(ctx, mariadb_db):
    _, _, proof = _test(ctx, mariadb_db, ssl_mode="required")
    assert not proof.result.ok
    assert proof.result.message == (f"{mariadb_db.host} does not offer TLS, and this "
                                    "connection requires it (SSL mode required).")
    _, _, proof = _test(ctx, mariadb_db)  # preferred: plain, as the server only offers
    assert proof.result.ok, proof.result.message
