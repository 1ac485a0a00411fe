"""app/locks.py: one holder at a time, released by closing, and by the holder's death."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app import locks

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_holder_is_refused_until_the_first_lets_go(tmp_path):
    path = tmp_path / "job.lock"
    first, second = locks.FileLock(path), locks.FileLock(path)
    assert first.acquire() and not second.acquire()
    assert not locks.free(path)
    first.release()
    assert second.acquire()
    second.release()
    assert locks.free(path)


def test_the_holder_can_say_who_it_is(tmp_path):
    path = tmp_path / "warehouse.lock"
    with locks.held(path) as lock:
        lock.note("job 'Nightly' (pid 42)")
        assert locks.FileLock(path).holder() == "job 'Nightly' (pid 42)"


def test_a_dead_holders_lock_is_free(tmp_path):
    path = tmp_path / "job.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from app import locks; "
         f"lock = locks.FileLock(Path({str(path)!r})); lock.acquire(); print('held', "
         "flush=True); sys.stdin.read()"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    assert not locks.free(path)
    holder.kill()
    holder.communicate(timeout=30)
    assert locks.free(path)


def test_a_missing_file_is_not_a_free_leftover(tmp_path):
    assert not locks.free(tmp_path / "gone.tmp")
