"""The encrypted vault never loses a password, whoever writes it and however many at once.

Each process used to read vault.json once and later write its whole copy back: six
concurrent `connection add` lost four passwords (each said "Saved"), and a connection
added from the CLI while the app was open was lost when the app next saved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from app.secrets.vault import EncryptedVault
from app.services import preferences
from app.services.connections import ConnectionService, Draft
from app.services.context import open_app
from tests.integration.test_cli import ROOT, add_maria, sluice
from tests.server_fixtures import unique

MASTER = "master-pw"
VAULT_ENV = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
             "SLUICE_VAULT_PASSWORD": MASTER}

WRITER = """
import sys
from pathlib import Path
from app.secrets.vault import EncryptedVault
vault = EncryptedVault(Path(sys.argv[1]), sys.argv[2])
for n in range(5):
    vault.set(f"{sys.argv[3]}-{n}", {"password": f"pw-{sys.argv[3]}-{n}"})
"""


def test_six_processes_writing_at_once_keep_every_entry(tmp_path):
    path = tmp_path / "vault.json"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), MASTER, f"p{i}"],
                                cwd=ROOT, stderr=subprocess.PIPE, text=True)
               for i in range(6)]
    for proc in writers:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    vault = EncryptedVault(path, MASTER)
    for i in range(6):
        for n in range(5):
            assert vault.get(f"p{i}-{n}") == {"password": f"pw-p{i}-{n}"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault.json", "vault.json.lock"]


def _maria_users(mariadb_admin, mariadb_db, count: int):
    """`count` users with passwords, each allowed into the test database."""
    _, admin = mariadb_admin
    users = []
    with admin.cursor() as cur:
        for _ in range(count):
            user, password = unique("sluice_u"), "pw-" + unique("s")
            cur.execute(f"create user '{user}'@'%' identified by '{password}'")
            cur.execute(f"grant select on `{mariadb_db.database}`.* to '{user}'@'%'")
            users.append((user, password))
    return users


def _drop_users(mariadb_admin, users) -> None:
    with mariadb_admin[1].cursor() as cur:
        for user, _ in users:
            cur.execute(f"drop user if exists '{user}'@'%'")


def test_six_concurrent_connection_adds_keep_every_password(mariadb_admin, mariadb_db):
    users = _maria_users(mariadb_admin, mariadb_db, 6)
    try:
        assert sluice("secrets", "use", "vault", env=VAULT_ENV).returncode == 0
        adds = [subprocess.Popen(
            [sys.executable, "main.py", "connection", "add", "--type", "mariadb", "--name",
             f"M{i}", "--host", mariadb_db.host, "--port", str(mariadb_db.port),
             "--database", mariadb_db.database, "--user", user, "--password-stdin"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env={**os.environ, **VAULT_ENV})
            for i, (user, _) in enumerate(users)]
        for proc, (_, password) in zip(adds, users, strict=True):
            out, err = proc.communicate(password + "\n", timeout=120)
            assert proc.returncode == 0, err
            assert out.startswith("Saved connection")
        tested = sluice("connection", "test", "--all", "--json", env=VAULT_ENV)
        assert tested.returncode == 0, tested.stdout
        assert {r["name"]: r["result"]["status"] for r in json.loads(tested.stdout)} == {
            f"M{i}": "ok" for i in range(6)}
    finally:
        _drop_users(mariadb_admin, users)


def test_a_connection_added_from_the_cli_survives_the_apps_next_save(mariadb_admin,
                                                                     mariadb_db):
    users = _maria_users(mariadb_admin, mariadb_db, 2)
    try:
        # The app: its store and its vault open for the whole session.
        app = open_app(vault_password=lambda: MASTER)
        preferences.save(app, preferences.Preferences(secret_backend="vault"))
        service = ConnectionService(app)

        def save(name, user, password):
            draft = Draft("mariadb", name, mariadb_db.params(user=user, password=password))
            proof = service.test(draft)
            assert proof.result.ok, proof.result.message
            return service.create(draft, proof)

        (user_a, pw_a), (user_b, pw_b) = users
        save("From the app", user_a, pw_a)
        # Meanwhile, the CLI adds one.
        cli = add_maria(mariadb_db, "--name", "From the CLI", env=VAULT_ENV)
        assert cli.returncode == 0, cli.stderr
        # The app saves again: the CLI's password must still be there afterwards.
        save("From the app again", user_b, pw_b)
        cli_view = service.get("From the CLI")
        assert service.load_with_secrets(cli_view.id)[1] == {"password": mariadb_db.password}
        app.close()
        tested = sluice("connection", "test", "--all", "--json", env=VAULT_ENV)
        assert {r["name"]: r["result"]["status"] for r in json.loads(tested.stdout)} == {
            "From the app": "ok", "From the CLI": "ok", "From the app again": "ok"}
    finally:
        _drop_users(mariadb_admin, users)
