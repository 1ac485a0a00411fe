"""Per-test databases and roles on the real PostgreSQL, MariaDB and Redis servers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.servers import MYSQL_DSN, PG_DSN, REDIS_URL, Server, parse, unavailable, unique


@pytest.fixture
def pg_admin():
    import psycopg2

    server = parse(PG_DSN, 5432)
    try:
        conn = psycopg2.connect(host=server.host, port=server.port, user=server.user,
                                password=server.password, dbname=server.database,
                                connect_timeout=5)
    except psycopg2.OperationalError as exc:
        unavailable("PostgreSQL", exc)
    conn.autocommit = True
    yield server, conn
    conn.close()


def _pg_database(server: Server, admin, owner: str | None = None) -> Server:
    name = unique("sluice_t")
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"' + (f' owner "{owner}"' if owner else ""))
    return Server(server.host, server.port, server.user, server.password, name)


def _pg_drop(admin, name: str) -> None:
    with admin.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def pg_db(pg_admin):
    """A fresh PostgreSQL database on the shared server, dropped afterwards."""
    server, admin = pg_admin
    db = _pg_database(server, admin)
    yield db
    _pg_drop(admin, db.database)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@pytest.fixture(scope="session")
def pg_password_server():
    """A private PostgreSQL instance that checks passwords (scram-sha-256).

    The shared server trusts every local login, so a wrong password would pass there;
    this one is started from the same binaries for the tests that need real checks.
    """
    bindir = _pg_bindir()
    if bindir is None:
        unavailable("PostgreSQL's initdb", FileNotFoundError("initdb"))
    root = os.geteuid() == 0
    as_owner = ["runuser", "-u", "postgres", "--"] if root else []
    workdir = Path(tempfile.mkdtemp(prefix="sluice-pg-"))
    pwfile = workdir / "pw"
    pwfile.write_text("admin-secret\n")
    if root:
        shutil.chown(workdir, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    data, port = workdir / "data", _free_port()
    run = lambda *args: subprocess.run([*as_owner, *map(str, args)], check=True,  # noqa: E731
                                       capture_output=True, timeout=120)
    run(bindir / "initdb", "-D", data, "-U", "admin", "--pwfile", pwfile,
        "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync")
    run(bindir / "pg_ctl", "-D", data, "-w", "-l", workdir / "log", "-o",
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1,::1 -c fsync=off", "start")
    yield Server("127.0.0.1", port, "admin", "admin-secret", "postgres")
    run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop")
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def pg_role_db(pg_password_server):
    """A role with a password and its own database on the password-checking server."""
    import psycopg2

    admin_server = pg_password_server
    admin = psycopg2.connect(host=admin_server.host, port=admin_server.port, user="admin",
                             password=admin_server.password, dbname="postgres")
    admin.autocommit = True
    role, password = unique("sluice_u"), "s3cret-" + unique("pw")
    with admin.cursor() as cur:
        cur.execute(f"create role \"{role}\" login password '{password}'")
    db = _pg_database(admin_server, admin, owner=role)
    yield Server(admin_server.host, admin_server.port, role, password, db.database)
    _pg_drop(admin, db.database)
    with admin.cursor() as cur:
        cur.execute(f'drop role if exists "{role}"')
    admin.close()


@pytest.fixture
def mariadb_admin():
    import pymysql

    server = parse(MYSQL_DSN, 3306)
    try:
        conn = pymysql.connect(host=server.host, port=server.port, user=server.user,
                               password=server.password, autocommit=True, connect_timeout=5)
    except pymysql.err.OperationalError as exc:
        unavailable("MariaDB", exc)
    yield server, conn
    conn.close()


@pytest.fixture
def mariadb_db(mariadb_admin):
    """A fresh MariaDB database and a user with a password that owns it."""
    server, admin = mariadb_admin
    name, user = unique("sluice_t"), unique("sluice_u")
    password = "s3cret-" + unique("pw")
    with admin.cursor() as cur:
        cur.execute(f"create database `{name}` character set utf8mb4")
        cur.execute(f"create user '{user}'@'%' identified by '{password}'")
        cur.execute(f"grant all on `{name}`.* to '{user}'@'%'")
    yield Server(server.host, server.port, user, password, name)
    with admin.cursor() as cur:
        cur.execute(f"drop database if exists `{name}`")
        cur.execute(f"drop user if exists '{user}'@'%'")


@pytest.fixture
def redis_db():
    import redis

    url = REDIS_URL
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        unavailable("Redis", exc)
    # A database number of our own would collide across runs; use a unique key prefix.
    prefix = unique("sluice")
    yield client, prefix
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture(scope="session")
def mariadb_ist_server():
    """A private MariaDB whose time zone is +05:30 (India), from the local binaries.

    A server in UTC hides a reader that never sets its session zone; this one shows it.
    """
    yield from _private_mariadb(["--default-time-zone=+05:30"])


@pytest.fixture(scope="session")
def mariadb_tls_server():
    """A private MariaDB that offers TLS, with a certificate for 127.0.0.1 signed by a CA
    of the test's own (`Server.database` holds the CA file's path)."""
    workdir = Path(tempfile.mkdtemp(prefix="sluice-tls-"))
    ca = _certificates(workdir)
    for server in _private_mariadb([f"--ssl-ca={ca}", f"--ssl-cert={workdir / 'server.pem'}",
                                    f"--ssl-key={workdir / 'server.key'}"]):
        yield Server(server.host, server.port, server.user, server.password, str(ca))
    shutil.rmtree(workdir, ignore_errors=True)


def _certificates(workdir: Path) -> Path:
    """A CA, and a server certificate it signed for 127.0.0.1; returns the CA's file."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def cert(subject: str, key, issuer: str, issuer_key, ca: bool):
        # The key identifiers and usages a strict verifier asks for (Python 3.13's default
        # context sets VERIFY_X509_STRICT), as a real CA's certificates have them.
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                  False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       issuer_key.public_key()), False)
                   .add_extension(x509.KeyUsage(
                       digital_signature=not ca, key_cert_sign=ca, crl_sign=ca,
                       content_commitment=False, key_encipherment=False,
                       data_encipherment=False, key_agreement=False, encipher_only=False,
                       decipher_only=False), True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 x509.DNSName("localhost")]), False)
            builder = builder.add_extension(x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), \
        ec.generate_private_key(ec.SECP256R1())
    ca = cert("Sluice test CA", ca_key, "Sluice test CA", ca_key, True)
    server = cert("localhost", server_key, "Sluice test CA", ca_key, False)
    (workdir / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (workdir / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (workdir / "server.key").write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
    if os.geteuid() == 0:
        for path in (workdir, *workdir.iterdir()):
            shutil.chown(path, "mysql", "mysql")
    return workdir / "ca.pem"


def _private_mariadb(extra: list[str]):
    """Start a MariaDB of the local binaries with `extra` options; yields its Server."""
    install, daemon = shutil.which("mariadb-install-db"), Path("/usr/sbin/mariadbd")
    if install is None or not daemon.exists():
        unavailable("MariaDB's mariadb-install-db", FileNotFoundError("mariadb-install-db"))
    workdir = Path(tempfile.mkdtemp(prefix="sluice-maria-"))
    user = ["--user=mysql"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(workdir, "mysql", "mysql")
    data, port = workdir / "data", _free_port()
    subprocess.run([install, "--no-defaults", *user, f"--datadir={data}",
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, capture_output=True, timeout=120)
    server = subprocess.Popen(
        [daemon, "--no-defaults", *user, f"--datadir={data}", f"--port={port}",
         "--bind-address=127.0.0.1", f"--socket={workdir / 'sock'}",
         f"--pid-file={workdir / 'pid'}", *extra, "--skip-log-bin",
         "--innodb-buffer-pool-size=16M", f"--log-error={workdir / 'err'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # mariadb-admin retries (once a second, up to 60 times) until the server answers.
    ready = subprocess.run(["mariadb-admin", "--no-defaults", "-uroot", "-h127.0.0.1",
                            f"-P{port}", "--wait=60", "--connect-timeout=2", "ping"],
                           capture_output=True, timeout=120)
    if ready.returncode != 0 or server.poll() is not None:
        server.kill()
        unavailable("A private MariaDB", RuntimeError(ready.stderr.decode().strip()))
    yield Server("127.0.0.1", port, "root", "", "mysql")
    server.terminate()
    server.wait(60)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def mariadb_ist_db(mariadb_ist_server):
    """A fresh database on the +05:30 server."""
    import pymysql

    admin = pymysql.connect(host=mariadb_ist_server.host, port=mariadb_ist_server.port,
                            user="root", autocommit=True)
    name = unique("sluice_t")
    with admin.cursor() as cur:
        cur.execute(f"create database `{name}` character set utf8mb4")
    yield Server(mariadb_ist_server.host, mariadb_ist_server.port, "root", "", name)
    with admin.cursor() as cur:
        cur.execute(f"drop database if exists `{name}`")
    admin.close()


@pytest.fixture
def dynamo_endpoint():
    """moto's DynamoDB server on loopback (AWS itself is out of reach of the tests)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    import requests

    # moto keeps its state per process, across servers: each test starts from nothing.
    requests.post(f"http://{host}:{port}/moto-api/reset", timeout=10).raise_for_status()
    yield f"http://{host}:{port}"
    server.stop()
