"""Redis as a job's source, against the real server: a key pattern is a table of key,
type, value (strings as text, the other types as JSON that parses back to what Redis holds)
and TTL, read with SCAN (never KEYS); merge keeps a table of the keys as they are now."""

from __future__ import annotations

import json

from app.etl.spec import TableSpec
from tests.integration.engine_helpers import make_job, run, save_connection, warehouse_rows
from tests.integration.test_cli import sluice


def _source(ctx, redis_db):
    client, prefix = redis_db
    pool = client.connection_pool.connection_kwargs
    save_connection(ctx, "redis", "cache", {"host": pool["host"], "port": pool["port"],
                                            "database": pool.get("db", 0)})
    return client, prefix


def test_a_key_pattern_lands_as_rows_of_key_type_value_ttl(ctx, redis_db):
    client, prefix = _source(ctx, redis_db)
    s = f"{prefix}:s"
    client.set(f"{s}:text", "Zoë")
    client.set(f"{s}:bytes", b"\xff\x00ok")
    client.set(f"{s}:expiring", "soon", ex=3600)
    client.hset(f"{s}:hash", mapping={"name": "Ann", "visits": "3"})
    client.rpush(f"{s}:list", "b", "a", "b")
    client.sadd(f"{s}:set", "x", "y")
    client.zadd(f"{s}:zset", {"low": 1.5, "high": 10})
    client.xadd(f"{s}:stream", {"event": "login"}, id="1-1")
    client.set(f"{prefix}:other:1", "not in the pattern")
    before = client.info("commandstats")
    make_job(ctx, "cache", "cache", [TableSpec(f"{s}:*")])
    done = run(ctx, "cache")
    assert done.status == "succeeded", done.error
    after = client.info("commandstats")
    assert after.get("cmdstat_keys", {}).get("calls", 0) == \
        before.get("cmdstat_keys", {}).get("calls", 0)  # never KEYS
    assert after["cmdstat_scan"]["calls"] > before.get("cmdstat_scan", {}).get("calls", 0)
    table = f"{prefix}_s"  # the pattern's prefix names the table
    rows = {k: (t, v, ttl) for k, t, v, ttl in warehouse_rows(
        f'select key, type, value, ttl from "{table}"')}
    assert len(rows) == 8
    assert rows[f"{s}:text"] == ("string", "Zoë", None)
    assert rows[f"{s}:bytes"] == ("string", "\\xff\x00ok", None)
    assert rows[f"{s}:expiring"][2] is not None and 0 < rows[f"{s}:expiring"][2] <= 3600
    assert json.loads(rows[f"{s}:hash"][1]) == {"name": "Ann", "visits": "3"}
    assert json.loads(rows[f"{s}:list"][1]) == ["b", "a", "b"]
    assert json.loads(rows[f"{s}:set"][1]) == ["x", "y"]
    assert json.loads(rows[f"{s}:zset"][1]) == [["low", 1.5], ["high", 10.0]]
    assert json.loads(rows[f"{s}:stream"][1]) == [["1-1", {"event": "login"}]]
    assert {t for t, _, _ in rows.values()} == {"string", "hash", "list", "set", "zset",
                                                "stream"}


def test_merge_by_key_follows_the_keys(ctx, redis_db):
    client, prefix = _source(ctx, redis_db)
    for i in range(2500):  # several SCAN pages and batches
        client.set(f"{prefix}:u:{i}", f"v{i}")
    make_job(ctx, "users", "cache", [TableSpec(f"{prefix}:u:*", mode="merge",
                                               primary_key=["key"], detect_deletes="delete")])
    assert run(ctx, "users").status == "succeeded"
    table = f"{prefix}_u"
    assert warehouse_rows(f'select count(*), count(distinct key) from "{table}"') == \
        [(2500, 2500)]
    client.delete(f"{prefix}:u:7")
    client.set(f"{prefix}:u:8", "changed")
    again = run(ctx, "users")
    assert again.status == "succeeded", again.error
    assert warehouse_rows(f'select count(*) from "{table}"') == [(2499,)]
    assert warehouse_rows(f"select value from \"{table}\" where key = '{prefix}:u:8'") == \
        [("changed",)]


def test_the_command_line_takes_a_key_pattern(ctx, redis_db):
    client, prefix = _source(ctx, redis_db)
    client.set(f"{prefix}:session:1", "a")
    client.set(f"{prefix}:session:2", "b")
    made = sluice("job", "add", "--name", "sessions", "--source", "cache", "--table",
                  f"{prefix}:session:*", "--dest-table", "sessions")
    assert made.returncode == 0, made.stderr
    ran = json.loads(sluice("job", "run", "sessions", "--json").stdout)
    assert ran["status"] == "succeeded" and ran["rows_written"] == 2
    assert warehouse_rows("select key from sessions order by key") == [
        (f"{prefix}:session:1",), (f"{prefix}:session:2",)]
