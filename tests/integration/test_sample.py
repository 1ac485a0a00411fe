"""`sluice sample`: the sample shop, its connection and job, made in two lines' time, on a
machine with no keyring at all; running it lands the rows; asking again changes nothing."""

from __future__ import annotations

import json

from tests.integration.test_cli import sluice

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def test_sample_needs_no_keyring_and_runs():
    made = sluice("sample", env=NO_KEYRING)
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Made the connection “Sample shop” (a small shop in SQLite")
    assert "the job “Sample shop ETL”" in lines[0]
    assert lines[1] == ("Press Run on the job's card to copy them, then Preview to see the "
                        "rows that landed.")
    listed = json.loads(sluice("connection", "list", "--json", env=NO_KEYRING).stdout)
    assert [(c["name"], c["has_secret"], c["last_test"]["status"]) for c in listed] == [
        ("Sample shop", False, "ok")]
    ran = json.loads(sluice("job", "run", "Sample shop ETL", "--json", env=NO_KEYRING).stdout)
    assert ran["status"] == "succeeded"
    assert [(t["table"], t["rows"]) for t in ran["tables"]] == [
        ("orders", 3000), ("customers", 800), ("products", 120), ("order_lines", 8929)]
    again = sluice("sample", env=NO_KEYRING)
    assert again.returncode == 0
    assert len(json.loads(sluice("job", "list", "--json").stdout)) == 1
    shown = json.loads(sluice("job", "preview", "Sample shop ETL", "--table", "orders",
                              "--limit", "1", "--json").stdout)
    assert shown[0]["columns"] == ["id", "customer_id", "ordered_at", "status", "total",
                                   "note", "updated_at"]
