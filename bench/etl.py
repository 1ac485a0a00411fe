"""ETL throughput and memory: Sluice beside psql, connectorx and dlt, in one run.

Creates a PostgreSQL table of N rows (int, bigint, text, numeric(12,2), double, boolean,
timestamp, date; about 150 bytes a row), then times, each in a fresh process:

  floor      psql COPY of the table to /dev/null
  sluice     PostgreSQL -> local warehouse (DuckDB), -> Parquet folder, -> PostgreSQL (replace)
  peers      connectorx arrow_stream -> Parquet; dlt sql_database (pyarrow backend) -> DuckDB
             and -> PostgreSQL; a binary COPY pipe between two psql processes

and prints wall time, peak RSS and the ratios the targets are stated in. With --big M it
also runs Sluice PG -> Parquet on M rows to compare peak memory.

    .venv/bin/python bench/etl.py [--rows 2000000] [--big 10000000] [--dsn postgresql://...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
TABLE_SQL = """
drop table if exists bench;
create table bench (id int primary key, big bigint, label text, amount numeric(12,2),
                    ratio double precision, flag boolean, at timestamp, day date);
insert into bench
select g, g::bigint * 1000003, 'customer ' || md5(g::text), (g % 100000) / 100.0,
       g / 7.0, g % 3 = 0, timestamp '2020-01-01' + g * interval '1 second',
       date '2020-01-01' + (g % 3650)
