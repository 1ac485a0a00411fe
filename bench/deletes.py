"""What detecting deletes costs a merge, on 1,000,000 and 10,000,000 keys.

Creates a PostgreSQL table of N rows (id bigint primary key, a text and a number), loads
it with three merge jobs into the same destination (no detect deletes; `delete`; `mark`),
deletes 1% of the source rows, and times the next run of each job, each in a fresh
process; then prints wall time, peak RSS and the ratio to the plain merge. Destinations:
the local warehouse, and PostgreSQL (a second database on the same server).

    .venv/bin/python bench/deletes.py [--keys 1000000 10000000] [--repeat 1] [--dsn ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

import etl  # noqa: E402 - the shared measuring helpers of bench/etl.py

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
TABLE_SQL = """
drop table if exists items;
create table items (id bigint primary key, label text, price numeric(12,2));
insert into items select g, 'item ' || g, (g % 10000) / 100.0 from generate_series(1, {keys}) g;
analyze items;
"""
STYLES = {"merge": [], "merge + delete": ["--detect-deletes", "delete"],
          "merge + mark": ["--detect-deletes", "mark"]}


def bench(keys: int, dsn: str) -> dict[tuple[str, str], tuple[float, float]]:
    url = urlparse(dsn)
    for name in ("sluice_bench_del", "sluice_bench_del_out"):
        etl.psql(dsn, f"drop database if exists {name} with (force)")
        etl.psql(dsn, f"create database {name}")
    src = etl.database_dsn(dsn, "sluice_bench_del")
    print(f"creating {keys:,} keys ...", flush=True)
    etl.psql(src, TABLE_SQL.format(keys=keys))
    results = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        env = {**os.environ, "SLUICE_HOME": str(Path(tmp_name) / "home")}

        def cli(*args: str) -> None:
            subprocess.run([PY, "main.py", *args], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True)

        server = ["--host", url.hostname or "127.0.0.1", "--port", str(url.port or 5432),
                  "--user", url.username or "root"]
        cli("connection", "add", "--type", "postgresql", "--name", "src", "--database",
            "sluice_bench_del", *server)
        cli("connection", "add", "--type", "postgresql", "--name", "pg", "--database",
            "sluice_bench_del_out", *server)
        jobs = []
        for dest in ("local", "pg"):
            for n, (style, extra) in enumerate(STYLES.items()):
                job = f"{dest} {n}"
                cli("job", "add", "--name", job, "--source", "src", "--table", "items",
                    "--destination", dest, "--dest-table", f"items_{n}", "--mode", "merge",
                    *extra)
                cli("job", "run", job)
                jobs.append((dest, style, job))
        etl.psql(src, "delete from items where id % 100 = 0")
        for dest, style, job in jobs:
            results[(dest, style)] = etl.measure([PY, "main.py", "job", "run", job], env)
    for name in ("sluice_bench_del", "sluice_bench_del_out"):
        etl.psql(dsn, f"drop database if exists {name} with (force)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per step (median)")
    parser.add_argument("--dsn", default=os.environ.get("SLUICE_TEST_PG_DSN",
                                                         "postgresql://root@127.0.0.1:5432/test"))
    opts = parser.parse_args()
    etl.REPEAT = opts.repeat
    for keys in opts.keys:
        results = bench(keys, opts.dsn)
        print(f"\n{keys:,} keys, 1% deleted at the source; a merge run after the deletes; "
              f"median of {opts.repeat}\n")
        print(f"{'destination':<14}{'style':<18}{'wall s':>9}{'x merge':>9}{'peak RSS MB':>14}")
        for (dest, style), (wall, peak) in results.items():
            plain = results[(dest, "merge")][0]
            label = "warehouse" if dest == "local" else "PostgreSQL"
            print(f"{label:<14}{style:<18}{wall:>9.2f}{wall / plain:>9.2f}{peak:>14.0f}")


if __name__ == "__main__":
    main()
