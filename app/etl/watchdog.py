"""A run whose rows stop moving is stopped, with the side that stalled named.

A frozen server (stopped, a hung disk, a network that drops packets without resetting)
never answers a cancel request, and a read blocked on its socket never looks at the run's
cancel flag. So when nothing has moved for the job's bound (`RunHandle.stall_seconds`:
app.vocabulary.STALL_SECONDS unless the job says otherwise), the watchdog says which side
stalled, sets the cancel flag, and breaks that side's connection (shuts its socket down):
the blocked read or write fails at once, the load is abandoned, and the destination stays
as it was.

The side is the one the pipeline waits on (`RunHandle.waiting_on`): the source while a
batch is awaited, the destination while a batch waits for room. Waiting for a DuckDB file
(another writer has it) and the final commit are not counted as a stall.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator

from app.etl.pipeline import RunHandle


def in_words(seconds: float) -> str:
    """"1 hour", "10 minutes", "90 seconds"."""
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"


def stall_message(side: str, seconds: float) -> str:
    if side == "destination":
        return (f"The destination took no rows for {in_words(seconds)}; the run was stopped "
                "and the destination left as it was (is its server frozen or out of space?).")
    return (f"No data from the source for {in_words(seconds)}; the run was stopped and the "
            "destination left as it was (is the source's server frozen or unreachable?).")


@contextlib.contextmanager
def watching(handle: RunHandle) -> Iterator[None]:
    """Watch `handle` while the block runs (nothing, when its bound is unset or zero)."""
    seconds = handle.stall_seconds
    if not seconds:
        yield
        return
    stop = threading.Event()

    def watch() -> None:
        last, since = None, time.monotonic()
        while not stop.wait(min(1.0, seconds / 4)):
            moved = (handle.rows_read, handle.rows_written, handle.bytes, handle.waiting_on)
            if moved != last or handle.note or not handle.waiting_on:
                last, since = moved, time.monotonic()
                continue
            if time.monotonic() - since >= seconds:
                side = handle.waiting_on
                handle.stalled = stall_message(side, seconds)
                handle.cancel.set()
                for breaker in handle.breakers.get(side, []):
                    with contextlib.suppress(Exception):
                        breaker()
                return

    thread = threading.Thread(target=watch, name="sluice-watchdog", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def break_socket(fileno: int) -> None:
    """Shut down the socket behind a driver's connection, so that a read or write blocked
    on it returns now (the driver then reports a lost connection)."""
    dup = os.dup(fileno)
    try:
        sock = socket.socket(fileno=dup)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.detach()
    finally:
        os.close(dup)
