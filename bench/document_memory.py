"""Memory of a NoSQL read into the local warehouse: 100,000 and 1,000,000 documents (Redis
keys, MongoDB documents, Cassandra rows), each run a fresh process (`main.py job run`),
peak resident memory from the kernel (ru_maxrss, as the run's own process reports it).
Flat memory: the peak for 10x the documents stays about the same.

Redis is the server of SERVICES.md (SLUICE_TEST_REDIS_URL, default
redis://127.0.0.1:6379/0; keys made under a unique prefix and deleted after). MongoDB and
Cassandra are the suite's wire-protocol stand-ins (tests/fakes), each served from a process
of its own, so their memory is not in the run's.

    .venv/bin/python bench/document_memory.py [--source redis|mongodb|cassandra ...]
                                              [--small 100000] [--large 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


sys.path.insert(0, str(ROOT))  # the stand-ins in tests/fakes
Source = Iterator[tuple[list[str], str]]  # (`connection add` arguments, the job's table)


@contextlib.contextmanager
def redis_source(count: int) -> Source:
    import redis

    url = os.environ.get("SLUICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url)
    pool = client.connection_pool.connection_kwargs
    prefix = f"sluicebench{uuid.uuid4().hex[:8]}"
    try:
        pipe = client.pipeline(transaction=False)
        for i in range(count):
            pipe.hset(f"{prefix}:{i}", mapping={"name": f"user {i}", "visits": str(i % 97),
                                                 "email": f"user{i}@example.com"})
            if i % 10_000 == 9_999:
                pipe.execute()
        pipe.execute()
        yield (["--type", "redis", "--host", pool["host"], "--port", str(pool["port"]),
                "--option", f"database={pool.get('db', 0)}"], f"{prefix}:*")
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=10_000))
        for start in range(0, len(keys), 10_000):
            client.delete(*keys[start:start + 10_000])


def _serve(kind: str, count: int, ports) -> None:
    """A stand-in holding `count` documents, in a process of its own (run by `spawn`)."""
    sys.path.insert(0, str(ROOT))
    if kind == "mongodb":
        from tests.fakes.mongo_wire import FakeMongo

        fake = FakeMongo("shop").__enter__()
        fake.collections["users"] = [
            {"_id": i, "name": f"user {i}", "visits": i % 97, "email": f"user{i}@example.com",
             "tags": ["a", "b"]} for i in range(count)]
    else:
        from tests.fakes.cassandra_wire import FakeCassandra

        fake = FakeCassandra().__enter__()
        fake.create("shop", "users", [("id", "int", "partition_key"),
                                      ("name", "text", "regular"),
                                      ("visits", "int", "regular"),
                                      ("email", "text", "regular"),
                                      ("tags", "set<text>", "regular")])
        fake.insert("shop", "users", *({"id": i, "name": f"user {i}", "visits": i % 97,
                                        "email": f"user{i}@example.com", "tags": {"a", "b"}}
                                       for i in range(count)))
    ports.put(fake.port)
    threading.Event().wait()  # until the bench ends this process


@contextlib.contextmanager
def stand_in_source(kind: str, count: int) -> Source:
    """A stand-in in another process: this one stays small, and a job run it starts does
    not begin with its pages (Linux carries a parent's peak into a child's ru_maxrss)."""
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    ports = spawn.Queue()
    server = spawn.Process(target=_serve, args=(kind, count, ports), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=600)
        yield (["--type", kind, "--host", "127.0.0.1", "--port", str(port),
                "--database", "shop"], "users")
    finally:
        server.kill()
        server.join()


SOURCES = {"redis": redis_source,
           "mongodb": functools.partial(stand_in_source, "mongodb"),
           "cassandra": functools.partial(stand_in_source, "cassandra")}


def run(connection: list[str], table: str, home: Path) -> tuple[float, float, int]:
    """(seconds, peak MB of the child, rows) of one job run in a fresh process."""
    env = {**os.environ, "SLUICE_HOME": str(home),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}

    def sluice(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], env=env,
                              capture_output=True, text=True, check=True)

    sluice("connection", "add", "--name", "source", *connection)
    sluice("job", "add", "--name", "docs", "--source", "source", "--table", table,
           "--dest-table", "docs")
    # The run in a process of its own that reports its own peak (ru_maxrss, KB on Linux).
    code = ("import resource, sys; sys.path.insert(0, sys.argv[1]); from main import main; "
            "code = main(sys.argv[2:]); print(resource.getrusage(resource.RUSAGE_SELF)"
            ".ru_maxrss, file=sys.stderr); sys.exit(code)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(ROOT), "job", "run", "docs",
                           "--json"], env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    rows = json.loads(done.stdout)["rows_written"]
    return seconds, peak_kb / 1024, rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", action="append", choices=list(SOURCES))
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    for name in args.source or list(SOURCES):
        results = []
        for count in (args.small, args.large):
            with SOURCES[name](count) as (connection, table), \
                    tempfile.TemporaryDirectory() as home:
                seconds, peak, rows = run(connection, table, Path(home))
            assert rows == count, (rows, count)
            results.append((count, peak))
            print(f"{name:>9} {count:>9,} documents: {seconds:6.1f} s, "
                  f"{count / seconds:9,.0f}/s, peak {peak:6.0f} MB (the job run's process)")
        (small, small_peak), (large, large_peak) = results
        print(f"{name:>9} {large / small:.0f}x the documents: "
              f"{large_peak / small_peak:.2f}x the peak memory", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
