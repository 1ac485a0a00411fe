"""Memory of a Redis key pattern read into the local warehouse: 100,000 keys and 1,000,000
keys, each run a fresh process (`main.py job run`), peak resident memory from the kernel
(ru_maxrss, as the run's own process reports it). Flat memory: the peak for 10x the keys
stays about the same (the read is SCAN pages and pipelined fetches, a batch at a time).
Needs the Redis server of SERVICES.md (SLUICE_TEST_REDIS_URL, default
redis://127.0.0.1:6379/0); the keys are made under a unique prefix and deleted after.

    .venv/bin/python bench/redis_memory.py [--small 100000] [--large 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fill(client, prefix: str, count: int) -> None:
    pipe = client.pipeline(transaction=False)
    for i in range(count):
        pipe.hset(f"{prefix}:{i}", mapping={"name": f"user {i}", "visits": str(i % 97),
                                             "email": f"user{i}@example.com"})
        if i % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()


def run(prefix: str, url: str, home: Path) -> tuple[float, float, int]:
    """(seconds, peak MB of the child, rows) of one job run in a fresh process."""
    import redis

    client = redis.Redis.from_url(url)
    pool = client.connection_pool.connection_kwargs
    env = {**os.environ, "SLUICE_HOME": str(home),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}

    def sluice(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], env=env,
                              capture_output=True, text=True, check=True)

    sluice("connection", "add", "--type", "redis", "--name", "r", "--host", pool["host"],
           "--port", str(pool["port"]), "--option", f"database={pool.get('db', 0)}")
    sluice("job", "add", "--name", "keys", "--source", "r", "--table", f"{prefix}:*",
           "--dest-table", "users")
    # The run in a process of its own that reports its own peak (ru_maxrss, KB on Linux).
    code = ("import resource, sys; sys.path.insert(0, sys.argv[1]); from main import main; "
            "code = main(sys.argv[2:]); print(resource.getrusage(resource.RUSAGE_SELF)"
            ".ru_maxrss, file=sys.stderr); sys.exit(code)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(ROOT), "job", "run", "keys",
                           "--json"], env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    rows = json.loads(done.stdout)["rows_written"]
    return seconds, peak_kb / 1024, rows


def main() -> int:
    import redis

    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    url = os.environ.get("SLUICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url)
    results = []
    for count in (args.small, args.large):
        prefix = f"sluicebench{uuid.uuid4().hex[:8]}"
        try:
            fill(client, prefix, count)
            with tempfile.TemporaryDirectory() as home:
                seconds, peak, rows = run(prefix, url, Path(home))
        finally:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=10_000))
            for start in range(0, len(keys), 10_000):
                client.delete(*keys[start:start + 10_000])
        assert rows == count, (rows, count)
        results.append((count, seconds, peak))
        print(f"{count:>9,} keys: {seconds:6.1f} s, {count / seconds:9,.0f} keys/s, "
              f"peak {peak:6.0f} MB (the job run's process)")
    (small, _, small_peak), (large, _, large_peak) = results
    print(f"{large / small:.0f}x the keys: {large_peak / small_peak:.2f}x the peak memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
