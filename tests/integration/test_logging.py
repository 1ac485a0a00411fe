"""The log says what failed, at ERROR, with ISO-8601 times; a crash leaves its trace there.

Failed runs used to be logged at INFO without their reason, and a crash wrote nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys

from tests.integration.engine_helpers import make_job, pg_exec, save_connection
from tests.integration.test_cli import ROOT, sluice

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d"


def _log(home) -> str:
    return (home / "logs" / "sluice.log").read_text()


def test_a_failed_run_is_logged_at_error_with_its_reason(ctx, pg_db, isolated_home):
    from app.services.jobs import TableSpec

    pg_exec(pg_db, "create table orders (id int primary key)")
    save_connection(ctx, "postgresql", "src", pg_db.params())
    make_job(ctx, "orders", "src", [TableSpec("orders")])
    pg_exec(pg_db, "drop table orders")
    assert sluice("job", "run", "orders").returncode == 1
    line = next(line for line in _log(isolated_home).splitlines() if "run of 'orders'" in line)
    assert re.fullmatch(STAMP + r" ERROR   sluice\.jobs: run of 'orders' failed: Table "
                        r"public\.orders does not exist \(any more\) on .*", line), line


def test_an_uncaught_exception_and_a_fatal_error_reach_the_log(isolated_home):
    raising = "from app.logs import record_crashes; record_crashes(); raise RuntimeError('boom')"
    done = subprocess.run([sys.executable, "-c", raising], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and "RuntimeError: boom" in done.stderr
    log = _log(isolated_home)
    assert re.search(STAMP + r" CRITICAL sluice\.crash: uncaught RuntimeError\nTraceback", log)
    assert "RuntimeError: boom" in log

    crashing = "from app.logs import record_crashes; record_crashes(); import faulthandler; " \
               "faulthandler._sigsegv()"
    done = subprocess.run([sys.executable, "-c", crashing], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "Fatal Python error: Segmentation fault" in _log(isolated_home)