from generate_series(1, {rows}) g;
analyze bench;
"""


REPEAT = 3


def measure(args: list[str] | str, env: dict | None = None, shell: bool = False,
            repeat: int | None = None) -> tuple[float, float]:
    """(median wall seconds, largest peak RSS in MB) over `repeat` (default REPEAT) runs of
    a child process."""
    walls, peaks = [], []
    for _ in range(repeat or REPEAT):
        started = time.perf_counter()
        proc = subprocess.Popen(args, shell=shell, cwd=ROOT, env=env or os.environ.copy(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - started)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {args}\n{proc.stderr.read().decode()[-2000:]}")
        peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(walls), max(peaks)


def psql(dsn: str, sql: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", dsn, "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)


def database_dsn(admin_dsn: str, name: str) -> str:
    url = urlparse(admin_dsn)
    return url._replace(path=f"/{name}").geturl()


def _with_password(dsn: str) -> str:
    url = urlparse(dsn)
    if url.password:
        return dsn
    return url._replace(netloc=f"{url.username}:unused@{url.hostname}:{url.port or 5432}").geturl()


def main() -> None:
    global REPEAT
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--big", type=int, default=0, help="also measure memory at this size")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs per step (median)")
    parser.add_argument("--dsn", default=os.environ.get("SLUICE_TEST_PG_DSN",
                                                         "postgresql://root@127.0.0.1:5432/test"))
    opts = parser.parse_args()
    REPEAT = opts.repeat
    url = urlparse(opts.dsn)
    src_db, dst_db = "sluice_bench_src", "sluice_bench_dst"
    for name in (src_db, dst_db):
        psql(opts.dsn, f"drop database if exists {name} with (force)")
        psql(opts.dsn, f"create database {name}")
    src, dst = database_dsn(opts.dsn, src_db), database_dsn(opts.dsn, dst_db)
    print(f"creating {opts.rows:,} rows ...", flush=True)
    psql(src, TABLE_SQL.format(rows=opts.rows))
    size = subprocess.run(["psql", "-At", src, "-c",
                           "select pg_size_pretty(pg_table_size('bench'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        home, lake = tmp / "home", tmp / "lake"
        lake.mkdir()
        env = {**os.environ, "SLUICE_HOME": str(home)}
        host, port, user = url.hostname or "127.0.0.1", str(url.port or 5432), url.username
        common = ["--host", host, "--port", port, "--user", user]

        def cli(*args: str) -> None:
            subprocess.run([PY, "main.py", *args], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)

        cli("connection", "add", "--type", "postgresql", "--name", "src", "--database", src_db,
            *common)
        cli("connection", "add", "--type", "postgresql", "--name", "dst", "--database", dst_db,
            *common)
        cli("connection", "add", "--type", "parquet", "--name", "lake", "--option",
            f"path={lake}")
        cli("job", "add", "--name", "to-local", "--source", "src", "--table", "bench")
        cli("job", "add", "--name", "to-lake", "--source", "src", "--table", "bench",
            "--destination", "lake")
        cli("job", "add", "--name", "to-pg", "--source", "src", "--table", "bench",
            "--destination", "dst")

        results["psql COPY to /dev/null (floor)"] = measure(
            f"psql -q {src} -c 'copy bench to stdout' > /dev/null", shell=True)
        results["Sluice PG -> local warehouse"] = measure(
            [PY, "main.py", "job", "run", "to-local"], env)
        results["Sluice PG -> Parquet"] = measure([PY, "main.py", "job", "run", "to-lake"], env)
        results["Sluice PG -> PG (replace)"] = measure([PY, "main.py", "job", "run", "to-pg"],
                                                        env)
        results["connectorx arrow_stream -> Parquet"] = measure([PY, "-c", textwrap.dedent(f"""
            import connectorx as cx, pyarrow.parquet as pq
            reader = cx.read_sql({src!r}, "select * from bench", return_type="arrow_stream",
                                 batch_size=65536)
            writer = None
            for batch in reader:
                writer = writer or pq.ParquetWriter({str(tmp / 'cx.parquet')!r}, batch.schema,
                                                    compression="zstd")
                writer.write_batch(batch)
            writer.close()
            """)])
        sa_src = src.replace("postgresql://", "postgresql+psycopg2://", 1)
        for dest in ("duckdb", "postgres"):
            target = (f"dlt.destinations.duckdb({str(tmp / 'dlt.duckdb')!r})" if dest == "duckdb"
                      # dlt insists on a password; a trusting server ignores this one.
                      else f"dlt.destinations.postgres({_with_password(dst)!r})")
            results[f"dlt pyarrow -> {dest}"] = measure([PY, "-c", textwrap.dedent(f"""
                import dlt
                from dlt.sources.sql_database import sql_table
                table = sql_table(credentials={sa_src!r}, table="bench", backend="pyarrow",
                                  chunk_size=65536)
                pipeline = dlt.pipeline(pipeline_name="bench_{dest}", destination={target},
                                        dataset_name="dlt_bench",
                                        pipelines_dir={str(tmp / 'dlt')!r})
                pipeline.run(table, write_disposition="replace")
                """)], {**os.environ, "RUNTIME__LOG_LEVEL": "WARNING"})
        # Like Sluice's replace: a fresh table each time.
        results["psql binary COPY pipe PG -> PG"] = measure(
            f"psql -q {dst} -c 'drop table if exists bench_copy' -c 'create table bench_copy "
            f"(like bench)' 2>/dev/null; psql -q {src} -c 'copy bench to stdout (format binary)' "
            f"| psql -q {dst} -c 'copy bench_copy from stdin (format binary)'", shell=True)
        if opts.big:
            print(f"creating {opts.big:,} rows ...", flush=True)
            psql(src, TABLE_SQL.format(rows=opts.big))
            results[f"Sluice PG -> Parquet, {opts.big:,} rows"] = measure(
                [PY, "main.py", "job", "run", "to-lake"], env)

    print(f"\n{opts.rows:,} rows, table size {size}; median wall time of {REPEAT} runs, "
          "largest peak RSS\n")
    print(f"{'':44} {'wall s':>8} {'peak RSS MB':>12}")
    for name, (wall, rss) in results.items():
        print(f"{name:44} {wall:8.2f} {rss:12.0f}")
    r = {k: v[0] for k, v in results.items()}
    print("\nratios (lower is better for Sluice):")
    print(f"  Sluice PG->Parquet / connectorx arrow_stream : "
          f"{r['Sluice PG -> Parquet'] / r['connectorx arrow_stream -> Parquet']:.2f}x "
          "(target <= 1.2x)")
    print(f"  dlt pyarrow->duckdb / Sluice PG->local       : "
          f"{r['dlt pyarrow -> duckdb'] / r['Sluice PG -> local warehouse']:.2f}x "
          "(target >= 5x, Sluice faster)")
    print(f"  dlt pyarrow->duckdb / Sluice PG->Parquet     : "
          f"{r['dlt pyarrow -> duckdb'] / r['Sluice PG -> Parquet']:.2f}x")
    print(f"  dlt pyarrow->postgres / Sluice PG->PG        : "
          f"{r['dlt pyarrow -> postgres'] / r['Sluice PG -> PG (replace)']:.2f}x")
    print(f"  Sluice PG->PG / psql binary COPY pipe        : "
          f"{r['Sluice PG -> PG (replace)'] / r['psql binary COPY pipe PG -> PG']:.2f}x "
          "(target <= 1.5x)")
    print(f"  Sluice PG->Parquet / psql COPY floor         : "
          f"{r['Sluice PG -> Parquet'] / r['psql COPY to /dev/null (floor)']:.2f}x")
    if opts.big:
        small = results["Sluice PG -> Parquet"][1]
        big = results[f"Sluice PG -> Parquet, {opts.big:,} rows"][1]
        print(f"  peak RSS at {opts.big:,} / at {opts.rows:,} rows      : {big / small:.2f}x "
              "(target <= 1.10x, and < 300 MB)")
    for name in (src_db, dst_db):
        psql(opts.dsn, f"drop database if exists {name} with (force)")


if __name__ == "__main__":
    main()
