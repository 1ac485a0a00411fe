"""Incremental runs when many rows share one cursor value, beside a replace of the table.

Creates a PostgreSQL table of N rows (default 2,000,000) whose `updated_at` is one value
for all (as after a bulk load), then times, each in a fresh process into the local
warehouse:

  replace         the whole table, as a replace job
  first run       an incremental job's first run (a full load)
  no-change run   the same job again, with nothing changed at the source
  one late row    the same job after one row arrives at the same `updated_at`

and prints wall time, peak RSS, the size of the saved state, and the ratios the targets
are stated in (first run within 1.3x of replace; a no-change run no slower than replace;
peak memory under 300 MB).

    .venv/bin/python bench/incremental.py [--rows 2000000] [--repeat 3] [--dsn ...]
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
drop table if exists bulk;
create table bulk (id int, customer text, amount numeric(12,2), updated_at timestamptz);
insert into bulk
select g, 'customer ' || md5(g::text), (g % 100000) / 100.0, timestamptz '2024-05-01 00:00+00'
from generate_series(1, {rows}) g;
analyze bulk;
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (median)")
    parser.add_argument("--dsn", default=os.environ.get("SLUICE_TEST_PG_DSN",
                                                         "postgresql://root@127.0.0.1:5432/test"))
    opts = parser.parse_args()
    etl.REPEAT = opts.repeat
    url = urlparse(opts.dsn)
    etl.psql(opts.dsn, "drop database if exists sluice_bench_inc with (force)")
    etl.psql(opts.dsn, "create database sluice_bench_inc")
    src = etl.database_dsn(opts.dsn, "sluice_bench_inc")
    print(f"creating {opts.rows:,} rows sharing one updated_at ...", flush=True)
    etl.psql(src, TABLE_SQL.format(rows=opts.rows))
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        home = Path(tmp_name) / "home"
        env = {**os.environ, "SLUICE_HOME": str(home)}

        def cli(*args: str) -> str:
            return subprocess.run([PY, "main.py", *args], cwd=ROOT, env=env, check=True,
                                  capture_output=True, text=True).stdout

        cli("connection", "add", "--type", "postgresql", "--name", "src", "--database",
            "sluice_bench_inc", "--host", url.hostname or "127.0.0.1",
            "--port", str(url.port or 5432), "--user", url.username or "root")
        cli("job", "add", "--name", "replace", "--source", "src", "--table", "bulk",
            "--dest-table", "bulk_replace")

        def incremental_job() -> None:
            """A fresh incremental job (no saved mark: its next run is a first run)."""
            subprocess.run([PY, "main.py", "job", "delete", "inc", "--drop-tables"], cwd=ROOT,
                           env=env, capture_output=True)
            cli("job", "add", "--name", "inc", "--source", "src", "--table", "bulk",
                "--mode", "incremental", "--cursor", "updated_at")

        run = [PY, "main.py", "job", "run"]
        results["replace"] = etl.measure([*run, "replace"], env)
        firsts = []
        for _ in range(opts.repeat):
            incremental_job()
            firsts.append(etl.measure([*run, "inc"], env, repeat=1))
        results["incremental, first run"] = (sorted(w for w, _ in firsts)[len(firsts) // 2],
                                             max(p for _, p in firsts))
        results["incremental, no change"] = etl.measure([*run, "inc"], env)
        etl.psql(src, "insert into bulk values (0, 'late', 1, timestamptz '2024-05-01 00:00+00')")
        results["incremental, one late row"] = etl.measure([*run, "inc"], env, repeat=1)
        import duckdb

        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
            (state,) = conn.execute("select state from _sluice_state").fetchone()
            (count,) = conn.execute("select count(*) from bulk").fetchone()
    etl.psql(opts.dsn, "drop database if exists sluice_bench_inc with (force)")

    print(f"\n{opts.rows:,} rows sharing one updated_at; local warehouse; "
          f"median of {opts.repeat} runs\n")
    print(f"{'step':<28}{'wall s':>9}{'peak RSS MB':>14}")
    for name, (wall, peak) in results.items():
        print(f"{name:<28}{wall:>9.2f}{peak:>14.0f}")
    replace = results["replace"][0]
    print(f"\nfirst run / replace: {results['incremental, first run'][0] / replace:.2f}x "
          "(target <= 1.3x)")
    print(f"no-change run / replace: {results['incremental, no change'][0] / replace:.2f}x "
          "(target <= 1x)")
    print(f"peak memory, largest step: {max(p for _, p in results.values()):.0f} MB "
          "(target < 300 MB)")
    print(f"saved state: {len(state)} bytes: {state}")
    print(f"rows in the warehouse: {count:,} (the source has {opts.rows + 1:,})")


if __name__ == "__main__":
    main()
